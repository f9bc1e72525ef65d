/**
 * The boards: built-in ones from ./data, or the user's own file, and the flash devices a board
 * is made of (one Flash per device, each with its own geometry and datasheet timing).
 */
import type { Board } from './board.ts';
import { builtinBoards, resolveBoard } from './load.ts';

export type { Board, FlashDevice, Partition } from './board.ts';
export { deviceSize, findDevice, findPartition, sectorSizes } from './board.ts';
export {
  type BoardFlashes,
  createBoardFlash,
  createBoardFlashes,
  createDeviceFlash,
} from './flashes.ts';
export { BoardFileError, builtinBoards, loadBoardFile } from './load.ts';

/** The built-in boards by name. */
export function boards(): ReadonlyMap<string, Board> {
  return builtinBoards();
}

/** A built-in board by name, or a board file by path. */
export function getBoard(nameOrPath: string): Board {
  return resolveBoard(nameOrPath);
}
