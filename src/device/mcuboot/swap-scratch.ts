// Swap using scratch (swap_scratch.c: swap_run, boot_swap_sectors, swap_status_source,
// swap_read_status_bytes, boot_slots_compatible, boot_read_image_header): regions of sectors are
// exchanged through the scratch area from the highest region down; each finished step writes a
// status byte so a reset at any flash operation resumes where it stopped.
import { BootFlag, BootMagic, SwapType } from '../../image/trailer.ts';
import type { FlashArea, Sector } from '../flash.ts';
import { BootPanic } from './errors.ts';
import { readHeader } from './image-header.ts';
import type { BootStatus, LoaderState, StatusSource } from './loader-state.ts';
import { copyRegion, eraseRegion } from './regions.ts';
import {
  findStatusArea,
  scrambleTrailerSectors,
  slotTrailerSize,
  statusInit,
  statusOff,
  statusWrite,
  swapStateLine,
  writeStatus,
} from './swap-common.ts';
import type { HeaderRead, SlotIndex, SwapStrategy } from './swap-strategy.ts';
import { swapTableFor } from './swap-type.ts';
import {
  readSwapSize,
  readSwapState,
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

function scratchOf(st: LoaderState): FlashArea {
  const scratch = st.areas.scratch;
  if (!scratch) throw new BootPanic('swap using scratch needs a scratch partition');
  return scratch;
}

/** swap_status_source (swap_scratch.c): the primary slot and the scratch area decide. */
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
function readStatusBytes(st: LoaderState, source: StatusSource, bs: BootStatus): void {
  const area = source === 'scratch' ? scratchOf(st) : st.areas.primary;
  const maxEntries = area === st.areas.scratch ? STATE_COUNT : STATE_COUNT * st.config.maxImgSectors;
  const off = statusOff(st, swapScratch, area);
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

/**
 * boot_slots_compatible (swap_scratch.c, also built for overwrite-only without the scratch
 * checks): sectors of one slot tile the other's, each group fits in scratch. Returns the warning.
 */
export function slotsCompatibleMessage(st: LoaderState, useScratch = true): string | undefined {
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
    // One slot has run out of sectors while the other still has some: in C the loop would read
    // past the sector table; MCUboot's verdict after the loop is "not compatible", so say it now.
    if ((sz0 <= sz1 && i >= p.length) || (sz1 <= sz0 && j >= s.length)) break;
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
  const trailerSz = slotTrailerSize(st, swapScratch);
  const firstTrailerPrimary = firstTrailerSector(primary.sectors, trailerSz);
  let copySz = sz;
  if (imgOff + sz > primary.sectors[firstTrailerPrimary]!.offset) {
    // This region holds (part of) the trailer: copy only the image part, carry the trailer in scratch.
    copySz = primary.size - imgOff - trailerSz;
    const scratchTrailerOff = statusOff(st, swapScratch, scratch);
    if (copySz > scratchTrailerOff) copySz = scratchTrailerOff;
  }
  bs.useScratch = bs.idx === 1 && copySz !== sz;

  if (bs.state === 1) {
    eraseRegion(scratch, 0, scratch.size);
    if (bs.idx === 1) {
      // A temporary home for swap_type while the primary trailer is erased.
      statusInit(st, swapScratch, scratch, bs);
      if (!bs.useScratch) {
        scrambleTrailerSectors(st, swapScratch, primary);
        statusInit(st, swapScratch, primary, bs);
        eraseRegion(scratch, 0, scratch.size);
      }
    }
    copyRegion(secondary, scratch, imgOff, 0, copySz);
    writeStatus(st, swapScratch, bs);
    bs.state = 2;
  }

  if (bs.state === 2) {
    let eraseSz = sz;
    if (bs.idx === 1) {
      // Only the primary slot may carry the swap state from here on.
      scrambleTrailerSectors(st, swapScratch, secondary);
      if (bs.useScratch) {
        const trailerSectorSecondary = firstTrailerSector(secondary.sectors, trailerSz);
        eraseSz = secondary.sectors[trailerSectorSecondary]!.offset - imgOff;
      }
    }
    if (eraseSz > 0) eraseRegion(secondary, imgOff, eraseSz);
    copyRegion(primary, secondary, imgOff, imgOff, copySz);
    writeStatus(st, swapScratch, bs);
    bs.state = 3;
  }

  if (bs.state === 3) {
    let eraseSz = sz;
    if (bs.useScratch) {
      scrambleTrailerSectors(st, swapScratch, primary);
      eraseSz = primary.sectors[firstTrailerPrimary]!.offset - imgOff;
    }
    if (eraseSz > 0) eraseRegion(primary, imgOff, eraseSz);
    copyRegion(scratch, primary, 0, imgOff, copySz);
    if (bs.useScratch) {
      // Move the status kept in scratch, then the trailer fields, magic last.
      const scratchTrailerOff = statusOff(st, swapScratch, scratch);
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
    writeStatus(st, swapScratch, bs);
    bs.idx++;
    bs.state = 1;
    // Backwards, so a reset mid-erase never leaves a half-erased trailer that still looks valid.
    if (eraseScratch) eraseRegion(scratch, 0, scratch.size, true);
  }
}

/** swap_run: process regions from the top of the slot down, skipping those already done. */
function swapRun(st: LoaderState, bs: BootStatus, copySizeBytes: number): void {
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

/** find_swap_count: how many scratch-sized regions a swap of copySize bytes moves. */
function findSwapCount(st: LoaderState, copySizeBytes: number): number {
  let last = findLastSectorIdx(st, copySizeBytes);
  let count = 0;
  while (last >= 0) {
    last = copySize(st, last).firstIdx - 1;
    count++;
  }
  return count;
}

/**
 * boot_read_image_header (swap_scratch.c): mid-swap, a header may sit in the other slot or in
 * scratch, depending on how many regions are done. Reading the swap size from the status trailer
 * and counting regions runs off the sector table for a swap_size beyond the slots (BootPanic).
 */
function readImageHeader(st: LoaderState, slot: SlotIndex, bs: BootStatus | undefined): HeaderRead {
  let area: FlashArea = slot === 0 ? st.areas.primary : st.areas.secondary;
  if (bs && !(bs.idx === 1 && bs.state === 1)) {
    const swapCount = findSwapCount(st, readSwapSize(findStatusArea(st, swapScratch), st.config.maxAlign));
    if (bs.idx - 1 >= swapCount) {
      area = slot === 0 ? st.areas.secondary : st.areas.primary;
    } else if (bs.idx - 1 === swapCount - 1) {
      if (slot === 1 && bs.state >= 2) area = scratchOf(st);
      else if (slot === 0 && bs.state >= 3) area = st.areas.secondary;
    }
  }
  return { hdr: readHeader(area), ok: true };
}

export const swapScratch: SwapStrategy = {
  mode: 'swap-scratch',
  stateCount: STATE_COUNT,
  initialOp: 'move',
  swapOffset: false,
  swapTable: swapTableFor,
  slotsCompatible(st) {
    const warning = slotsCompatibleMessage(st);
    if (warning) st.log(`W: ${warning}`);
    return warning === undefined;
  },
  statusSource,
  readStatusBytes,
  statusInternalOff: (_st, bs, elemSize) => (bs.idx - 1) * STATE_COUNT * elemSize + (bs.state - 1) * elemSize,
  readImageHeader,
  swapRun,
};
