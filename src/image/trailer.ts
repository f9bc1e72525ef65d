// MCUboot image trailer: the metadata block at the end of every slot (and of the scratch area).
// Offsets follow bootutil (bootutil_misc.h, bootutil_area.c); see shared/reference/mcuboot.md §3.

/** Size of the magic itself; the block written for it is `magicBlockSize(maxAlign)` bytes. */
export const BOOT_MAGIC_SZ = 16;

/** Decoded enums, with MCUboot's numeric values (log lines print these, e.g. `copy_done=0x3`). */
export const BootFlag = { SET: 1, BAD: 2, UNSET: 3 } as const;
export type BootFlag = (typeof BootFlag)[keyof typeof BootFlag];

export const BootMagic = { GOOD: 1, BAD: 2, UNSET: 3 } as const;
export type BootMagic = (typeof BootMagic)[keyof typeof BootMagic];

/** Swap type constants as stored in swap_info bits 0–3 and as MCUboot prints them. */
export const SwapType = { NONE: 1, TEST: 2, PERM: 3, REVERT: 4, FAIL: 5, PANIC: 0xff } as const;
export type SwapType = (typeof SwapType)[keyof typeof SwapType];

/** The value written to image_ok / copy_done to mark them set. */
export const FLAG_SET_BYTE = 0x01;

const MAGIC_A8 = [
  0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80,
];
const MAGIC_TAIL_OTHER = [0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a];

export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

export function alignDown(value: number, align: number): number {
  return Math.floor(value / align) * align;
}

function checkMaxAlign(maxAlign: number): void {
  if (!Number.isInteger(maxAlign) || maxAlign < 1 || maxAlign > 0xffff || (maxAlign & (maxAlign - 1)) !== 0) {
    throw new RangeError(`max-align must be a power of two (got ${maxAlign})`);
  }
}

/** The 16 magic bytes for a bootloader built with BOOT_MAX_ALIGN = maxAlign. */
export function bootMagic(maxAlign: number): Uint8Array {
  checkMaxAlign(maxAlign);
  if (maxAlign === 8) return Uint8Array.from(MAGIC_A8);
  const out = new Uint8Array(BOOT_MAGIC_SZ);
  out[0] = maxAlign & 0xff;
  out[1] = (maxAlign >> 8) & 0xff;
  out.set(MAGIC_TAIL_OTHER, 2);
  return out;
}

/** Bytes of the block the magic is written in: align_up(16, A). */
export function magicBlockSize(maxAlign: number): number {
  return alignUp(BOOT_MAGIC_SZ, maxAlign);
}

/** The full magic block as written by boot_write_magic: erased padding in front, magic last. */
export function magicBlock(maxAlign: number, erasedVal = 0xff): Uint8Array {
  const size = magicBlockSize(maxAlign);
  const out = new Uint8Array(size).fill(erasedVal);
  out.set(bootMagic(maxAlign), size - BOOT_MAGIC_SZ);
  return out;
}

export interface TrailerOptions {
  /** Slot (or scratch area) size in bytes. */
  slotSize: number;
  /** BOOT_MAX_ALIGN: alignment of every trailer field (default 8). */
  maxAlign?: number;
  /** Flash write size (write-block-size): size of one status entry. */
  writeSize?: number;
  /** BOOT_MAX_IMG_SECTORS (default 128). */
  maxSectors?: number;
  /** Status entries per sector: 3 for swap-scratch/move, 2 for swap-offset. */
  statesPerSector?: number;
  /** imgtool --overwrite-only reservation: no status area, only magic + image_ok + copy_done. */
  overwriteOnly?: boolean;
  /** Scratch trailer: a single status entry instead of one per sector (boot_scratch_trailer_sz). */
  scratch?: boolean;
}

/** All offsets are from the start of the slot. */
export interface TrailerLayout {
  slotSize: number;
  maxAlign: number;
  writeSize: number;
  /** Offset of the 16 magic bytes (S − 16). */
  magicOff: number;
  /** Offset of the write block holding the magic: ALIGN_DOWN(S − 16, A). */
  magicBlockOff: number;
  magicBlockSize: number;
  imageOkOff: number;
  copyDoneOff: number;
  swapInfoOff: number;
  swapSizeOff: number;
  /** Start of the swap status area; equals trailerStart. */
  statusOff: number;
  statusSize: number;
  /** Size of one status entry (STATE_COUNT · writeSize). */
  statusEntrySize: number;
  statesPerSector: number;
  trailerStart: number;
  trailerSize: number;
}

/** Trailer field offsets exactly as bootutil computes them (no encryption, no swap-offset TLV word). */
export function trailerLayout(opts: TrailerOptions): TrailerLayout {
  const {
    slotSize,
    maxAlign = 8,
    writeSize = 1,
    maxSectors = 128,
    statesPerSector = 3,
    overwriteOnly = false,
    scratch = false,
  } = opts;
  checkMaxAlign(maxAlign);
  if (!Number.isInteger(writeSize) || writeSize < 1 || writeSize > maxAlign) {
    throw new RangeError(`write size ${writeSize} must be between 1 and max-align ${maxAlign}`);
  }
  const magicOff = slotSize - BOOT_MAGIC_SZ;
  const imageOkOff = alignDown(magicOff - maxAlign, maxAlign);
  const copyDoneOff = imageOkOff - maxAlign;
  const swapInfoOff = copyDoneOff - maxAlign;
  const swapSizeOff = swapInfoOff - maxAlign;
  const infoSize = 4 * maxAlign + magicBlockSize(maxAlign);
  const statusEntrySize = statesPerSector * writeSize;
  const statusSize = overwriteOnly ? 0 : (scratch ? 1 : maxSectors) * statusEntrySize;
  // imgtool --overwrite-only reserves only magic + image_ok + copy_done (2·A + align_up(16, A)).
  const trailerSize = overwriteOnly ? 2 * maxAlign + magicBlockSize(maxAlign) : statusSize + infoSize;
  const trailerStart = slotSize - trailerSize;
  if (trailerStart < 0) {
    throw new RangeError(`slot of ${slotSize} bytes is smaller than its ${trailerSize}-byte trailer`);
  }
  return {
    slotSize,
    maxAlign,
    writeSize,
    magicOff,
    magicBlockOff: alignDown(magicOff, maxAlign),
    magicBlockSize: magicBlockSize(maxAlign),
    imageOkOff,
    copyDoneOff,
    swapInfoOff,
    swapSizeOff,
    statusOff: trailerStart,
    statusSize,
    statusEntrySize,
    statesPerSector,
    trailerStart,
    trailerSize,
  };
}

/** image_ok / copy_done byte → SET (0x01), UNSET (erased), or BAD (anything else). */
export function decodeFlag(byte: number, erasedVal = 0xff): BootFlag {
  if (byte === erasedVal) return BootFlag.UNSET;
  return byte === FLAG_SET_BYTE ? BootFlag.SET : BootFlag.BAD;
}

/** 16 magic bytes → GOOD (exact match), UNSET (all erased), or BAD. */
export function decodeMagic(bytes: Uint8Array, maxAlign = 8, erasedVal = 0xff): BootMagic {
  if (bytes.length !== BOOT_MAGIC_SZ) {
    throw new RangeError(`magic must be ${BOOT_MAGIC_SZ} bytes (got ${bytes.length})`);
  }
  if (bytes.every((b) => b === erasedVal)) return BootMagic.UNSET;
  const good = bootMagic(maxAlign);
  return bytes.every((b, i) => b === good[i]) ? BootMagic.GOOD : BootMagic.BAD;
}

export interface SwapInfo {
  swapType: SwapType;
  imageNum: number;
}

/** swap_info byte = (image_index << 4) | swap_type. */
export function encodeSwapInfo(swapType: SwapType, imageNum = 0): number {
  if (!Number.isInteger(imageNum) || imageNum < 0 || imageNum > 0xf) {
    throw new RangeError(`image number ${imageNum} does not fit in swap_info's 4 bits`);
  }
  if (swapType < SwapType.NONE || swapType > SwapType.REVERT) {
    throw new RangeError(`swap type 0x${swapType.toString(16)} cannot be stored in swap_info`);
  }
  return ((imageNum << 4) | swapType) & 0xff;
}

/** Erased, or a type above REVERT, reads as NONE with image 0 (boot_read_swap_state). */
export function decodeSwapInfo(byte: number, erasedVal = 0xff): SwapInfo {
  const swapType = byte & 0x0f;
  if (byte === erasedVal || swapType > SwapType.REVERT || swapType < SwapType.NONE) {
    return { swapType: SwapType.NONE, imageNum: 0 };
  }
  return { swapType: swapType as SwapType, imageNum: (byte >> 4) & 0x0f };
}

/** Lower-case names MCUboot uses in its log lines ("magic=good"). */
export function magicName(m: BootMagic): string {
  return m === BootMagic.GOOD ? 'good' : m === BootMagic.UNSET ? 'unset' : 'bad';
}

export function swapTypeName(t: SwapType): string {
  switch (t) {
    case SwapType.NONE:
      return 'none';
    case SwapType.TEST:
      return 'test';
    case SwapType.PERM:
      return 'perm';
    case SwapType.REVERT:
      return 'revert';
    case SwapType.FAIL:
      return 'fail';
    default:
      return 'panic';
  }
}
