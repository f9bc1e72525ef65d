// Swap using move (swap_move.c: swap_run, boot_move_sector_up, boot_swap_sectors, fixup_revert,
// swap_status_source, swap_read_status_bytes, boot_slots_compatible, boot_read_image_header).
// The primary image is first moved up by one sector (from its last sector down), then sector by
// sector the new image is copied down into the primary slot and the old one, one sector higher,
// into the secondary. Needs all slot sectors of one size and one spare sector in the primary slot.
import { BootMagic, SwapType } from '../../image/trailer.ts';
import { IMAGE_MAGIC, readHeader } from './image-header.ts';
import type { BootStatus, LoaderState, StatusSource } from './loader-state.ts';
import { copyRegion, eraseRegion } from './regions.ts';
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
  writeStatus,
} from './swap-common.ts';
import type { HeaderRead, SlotIndex, SwapStrategy } from './swap-strategy.ts';
import { swapTableFor } from './swap-type.ts';
import { readSwapSize, readSwapState, writeImageOk, writeMagic, writeSwapSize } from './trailer-io.ts';

/** BOOT_STATUS_MOVE_STATE_COUNT, BOOT_STATUS_SWAP_STATE_COUNT (bootutil_area.h). */
const MOVE_STATES = 1;
const SWAP_STATES = 2;

/** find_last_idx (swap_move.c): how many sectors hold swap_size bytes (at least one). */
function findLastIdx(st: LoaderState, swapSize: number): number {
  const sectorSz = firstSectorSize(st.areas.primary);
  let sz = 0;
  let lastIdx = 0;
  for (;;) {
    sz += sectorSz;
    lastIdx++;
    if (sz >= swapSize) return lastIdx;
  }
}

function readStatusBytes(st: LoaderState, _source: StatusSource, bs: BootStatus): void {
  const found = lastWrittenEntry(st, swapMove, st.areas.primary);
  if (found === -1) return;
  const moveEntries = st.config.maxImgSectors * MOVE_STATES;
  if (found < moveEntries) {
    bs.op = 'move';
    bs.idx = Math.floor(found / MOVE_STATES) + 1;
    bs.state = (found % MOVE_STATES) + 1;
  } else {
    bs.op = 'swap';
    bs.idx = Math.floor((found - moveEntries) / SWAP_STATES) + 1;
    bs.state = ((found - moveEntries) % SWAP_STATES) + 1;
  }
}

function statusInternalOff(st: LoaderState, bs: BootStatus, elemSize: number): number {
  const idxSz = elemSize * (bs.op === 'move' ? MOVE_STATES : SWAP_STATES);
  const base = bs.op === 'move' ? 0 : st.config.maxImgSectors * MOVE_STATES * elemSize;
  return base + (bs.idx - 1) * idxSz + (bs.state - 1) * elemSize;
}

/** boot_slots_compatible (swap_move.c): same sector sizes, primary has the same count or one more. */
function slotsCompatible(st: LoaderState): boolean {
  const p = st.areas.primary.sectors;
  const s = st.areas.secondary.sectors;
  if (p.length !== s.length && p.length !== s.length + 1) {
    st.log('W: Cannot upgrade: not a compatible amount of sectors');
    return false;
  }
  if (p.length > st.config.maxImgSectors) {
    st.log('W: Cannot upgrade: more sectors than allowed');
    return false;
  }
  let i = 0;
  for (; i < s.length; i++) {
    if (p[i]!.size !== s[i]!.size) {
      st.log('W: Cannot upgrade: not same sector layout');
      return false;
    }
  }
  if (p.length > s.length && p[i]!.size !== p[i - 1]!.size) {
    st.log('W: Cannot upgrade: not same sector layout');
    return false;
  }
  return true;
}

/**
 * boot_read_image_header (swap_move.c): mid-swap the primary header is one sector up (after the
 * moves) or already in the secondary slot; with a boot status, a header without magic is an error.
 */
function readImageHeader(st: LoaderState, slot: SlotIndex, bs: BootStatus | undefined): HeaderRead {
  let off = 0;
  let s: SlotIndex = slot;
  if (bs && !(bs.op === 'move' && bs.idx === 1 && bs.state === 1)) {
    const lastIdx = findLastIdx(st, readSwapSize(findStatusArea(st, swapMove), st.config.maxAlign));
    const sz = firstSectorSize(st.areas.primary);
    if (bs.op === 'move' && slot === 0 && bs.idx > lastIdx) {
      off = sz;
    } else if (bs.op === 'swap') {
      if (bs.idx > 1 && bs.idx <= lastIdx) {
        s = slot === 0 ? 1 : 0;
      } else if (bs.idx === 1) {
        if (slot === 0) off = sz;
        else if (slot === 1 && bs.state === 2) s = 0;
      }
    }
  }
  const hdr = readHeader(s === 0 ? st.areas.primary : st.areas.secondary, off);
  return { hdr, ok: !bs || hdr.magic === IMAGE_MAGIC };
}

/** boot_move_sector_up: "moves" the primary sector idx − 1 to idx. */
function moveSectorUp(st: LoaderState, idx: number, sz: number, bs: BootStatus): void {
  const pri = st.areas.primary;
  const newOff = pri.sectors[idx]!.offset;
  const oldOff = pri.sectors[idx - 1]!.offset;
  if (bs.idx === 1) {
    if (bs.source !== 'primary') {
      scrambleTrailerSectors(st, swapMove, pri);
      statusInit(st, swapMove, pri, bs);
    }
    scrambleTrailerSectors(st, swapMove, st.areas.secondary);
  }
  eraseRegion(pri, newOff, sz);
  copyRegion(pri, pri, oldOff, newOff, sz);
  writeStatus(st, swapMove, bs);
  bs.idx++;
}

/** boot_swap_sectors (swap_move.c): new sector idx−1 down into primary, old sector idx into secondary. */
function swapSectors(st: LoaderState, idx: number, sz: number, bs: BootStatus): void {
  const { primary: pri, secondary: sec } = st.areas;
  const priUpOff = pri.sectors[idx]!.offset;
  const priOff = pri.sectors[idx - 1]!.offset;
  const secOff = sec.sectors[idx - 1]!.offset;
  swapSectorStep(
    st,
    swapMove,
    bs,
    sz,
    { from: sec, fromOff: secOff, to: pri, toOff: priOff },
    { from: pri, fromOff: priUpOff, to: sec, toOff: secOff },
  );
}

/**
 * fixup_revert: a revert about to start makes the secondary look like a permanent upgrade, so a
 * reset between re-initialising the primary's status and the first status write still resumes.
 */
function fixupRevert(st: LoaderState, bs: BootStatus): void {
  if (bs.swapType !== SwapType.REVERT || bs.op !== 'move' || bs.idx !== 1) return;
  const sec = st.areas.secondary;
  const state = readSwapState(sec, st.config.maxAlign);
  st.log(swapStateLine('Secondary image', state));
  if (state.magic === BootMagic.UNSET) {
    scrambleTrailerSectors(st, swapMove, sec);
    writeImageOk(sec, st.config.maxAlign);
    writeSwapSize(sec, st.config.maxAlign, bs.swapSize);
    writeMagic(sec, st.config.maxAlign);
  }
}

function swapRun(st: LoaderState, bs: BootStatus, copySize: number): void {
  st.log('I: Starting swap using move algorithm.');
  const lastIdx = findLastIdx(st, copySize);
  const sectorSz = firstSectorSize(st.areas.primary);
  if (bs.op === 'move' && bs.idx === 1 && bs.state === 1) {
    const firstTrailer = firstTrailerIdx(
      st.areas.primary.sectors.length,
      sectorSz,
      slotTrailerSize(st, swapMove),
    );
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
  if (bs.op === 'move') {
    for (let idx = lastIdx; idx > 0; idx--) {
      if (idx <= lastIdx - bs.idx + 1) moveSectorUp(st, idx, sectorSz, bs);
    }
    bs.idx = 1;
  }
  bs.op = 'swap';
  for (let idx = 1; idx <= lastIdx; idx++) {
    if (idx >= bs.idx) swapSectors(st, idx, sectorSz, bs);
  }
}

export const swapMove: SwapStrategy = {
  mode: 'swap-move',
  stateCount: MOVE_STATES + SWAP_STATES,
  initialOp: 'move',
  swapOffset: false,
  swapTable: swapTableFor,
  slotsCompatible,
  statusSource: primaryOrNone,
  readStatusBytes,
  statusInternalOff,
  readImageHeader,
  swapRun,
};
