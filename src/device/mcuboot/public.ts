// What a Zephyr application calls (bootutil_public.c / boot_set_next): read the trailers,
// schedule an upgrade, confirm the running image.
import { BootFlag, BootMagic, SwapType } from '../../image/trailer.ts';
import type { McubootMode } from '../boards/board.ts';
import type { FlashArea } from '../flash.ts';
import { BootError } from './errors.ts';
import { decideSwapType, SWAP_TABLE, type SwapTableRow } from './swap-type.ts';
import {
  readSwapState as readState,
  type SwapState,
  writeImageOk,
  writeMagic,
  writeSwapInfo,
} from './trailer-io.ts';

export type { SwapState } from './trailer-io.ts';

const DEFAULT_MAX_ALIGN = 8;

export function readSwapState(area: FlashArea, maxAlign = DEFAULT_MAX_ALIGN): SwapState {
  return readState(area, maxAlign);
}

/** boot_swap_type_multi for image 0. */
export function swapType(
  primary: FlashArea,
  secondary: FlashArea,
  maxAlign = DEFAULT_MAX_ALIGN,
  table: readonly SwapTableRow[] = SWAP_TABLE,
): SwapType {
  return decideSwapType(readState(primary, maxAlign), readState(secondary, maxAlign), table).swapType;
}

/**
 * boot_set_pending: schedule the secondary image for a test (permanent=false) or permanent upgrade.
 * Writes magic, then image_ok (permanent only), then swap_info. Already scheduled → nothing.
 */
export function setPending(secondary: FlashArea, permanent: boolean, maxAlign = DEFAULT_MAX_ALIGN): void {
  const state = readState(secondary, maxAlign);
  switch (state.magic) {
    case BootMagic.GOOD:
      return;
    case BootMagic.UNSET:
      writeMagic(secondary, maxAlign);
      if (permanent) writeImageOk(secondary, maxAlign);
      writeSwapInfo(secondary, maxAlign, permanent ? SwapType.PERM : SwapType.TEST, 0);
      return;
    default:
      throw new BootError(
        'BOOT_EBADIMAGE',
        `cannot schedule an upgrade: the ${secondary.label} trailer magic is corrupt`,
      );
  }
}

/**
 * boot_set_confirmed: mark the running (primary) image OK. Magic UNSET means the image was
 * flashed without a trailer and counts as confirmed, so nothing is written.
 */
export function setConfirmed(primary: FlashArea, maxAlign = DEFAULT_MAX_ALIGN): void {
  const state = readState(primary, maxAlign);
  switch (state.magic) {
    case BootMagic.GOOD:
      if (state.imageOk === BootFlag.UNSET) writeImageOk(primary, maxAlign);
      return;
    case BootMagic.UNSET:
      return;
    default:
      throw new BootError('BOOT_EBADVECT', `cannot confirm: the ${primary.label} trailer magic is corrupt`);
  }
}

/** Zephyr's boot_is_img_confirmed(): image_ok set, or no trailer at all. */
export function isConfirmed(primary: FlashArea, maxAlign = DEFAULT_MAX_ALIGN): boolean {
  const state = readState(primary, maxAlign);
  return state.magic === BootMagic.UNSET || state.imageOk === BootFlag.SET;
}

/**
 * boot_get_image_start_offset (Zephyr subsys/dfu/boot/mcuboot.c), which flash_img_init_id
 * (subsys/dfu/img_util/flash_img.c) uses for uploads: with swap using offset an update is written
 * one sector into the secondary slot; everywhere else at its start.
 */
export function imageStartOffset(area: FlashArea, mode: McubootMode, secondary: boolean): number {
  return mode === 'swap-offset' && secondary ? area.sectors[0]!.size : 0;
}
