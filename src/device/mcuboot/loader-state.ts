// What the bootloader model carries through one boot for one image (the per-image part of
// struct boot_loader_state in bootutil_priv.h): its flash areas, the build configuration, the
// swap progress (struct boot_status) and the log.
import { SwapType } from '../../image/trailer.ts';
import type { McubootConfig } from '../boards/board.ts';
import type { FlashArea } from '../flash.ts';
import type { BootImageHeader } from './image-header.ts';
import { SWAP_TABLE, type SwapTableRow } from './swap-type.ts';

export interface BootAreas {
  primary: FlashArea;
  secondary: FlashArea;
  /** Required for swap using scratch. */
  scratch?: FlashArea;
}

export interface LoaderState {
  /** BOOT_CURR_IMG: the image index (0 = application, 1 = e.g. the nRF5340 network core). */
  image: number;
  areas: BootAreas;
  config: McubootConfig;
  /** BOOT_WRITE_SZ: the largest write alignment of primary and (for scratch) scratch. */
  writeSize: number;
  log: (line: string) => void;
  /** boot_status_fails: status writes that failed and were only counted (BOOT_STATUS_ASSERT). */
  statusFails: number;
  /** state->imgs[image][slot].hdr, as last read by boot_read_image_headers. */
  headers: [BootImageHeader | undefined, BootImageHeader | undefined];
  /** BOOT_IMG_UNPROTECTED_TLV_SIZE per slot (swap-using-offset), from boot_read_image_size. */
  unprotectedTlvSize: [number, number];
  /** state->secondary_offset (swap-using-offset): where the secondary slot's image starts. */
  secondaryOffset: number;
  /** BOOT_SWAP_TYPE(state). */
  swapType: SwapType;
  /** boot_swap_tables as this build compiled them. */
  swapTable: readonly SwapTableRow[];
}

export type StatusSource = 'none' | 'primary' | 'scratch';

/** BOOT_STATUS_OP_MOVE / _SWAP: swap-using-move first moves sectors up, then swaps. */
export type StatusOp = 'move' | 'swap';

/** boot_status: idx counts swap operations from 1, state is 1..3 (STATE_0..STATE_2). */
export interface BootStatus {
  idx: number;
  state: number;
  op: StatusOp;
  swapType: SwapType;
  swapSize: number;
  source: StatusSource;
  useScratch: boolean;
}

/** boot_status_reset: swap-using-offset starts in OP_SWAP, the others in OP_MOVE. */
export function resetStatus(op: StatusOp = 'move'): BootStatus {
  return { idx: 1, state: 1, op, swapType: SwapType.NONE, swapSize: 0, source: 'none', useScratch: false };
}

export function isStatusReset(bs: BootStatus, op: StatusOp = 'move'): boolean {
  return bs.op === op && bs.idx === 1 && bs.state === 1;
}

export function makeLoaderState(
  image: number,
  areas: BootAreas,
  config: McubootConfig,
  log: (line: string) => void,
): LoaderState {
  const scratchAlign = config.mode === 'swap-scratch' ? (areas.scratch?.align ?? 1) : 1;
  const writeSize = Math.max(areas.primary.align, scratchAlign);
  return {
    image,
    areas,
    config,
    writeSize,
    log,
    statusFails: 0,
    headers: [undefined, undefined],
    unprotectedTlvSize: [0, 0],
    secondaryOffset: 0,
    swapType: SwapType.NONE,
    swapTable: SWAP_TABLE,
  };
}
