// The swap-strategy interface: what loader.c calls that each MCUBOOT_SWAP_USING_* build implements
// in its own file (swap_scratch.c, swap_move.c, swap_offset.c). The functions are the ones
// swap_priv.h declares (swap_run, swap_status_source, swap_read_status_bytes) plus the per-strategy
// ones bootutil_priv.h declares (boot_slots_compatible, boot_read_image_header,
// boot_status_internal_off). The parts every strategy shares (swap_misc.c, bootutil_area.c) live
// in swap-common.ts.
import type { BootImageHeader } from './image-header.ts';
import type { BootStatus, LoaderState, StatusOp, StatusSource } from './loader-state.ts';
import type { SwapTableRow } from './swap-type.ts';

export type SwapMode = 'swap-scratch' | 'swap-move' | 'swap-offset';
export type SlotIndex = 0 | 1;

export interface HeaderRead {
  hdr: BootImageHeader;
  ok: boolean;
}

export interface SwapStrategy {
  readonly mode: SwapMode;
  /** BOOT_STATUS_STATE_COUNT (bootutil_area.h). */
  readonly stateCount: number;
  /** The op of a reset boot_status (boot_status_reset). */
  readonly initialOp: StatusOp;
  /** MCUBOOT_SWAP_USING_OFFSET: the trailer holds the unprotected TLV sizes too. */
  readonly swapOffset: boolean;
  /** boot_swap_tables as compiled for this strategy and MCUboot release. */
  swapTable(mcubootVersion: string): readonly SwapTableRow[];
  /** boot_slots_compatible: logs MCUboot's warning and returns false when no swap is possible. */
  slotsCompatible(st: LoaderState): boolean;
  /** swap_status_source: where the swap progress lives (logs the slots' states). */
  statusSource(st: LoaderState): StatusSource;
  /** swap_read_status_bytes: (op, idx, state) from the status entries. */
  readStatusBytes(st: LoaderState, source: StatusSource, bs: BootStatus): void;
  /** boot_status_internal_off: offset of the entry for (op, idx, state) in the status area. */
  statusInternalOff(st: LoaderState, bs: BootStatus, elemSize: number): number;
  /**
   * boot_read_image_header: the header of `slot`'s image, wherever a swap under way has put it
   * (ok = false: the C function's nonzero return; the header read is still what state holds).
   */
  readImageHeader(st: LoaderState, slot: SlotIndex, bs: BootStatus | undefined): HeaderRead;
  /** swap_run: move the sectors, resuming from bs. */
  swapRun(st: LoaderState, bs: BootStatus, copySize: number): void;
}
