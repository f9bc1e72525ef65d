import { describe, expect, it } from 'vitest';
import {
  buildSignedImage,
  formatIntelHex,
  IntelHexError,
  parseIntelHex,
  signedImageHexSegments,
} from '../../src/image/index.ts';
import { appBinary } from './helpers.ts';

// Output of Python intelhex 2.3 (imgtool's HEX writer) for the same data, taken once with
// IntelHex.frombytes/puts + tofile(..., 'hex').
const INTELHEX_ACROSS_64K = [
  ':020000040000FA',
  ':08FFF8000001020304050607E5',
  ':020000040001F9',
  ':1000000008090A0B0C0D0E0F1011121314151617F8',
  ':1000100018191A1B1C1D1E1F2021222324252627E8',
  ':020000040002F8',
  ':03000000010203F7',
  ':00000001FF',
  '',
].join('\n');
const INTELHEX_LOW = [
  ':10000800000102030405060708090A0B0C0D0E0F70',
  ':04001800101112139E',
  ':00000001FF',
  '',
].join('\n');

const counting = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

describe('Intel HEX', () => {
  it('writes the records Python intelhex writes (16-byte rows, ELA only above 64 KiB)', () => {
    expect(
      formatIntelHex([
        [0xfff8, counting(40)],
        [0x20000, Uint8Array.of(1, 2, 3)],
      ]),
    ).toBe(INTELHEX_ACROSS_64K);
    expect(formatIntelHex([[8, counting(20)]])).toBe(INTELHEX_LOW);
  });

  it('lets later segments win where they overlap', () => {
    const text = formatIntelHex([
      [0x100, new Uint8Array(4).fill(0xaa)],
      [0x102, Uint8Array.of(1, 2, 3)],
    ]);
    expect(text).toBe(':05010000AAAA010203A0\n:00000001FF\n');
  });

  it('reads HEX back as one block from its lowest address, gaps 0xff', () => {
    const { base, data } = parseIntelHex(INTELHEX_ACROSS_64K);
    expect(base).toBe(0xfff8);
    expect(data.length).toBe(0x20003 - 0xfff8);
    expect(data.subarray(0, 40)).toEqual(counting(40));
    expect(data[41]).toBe(0xff);
    expect(data.subarray(data.length - 3)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('says when the text is not Intel HEX', () => {
    expect(() => parseIntelHex('hello')).toThrow(IntelHexError);
    expect(() => parseIntelHex(':00000001FF\n')).toThrow('no data');
  });

  it('places only the image, image_ok block and magic when padding (imgtool save)', async () => {
    const signed = await buildSignedImage(appBinary(0x100, 1000), {
      headerSize: 0x100,
      slotSize: 0x10000,
      version: '1.0.0',
      confirm: true,
    });
    const segs = signedImageHexSegments(signed, 0x8000000);
    expect(segs.map(([a, b]) => [a, b.length])).toEqual([
      [0x8000000, signed.image.length],
      [0x8000000 + 0x10000 - 24, 8],
      [0x8000000 + 0x10000 - 16, 16],
    ]);
    expect(segs[1]![1]).toEqual(Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    const back = parseIntelHex(formatIntelHex(segs));
    expect(back.base).toBe(0x8000000);
    expect(back.data.subarray(0, signed.image.length)).toEqual(signed.image);
    expect(back.data.length).toBe(0x10000);
  });
});
