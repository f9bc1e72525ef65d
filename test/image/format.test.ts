import { describe, expect, it } from 'vitest';
import {
  formatVersion,
  IMAGE_MAGIC,
  ImageFlag,
  ImageFormatError,
  parseImage,
  parseVersion,
  signImage,
  TlvType,
} from '../../src/image/index.ts';
import { appBinary } from './helpers.ts';

function formatError(fn: () => unknown): ImageFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ImageFormatError) return e;
    throw e;
  }
  throw new Error('expected an ImageFormatError');
}

describe('parseImage', () => {
  it('reads back every header field and TLV that signImage wrote', async () => {
    const bin = appBinary(0x200, 3000);
    const img = await signImage(bin, {
      headerSize: 0x200,
      slotSize: 0x10000,
      version: '3.4.513+70000',
      securityCounter: 7,
      loadAddr: 0x20000000,
      dependencies: [{ imageId: 1, version: '1.2.3+4' }],
    });
    const p = parseImage(img);
    expect(p.header).toEqual({
      magic: IMAGE_MAGIC,
      loadAddr: 0x20000000,
      hdrSize: 0x200,
      protectTlvSize: 4 + 8 + 16,
      imgSize: 3000,
      flags: ImageFlag.RAM_LOAD,
      version: { major: 3, minor: 4, revision: 513, build: 70000 },
    });
    expect(p.protectedTlvs.map((t) => t.type)).toEqual([TlvType.SEC_CNT, TlvType.DEPENDENCY]);
    expect(p.protectedTlvs[0]!.data).toEqual(Uint8Array.of(7, 0, 0, 0));
    expect(p.protectedTlvs[1]!.data).toEqual(Uint8Array.of(1, 0, 0, 0, 1, 2, 3, 0, 4, 0, 0, 0));
    expect(p.tlvs.map((t) => t.type)).toEqual([TlvType.SHA256]);
    expect(p.hashedLength).toBe(0x200 + 3000 + 28);
    expect(p.unprotectedOffset).toBe(p.hashedLength);
    expect(p.totalLength).toBe(img.length);
    expect(p.totalLength).toBe(p.hashedLength + 4 + 4 + 32);
    expect(p.sha256Hash).toEqual(p.tlvs[0]!.data);
    expect(p.hashTlv?.algorithm).toBe('sha256');
    // Body is the input after the header, untouched.
    expect(img.subarray(0x200, 0x200 + 3000)).toEqual(bin.subarray(0x200));
  });

  it('ignores slot padding after the TLVs', async () => {
    const img = await signImage(appBinary(32, 100), {
      headerSize: 32,
      slotSize: 4096,
      version: '1',
      pad: true,
    });
    const p = parseImage(img);
    expect(img.length).toBe(4096);
    expect(p.totalLength).toBeLessThan(4096);
  });

  it('names the numbers when the file is truncated', async () => {
    const img = await signImage(appBinary(0x200, 12000), {
      headerSize: 0x200,
      slotSize: 0x10000,
      version: '1',
    });
    const e = formatError(() => parseImage(img.subarray(0, 9000)));
    expect(e.reason).toBe('truncated');
    expect(e.message).toBe(`image is truncated: header+body need ${0x200 + 12000} bytes, file has 9000`);
    const e2 = formatError(() => parseImage(img.subarray(0, img.length - 3)));
    expect(e2.reason).toBe('truncated');
    expect(formatError(() => parseImage(img.subarray(0, 20))).reason).toBe('truncated');
  });

  it('rejects a bad magic, an erased area and a too-small header size', () => {
    const e = formatError(() => parseImage(new Uint8Array(64)));
    expect(e.reason).toBe('magic');
    expect(e.message).toContain('0x00000000');
    expect(formatError(() => parseImage(new Uint8Array(64).fill(0xff))).message).toContain('erased');
    const hdr = new Uint8Array(64);
    new DataView(hdr.buffer).setUint32(0, IMAGE_MAGIC, true);
    new DataView(hdr.buffer).setUint16(8, 16, true);
    expect(formatError(() => parseImage(hdr)).reason).toBe('header');
  });

  it('rejects a wrong TLV info magic and a protected size mismatch', async () => {
    const img = await signImage(appBinary(32, 64), { headerSize: 32, slotSize: 4096, version: '1' });
    const badInfo = img.slice();
    badInfo[32 + 64] = 0x00;
    expect(formatError(() => parseImage(badInfo)).reason).toBe('tlv');
    const badProt = img.slice();
    badProt[10] = 12; // header claims a protected area that is not there
    expect(formatError(() => parseImage(badProt)).reason).toBe('size');
  });

  it('rejects a TLV that runs past its area', async () => {
    const img = await signImage(appBinary(32, 64), { headerSize: 32, slotSize: 4096, version: '1' });
    const bad = img.slice();
    const lenOff = 32 + 64 + 4 + 2;
    new DataView(bad.buffer).setUint16(lenOff, 200, true);
    const e = formatError(() => parseImage(bad));
    expect(e.reason).toBe('tlv');
    expect(e.message).toContain('SHA256');
  });
});

describe('versions', () => {
  it('parses imgtool version strings with missing parts as 0', () => {
    expect(parseVersion('1.2.3+4')).toEqual({ major: 1, minor: 2, revision: 3, build: 4 });
    expect(parseVersion('2')).toEqual({ major: 2, minor: 0, revision: 0, build: 0 });
    expect(parseVersion('0.0.0+0')).toEqual({ major: 0, minor: 0, revision: 0, build: 0 });
  });

  it('rejects malformed or out-of-range versions', () => {
    for (const bad of ['', '1.2.3.4', '01.2', '1.2+3', 'a', '256.0.0', '1.2.65536']) {
      expect(() => parseVersion(bad), bad).toThrow(RangeError);
    }
  });

  it('formats mcumgr style (build only when non-zero) and imgtool style', () => {
    expect(formatVersion({ major: 1, minor: 2, revision: 3, build: 0 })).toBe('1.2.3');
    expect(formatVersion({ major: 1, minor: 2, revision: 3, build: 4 })).toBe('1.2.3.4');
    expect(formatVersion({ major: 1, minor: 2, revision: 3, build: 0 }, 'imgtool')).toBe('1.2.3+0');
    expect(formatVersion({ major: 1, minor: 2, revision: 3, build: 4 }, 'imgtool')).toBe('1.2.3+4');
  });
});
