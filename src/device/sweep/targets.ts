// Which board × MCUboot strategy pairs the sweep runs: every built-in board with one flash device,
// built with its own strategy and, where its partitions allow, with swap-scratch and overwrite-only
// too (as MCUboot's own sim/ runs each test in every configuration). Swap using scratch needs a
// scratch partition. Boards whose slot 1 sits on another flash device are not swept yet: the sweep
// cuts one Flash (left for the next session, with direct-XIP and RAM-load, which boot other slots).
import { type Board, findPartition, type McubootMode } from '../boards/board.ts';
import { boards } from '../boards/index.ts';
import type { SweepTarget } from './run.ts';

export const SWEEP_STRATEGIES: readonly McubootMode[] = ['swap-scratch', 'overwrite-only', 'swap-move'];

/** The strategies `board` can be built for, of those the sweep runs. */
export function sweepStrategiesFor(board: Board): McubootMode[] {
  return SWEEP_STRATEGIES.filter((mode) => {
    if (mode === 'swap-scratch') return findPartition(board, 'scratch_partition') !== undefined;
    if (mode === 'swap-move') return board.mcuboot.mode === 'swap-move';
    return true;
  });
}

export function sweepTargets(): SweepTarget[] {
  return [...boards().values()]
    .filter((board) => board.flashDevices.length === 1 && board.mcuboot.imageNumber === 1)
    .flatMap((board) => sweepStrategiesFor(board).map((strategy) => ({ board, strategy })));
}
