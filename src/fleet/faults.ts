/**
 * The fault plan of a fleet rehearsal: which share of the virtual boards gets which fault, read
 * from `power-cut-swap=2%,image-refused=1%,link-lost=1%,never-confirms=1%`, and which board gets
 * which, the same for the same seed. Shares are exact: the boards are taken in blocks of 100 (of
 * 1,000 or 10,000 when a share has decimals) and each block holds exactly each fault's share,
 * spread from a seeded phase, so 2% of 1,000 boards is 20 boards, never 17 or 23.
 * Pure: no Node imports.
 */

import { keyValueList } from '../util/key-values.ts';
import { seededRandom } from '../util/seeded-random.ts';

/**
 * What can go wrong on a board (what each does on a virtual board: src/fleet/sim-fleet.ts):
 * - power-cut-swap: power fails during MCUboot's swap of the new image (MCUboot resumes it);
 * - image-refused: MCUboot refuses the new image's signature (the board trusts another key);
 * - link-lost: the link breaks mid-transfer (the SMP link mid-upload, or the DDI download);
 * - never-confirms: the new app never confirms itself, so MCUboot reverts it at the next reset.
 */
export type FleetFault = 'power-cut-swap' | 'image-refused' | 'link-lost' | 'never-confirms';

/** Every fault, in the order shares are handed out (fixed, so the text's order does not matter). */
export const FLEET_FAULTS: readonly FleetFault[] = [
  'power-cut-swap',
  'image-refused',
  'link-lost',
  'never-confirms',
];

export interface FaultPlan {
  /** Percent of the boards (0–100, at most two decimals) that get each fault. */
  readonly percent: Readonly<Partial<Record<FleetFault, number>>>;
  readonly seed: number;
}

export class FaultPlanError extends Error {
  override readonly name = 'FaultPlanError';
}

export const NO_FAULTS: FaultPlan = { percent: {}, seed: 1 };

const MAX_DECIMALS = 2;

/**
 * Parses `power-cut-swap=2%,image-refused=1%` ("%" optional; `seed=N` may be given in the text
 * too, else `seed`, default 1). Unknown faults, bad shares, a fault given twice and shares adding
 * up to more than 100% are refused in words.
 */
export function parseFaultPlan(text: string, seed = 1): FaultPlan {
  const percent: Partial<Record<FleetFault, number>> = {};
  let planSeed = seed;
  const twice = (key: string) => new FaultPlanError(`--fault gives "${key}" twice.`);
  for (const [key, value] of keyValueList(text, twice)) {
    if (key === 'seed') {
      if (!/^\d+$/.test(value)) throw new FaultPlanError(`--fault seed "${value}" is not a whole number.`);
      planSeed = Number(value);
      continue;
    }
    if (!(FLEET_FAULTS as readonly string[]).includes(key)) {
      throw new FaultPlanError(
        `--fault: unknown fault "${key}"; the faults are ${FLEET_FAULTS.join(', ')} (e.g. power-cut-swap=2%).`,
      );
    }
    percent[key as FleetFault] = share(key, value);
  }
  const total = FLEET_FAULTS.reduce((sum, fault) => sum + (percent[fault] ?? 0), 0);
  if (total > 100 + 1e-9) {
    throw new FaultPlanError(
      `--fault: the shares add up to ${round(total)}%, more than every board (100%); a board gets one fault at most.`,
    );
  }
  return { percent, seed: planSeed };
}

function share(key: string, value: string): number {
  const match = /^(\d+(?:\.(\d+))?)%?$/.exec(value);
  const pct = match ? Number(match[1]) : Number.NaN;
  if (!match || !(pct >= 0 && pct <= 100)) {
    throw new FaultPlanError(
      `--fault ${key} "${value}" is not a percentage between 0 and 100 (e.g. ${key}=2%).`,
    );
  }
  if ((match[2]?.length ?? 0) > MAX_DECIMALS) {
    throw new FaultPlanError(
      `--fault ${key} "${value}" has more than ${MAX_DECIMALS} decimals; give at most ${MAX_DECIMALS} (e.g. 0.25%).`,
    );
  }
  return pct;
}

function round(n: number): number {
  return Number(n.toFixed(MAX_DECIMALS));
}

/** Boards per block: 100, or 1,000 / 10,000 when a share has one / two decimals. */
function blockSize(plan: FaultPlan): number {
  let decimals = 0;
  for (const fault of FLEET_FAULTS) {
    const pct = plan.percent[fault] ?? 0;
    while (
      decimals < MAX_DECIMALS &&
      Math.abs(pct * 10 ** decimals - Math.round(pct * 10 ** decimals)) > 1e-9
    )
      decimals++;
  }
  return 100 * 10 ** decimals;
}

/** Per plan: its block size, how many places of a block each fault gets, and laid-out blocks. */
interface PlanLayout {
  readonly size: number;
  readonly counts: readonly number[];
  readonly blocks: Map<number, Int8Array>;
}

const layouts = new WeakMap<FaultPlan, PlanLayout>();

function layoutOf(plan: FaultPlan): PlanLayout {
  let layout = layouts.get(plan);
  if (!layout) {
    const size = blockSize(plan);
    const counts = FLEET_FAULTS.map((fault) => Math.round(((plan.percent[fault] ?? 0) * size) / 100));
    layout = { size, counts, blocks: new Map() };
    layouts.set(plan, layout);
  }
  return layout;
}

/**
 * One block's faults by place (-1: healthy). Each fault is spread evenly over the block from a
 * seeded phase, so any first n boards hold about n × its share (within one or two), and the
 * whole block exactly its count; where two faults want the same place, the one further behind
 * takes it and the other the next place.
 */
function blockFaults(layout: PlanLayout, seed: number, block: number): Int8Array {
  let labels = layout.blocks.get(block);
  if (labels) return labels;
  const { size, counts } = layout;
  labels = new Int8Array(size).fill(-1);
  // Each block gets its own stream (mulberry32 started at 0 makes a poor start).
  const random = seededRandom(
    (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(block + 1, 0xc2b2ae35)) >>> 0 || 1,
  );
  const phase = counts.map(() => random());
  const given = counts.map(() => 0);
  for (let place = 0; place < size; place++) {
    let pick = -1;
    let lag = 0;
    for (const [f, count] of counts.entries()) {
      const due = Math.min(count, Math.floor(((place + 1) * count) / size + phase[f]!)) - given[f]!;
      if (due > lag) {
        pick = f;
        lag = due;
      }
    }
    if (pick >= 0) {
      labels[place] = pick;
      given[pick]!++;
    }
  }
  // Shares adding up to (nearly) 100% can leave a fault short at the end: the last healthy places.
  for (let place = size - 1, f = 0; place >= 0 && f < counts.length; place--) {
    while (f < counts.length && given[f]! >= counts[f]!) f++;
    if (f < counts.length && labels[place] === -1) {
      labels[place] = f;
      given[f]!++;
    }
  }
  layout.blocks.set(block, labels);
  return labels;
}

/**
 * The fault of board `boardIndex` (0-based), or undefined for a healthy board. The same plan and
 * index always give the same answer; every whole block of boards (100, or 1,000 / 10,000 with
 * decimal shares) holds exactly each fault's share, and any first n boards about n × the share.
 */
export function faultFor(plan: FaultPlan, boardIndex: number): FleetFault | undefined {
  if (!Number.isInteger(boardIndex) || boardIndex < 0) {
    throw new RangeError(`a board index is a whole number ≥ 0 (got ${boardIndex})`);
  }
  const layout = layoutOf(plan);
  if (layout.counts.every((count) => count === 0)) return undefined;
  const label = blockFaults(layout, plan.seed, Math.floor(boardIndex / layout.size))[
    boardIndex % layout.size
  ]!;
  return label < 0 ? undefined : FLEET_FAULTS[label];
}

/** The plan in words, as `zdfu sim` prints it: "power-cut-swap 2%, image-refused 1% (seed 1)". */
export function describeFaultPlan(plan: FaultPlan): string {
  const parts = FLEET_FAULTS.filter((fault) => (plan.percent[fault] ?? 0) > 0).map(
    (fault) => `${fault} ${plan.percent[fault]}%`,
  );
  return parts.length === 0 ? 'no faults' : `${parts.join(', ')} (seed ${plan.seed})`;
}
