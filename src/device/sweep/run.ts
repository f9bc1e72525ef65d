// The power-cut sweep: for a board and MCUboot strategy, for each scenario, cut the power before
// and inside every write and erase the scenario does (torn writes, partial erases at several
// positions), then power on and boot until MCUboot settles. Invariant: every boot runs the old or
// the new image, byte-exact and valid; a boot that runs nothing is a brick, one that runs
// anything else is a half image. MCUboot's own simulator (sim/ in mcu-tools/mcuboot) cuts only
// between whole operations; torn writes there are still an open PR (#2648).

import { trailerLayout } from '../../image/trailer.ts';
import { type Board, deviceOf, type McubootMode, slotPartition } from '../boards/board.ts';
import { type CutKind, type CutPlan, type FlashOpKind, PowerCut } from '../flash.ts';
import { type BootResult, bootGo } from '../mcuboot/boot.ts';
import { SweepFlashes } from './flashes.ts';
import { type SweepImages, type SweepValidator, sweepImages, sweepValidator } from './images.ts';
import { areas, isXip, notRunReason, SCENARIOS, type Scenario, type ScenarioContext } from './scenarios.ts';
import { boardFor, notBuildable } from './targets.ts';

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

/**
 * How a cut ended: every image old, every image new, or (several images) some of each without
 * breaking a dependency; else a failure: nothing booted (brick), a booted slot holds neither image
 * intact (half-image), the new image 0 runs without the image 1 it depends on
 * (dependency-broken), a revert ends on the unconfirmed image it should take back (revert-lost),
 * MCUboot never stops writing (not-settled), the cut never fired (missed).
 */
export type Outcome =
  | 'old'
  | 'new'
  | 'mixed'
  | 'brick'
  | 'half-image'
  | 'dependency-broken'
  | 'revert-lost'
  | 'not-settled'
  | 'missed';

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
  /** The flash device the cut operation was on (its Flash's name: board, or board/device). */
  device?: string;
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
  /** Image 0's images. */
  images: SweepImages;
  perImage: SweepImages[];
  validate: SweepValidator;
}

export { boardFor } from './targets.ts';

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
  { name: 'fills slot', bodySize: 'fill', samplePerKind: 40 },
];

/** Room left in a slot for TLVs (hash, key hash, RSA-3072 signature at most) and alignment. */
const TLV_ROOM = 1024;

/**
 * The body size; 'fill' stops at the swap trailer (the larger one), so the image fits every mode,
 * and one sector earlier for swap-move and swap-offset, whose slots of equal size keep one sector
 * free (swap_move.c / swap_offset.c: the sector the image moves into). The smallest image slot
 * decides on a board with several images.
 */
export function bodySizeFor(board: Board, variant: ImageVariant, image = 0): number {
  if (variant.bodySize !== 'fill') return variant.bodySize;
  const slot = slotPartition(board, 0, image);
  const trailer = trailerLayout({
    slotSize: slot.size,
    maxAlign: board.mcuboot.maxAlign,
    writeSize: deviceOf(board, slot).writeBlockSize,
    maxSectors: board.mcuboot.maxImgSectors,
  });
  if (board.mcuboot.mode !== 'swap-move' && board.mcuboot.mode !== 'swap-offset') {
    return trailer.trailerStart - board.mcuboot.headerSize - TLV_ROOM;
  }
  // The image's sectors, the trailer's whole sectors and the spare one must fit the slot
  // (swap_move.c / swap_offset.c boot_swap_image: "Not enough free space to run swap upgrade").
  const sector = largestSector(board, image);
  const trailerSectors = Math.ceil((slot.size - trailer.trailerStart) / sector) * sector;
  return slot.size - sector - trailerSectors - board.mcuboot.headerSize - TLV_ROOM;
}

function largestSector(board: Board, image: number): number {
  const slot = slotPartition(board, 0, image);
  const device = deviceOf(board, slot);
  return Math.max(...device.sectors.map((run) => run.size));
}

export async function prepare(target: SweepTarget, variant: ImageVariant): Promise<Prepared> {
  const board = boardFor(target);
  const perImage: SweepImages[] = [];
  for (let i = 0; i < board.mcuboot.imageNumber; i++) {
    perImage.push(await sweepImages(board, bodySizeFor(board, variant, i), i));
  }
  return { target, variant, board, images: perImage[0]!, perImage, validate: await sweepValidator(board) };
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

/**
 * Which image each image's booted slot holds intact: the primary for the swap and overwrite
 * builds, the slot MCUboot chose (BootResult.images[i].slot) for direct-XIP, and the copy in RAM
 * for RAM-load.
 */
async function runningImages(ctx: ScenarioContext, result: BootResult): Promise<Which[]> {
  const out: Which[] = [];
  for (let i = 0; i < ctx.perImage.length; i++) {
    const booted = result.images.find((b) => b.image === i);
    const slot = booted?.slot ?? 'primary';
    const area = slot === 'secondary' ? areas(ctx, i).secondary : areas(ctx, i).primary;
    const loaded = booted?.loadedTo;
    const bytesAt = (length: number, offset: number): Uint8Array => {
      if (ctx.board.mcuboot.mode === 'ram-load' && loaded && result.ram) {
        const at = loaded.address - result.ram.start;
        return result.ram.bytes.subarray(at, at + length);
      }
      return area.peek(offset, length);
    };
    out.push(await intactImage(ctx, i, slot, bytesAt));
  }
  return out;
}

async function intactImage(
  ctx: ScenarioContext,
  image: number,
  slot: 'primary' | 'secondary',
  bytesAt: (length: number, offset: number) => Uint8Array,
): Promise<Which> {
  // A swap-offset secondary holds its image one sector in; it only ever runs from the primary.
  for (const which of ['old', 'new'] as const) {
    const bytes = ctx.perImage[image]![which];
    if (Buffer.compare(bytesAt(bytes.length, 0), bytes) !== 0) continue;
    const verdict = await ctx.validate(slot, bytes);
    return verdict.ok ? which : undefined;
  }
  return undefined;
}

/** What the primary slots hold (the sweep's own check of an uninterrupted swap or copy). */
async function primaryImages(ctx: ScenarioContext): Promise<Which[]> {
  const out: Which[] = [];
  for (let i = 0; i < ctx.perImage.length; i++) {
    const primary = areas(ctx, i).primary;
    out.push(await intactImage(ctx, i, 'primary', (length, offset) => primary.peek(offset, length)));
  }
  return out;
}

/** One outcome for all images (see Outcome); undefined for a state every boot may run. */
function combine(which: Which[]): Outcome | 'half-image' {
  if (which.some((w) => w === undefined)) return 'half-image';
  // Image 0's new version depends on image 1 ≥ 2.0.0 (images.ts).
  if (which.length > 1 && which[0] === 'new' && which[1] === 'old') return 'dependency-broken';
  if (which.every((w) => w === 'old')) return 'old';
  if (which.every((w) => w === 'new')) return 'new';
  return 'mixed';
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
  let last: Outcome = 'old';
  for (let boots = 1; boots <= MAX_BOOTS; boots++) {
    let result: BootResult;
    try {
      result = await bootGo({ flash: ctx.flash.devices, board: ctx.board, validate: ctx.validate });
    } catch (error) {
      return { outcome: 'brick', boots, reason: `the MCUboot model threw: ${(error as Error).message}` };
    }
    if (!result.booted) {
      return { outcome: 'brick', boots, reason: result.reason ?? 'nothing booted', log: result.log };
    }
    const which = await runningImages(ctx, result);
    last = combine(which);
    if (last === 'half-image') {
      return {
        outcome: 'half-image',
        boots,
        reason: `MCUboot jumped to a slot that holds neither image intact (images: ${which.map((w) => w ?? 'neither').join(', ')})`,
        log: result.log,
      };
    }
    if (last === 'dependency-broken') {
      return {
        outcome: last,
        boots,
        reason: 'image 0 runs its new version without the image 1 version it depends on',
        log: result.log,
      };
    }
    if (result.flashOps === 0) return { outcome: last, boots };
  }
  return { outcome: 'not-settled', boots: MAX_BOOTS, reason: `still writing flash after ${MAX_BOOTS} boots` };
}

function contextFor(p: Prepared, flash: SweepFlashes): ScenarioContext {
  return { flash, board: p.board, images: p.images, perImage: p.perImage, validate: p.validate };
}

/** The uninterrupted run: the operations to cut, and a check that the scenario does what it says. */
async function reference(p: Prepared, scenario: Scenario, flash: SweepFlashes) {
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
  const tag = `${p.board.name}/${p.target.strategy}/${scenario.name}`;
  let problem = scenario.check?.(ctx);
  if (problem === undefined && !isXip(p.board)) {
    const expect = typeof scenario.expect === 'string' ? [scenario.expect] : scenario.expect;
    const got = await primaryImages(ctx);
    if (expect.some((w, i) => got[i] !== w)) {
      problem = `primary slots hold ${got.map((w) => w ?? 'no intact image').join(', ')}, not ${expect.join(', ')}`;
    }
  }
  if (problem) throw new Error(`${tag}: uninterrupted run is wrong: ${problem}`);
  const settled = await settle(ctx);
  if (settled.outcome !== 'old' && settled.outcome !== 'new' && settled.outcome !== 'mixed') {
    throw new Error(`${tag}: uninterrupted run does not settle: ${settled.outcome}: ${settled.reason}`);
  }
  return { start, ops };
}

async function cutOnce(
  p: Prepared,
  scenario: Scenario,
  flash: SweepFlashes,
  point: CutPoint,
): Promise<CutResult> {
  const ctx = contextFor(p, flash);
  const plan: CutPlan =
    point.position === undefined
      ? { mutation: point.op }
      : { mutation: point.op, inside: { fraction: point.position, seed: point.seed ?? 0 } };
  const before = flash.lastCuts();
  flash.cutPower(plan);
  try {
    await scenario.run(ctx);
  } catch (error) {
    if (!(error instanceof PowerCut)) throw error;
  }
  // The upload's SMP server turns the failed write into an error answer; the flash still knows.
  const cut = flash.firedSince(before);
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
  const settled = await settle(ctx);
  if (
    scenario.mustEnd &&
    settled.outcome !== scenario.mustEnd &&
    (settled.outcome === 'old' || settled.outcome === 'new')
  ) {
    settled.reason = `ended on the ${settled.outcome} image; this scenario must end on the ${scenario.mustEnd} one whatever the cut (the revert was dropped)`;
    settled.outcome = 'revert-lost';
  }
  const result: CutResult = { ...base, outcome: settled.outcome, boots: settled.boots };
  if (cut) {
    result.cutMessage = cut.cut.message;
    result.device = cut.device.name;
  }
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
  const flash = new SweepFlashes(p.board);
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
    flash.powerOn();
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

/** A board × strategy (× scenario) the sweep did not run, and why: reported, never silent. */
export interface SweepSkip {
  board: string;
  strategy: McubootMode;
  scenario?: string;
  reason: string;
}

export interface SweepResult {
  runs: ScenarioRun[];
  skips: SweepSkip[];
}

/** Runs every target; a target whose geometry cannot host its strategy becomes a skip with the reason. */
export async function runSweepWithSkips(options: SweepOptions): Promise<SweepResult> {
  const seed = options.seed ?? 1;
  const runs: ScenarioRun[] = [];
  const skips: SweepSkip[] = [];
  for (const target of options.targets) {
    const why = notBuildable(target.board, target.strategy);
    if (why) {
      skips.push({ board: target.board.name, strategy: target.strategy, reason: `not buildable: ${why}` });
      continue;
    }
    let first = true;
    for (const variant of options.images ?? DEFAULT_IMAGES) {
      const p = await prepare(target, variant);
      for (const scenario of options.scenarios ?? SCENARIOS) {
        if (!scenario.appliesTo(p.board)) {
          const why = notRunReason(p.board, scenario);
          if (first && why) {
            skips.push({
              board: p.board.name,
              strategy: target.strategy,
              scenario: scenario.name,
              reason: why,
            });
          }
          continue;
        }
        const limits = [variant.samplePerKind, options.samplePerKind].filter((n) => n !== undefined);
        const run = await sweepScenario(p, scenario, seed, limits.length ? Math.min(...limits) : undefined);
        options.onProgress?.(run);
        runs.push(run);
      }
      first = false;
    }
  }
  return { runs, skips };
}

export async function runSweep(options: SweepOptions): Promise<ScenarioRun[]> {
  return (await runSweepWithSkips(options)).runs;
}
