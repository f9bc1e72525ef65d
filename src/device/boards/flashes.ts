/**
 * The flash devices a board is made of: one Flash per device, each with its own geometry and
 * datasheet timing. Pure (no Node imports), for the device in Node and in a browser worker.
 */
import { Flash } from '../flash.ts';
import { type Board, type FlashDevice, sectorSizes } from './board.ts';

/** One Flash per flash device of a board, by device id, in the board's order. */
export type BoardFlashes = ReadonlyMap<string, Flash>;

/** A fresh, fully erased Flash for one device of a board. */
export function createDeviceFlash(board: Board, device: FlashDevice): Flash {
  const eraseMsBySectorSize: Record<number, number> = {};
  for (const run of device.sectors) eraseMsBySectorSize[run.size] = run.eraseMs;
  return new Flash({
    // The first device keeps the board's name, as messages about "the flash" always did.
    name: device === board.flashDevices[0] ? board.name : `${board.name}/${device.id}`,
    sectors: sectorSizes(device),
    eraseValue: device.eraseValue,
    writeAlign: device.writeBlockSize,
    timing: {
      eraseMsBySectorSize,
      programUsPerByte: device.programUsPerByte,
      readUsPerByte: device.readUsPerByte,
    },
  });
}

/** Fresh, fully erased flash devices of a board. */
export function createBoardFlashes(board: Board): BoardFlashes {
  return new Map(board.flashDevices.map((device) => [device.id, createDeviceFlash(board, device)]));
}

/**
 * A fresh, fully erased flash for a board that has one flash device; a board with more (slot 1
 * on external flash) needs createBoardFlashes.
 */
export function createBoardFlash(board: Board): Flash {
  const [only, ...more] = board.flashDevices;
  if (!only || more.length > 0) {
    throw new RangeError(
      `${board.name} has ${board.flashDevices.length} flash devices (${board.flashDevices.map((d) => d.id).join(', ')}): use createBoardFlashes`,
    );
  }
  return createDeviceFlash(board, only);
}
