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

export function writeSwapSize(area: FlashArea, maxAlign: number, swapSize: number): void {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, swapSize >>> 0, true);
  writeField(area, lay.swapSizeOff, v, maxAlign);
}

export function readSwapSize(area: FlashArea, maxAlign: number): number {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  const b = area.read(lay.swapSizeOff, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

/** The raw swap_info type nibble, as swap_read_status uses it (erased → NONE). */
export function readRawSwapType(area: FlashArea, maxAlign: number): SwapType {
  const lay = trailerLayout({ slotSize: area.size, maxAlign });
  const b = area.read(lay.swapInfoOff, 1)[0]!;
  return decodeSwapInfo(b, area.eraseValue).swapType;
}
