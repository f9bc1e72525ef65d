// Reading and writing trailer fields on a flash area, the way bootutil does it
// (boot_read_swap_state, boot_write_magic, boot_write_trailer).
import {
  BOOT_MAGIC_SZ,
  type BootFlag,
  type BootMagic,
  decodeFlag,
  decodeMagic,
  decodeSwapInfo,
  encodeSwapInfo,
  FLAG_SET_BYTE,
  magicBlock,
  type SwapType,
  type TrailerLayout,
  trailerLayout,
} from '../../image/trailer.ts';
import type { FlashArea } from '../flash.ts';

export interface SwapState {
  magic: BootMagic;
  swapType: SwapType;
  imageNum: number;
  copyDone: BootFlag;
  imageOk: BootFlag;
}

export function readSwapState(area: FlashArea, maxAlign: number): SwapState {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  const erased = area.eraseValue;
  const magic = decodeMagic(area.read(lay.magicOff, BOOT_MAGIC_SZ), maxAlign, erased);
  const info = decodeSwapInfo(area.read(lay.swapInfoOff, 1)[0]!, erased);
  const copyDone = decodeFlag(area.read(lay.copyDoneOff, 1)[0]!, erased);
  const imageOk = decodeFlag(area.read(lay.imageOkOff, 1)[0]!, erased);
  return { magic, swapType: info.swapType, imageNum: info.imageNum, copyDone, imageOk };
}

/** boot_write_trailer: the value padded with erased bytes to the area's write alignment. */
function writeField(area: FlashArea, off: number, value: Uint8Array, maxAlign: number): void {
  const len = Math.ceil(value.length / area.align) * area.align;
  if (len > maxAlign) throw new RangeError(`trailer field of ${len} bytes exceeds max-align ${maxAlign}`);
  const buf = new Uint8Array(len).fill(area.eraseValue);
  buf.set(value);
  area.write(off, buf);
}

export function writeMagic(area: FlashArea, maxAlign: number): void {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  area.write(lay.magicBlockOff, magicBlock(maxAlign, area.eraseValue));
}

export function writeImageOk(area: FlashArea, maxAlign: number): void {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  writeField(area, lay.imageOkOff, Uint8Array.of(FLAG_SET_BYTE), maxAlign);
}

export function writeCopyDone(area: FlashArea, maxAlign: number): void {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  writeField(area, lay.copyDoneOff, Uint8Array.of(FLAG_SET_BYTE), maxAlign);
}

export function writeSwapInfo(area: FlashArea, maxAlign: number, swapType: SwapType, imageNum = 0): void {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  writeField(area, lay.swapInfoOff, Uint8Array.of(encodeSwapInfo(swapType, imageNum)), maxAlign);
}

/**
 * swap_size sits one max-align word below swap_info; with swap-using-offset the word in between
 * holds the unprotected TLV sizes (boot_swap_size_off, bootutil_misc.h).
 */
function swapSizeOff(area: FlashArea, maxAlign: number, swapOffset: boolean): number {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  return swapOffset ? lay.swapInfoOff - 2 * maxAlign : lay.swapSizeOff;
}

export function writeSwapSize(area: FlashArea, maxAlign: number, swapSize: number, swapOffset = false): void {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, swapSize >>> 0, true);
  writeField(area, swapSizeOff(area, maxAlign, swapOffset), v, maxAlign);
}

export function readSwapSize(area: FlashArea, maxAlign: number, swapOffset = false): number {
  const b = area.read(swapSizeOff(area, maxAlign, swapOffset), 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

/** boot_write_unprotected_tlv_sizes (swap-using-offset): primary in the low half, secondary high. */
export function writeTlvSizes(area: FlashArea, maxAlign: number, primary: number, secondary: number): void {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, ((secondary & 0xffff) << 16) | (primary & 0xffff), true);
  writeField(area, lay.swapInfoOff - maxAlign, v, maxAlign);
}

export function readTlvSizes(area: FlashArea, maxAlign: number): { primary: number; secondary: number } {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  const b = area.read(lay.swapInfoOff - maxAlign, 4);
  const v = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  return { primary: v & 0xffff, secondary: v >>> 16 };
}

/** How a bootloader build sizes its trailers (boot_trailer_sz, boot_status_sz in bootutil_area.c). */
export interface TrailerGeometry {
  maxAlign: number;
  /** Size of one status entry: BOOT_WRITE_SZ, or the area's own write size for boot_status_off. */
  writeSize: number;
  /** BOOT_MAX_IMG_SECTORS = BOOT_STATUS_MAX_ENTRIES. */
  maxSectors: number;
  /** BOOT_STATUS_STATE_COUNT: 3 for scratch and move (1 + 2), 2 for offset. */
  stateCount: number;
  /** MCUBOOT_SWAP_USING_OFFSET: boot_trailer_info_sz has one more max-align word (TLV sizes). */
  swapOffset: boolean;
  /** boot_scratch_trailer_sz: a single status entry. */
  scratch?: boolean;
}

export function bootTrailer(slotSize: number, g: TrailerGeometry): TrailerLayout {
  const lay = trailerLayout({
    slotSize,
    maxAlign: g.maxAlign,
    writeSize: g.writeSize,
    maxSectors: g.maxSectors,
    statesPerSector: g.stateCount,
    scratch: g.scratch ?? false,
  });
  if (!g.swapOffset) return lay;
  const trailerSize = lay.trailerSize + g.maxAlign;
  const trailerStart = slotSize - trailerSize;
  if (trailerStart < 0) {
    throw new RangeError(`slot of ${slotSize} bytes is smaller than its ${trailerSize}-byte trailer`);
  }
  return {
    ...lay,
    swapSizeOff: lay.swapInfoOff - 2 * g.maxAlign,
    trailerSize,
    trailerStart,
    statusOff: trailerStart,
  };
}

/** The raw swap_info type nibble, as swap_read_status uses it (erased → NONE). */
export function readRawSwapType(area: FlashArea, maxAlign: number): SwapType {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  const b = area.read(lay.swapInfoOff, 1)[0]!;
  return decodeSwapInfo(b, area.eraseValue).swapType;
}
