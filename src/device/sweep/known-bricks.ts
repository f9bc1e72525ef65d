// Failures the sweep finds while following MCUboot faithfully: real weaknesses of the MCUboot
// release a board names, kept in the model and explained here with their upstream reference. A
// failure none of these explains is a model bug (or a new finding) and fails the sweep.
import type { CutResult } from './run.ts';

export interface KnownBrick {
  id: string;
  /** What happens, in one sentence. */
  reason: string;
  /** Upstream issue / fix. */
  upstream: string;
  matches(r: CutResult): boolean;
}

export const KNOWN_BRICKS: readonly KnownBrick[] = [
  {
    id: 'swap-move-revert-magic',
    reason:
      'a cut while fixup_revert writes the secondary trailer (swap_move.c) leaves its magic bad; ' +
      "MCUboot v2.0.0's swap table wants it unset for a revert, so the revert is dropped and the " +
      'unconfirmed image runs for good (a faulty one would never be taken back)',
    upstream: 'mcu-tools/mcuboot#1966, fixed by PR #2100 (v2.2.0: revert with any secondary magic)',
    matches: (r) =>
      r.strategy === 'swap-move' &&
      r.scenario === 'revert' &&
      r.outcome === 'revert-lost' &&
      r.opKind === 'write',
  },
  {
    id: 'single-sector-scratch',
    reason:
      'the scratch area is one sector: an erase of it cut with its end still intact leaves a good ' +
      'scratch trailer, the next boot resumes from scratch ("Boot source: scratch") and copies the ' +
      'half-erased sector into the primary slot (test/device/sweep-scratch-brick.test.ts)',
    upstream:
      'swap_scratch.c boot_swap_sectors; MCUboot erases scratch trailer-first since f76fba70 ' +
      '("Fix issue with bricking device"), which cannot help when scratch is a single sector',
    matches: (r) =>
      r.strategy === 'swap-scratch' &&
      r.outcome === 'brick' &&
      r.cut === 'partial-erase' &&
      (r.log ?? []).includes('I: Boot source: scratch'),
  },
];

/** The known weakness that explains a failed cut, if any. */
export function explain(r: CutResult): KnownBrick | undefined {
  return KNOWN_BRICKS.find((k) => k.matches(r));
}
