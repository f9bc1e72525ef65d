// Which board × MCUboot strategy pairs the sweep runs: every built-in board built for every
// strategy (the same board data with mcuboot.mode changed, as MCUboot's own sim/ runs each test in
// every configuration). Where a board's geometry cannot host a strategy the sweep says why
// (notBuildable) instead of leaving the pair out silently.
import {
  type Board,
  deviceOf,
  findPartition,
  type McubootMode,
  type Partition,
  sectorSizes,
  slotPartition,
} from '../boards/board.ts';
import { boards } from '../boards/index.ts';
import type { SweepTarget } from './run.ts';

export const SWEEP_STRATEGIES: readonly McubootMode[] = [
  'swap-scratch',
  'swap-move',
  'swap-offset',
  'overwrite-only',
  'direct-xip',
  'direct-xip-revert',
  'ram-load',
];

/** The sector sizes a partition spans on its device. */
function partitionSectors(board: Board, partition: Partition): number[] {
  const sizes = sectorSizes(deviceOf(board, partition));
  const out: number[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= partition.offset && at < partition.offset + partition.size) out.push(size);
    at += size;
  }
  return out;
}

const kib = (n: number) => `${n / 1024} KiB`;

/**
 * Why `board` cannot be built for `mode`, or undefined when it can. The rules are the ones the
 * MCUboot build or its boot_slots_compatible would enforce: swap_scratch.c needs a scratch area
 * at least as large as a slot sector; swap_move.c / swap_offset.c need sectors of one size in both
 * slots and one spare sector (primary for move, secondary for offset) or images one sector smaller
 * than the slot; direct-XIP runs an image from either slot, so both must lie on flash the CPU
 * executes in place (internal, one device); RAM-load needs the executable RAM region
 * (IMAGE_EXECUTABLE_RAM_START/SIZE) the board names.
 */
export function notBuildable(board: Board, mode: McubootMode): string | undefined {
  for (let i = 0; i < board.mcuboot.imageNumber; i++) {
    const primary = slotPartition(board, 0, i);
    const secondary = slotPartition(board, 1, i);
    const p = partitionSectors(board, primary);
    const s = partitionSectors(board, secondary);
    const label = board.mcuboot.imageNumber > 1 ? `image ${i}: ` : '';
    if (mode === 'swap-scratch') {
      const scratch = findPartition(board, 'scratch_partition');
      if (!scratch) return `${label}no scratch partition`;
      const biggest = Math.max(...p, ...s);
      if (scratch.size < biggest) {
        return `${label}scratch (${kib(scratch.size)}) smaller than a slot sector (${kib(biggest)})`;
      }
    }
    if (mode === 'swap-move' || mode === 'swap-offset') {
      const sizes = new Set([...p, ...s]);
      if (sizes.size > 1) {
        return `${label}${mode} needs one sector size in both slots; ${primary.label} has ${[...new Set(p)].map(kib).join('/')}, ${secondary.label} ${[...new Set(s)].map(kib).join('/')} sectors`;
      }
      const [more, less] = mode === 'swap-move' ? [p, s] : [s, p];
      if (more.length !== less.length && more.length !== less.length + 1) {
        return `${label}${mode} needs the ${mode === 'swap-move' ? 'primary' : 'secondary'} slot as large as the other or one sector larger (${p.length} vs ${s.length} sectors)`;
      }
      // The swap needs a sector for the image, one for the trailer and the spare one it moves
      // into (swap_move.c / swap_offset.c: "Not enough free space to run swap upgrade").
      if (more.length < 3) {
        return `${label}${mode} needs a sector for the image, one for the trailer and a spare one; ${more === p ? primary.label : secondary.label} has ${more.length} sectors of ${kib(more[0]!)}`;
      }
    }
    if (mode === 'direct-xip' || mode === 'direct-xip-revert') {
      const dp = deviceOf(board, primary);
      const ds = deviceOf(board, secondary);
      if (dp !== ds) {
        return `${label}direct-XIP runs the image from either slot, but ${primary.label} is on ${dp.id} and ${secondary.label} on ${ds.id}: one CPU does not execute both in place`;
      }
      if (ds.kind !== 'internal') {
        return `${label}direct-XIP runs the image in place, and the board maps no ${ds.kind} flash for execution (${ds.id}; only internal flash is mapped)`;
      }
    }
  }
  if (mode === 'ram-load' && !board.mcuboot.executableRam) {
    return 'the board names no executable RAM region to load images into (mcuboot.executableRam)';
  }
  return undefined;
}

/** The board as built for `strategy`: the same data, with mcuboot.mode changed. */
export function boardFor(target: SweepTarget): Board {
  if (target.board.mcuboot.mode === target.strategy) return target.board;
  const why = notBuildable(target.board, target.strategy);
  if (why) throw new Error(`${target.board.name} cannot be built for ${target.strategy}: ${why}`);
  return { ...target.board, mcuboot: { ...target.board.mcuboot, mode: target.strategy } };
}

/** The strategies `board` can be built for. */
export function sweepStrategiesFor(board: Board): McubootMode[] {
  return SWEEP_STRATEGIES.filter((mode) => notBuildable(board, mode) === undefined);
}

/** Every built-in board × every strategy (the unbuildable pairs become report rows). */
export function sweepTargets(): SweepTarget[] {
  return [...boards().values()].flatMap((board) => SWEEP_STRATEGIES.map((strategy) => ({ board, strategy })));
}
