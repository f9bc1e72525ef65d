// The power-cut sweep: for a board and MCUboot strategy, for each scenario, cut the power before
// and inside every write and erase the scenario does (torn writes, partial erases at several
// positions), then power on and boot until MCUboot settles. Invariant: every boot runs the old or
// the new image, byte-exact and valid; a boot that runs nothing is a brick, one that runs
// anything else is a half image. MCUboot's own simulator (sim/ in mcu-tools/mcuboot) cuts only
// between whole operations; torn writes there are still an open PR (#2648).

import { trailerLayout } from '../../image/trailer.ts';
import { type Board, deviceOf, findPartition, type McubootMode, slotPartition } from '../boards/board.ts';
import { createBoardFlash } from '../boards/index.ts';
import { type CutKind, type CutPlan, type Flash, type FlashOpKind, PowerCut } from '../flash.ts';
import { bootAreas, bootGo } from '../mcuboot/boot.ts';
import { type SweepImages, type SweepValidator, sweepImages, sweepValidator } from './images.ts';
import { SCENARIOS, type Scenario, type ScenarioContext } from './scenarios.ts';

/** The kind of cut, as the flash names it (PowerCut.cut). */
export type CutKindName = CutKind;

/** Where inside an operation the torn cuts fall (fraction of the operation done). */
export const TORN_POSITIONS = [0, 0.5, 0.999] as const;
export const ERASE_POSITIONS = [0.05, 0.5, 0.95] as const;
/** Boots after the cut before a state that keeps writing flash counts as not settling. */
export const MAX_BOOTS = 6;

export interface SweepTarget {
  board: Board;
  strategy: McubootMode;
}

export interface CutPoint {
  /** 1-based write/erase number within the scenario's run. */
  op: number;
  opKind: Exclude<FlashOpKind, 'read'>;
  cut: CutKindName;
  /** Fraction of the operation done, for cuts inside it. */
  position?: number;
  seed?: number;
}

export type Outcome = 'old' | 'new' | 'brick' | 'half-image' | 'not-settled' | 'missed';

export interface CutResult extends CutPoint {
  board: string;
  strategy: McubootMode;
  scenario: string;
  image: string;
  outcome: Outcome;
  /** Boots after the cut until settled (or until the brick). */
  boots: number;
  /** What the power cut did (PowerCut's message). */
  cutMessage?: string;
  reason?: string;
  /** MCUboot's console of the boot that failed (bricks only). */
  log?: string[];
}

export interface ScenarioRun {
  board: string;
  strategy: McubootMode;
  scenario: string;
  image: string;
  /** Image size in bytes (header, body, TLVs). */
  imageBytes: number;
  writes: number;
  erases: number;
  results: CutResult[];
  ms: number;
}

interface Prepared {
  target: SweepTarget;
  variant: ImageVariant;
  board: Board;
  images: SweepImages;
  validate: SweepValidator;
}

/** The board as built for `strategy` (every board here has the scratch partition swap needs). */
export function boardFor(target: SweepTarget): Board {
  if (target.board.mcuboot.mode === target.strategy) return target.board;
  if (target.strategy === 'swap-scratch' && !findPartition(target.board, 'scratch_partition')) {
    throw new Error(`${target.board.name} has no scratch partition, so it cannot be built for swap-scratch`);
  }
  return { ...target.board, mcuboot: { ...target.board.mcuboot, mode: target.strategy } };
}

/**
 * The images a sweep moves between. 'fill' makes them as large as the slot allows, so the swap
 * reaches the slot's last sector, whose step carries the trailer through scratch (swap_scratch.c,
 * use_scratch): the code path where an interrupted scratch erase matters.
 */
export interface ImageVariant {
  name: string;
  /** Image body size in bytes (before header and TLVs), or 'fill' for the largest that fits. */
  bodySize: number | 'fill';
  /** Cut only this many points per cut kind (seeded sample) for this variant; all when left out. */
  samplePerKind?: number;
}

export const DEFAULT_IMAGES: readonly ImageVariant[] = [
  { name: 'small', bodySize: 24 * 1024 },
  // Every boot of a slot-sized image copies the whole slot: sampled, so the full sweep stays short.
  { name: 'fills slot', bodySize: 'fill', samplePerKind: 100 },
];

/** Room left in a slot for TLVs (hash, key hash, RSA-3072 signature at most) and alignment. */
const TLV_ROOM = 1024;

/** The body size; 'fill' stops at the swap trailer (the larger one), so the image fits every mode. */
export function bodySizeFor(board: Board, variant: ImageVariant): number {
  if (variant.bodySize !== 'fill') return variant.bodySize;
  const trailer = trailerLayout({
    slotSize: slotPartition(board, 0).size,
    maxAlign: board.mcuboot.maxAlign,
    writeSize: deviceOf(board, slotPartition(board, 0)).writeBlockSize,
    maxSectors: board.mcuboot.maxImgSectors,
  });
  let end = trailer.trailerStart;
  if (board.mcuboot.mode === 'swap-move') {
    // swap_move.c moves the primary up one sector first: an image may reach only the sector before
    // the one the trailer starts in, less that moved sector ("Not enough free space" otherwise).
    const sector = Math.max(...deviceOf(board, slotPartition(board, 0)).sectors.map((run) => run.size));
    end = Math.floor(trailer.trailerStart / sector) * sector - sector;
  }
  return end - board.mcuboot.headerSize - TLV_ROOM;
}

export async function prepare(target: SweepTarget, variant: ImageVariant): Promise<Prepared> {
  const board = boardFor(target);
  const images = await sweepImages(board, bodySizeFor(board, variant));
  return { target, variant, board, images, validate: await sweepValidator(board) };
}

/** Mix numbers into a 32-bit seed (FNV-1a over their decimal text). */
export function mixSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('/')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Every cut the full sweep makes for a run whose operations are `ops`. */
export function cutPoints(ops: readonly Exclude<FlashOpKind, 'read'>[], seed: number): CutPoint[] {
  const points: CutPoint[] = [];
  ops.forEach((opKind, index) => {
    const op = index + 1;
    points.push({ op, opKind, cut: 'before' });
    const positions = opKind === 'write' ? TORN_POSITIONS : ERASE_POSITIONS;
    const cut = opKind === 'write' ? 'torn-write' : 'partial-erase';
    for (const position of positions)
      points.push({ op, opKind, cut, position, seed: mixSeed(seed, op, position) });
  });
  return points;
}

type Which = 'old' | 'new' | undefined;

async function runningImage(ctx: ScenarioContext): Promise<Which> {
  const primary = bootAreas(ctx.flash, ctx.board).primary;
  for (const which of ['old', 'new'] as const) {
    const image = ctx.images[which];
    if (Buffer.compare(primary.peek(0, image.length), image) !== 0) continue;
    const verdict = await ctx.validate('primary', image);
    return verdict.ok ? which : undefined;
  }
  return undefined;
}

interface Settled {
  outcome: Outcome;
  boots: number;
  reason?: string;
  log?: string[];
}

/** Power on and boot until a boot writes nothing; every boot must run the old or new image. */
async function settle(ctx: ScenarioContext): Promise<Settled> {
  ctx.flash.powerOn();
  let last: Which;
  for (let boots = 1; boots <= MAX_BOOTS; boots++) {
    let result: Awaited<ReturnType<typeof bootGo>>;
    try {
      result = await bootGo({ flash: ctx.flash, board: ctx.board, validate: ctx.validate });
    } catch (error) {
      return { outcome: 'brick', boots, reason: `the MCUboot model threw: ${(error as Error).message}` };
    }
    if (!result.booted) {
      return { outcome: 'brick', boots, reason: result.reason ?? 'nothing booted', log: result.log };
    }
    last = await runningImage(ctx);
    if (last === undefined) {
      return {
        outcome: 'half-image',
        boots,
        reason: 'MCUboot jumped to a primary slot that holds neither image intact',
        log: result.log,
      };
    }
    if (result.flashOps === 0) return { outcome: last, boots };
  }
  return { outcome: 'not-settled', boots: MAX_BOOTS, reason: `still writing flash after ${MAX_BOOTS} boots` };
}

function contextFor(p: Prepared, flash: Flash): ScenarioContext {
  return { flash, board: p.board, images: p.images, validate: p.validate };
}

/** The uninterrupted run: the operations to cut, and a check that the scenario does what it says. */
async function reference(p: Prepared, scenario: Scenario, flash: Flash) {
  const ctx = contextFor(p, flash);
  await scenario.setup(ctx);
  const start = flash.snapshot();
  const ops: Exclude<FlashOpKind, 'read'>[] = [];
  const off = flash.onOperation((op) => {
    if (op.kind !== 'read') ops.push(op.kind);
  });
  try {
    await scenario.run(ctx);
  } finally {
    off();
  }
  const which = await runningImage(ctx);
  const problem =
    scenario.check?.(ctx) ??
    (which === scenario.expect
      ? undefined
      : `primary slot holds ${which ?? 'no intact image'}, not ${scenario.expect}`);
  if (problem)
    throw new Error(
      `${p.board.name}/${p.target.strategy}/${scenario.name}: uninterrupted run is wrong: ${problem}`,
    );
  const settled = await settle(ctx);
  if (settled.outcome !== 'old' && settled.outcome !== 'new') {
    throw new Error(`${p.board.name}/${scenario.name}: uninterrupted run does not settle: ${settled.reason}`);
  }
  return { start, ops };
}

async function cutOnce(p: Prepared, scenario: Scenario, flash: Flash, point: CutPoint): Promise<CutResult> {
  const ctx = contextFor(p, flash);
  const plan: CutPlan =
    point.position === undefined
      ? { mutation: point.op }
      : { mutation: point.op, inside: { fraction: point.position, seed: point.seed ?? 0 } };
  flash.cutPower(plan);
  const before = flash.lastCut;
  try {
    await scenario.run(ctx);
  } catch (error) {
    if (!(error instanceof PowerCut)) throw error;
  }
  // The upload's SMP server turns the failed write into an error answer; the flash still knows.
  const cut = flash.lastCut !== before ? flash.lastCut : undefined;
  const base = {
    ...point,
    board: p.board.name,
    strategy: p.target.strategy,
    scenario: scenario.name,
    image: p.variant.name,
  };
  if (!flash.isPoweredOff) {
    return { ...base, outcome: 'missed', boots: 0, reason: 'the run finished before the cut point' };
  }
  // The upload's server turns the failed write into an error answer; the flash still knows.
  const settled = await settle(ctx);
  const result: CutResult = { ...base, outcome: settled.outcome, boots: settled.boots };
  if (cut) result.cutMessage = cut.message;
  if (settled.reason) result.reason = settled.reason;
  if (settled.log) result.log = settled.log;
  return result;
}

export interface SweepOptions {
  targets: readonly SweepTarget[];
  /** The scenarios to run (default: all of SCENARIOS). */
  scenarios?: readonly Scenario[];
  /** The image sizes to sweep with (default DEFAULT_IMAGES). */
  images?: readonly ImageVariant[];
  seed?: number;
  /** Run at most this many cuts per cut kind per scenario run, picked with the seed. */
  samplePerKind?: number;
  onProgress?: (run: ScenarioRun) => void;
}

/** Pick `n` of `items` with a seeded shuffle (all of them when n ≥ length). */
function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  if (n >= items.length) return [...items];
  const copy = [...items];
  let x = seed >>> 0 || 1;
  for (let i = copy.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

async function sweepScenario(
  p: Prepared,
  scenario: Scenario,
  seed: number,
  samplePerKind: number | undefined,
): Promise<ScenarioRun> {
  const started = performance.now();
  const flash = createBoardFlash(p.board);
  const { start, ops } = await reference(p, scenario, flash);
  const tag = [p.board.name, p.target.strategy, p.variant.name, scenario.name];
  let points = cutPoints(ops, mixSeed(seed, ...tag));
  if (samplePerKind !== undefined) {
    const pick = (kind: CutKindName) =>
      sample(
        points.filter((q) => q.cut === kind),
        samplePerKind,
        mixSeed(seed, kind, ...tag),
      );
    points = [...pick('before'), ...pick('torn-write'), ...pick('partial-erase')].sort((a, b) => a.op - b.op);
  }
  const results: CutResult[] = [];
  for (const point of points) {
    flash.restore(start);
    flash.powerOn();
    results.push(await cutOnce(p, scenario, flash, point));
  }
  return {
    board: p.board.name,
    strategy: p.target.strategy,
    scenario: scenario.name,
    image: p.variant.name,
    imageBytes: p.images.new.length,
    writes: ops.filter((k) => k === 'write').length,
    erases: ops.filter((k) => k === 'erase').length,
    results,
    ms: performance.now() - started,
  };
}

export async function runSweep(options: SweepOptions): Promise<ScenarioRun[]> {
  const seed = options.seed ?? 1;
  const runs: ScenarioRun[] = [];
  for (const target of options.targets) {
    for (const variant of options.images ?? DEFAULT_IMAGES) {
      const p = await prepare(target, variant);
      for (const scenario of options.scenarios ?? SCENARIOS) {
        if (!scenario.appliesTo(p.board)) continue;
        const limits = [variant.samplePerKind, options.samplePerKind].filter((n) => n !== undefined);
        const run = await sweepScenario(p, scenario, seed, limits.length ? Math.min(...limits) : undefined);
        options.onProgress?.(run);
        runs.push(run);
      }
    }
  }
  return runs;
}
