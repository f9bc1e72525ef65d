// Swap using scratch (swap_scratch.c, swap_misc.c): regions of sectors are exchanged through the
// scratch area from the highest region down; each finished step writes a status byte so a reset
// at any flash operation resumes where it stopped.
import { BootFlag, BootMagic, SwapType, trailerLayout } from '../../image/trailer.ts';
import { type FlashArea, FlashError, type Sector } from '../flash.ts';
import { BootPanic } from './errors.ts';
import { type BootImageHeader, IMAGE_MAGIC, imageSize } from './image-header.ts';
import type { BootStatus, LoaderState, StatusSource } from './loader-state.ts';
import { copyRegion, eraseRegion } from './regions.ts';
import {
  readRawSwapType,
  readSwapSize,
  readSwapState,
  type SwapState,
  writeImageOk,
  writeMagic,
  writeSwapInfo,
  writeSwapSize,
} from './trailer-io.ts';

/** BOOT_STATUS_STATE_COUNT for swap using scratch. */
const STATE_COUNT = 3;

type MagicCell = 'GOOD' | 'UNSET' | 'NOTGOOD' | 'ANY';

interface StatusSourceRow {
  primaryMagic: MagicCell;
  scratchMagic: MagicCell;
  primaryCopyDone: 'SET' | 'UNSET' | 'ANY';
  source: StatusSource;
}

/** boot_status_tables: where the swap progress lives, first matching row wins. */
export const STATUS_SOURCE_TABLE: readonly StatusSourceRow[] = [
  { primaryMagic: 'GOOD', scratchMagic: 'NOTGOOD', primaryCopyDone: 'SET', source: 'none' },
  { primaryMagic: 'GOOD', scratchMagic: 'NOTGOOD', primaryCopyDone: 'UNSET', source: 'primary' },
  { primaryMagic: 'ANY', scratchMagic: 'GOOD', primaryCopyDone: 'ANY', source: 'scratch' },
  // Never swapped, or mid-revert with the status in the primary slot.
  { primaryMagic: 'UNSET', scratchMagic: 'ANY', primaryCopyDone: 'UNSET', source: 'primary' },
];

function magicOk(cell: MagicCell, m: BootMagic): boolean {
  if (cell === 'ANY') return true;
  if (cell === 'NOTGOOD') return m !== BootMagic.GOOD;
  return BootMagic[cell] === m;
}

/** The BOOT_LOG_SWAP_STATE line. */
export function swapStateLine(name: string, s: SwapState): string {
  const magic = s.magic === BootMagic.GOOD ? 'good' : s.magic === BootMagic.UNSET ? 'unset' : 'bad';
  return `I: ${name}: magic=${magic}, swap_type=0x${s.swapType.toString(16)}, copy_done=0x${s.copyDone.toString(16)}, image_ok=0x${s.imageOk.toString(16)}`;
}

function scratchOf(st: LoaderState): FlashArea {
  const scratch = st.areas.scratch;
  if (!scratch) throw new BootPanic('swap using scratch needs a scratch partition');
  return scratch;
}

/** boot_trailer_sz(BOOT_WRITE_SZ). */
function slotTrailerSize(st: LoaderState): number {
  return trailerLayout({
    slotSize: st.areas.primary.size,
    maxAlign: st.config.maxAlign,
    writeSize: st.writeSize,
    maxSectors: st.config.maxImgSectors,
  }).trailerSize;
}

/** boot_status_off: slots hold one entry per sector, scratch a single entry. */
function statusOff(st: LoaderState, area: FlashArea): number {
  return trailerLayout({
    slotSize: area.size,
    maxAlign: st.config.maxAlign,
    writeSize: area.align,
    maxSectors: st.config.maxImgSectors,
    scratch: area === st.areas.scratch,
  }).statusOff;
}

export function statusSource(st: LoaderState): StatusSource {
  const primary = readSwapState(st.areas.primary, st.config.maxAlign);
  const scratch = readSwapState(scratchOf(st), st.config.maxAlign);
  st.log(swapStateLine('Primary image', primary));
  st.log(swapStateLine('Scratch', scratch));
  for (const row of STATUS_SOURCE_TABLE) {
    if (
      magicOk(row.primaryMagic, primary.magic) &&
      magicOk(row.scratchMagic, scratch.magic) &&
      (row.primaryCopyDone === 'ANY' || BootFlag[row.primaryCopyDone] === primary.copyDone)
    ) {
      st.log(`I: Boot source: ${row.source === 'primary' ? 'primary slot' : row.source}`);
      return row.source;
    }
  }
  st.log('I: Boot source: none');
  return 'none';
}

/** swap_read_status_bytes: the first erased entry after the last written one gives (idx, state). */
function readStatusBytes(st: LoaderState, area: FlashArea, bs: BootStatus): void {
  const maxEntries = area === st.areas.scratch ? STATE_COUNT : STATE_COUNT * st.config.maxImgSectors;
  const off = statusOff(st, area);
  const bytes = area.read(off, (maxEntries - 1) * st.writeSize + 1);
  let found = false;
  let foundIdx = 0;
  let invalid = false;
  let i = 0;
  for (; i < maxEntries; i++) {
    const erased = bytes[i * st.writeSize] === area.eraseValue;
    if (erased) {
      if (found && !foundIdx) foundIdx = i;
    } else if (!found) {
      found = true;
    } else if (foundIdx) {
      invalid = true;
      break;
    }
  }
  if (invalid) {
    // With primary-slot validation on, MCUboot carries on and relies on validating the result.
    st.log('E: Detected inconsistent status!');
    if (!st.config.validatePrimarySlot)
      throw new BootPanic('inconsistent swap status and no slot-0 validation');
  }
  if (found) {
    if (!foundIdx) foundIdx = i;
    bs.idx = Math.floor(foundIdx / STATE_COUNT) + 1;
    bs.state = (foundIdx % STATE_COUNT) + 1;
  }
}

/** swap_read_status: locate the progress and the swap type recorded with it. */
export function readStatus(st: LoaderState, bs: BootStatus): void {
  bs.source = statusSource(st);
  if (bs.source === 'none') return;
  const area = bs.source === 'scratch' ? scratchOf(st) : st.areas.primary;
  readStatusBytes(st, area, bs);
  bs.swapType = readRawSwapType(area, st.config.maxAlign);
}

/** boot_slots_compatible: sectors of one slot tile the other's, each group fits in scratch. */
export function slotsCompatible(st: LoaderState, useScratch = true): string | undefined {
  const p = st.areas.primary.sectors;
  const s = st.areas.secondary.sectors;
  if (p.length > st.config.maxImgSectors || s.length > st.config.maxImgSectors) {
    return 'Cannot upgrade: more sectors than allowed';
  }
  const scratchSize = useScratch ? scratchOf(st).size : Number.POSITIVE_INFINITY;
  let i = 0;
  let j = 0;
  let sz0 = 0;
  let sz1 = 0;
  let total0 = 0;
  let total1 = 0;
  let smaller = 0;
  while (i < p.length || j < s.length) {
    if (sz0 === sz1) {
      sz0 += p[i]?.size ?? 0;
      sz1 += s[j]?.size ?? 0;
      i++;
      j++;
    } else if (sz0 < sz1) {
      sz0 += p[i]?.size ?? 0;
      if (smaller === 2) return 'Cannot upgrade: slots have non-compatible sectors';
      smaller = 1;
      i++;
    } else {
      sz1 += s[j]?.size ?? 0;
      if (smaller === 1) return 'Cannot upgrade: slots have non-compatible sectors';
      smaller = 2;
      j++;
    }
    if (sz0 === sz1) {
      total0 += sz0;
      total1 += sz1;
      if (sz0 > scratchSize) return 'Cannot upgrade: not all sectors fit inside scratch';
      smaller = 0;
      sz0 = 0;
      sz1 = 0;
    }
  }
  if (i !== p.length || j !== s.length || total0 !== total1 || sz0 !== sz1) {
    return 'Cannot upgrade: slots are not compatible';
  }
  return undefined;
}

function firstTrailerSector(sectors: readonly Sector[], trailerSz: number): number {
  let idx = sectors.length - 1;
  let covered = sectors[idx]!.size;
  while (covered < trailerSz) {
    idx--;
    covered += sectors[idx]!.size;
  }
  return idx;
}

/** swap_scramble_trailer_sectors: erase, highest first, every sector touched by the trailer. */
function scrambleTrailerSectors(st: LoaderState, area: FlashArea): void {
  const trailerSz = trailerLayout({
    slotSize: area.size,
    maxAlign: st.config.maxAlign,
    writeSize: Math.max(st.writeSize, area.align),
    maxSectors: st.config.maxImgSectors,
  }).trailerSize;
  const off = area.sectorAt(area.size - trailerSz).offset;
  eraseRegion(area, off, area.size - off, true);
}

/** swap_status_init: swap_info, image_ok (if the secondary had it), swap_size, and the magic last. */
function statusInit(st: LoaderState, area: FlashArea, bs: BootStatus): void {
  const A = st.config.maxAlign;
  const secondary = readSwapState(st.areas.secondary, A);
  if (bs.swapType !== SwapType.NONE) writeSwapInfo(area, A, bs.swapType, 0);
  if (secondary.imageOk === BootFlag.SET) writeImageOk(area, A);
  writeSwapSize(area, A, bs.swapSize);
  writeMagic(area, A);
}

/**
 * BOOT_STATUS_ASSERT (swap_scratch.c): with MCUBOOT_VALIDATE_PRIMARY_SLOT a failed status write
 * (the flash refused it, e.g. the entry was not erased) is only counted and the swap goes on,
 * relying on the final validation; without it, it is an assert (the board stops).
 */
function statusWrite(st: LoaderState, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!(error instanceof FlashError)) throw error;
    if (!st.config.validatePrimarySlot) throw new BootPanic(`a swap status write failed: ${error.message}`);
    st.statusFails++;
  }
}

/** boot_write_status: one entry, value = the state just completed (1, 2 or 3). */
function writeStatus(st: LoaderState, bs: BootStatus): void {
  const area = bs.useScratch ? scratchOf(st) : st.areas.primary;
  const off = statusOff(st, area) + (bs.idx - 1) * STATE_COUNT * st.writeSize + (bs.state - 1) * st.writeSize;
  const buf = new Uint8Array(area.align).fill(area.eraseValue);
  buf[0] = bs.state;
  statusWrite(st, () => area.write(off, buf));
}

/** boot_copy_sz: sectors from lastIdx downwards that fit in scratch together. */
function copySize(st: LoaderState, lastIdx: number): { size: number; firstIdx: number } {
  const scratchSize = scratchOf(st).size;
  const sectors = st.areas.primary.sectors;
  let size = 0;
  let i = lastIdx;
  for (; i >= 0; i--) {
    const next = size + sectors[i]!.size;
    if (next > scratchSize) break;
    size = next;
  }
  return { size, firstIdx: i + 1 };
}

/** find_last_sector_idx: last primary sector that must move to cover copySize bytes in both slots. */
function findLastSectorIdx(st: LoaderState, copySizeBytes: number): number {
  const p = st.areas.primary.sectors;
  const s = st.areas.secondary.sectors;
  let pSize = 0;
  let sSize = 0;
  let pIdx = 0;
  let sIdx = 0;
  for (;;) {
    if (pSize < copySizeBytes || pSize < sSize) {
      pSize += p[pIdx]?.size ?? 0;
      pIdx++;
    }
    if (sSize < copySizeBytes || sSize < pSize) {
      sSize += s[sIdx]?.size ?? 0;
      sIdx++;
    }
    if (pSize >= copySizeBytes && sSize >= copySizeBytes && pSize === sSize) break;
    // In C the loop goes on reading sector sizes past the end of the sector arrays: no defined
    // outcome, a board hangs or faults. Stop there.
    if (pIdx > p.length || sIdx > s.length) {
      throw new BootPanic(
        `the swap size in the trailer (${copySizeBytes} bytes, 0x${copySizeBytes.toString(16)}) is larger than the slots`,
      );
    }
  }
  return pIdx - 1;
}

/** boot_swap_sectors: the three steps for one region, each resumable. */
function swapSectors(st: LoaderState, idx: number, sz: number, bs: BootStatus): void {
  const { primary, secondary } = st.areas;
  const scratch = scratchOf(st);
  const A = st.config.maxAlign;
  const imgOff = primary.sectors[idx]!.offset;
  const trailerSz = slotTrailerSize(st);
  const firstTrailerPrimary = firstTrailerSector(primary.sectors, trailerSz);
  let copySz = sz;
  if (imgOff + sz > primary.sectors[firstTrailerPrimary]!.offset) {
    // This region holds (part of) the trailer: copy only the image part, carry the trailer in scratch.
    copySz = primary.size - imgOff - trailerSz;
    const scratchTrailerOff = statusOff(st, scratch);
    if (copySz > scratchTrailerOff) copySz = scratchTrailerOff;
  }
  bs.useScratch = bs.idx === 1 && copySz !== sz;

  if (bs.state === 1) {
    eraseRegion(scratch, 0, scratch.size);
    if (bs.idx === 1) {
      // A temporary home for swap_type while the primary trailer is erased.
      statusInit(st, scratch, bs);
      if (!bs.useScratch) {
        scrambleTrailerSectors(st, primary);
        statusInit(st, primary, bs);
        eraseRegion(scratch, 0, scratch.size);
      }
    }
    copyRegion(secondary, scratch, imgOff, 0, copySz);
    writeStatus(st, bs);
    bs.state = 2;
  }

  if (bs.state === 2) {
    let eraseSz = sz;
    if (bs.idx === 1) {
      // Only the primary slot may carry the swap state from here on.
      scrambleTrailerSectors(st, secondary);
      if (bs.useScratch) {
        const trailerSectorSecondary = firstTrailerSector(secondary.sectors, trailerSz);
        eraseSz = secondary.sectors[trailerSectorSecondary]!.offset - imgOff;
      }
    }
    if (eraseSz > 0) eraseRegion(secondary, imgOff, eraseSz);
    copyRegion(primary, secondary, imgOff, imgOff, copySz);
    writeStatus(st, bs);
    bs.state = 3;
  }

  if (bs.state === 3) {
    let eraseSz = sz;
    if (bs.useScratch) {
      scrambleTrailerSectors(st, primary);
      eraseSz = primary.sectors[firstTrailerPrimary]!.offset - imgOff;
    }
    if (eraseSz > 0) eraseRegion(primary, imgOff, eraseSz);
    copyRegion(scratch, primary, 0, imgOff, copySz);
    if (bs.useScratch) {
      // Move the status kept in scratch, then the trailer fields, magic last.
      const scratchTrailerOff = statusOff(st, scratch);
      statusWrite(st, () =>
        copyRegion(scratch, primary, scratchTrailerOff, imgOff + copySz, (STATE_COUNT - 1) * st.writeSize),
      );
      const scratchState = readSwapState(scratch, A);
      if (scratchState.imageOk === BootFlag.SET) writeImageOk(primary, A);
      if (scratchState.swapType !== SwapType.NONE) writeSwapInfo(primary, A, scratchState.swapType, 0);
      writeSwapSize(primary, A, bs.swapSize);
      writeMagic(primary, A);
    }
    const eraseScratch = bs.useScratch;
    bs.useScratch = false;
    writeStatus(st, bs);
    bs.idx++;
    bs.state = 1;
    // Backwards, so a reset mid-erase never leaves a half-erased trailer that still looks valid.
    if (eraseScratch) eraseRegion(scratch, 0, scratch.size, true);
  }
}

/** swap_run: process regions from the top of the slot down, skipping those already done. */
export function swapRun(st: LoaderState, bs: BootStatus, copySizeBytes: number): void {
  st.log('I: Starting swap using scratch algorithm.');
  let last = findLastSectorIdx(st, copySizeBytes);
  let swapIdx = 0;
  while (last >= 0) {
    const { size, firstIdx } = copySize(st, last);
    if (swapIdx >= bs.idx - 1) swapSectors(st, firstIdx, size, bs);
    last = firstIdx - 1;
    swapIdx++;
  }
}

/**
 * boot_find_status (bootutil_misc.c): the area whose magic is good, scratch first. When neither
 * is good the C loop ends on its last candidate and returns it: the primary slot, whose trailer
 * is then read as is (an erased swap_size reads 0xffffffff).
 */
function findStatusArea(st: LoaderState): FlashArea {
  const scratch = scratchOf(st);
  return readSwapState(scratch, st.config.maxAlign).magic === BootMagic.GOOD ? scratch : st.areas.primary;
}

/**
 * boot_read_image_headers with a swap under way (loader.c): each header's whereabouts come from
 * find_swap_count(swap_size), read from the status trailer before the swap is resumed. A
 * swap_size beyond the slots makes that search run off the sector table (BootPanic).
 */
export function checkResumableSwapSize(st: LoaderState): void {
  findLastSectorIdx(st, readSwapSize(findStatusArea(st), st.config.maxAlign));
}

/**
 * boot_swap_image: on a fresh swap, swap_size = the larger image (header + body + TLVs);
 * when resuming, it is read back from the trailer holding the status.
 */
export function swapImage(
  st: LoaderState,
  bs: BootStatus,
  headers: { primary: BootImageHeader; secondary: BootImageHeader },
  resuming: boolean,
): void {
  if (!resuming) {
    let size = 0;
    for (const [area, hdr] of [
      [st.areas.primary, headers.primary],
      [st.areas.secondary, headers.secondary],
    ] as const) {
      if (hdr.magic !== IMAGE_MAGIC) continue;
      const n = imageSize(area, hdr);
      // boot_read_image_size failing hits `assert(rc == 0)` in boot_swap_image (loader.c).
      if (n === undefined) throw new BootPanic(`cannot read the image size in ${area.label}`);
      size = Math.max(size, n);
    }
    bs.swapSize = size;
  } else {
    bs.swapSize = readSwapSize(findStatusArea(st), st.config.maxAlign);
  }
  swapRun(st, bs, bs.swapSize);
  if (st.statusFails > 0) st.log(`W: ${st.statusFails} status write fails performing the swap`);
}

/** swap_set_image_ok: confirm the primary if it is not already. */
export function setImageOkIfUnset(st: LoaderState): void {
  const state = readSwapState(st.areas.primary, st.config.maxAlign);
  if (state.imageOk === BootFlag.UNSET) writeImageOk(st.areas.primary, st.config.maxAlign);
}

export { scrambleTrailerSectors };
