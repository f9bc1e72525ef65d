import { describe, expect, it } from 'vitest';
import {
  APP_MARKER,
  extractAppCode,
  FirmwareImageError,
  ROM_START_OFFSET,
  toZephyrBin,
} from '../../src/device/firmware/app-image.ts';

const APP = `${APP_MARKER}var __zephyr_app={main(){return 0}};`;
const HEADER_SIZE = 0x200;

function slotWith(body: Uint8Array, headerSize: number, slotSize = 0x2000): Uint8Array {
  const slot = new Uint8Array(slotSize).fill(0xff);
  slot.fill(0x3d, 0, headerSize); // stands in for the image header
  slot.set(body, headerSize);
  return slot;
}

describe('extractAppCode', () => {
  it('reads the app when the header was written over the ROM_START_OFFSET zeros', () => {
    const code = new TextEncoder().encode(APP);
    const slot = slotWith(code, ROM_START_OFFSET);
    expect(extractAppCode(slot, ROM_START_OFFSET, code.length)).toBe(APP);
  });

  it('reads the app when the header was put in front of the whole zephyr.bin', () => {
    const bin = toZephyrBin(APP);
    const slot = slotWith(bin, HEADER_SIZE);
    expect(extractAppCode(slot, HEADER_SIZE, bin.length)).toBe(APP);
  });

  it('rejects a body that is not one of our apps, naming the first bytes', () => {
    const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0x7f);
    const slot = slotWith(garbage, HEADER_SIZE);
    const attempt = () => extractAppCode(slot, HEADER_SIZE, garbage.length);
    expect(attempt).toThrow(FirmwareImageError);
    expect(attempt).toThrow(/app marker .*first bytes: 0b 30/);
  });

  it('rejects bytes that are not UTF-8', () => {
    const body = Uint8Array.of(0xc3, 0x28, 0xff, 0xfe);
    expect(() => extractAppCode(slotWith(body, HEADER_SIZE), HEADER_SIZE, body.length)).toThrow(/not UTF-8/);
  });

  it('rejects an image larger than the slot and carries the numbers', () => {
    const slot = new Uint8Array(0x1000);
    try {
      extractAppCode(slot, HEADER_SIZE, 0x1000);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(FirmwareImageError);
      const imageError = error as FirmwareImageError;
      expect(imageError.message).toMatch(/do not fit in the 4096-byte slot/);
      expect([imageError.headerSize, imageError.imgSize, imageError.slotSize]).toEqual([
        0x200, 0x1000, 0x1000,
      ]);
    }
  });

  it('rejects an all-zero (empty) body', () => {
    const slot = new Uint8Array(0x400);
    expect(() => extractAppCode(slot, HEADER_SIZE, 0x100)).toThrow(/app marker .*first bytes: none/);
  });
});
