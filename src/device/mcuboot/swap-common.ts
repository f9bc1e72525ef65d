// Helpers every swap strategy shares: trailer and status geometry (bootutil_area.c), trailer
// scrambling, status init/read/write (swap_misc.c, loader.c boot_write_status), the status area
// lookup (bootutil_misc.c boot_find_status) and the final flag updates (swap_set_image_ok,
// swap_set_copy_done).
import { BootFlag, BootMagic, SwapType, swapTypeName, type TrailerLayout } from '../../image/trailer.ts';
import { type FlashArea, FlashError } from '../flash.ts';
import { BootPanic } from './errors.ts';
import type { BootStatus, LoaderState, StatusSource } from './loader-state.ts';
import { copyRegion, eraseRegion } from './regions.ts';
import type { SwapStrategy } from './swap-strategy.ts';
import { decideSwapType } from './swap-type.ts';
import {
  bootTrailer,
  readRawSwapType,
  readSwapState,
  type SwapState,
  writeCopyDone,
  writeImageOk,
  writeMagic,
  writeSwapInfo,
  writeSwapSize,
  writeTlvSizes,
} from './trailer-io.ts';

/** The trailer of `area` as this build lays it out, with status entries of `writeSize` bytes. */
export function trailerOf(
  st: LoaderState,
  s: SwapStrategy,
  area: FlashArea,
  writeSize: number,
): TrailerLayout {
  return bootTrailer(area.size, {
    maxAlign: st.config.maxAlign,
    writeSize,
    maxSectors: st.config.maxImgSectors,
    stateCount: s.stateCount,
    swapOffset: s.swapOffset,
    scratch: s.mode === 'swap-scratch' && area === st.areas.scratch,
  });
}

/** boot_trailer_sz(BOOT_WRITE_SZ) of a slot. */
export function slotTrailerSize(st: LoaderState, s: SwapStrategy): number {
  return trailerOf(st, s, st.areas.primary, st.writeSize).trailerSize;
}

/** boot_status_off: the status area starts at the trailer, sized with the area's own write size. */
export function statusOff(st: LoaderState, s: SwapStrategy, area: FlashArea): number {
  return trailerOf(st, s, area, area.align).statusOff;
}

/** The BOOT_LOG_SWAP_STATE line. */
export function swapStateLine(name: string, state: SwapState): string {
  const magic = state.magic === BootMagic.GOOD ? 'good' : state.magic === BootMagic.UNSET ? 'unset' : 'bad';
  return `I: ${name}: magic=${magic}, swap_type=0x${state.swapType.toString(16)}, copy_done=0x${state.copyDone.toString(16)}, image_ok=0x${state.imageOk.toString(16)}`;
}

/**
 * swap_scramble_trailer_sectors (boot_trailer_scramble_offset): erase, highest first, from the
 * sector holding the start of the trailer to the end of the area.
 */
export function scrambleTrailerSectors(st: LoaderState, s: SwapStrategy, area: FlashArea): void {
  const trailerSz = trailerOf(st, s, area, Math.max(st.writeSize, area.align)).trailerSize;
  const off = area.sectorAt(area.size - trailerSz).offset;
  eraseRegion(area, off, area.size - off, true);
}

/**
 * swap_status_init: swap_info, image_ok (if the secondary has it), swap_size, the unprotected TLV
 * sizes (offset only), and the magic last so that a torn init never reads as valid.
 */
export function statusInit(st: LoaderState, s: SwapStrategy, area: FlashArea, bs: BootStatus): void {
  const A = st.config.maxAlign;
  const secondary = readSwapState(st.areas.secondary, A);
  if (bs.swapType !== SwapType.NONE) writeSwapInfo(area, A, bs.swapType, st.image);
  if (secondary.imageOk === BootFlag.SET) writeImageOk(area, A);
  writeSwapSize(area, A, bs.swapSize, s.swapOffset);
  if (s.swapOffset) writeTlvSizes(area, A, st.unprotectedTlvSize[0], st.unprotectedTlvSize[1]);
  writeMagic(area, A);
}

/**
 * BOOT_STATUS_ASSERT: with MCUBOOT_VALIDATE_PRIMARY_SLOT a failed status write (the flash refused
 * it, e.g. the entry was not erased) is only counted and the swap goes on, relying on the final
 * validation; without it, it is an assert (the board stops).
 */
export function statusWrite(st: LoaderState, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!(error instanceof FlashError)) throw error;
    if (!st.config.validatePrimarySlot) throw new BootPanic(`a swap status write failed: ${error.message}`);
    st.statusFails++;
  }
}

/** boot_write_status (loader.c): one entry, value = the state just completed. */
export function writeStatus(st: LoaderState, s: SwapStrategy, bs: BootStatus): void {
  const scratch = bs.useScratch ? st.areas.scratch : undefined;
  const area = scratch ?? st.areas.primary;
  const off = statusOff(st, s, area) + s.statusInternalOff(st, bs, st.writeSize);
  const buf = new Uint8Array(area.align).fill(area.eraseValue);
  buf[0] = bs.state;
  statusWrite(st, () => area.write(off, buf));
}

/**
 * The status scan of swap_move.c and swap_offset.c (swap_read_status_bytes): from the last entry
 * down, the 1-based position of the last written entry, or -1 if none is. (Their "inconsistent
 * status" check compares read return codes, which are all 0, so it cannot fire; not modelled.)
 */
export function lastWrittenEntry(st: LoaderState, s: SwapStrategy, area: FlashArea): number {
  const maxEntries = s.stateCount * st.config.maxImgSectors;
  const off = statusOff(st, s, area);
  const bytes = area.read(off, (maxEntries - 1) * st.writeSize + 1);
  for (let i = maxEntries; i > 0; i--) {
    if (bytes[(i - 1) * st.writeSize] !== area.eraseValue) return i;
  }
  return -1;
}

/** swap_read_status: locate the progress and the swap type recorded with it. */
export function readStatus(st: LoaderState, s: SwapStrategy, bs: BootStatus): void {
  bs.source = s.statusSource(st);
  if (bs.source === 'none') return;
  s.readStatusBytes(st, bs.source, bs);
  const area = bs.source === 'scratch' && st.areas.scratch ? st.areas.scratch : st.areas.primary;
  bs.swapType = readRawSwapType(area, st.config.maxAlign);
}

/** Primary and secondary states for the status-source decision, logged as MCUboot logs them. */
export function logSlotStates(st: LoaderState): { primary: SwapState; secondary: SwapState } {
  const primary = readSwapState(st.areas.primary, st.config.maxAlign);
  const secondary = readSwapState(st.areas.secondary, st.config.maxAlign);
  st.log(swapStateLine('Primary image', primary));
  st.log(swapStateLine('Secondary image', secondary));
  return { primary, secondary };
}

/**
 * swap_status_source of swap_move.c / swap_offset.c: the primary slot holds the progress only
 * while its copy_done is unset and the secondary's magic is gone.
 */
export function primaryOrNone(st: LoaderState): StatusSource {
  const { primary, secondary } = logSlotStates(st);
  if (
    primary.magic === BootMagic.GOOD &&
    primary.copyDone === BootFlag.UNSET &&
    secondary.magic !== BootMagic.GOOD
  ) {
    st.log('I: Boot source: primary slot');
    return 'primary';
  }
  st.log('I: Boot source: none');
  return 'none';
}

/**
 * boot_find_status (bootutil_misc.c): the area whose magic is good, scratch first. When neither
 * is good the C loop ends on its last candidate and returns it: the primary slot.
 */
export function findStatusArea(st: LoaderState, s: SwapStrategy): FlashArea {
  const scratch = s.mode === 'swap-scratch' ? st.areas.scratch : undefined;
  if (scratch && readSwapState(scratch, st.config.maxAlign).magic === BootMagic.GOOD) return scratch;
  return st.areas.primary;
}

/**
 * swap_set_image_ok / swap_set_copy_done failing set BOOT_SWAP_TYPE_PANIC; context_boot_go and
 * boot_complete_partial_swap (loader.c) then print "panic!" and loop forever.
 */
function trailerUpdate(update: () => void): void {
  try {
    update();
  } catch (error) {
    if (!(error instanceof FlashError)) throw error;
    throw new BootPanic(`updating the primary slot's trailer failed: ${error.message}`, ['E: panic!']);
  }
}

/** swap_set_image_ok: confirm the primary if it is not already. */
export function setImageOkIfUnset(st: LoaderState): void {
  trailerUpdate(() => {
    const state = readSwapState(st.areas.primary, st.config.maxAlign);
    if (state.imageOk === BootFlag.UNSET) writeImageOk(st.areas.primary, st.config.maxAlign);
  });
}

/** swap_set_copy_done. */
export function setCopyDone(st: LoaderState): void {
  trailerUpdate(() => writeCopyDone(st.areas.primary, st.config.maxAlign));
}

/** The sector size every slot sector of move/offset must share (boot_img_sector_size(.., 0)). */
export function firstSectorSize(area: FlashArea): number {
  return area.sectors[0]!.size;
}

/**
 * The first sector index holding part of the trailer, counting whole sectors of `sectorSize` from
 * the end of a slot of `numSectors` sectors (swap_run's "enough free space" check).
 */
export function firstTrailerIdx(numSectors: number, sectorSize: number, trailerSz: number): number {
  let idx = numSectors - 1;
  let sz = sectorSize;
  while (sz < trailerSz) {
    sz += sectorSize;
    idx--;
  }
  return idx;
}

/**
 * boot_swap_type_multi (bootutil_public.c): the decision table on the current trailers. It logs
 * its verdict every time it is called, as MCUboot does.
 */
export function swapTypeMulti(st: LoaderState): SwapType {
  const A = st.config.maxAlign;
  const { swapType } = decideSwapType(
    readSwapState(st.areas.primary, A),
    readSwapState(st.areas.secondary, A),
    st.swapTable,
  );
  st.log(`I: Image index: ${st.image}, Swap type: ${swapTypeName(swapType)}`);
  return swapType;
}

/** One copy of a swap step: erase `size` bytes at `toOff` in `to`, then copy them from `fromOff` in `from`. */
export interface SectorCopy {
  readonly from: FlashArea;
  readonly fromOff: number;
  readonly to: FlashArea;
  readonly toOff: number;
  /** Nothing of either image lies there (swap_offset.c skips such sectors; the status is still written). */
  readonly skip?: boolean;
}

/**
 * The two-state step swap_move.c and swap_offset.c take per sector (boot_swap_sectors and its
 * revert): state 1 does the first copy, state 2 the second, each followed by a status write so a
 * reset resumes at the right copy; then the sector index advances.
 */
export function swapSectorStep(
  st: LoaderState,
  s: SwapStrategy,
  bs: BootStatus,
  size: number,
  first: SectorCopy,
  second: SectorCopy,
): void {
  if (bs.state === 1) {
    copySector(first, size);
    writeStatus(st, s, bs);
    bs.state = 2;
  }
  if (bs.state === 2) {
    copySector(second, size);
    writeStatus(st, s, bs);
    bs.idx++;
    bs.state = 1;
  }
}

function copySector(copy: SectorCopy, size: number): void {
  if (copy.skip) return;
  eraseRegion(copy.to, copy.toOff, size);
  copyRegion(copy.from, copy.to, copy.fromOff, copy.toOff, size);
}
