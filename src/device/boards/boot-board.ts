/**
 * What today's MCUboot model (../mcuboot/boot.ts) reads of a board, made from the board data in
 * ONE place: bootBoardFromBoard. The MCUboot restructuring replaces it with its own
 * ../mcuboot/layout.ts (bootLayoutFromBoard) at the merge.
 *
 * Strategies and image counts the model does not have yet are refused here, in words, so a board
 * file that names them still loads, validates and is listed (`zdfu sim --list-boards`).
 */
import type { Fault } from '../../util/fault.ts';
import type { Flash } from '../flash.ts';
import {
  type Board,
  deviceOf,
  findPartition,
  type McubootConfig,
  type McubootMode,
  type Partition,
  slotPartition,
} from './board.ts';
import type { BoardFlashes } from './index.ts';

/** A partition with the Flash object of its device. */
export interface BootPartition {
  readonly label: string;
  readonly offset: number;
  readonly size: number;
  readonly flash: Flash;
}

export interface BootBoard {
  readonly name: string;
  /** Base address and write block of slot 0's device: chainload addresses, trailer layout. */
  readonly flash: { readonly base: number; readonly writeBlockSize: number };
  readonly partitions: {
    readonly slot0: BootPartition;
    readonly slot1: BootPartition;
    readonly scratch?: BootPartition;
  };
  /** Every flash device MCUboot writes, to count its operations and their time. */
  readonly flashes: readonly Flash[];
  readonly mcuboot: McubootConfig;
  readonly versions: Board['versions'];
  readonly bootBanner: readonly string[];
}

/** The strategies the MCUboot model runs today, in MCUboot's Kconfig words. */
const MODELLED: Partial<Record<McubootMode, string>> = {
  'swap-scratch': 'swap-using-scratch',
  'overwrite-only': 'overwrite-only',
};
const UPSTREAM_NAME: Record<McubootMode, string> = {
  'swap-scratch': 'swap-using-scratch',
  'overwrite-only': 'overwrite-only',
  'swap-move': 'swap-using-move',
  'swap-offset': 'swap-using-offset',
  'direct-xip': 'direct-XIP',
  'direct-xip-revert': 'direct-XIP with revert',
  'ram-load': 'RAM-load',
};

/** A board whose MCUboot configuration the model cannot run yet (temporary, until the merge). */
export class NotModelledError extends Error {
  override readonly name = 'NotModelledError';
  readonly fault: Fault = 'local';
}

/** The Flash of each device, from one Flash (a board with one device) or a map of them. */
function flashFor(board: Board, flash: Flash | BoardFlashes, partition: Partition): Flash {
  const device = deviceOf(board, partition);
  if (!(flash instanceof Map)) {
    if (device !== board.flashDevices[0] || board.flashDevices.length > 1) {
      throw new RangeError(
        `${board.name} has ${board.flashDevices.length} flash devices: give one Flash per device`,
      );
    }
    return flash as Flash;
  }
  const found = flash.get(device.id);
  if (!found) throw new RangeError(`${board.name}: no Flash given for the flash device ${device.id}`);
  return found;
}

/** MCUboot's own name for a strategy ("swap-using-move"). */
export function strategyName(mode: McubootMode): string {
  return UPSTREAM_NAME[mode];
}

/** Why the virtual device cannot run this board's MCUboot yet, or undefined if it can. */
export function notModelledReason(board: Board): string | undefined {
  const { mcuboot } = board;
  if (MODELLED[mcuboot.mode] === undefined) {
    return `MCUboot's ${UPSTREAM_NAME[mcuboot.mode]} strategy is not modelled yet (the virtual device runs ${Object.values(MODELLED).join(' and ')})`;
  }
  if (mcuboot.imageNumber > 1) {
    return `MCUboot with ${mcuboot.imageNumber} images is not modelled yet (the virtual device runs one image)`;
  }
  return undefined;
}

export function bootBoardFromBoard(board: Board, flash: Flash | BoardFlashes): BootBoard {
  const refused = notModelledReason(board);
  if (refused !== undefined) {
    throw new NotModelledError(
      `${board.name}: ${refused}; the board file itself is valid (see zdfu sim --list-boards)`,
    );
  }
  const { mcuboot } = board;
  const part = (p: Partition): BootPartition => ({
    label: p.label,
    offset: p.offset,
    size: p.size,
    flash: flashFor(board, flash, p),
  });
  const slot0 = slotPartition(board, 0);
  const scratch = findPartition(board, 'scratch_partition');
  const partitions = {
    slot0: part(slot0),
    slot1: part(slotPartition(board, 1)),
    ...(scratch ? { scratch: part(scratch) } : {}),
  };
  const device = deviceOf(board, slot0);
  return {
    name: board.name,
    flash: { base: device.base, writeBlockSize: device.writeBlockSize },
    partitions,
    flashes: [...new Set(Object.values(partitions).map((p) => p.flash))],
    mcuboot,
    versions: board.versions,
    bootBanner: board.bootBanner,
  };
}
