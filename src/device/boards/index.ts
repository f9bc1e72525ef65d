import { Flash } from '../flash.ts';
import { type Board, sectorSizes } from './board.ts';
import { esp32_devkitc_wroom } from './esp32_devkitc_wroom.ts';
import { stm32f4_disco } from './stm32f4_disco.ts';

export type { Board } from './board.ts';
export { sectorSizes } from './board.ts';

export const boards: Readonly<Record<string, Board>> = {
  [stm32f4_disco.name]: stm32f4_disco,
  [esp32_devkitc_wroom.name]: esp32_devkitc_wroom,
};

export function getBoard(name: string): Board {
  const board = boards[name];
  if (!board) {
    throw new Error(`unknown board "${name}" (known: ${Object.keys(boards).join(', ')})`);
  }
  return board;
}

/** A fresh, fully erased flash with the board's geometry and timing. */
export function createBoardFlash(board: Board): Flash {
  return new Flash({
    name: board.name,
    sectors: sectorSizes(board),
    eraseValue: board.flash.eraseValue,
    writeAlign: board.flash.writeBlockSize,
    timing: board.flash.timing,
  });
}
