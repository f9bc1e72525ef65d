// Swap using offset (swap_offset.c: swap_run, boot_swap_sectors, boot_swap_sectors_revert,
// fixup_revert, swap_status_source, swap_read_status_bytes, boot_slots_compatible,
// boot_read_image_header, boot_read_image_size). The update is stored one sector into the
// secondary slot, so no move pass is needed: for each sector X the old primary sector X goes to
// secondary X and the new image's sector (secondary X + 1) comes down to primary X. A revert runs
// the mirror image from the top down. Needs one more sector in the secondary slot.
import { BootMagic, SwapType } from '../../image/trailer.ts';
import { IMAGE_MAGIC, readHeader } from './image-header.ts';
import type { BootStatus, LoaderState, StatusSource } from './loader-state.ts';
import { eraseRegion } from './regions.ts';
import {
  findStatusArea,
  firstSectorSize,
  firstTrailerIdx,
  lastWrittenEntry,
  primaryOrNone,
  scrambleTrailerSectors,
  slotTrailerSize,
  statusInit,
  swapSectorStep,
  swapStateLine,
  swapTypeMulti,
} from './swap-common.ts';
import type { HeaderRead, SlotIndex, SwapStrategy } from './swap-strategy.ts';
import { SWAP_TABLE_OFFSET } from './swap-type.ts';
import { readSwapSize, readSwapState, readTlvSizes, writeCopyDone } from './trailer-io.ts';

/** BOOT_STATUS_STATE_COUNT = BOOT_STATUS_SWAP_STATE_COUNT (bootutil_area.h). */
const STATE_COUNT = 2;

/** find_last_idx (swap_offset.c): index (from 0) of the last sector holding swap_size bytes. */
function findLastIdx(st: LoaderState, swapSize: number): number {
  const sectorSz = firstSectorSize(st.areas.primary);
  let sz = 0;
  let lastIdx = 0;
  for (;;) {
    sz += sectorSz;
    if (sz >= swapSize) return lastIdx;
    lastIdx++;
  }
}

function readStatusBytes(st: LoaderState, _source: StatusSource, bs: BootStatus): void {
  const found = lastWrittenEntry(st, swapOffset, st.areas.primary);
  if (found === -1) return;
  bs.op = 'swap';
  bs.idx = Math.floor(found / STATE_COUNT) + 1;
  bs.state = (found % STATE_COUNT) + 1;
}

/** boot_slots_compatible (swap_offset.c): same sector sizes, secondary has the same count or one more. */
function slotsCompatible(st: LoaderState): boolean {
  const p = st.areas.primary.sectors;
  const s = st.areas.secondary.sectors;
  if (p.length !== s.length && p.length + 1 !== s.length) {
    st.log('W: Cannot upgrade: not a compatible amount of sectors');
    return false;
  }
  if (p.length > st.config.maxImgSectors) {
    st.log('W: Cannot upgrade: more sectors than allowed');
    return false;
  }
  for (let i = 0; i < s.length - 1; i++) {
    if (p[i]!.size !== s[i]!.size) {
      st.log('W: Cannot upgrade: not same sector layout');
      return false;
    }
  }
  return true;
}

function isRevert(st: LoaderState, bs: BootStatus | undefined): boolean {
  // Short-circuits like the C `bs->swap_type == REVERT || boot_swap_type_multi(...) == REVERT`.
  return bs?.swapType === SwapType.REVERT || swapTypeMulti(st) === SwapType.REVERT;
}

/**
 * boot_read_image_header (swap_offset.c): where each slot's header is before, during and after a
 * swap or revert; records state->secondary_offset when the secondary header is found.
 */
function readImageHeader(st: LoaderState, slot: SlotIndex, bs: BootStatus | undefined): HeaderRead {
  const sz0 = firstSectorSize(st.areas.secondary);
  let s: SlotIndex = slot;
  let off = 0;
  let checkOther = true;
  if (bs === undefined) {
    if (slot === 1 && swapTypeMulti(st) !== SwapType.REVERT) off = sz0;
  } else if (!(bs.idx === 1 && bs.state === 1)) {
    checkOther = false;
    const lastIdx = findLastIdx(st, readSwapSize(findStatusArea(st, swapOffset), st.config.maxAlign, true));
    const sz = firstSectorSize(st.areas.primary);
    const done = bs.idx - 1;
    if (isRevert(st, bs)) {
      if (slot === 0) {
        if (done > lastIdx || (done === lastIdx && bs.state === 2)) {
          s = 1;
          off = sz;
        }
      } else if (done > lastIdx || (done === lastIdx && bs.state === 3)) {
        // BOOT_STATUS_STATE_2 (3) never occurs with two states per sector.
        s = 0;
      }
    } else if (slot === 0) {
      if ((bs.idx > 1 || bs.state === 2) && bs.idx <= lastIdx) s = 1;
    } else if (bs.idx > 1) {
      s = 0;
    } else {
      off = sz;
    }
  } else if (isRevert(st, bs)) {
    off = 0;
  } else if (slot === 1) {
    off = sz0;
  }
  const area = s === 0 ? st.areas.primary : st.areas.secondary;
  let hdr = readHeader(area, off);
  if (checkOther && hdr.magic !== IMAGE_MAGIC && s === 1) {
    off = swapTypeMulti(st) !== SwapType.REVERT ? 0 : sz0;
    hdr = readHeader(area, off);
  }
  if (hdr.magic === IMAGE_MAGIC && bs !== undefined && s === 1) st.secondaryOffset = off;
  return { hdr, ok: !bs || hdr.magic === IMAGE_MAGIC };
}

/** boot_swap_sectors (swap_offset.c). */
function swapSectors(
  st: LoaderState,
  idx: number,
  sz: number,
  bs: BootStatus,
  skipPri: boolean,
  skipSec: boolean,
) {
  const { primary: pri, secondary: sec } = st.areas;
  const priOff = pri.sectors[idx]!.offset;
  const secOff = sec.sectors[idx]!.offset;
  const secUpOff = pri.sectors[idx + 1]!.offset;
  swapSectorStep(
    st,
    swapOffset,
    bs,
    sz,
    { from: pri, fromOff: priOff, to: sec, toOff: secOff, skip: skipPri },
    { from: sec, fromOff: secUpOff, to: pri, toOff: priOff, skip: skipSec },
  );
}

/** boot_swap_sectors_revert: primary X goes back up to secondary X + 1, secondary X down to primary X. */
function swapSectorsRevert(
  st: LoaderState,
  idx: number,
  sz: number,
  bs: BootStatus,
  skipPri: boolean,
  skipSec: boolean,
) {
  const { primary: pri, secondary: sec } = st.areas;
  const priOff = pri.sectors[idx]!.offset;
  const secOff = sec.sectors[idx + 1]!.offset;
  const secUpOff = pri.sectors[idx]!.offset;
  swapSectorStep(
    st,
    swapOffset,
    bs,
    sz,
    { from: pri, fromOff: priOff, to: sec, toOff: secOff, skip: skipPri },
    { from: sec, fromOff: secUpOff, to: pri, toOff: priOff, skip: skipSec },
  );
}

/**
 * fixup_revert (swap_offset.c): before a revert re-initialises the primary's status, mark the
 * secondary (copy_done + a full status init) so a reset in that window still decides REVERT
 * (the first row of SWAP_TABLE_OFFSET).
 */
function fixupRevert(st: LoaderState, bs: BootStatus): void {
  if (bs.swapType !== SwapType.REVERT || bs.idx !== 1) return;
  const sec = st.areas.secondary;
  const state = readSwapState(sec, st.config.maxAlign);
  st.log(swapStateLine('Secondary image', state));
  if (state.magic === BootMagic.UNSET) {
    scrambleTrailerSectors(st, swapOffset, sec);
    writeCopyDone(sec, st.config.maxAlign);
    statusInit(st, swapOffset, sec, bs);
  }
}

/** Sectors an image occupies: header + unprotected TLVs + protected TLVs + body, rounded up. */
function usedSectors(st: LoaderState, slot: SlotIndex, unprotected: number, sectorSz: number): number {
  const hdr = st.headers[slot];
  if (!hdr) return Number.POSITIVE_INFINITY;
  return Math.ceil((hdr.hdrSize + unprotected + hdr.protectTlvSize + hdr.imgSize) / sectorSz);
}

function swapRun(st: LoaderState, bs: BootStatus, copySize: number): void {
  st.log('I: Starting swap using offset algorithm.');
  const { primary: pri, secondary: sec } = st.areas;
  const lastIdx = findLastIdx(st, copySize);
  const sectorSz = firstSectorSize(pri);
  if (bs.op === 'swap' && bs.idx === 1 && bs.state === 1) {
    const firstTrailer = firstTrailerIdx(pri.sectors.length, sectorSz, slotTrailerSize(st, swapOffset));
    if (lastIdx >= firstTrailer) {
      st.log('W: Not enough free space to run swap upgrade');
      st.log(
        `W: required ${(lastIdx + 1) * sectorSz} bytes but only ${firstTrailer * sectorSz} are available`,
      );
      bs.swapType = SwapType.NONE;
      return;
    }
  }
  fixupRevert(st, bs);
  if (bs.idx === 1) {
    if (bs.source !== 'primary') {
      scrambleTrailerSectors(st, swapOffset, pri);
      statusInit(st, swapOffset, pri, bs);
    }
    scrambleTrailerSectors(st, swapOffset, sec);
  }
  // Kept in the status trailer: once sectors move, the TLV areas can no longer be found.
  const tlv = readTlvSizes(pri, st.config.maxAlign);
  bs.op = 'swap';
  const usedPri = usedSectors(st, 0, tlv.primary, sectorSz);
  const usedSec = usedSectors(st, 1, tlv.secondary, sectorSz);
  if (isRevert(st, bs)) {
    for (let idx = 0; idx <= lastIdx; idx++) {
      if (idx >= bs.idx - 1) {
        const mirror = lastIdx - idx;
        swapSectorsRevert(st, mirror, sectorSz, bs, mirror > usedPri, mirror > usedSec);
      }
    }
    // The old first sector must not pass for an image header, and the trailer goes too.
    eraseRegion(sec, sec.sectors[0]!.offset, sectorSz);
    scrambleTrailerSectors(st, swapOffset, sec);
  } else {
    for (let idx = 0; idx <= lastIdx; idx++) {
      if (idx >= bs.idx - 1) swapSectors(st, idx, sectorSz, bs, idx > usedPri, idx > usedSec);
    }
  }
}

export const swapOffset: SwapStrategy = {
  mode: 'swap-offset',
  stateCount: STATE_COUNT,
  initialOp: 'swap',
  swapOffset: true,
  swapTable: () => SWAP_TABLE_OFFSET,
  slotsCompatible,
  statusSource: primaryOrNone,
  readStatusBytes,
  statusInternalOff: (_st, bs, elemSize) => (bs.idx - 1) * STATE_COUNT * elemSize + (bs.state - 1) * elemSize,
  readImageHeader,
  swapRun,
};
