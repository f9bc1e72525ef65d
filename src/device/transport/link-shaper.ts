/**
 * A network between the host and the virtual board's UDP endpoint, so that uploads can be
 * measured as over Wi-Fi or Thread: each datagram, each way, is delayed by the latency plus a
 * uniform jitter, lost with some probability, and some are held back so that later ones overtake
 * them (reordering, as `tc netem ... reorder` does). Seeded, so a run can be repeated. Bounded:
 * at most MAX_HELD datagrams wait at once; more are dropped, as a router's queue drops them.
 * Pure: the timer is injected (Node's setTimeout in ./udp-socket.ts).
 */

import { keyValueList } from '../../util/key-values.ts';
import { seededRandom } from '../../util/seeded-random.ts';

export interface LinkProfile {
  /** One-way delay in ms. */
  readonly latencyMs: number;
  /** Each datagram's delay varies uniformly within ± this, in ms (never below zero). */
  readonly jitterMs: number;
  /** Share of datagrams lost, 0..1. */
  readonly loss: number;
  /** Share of datagrams held back by one more latency (at least 5 ms), 0..1. */
  readonly reorder: number;
  readonly seed: number;
}

export const NO_SHAPING: LinkProfile = { latencyMs: 0, jitterMs: 0, loss: 0, reorder: 0, seed: 1 };
/** Datagrams waiting in one shaper at once; a burst beyond is dropped. */
export const MAX_HELD = 1024;
const MIN_REORDER_HOLD_MS = 5;

export class LinkProfileError extends Error {
  override readonly name = 'LinkProfileError';
}

const KEYS = ['latency', 'jitter', 'loss', 'reorder', 'seed'] as const;

/**
 * Parses `latency=40ms,jitter=10ms,loss=1%,reorder=2%,seed=7` (times in ms, "ms" optional; shares
 * in percent, "%" optional). Unknown keys and values out of range are refused in words.
 */
export function parseLinkProfile(text: string): LinkProfile {
  const profile = { ...NO_SHAPING };
  const twice = (key: string) => new LinkProfileError(`--link gives "${key}" twice.`);
  for (const [key, value] of keyValueList(text, twice)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new LinkProfileError(`--link: unknown key "${key}"; known keys are ${KEYS.join(', ')}.`);
    }
    switch (key) {
      case 'latency':
        profile.latencyMs = milliseconds(key, value);
        break;
      case 'jitter':
        profile.jitterMs = milliseconds(key, value);
        break;
      case 'loss':
        profile.loss = percent(key, value);
        break;
      case 'reorder':
        profile.reorder = percent(key, value);
        break;
      case 'seed': {
        if (!/^\d+$/.test(value)) throw new LinkProfileError(`--link seed "${value}" is not a whole number.`);
        profile.seed = Number(value);
        break;
      }
    }
  }
  return profile;
}

function milliseconds(key: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms)?$/.exec(value);
  const ms = match ? Number(match[1]) : Number.NaN;
  if (!(ms >= 0 && ms <= 10_000)) {
    throw new LinkProfileError(
      `--link ${key} "${value}" is not a time in ms between 0 and 10000 (e.g. ${key}=40ms).`,
    );
  }
  return ms;
}

function percent(key: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value);
  const share = match ? Number(match[1]) : Number.NaN;
  if (!(share >= 0 && share <= 100)) {
    throw new LinkProfileError(
      `--link ${key} "${value}" is not a percentage between 0 and 100 (e.g. ${key}=1%).`,
    );
  }
  return share / 100;
}

/** The profile in the words `zdfu sim` prints. */
export function describeLinkProfile(profile: LinkProfile): string {
  const pct = (share: number) => `${Number((share * 100).toFixed(3))}%`;
  return (
    `latency ${profile.latencyMs} ms ± ${profile.jitterMs} ms, loss ${pct(profile.loss)}, ` +
    `reorder ${pct(profile.reorder)}, seed ${profile.seed}`
  );
}

export type Schedule = (run: () => void, delayMs: number) => { cancel(): void };

export interface LinkShaperStats {
  passed: number;
  lost: number;
  reordered: number;
  /** Dropped because MAX_HELD datagrams were already waiting. */
  overflowed: number;
}

/** One direction of the shaped link. */
export class LinkShaper {
  readonly stats: LinkShaperStats = { passed: 0, lost: 0, reordered: 0, overflowed: 0 };
  private readonly held = new Set<{ cancel(): void }>();
  /** Seeded, so a run repeats. */
  private readonly random: () => number;

  constructor(
    readonly profile: LinkProfile,
    private readonly schedule: Schedule,
  ) {
    // mulberry32 started at 0 makes a poor start.
    this.random = seededRandom(profile.seed >>> 0 || 0x9e3779b9);
  }

  /** Passes `datagram` to `deliver` after the link's delay, or drops it. */
  send<T>(datagram: T, deliver: (datagram: T) => void): void {
    const { latencyMs, jitterMs, loss, reorder } = this.profile;
    if (loss > 0 && this.random() < loss) {
      this.stats.lost++;
      return;
    }
    let delay = latencyMs + (jitterMs > 0 ? (this.random() * 2 - 1) * jitterMs : 0);
    if (reorder > 0 && this.random() < reorder) {
      delay += Math.max(latencyMs, MIN_REORDER_HOLD_MS);
      this.stats.reordered++;
    }
    delay = Math.max(0, delay);
    if (delay === 0) {
      this.stats.passed++;
      deliver(datagram);
      return;
    }
    if (this.held.size >= MAX_HELD) {
      this.stats.overflowed++;
      return;
    }
    const timer = this.schedule(() => {
      this.held.delete(timer);
      this.stats.passed++;
      deliver(datagram);
    }, delay);
    this.held.add(timer);
  }

  /** Datagrams on their way now. */
  get inFlight(): number {
    return this.held.size;
  }

  /** Drops everything on its way (the sim stops). */
  close(): void {
    for (const timer of this.held) timer.cancel();
    this.held.clear();
  }
}
