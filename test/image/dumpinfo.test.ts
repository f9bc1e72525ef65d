import { describe, expect, it } from 'vitest';
import { dumpInfo, formatDumpInfo, ImageFormatError, signImage, TlvType } from '../../src/image/index.ts';
import { appBinary, testKey } from './helpers.ts';

describe('dumpinfo', () => {
  it("reports header, protected and unprotected TLVs and the trailer in imgtool's structure", async () => {
    const key = await testKey('ed25519');
    const bytes = await signImage(appBinary(0x200, 3000), {
      key,
      headerSize: 0x200,
      slotSize: 0x8000,
      version: '1.2.3+4',
      securityCounter: 'auto',
      dependencies: [{ imageId: 1, version: '2.0.0' }],
      confirm: true,
      loadAddr: 0x20000000,
    });
    const info = dumpInfo(bytes, 'app.bin');
    expect(info.header).toEqual({
      magic: 0x96f3b83d,
      load_addr: 0x20000000,
      hdr_size: 0x200,
      protected_tlv_size: 4 + 8 + 16,
      img_size: 3000,
      flags: 0x20,
      version: '1.2.3+4',
    });
    expect(info.tlv_area.tlv_hdr_prot).toEqual({ magic: 0x6908, tlv_tot: 28 });
    expect(info.tlv_area.tlvs_prot.map((t) => t.type_name)).toEqual(['SEC_CNT', 'DEPENDENCY']);
    expect(info.tlv_area.tlvs_prot[0]!.data).toBe('03000201');
    expect(info.tlv_area.tlvs.map((t) => [t.type, t.type_name, t.len])).toEqual([
      [TlvType.SHA256, 'SHA256', 32],
      [TlvType.KEYHASH, 'KEYHASH', 32],
      [TlvType.ED25519, 'ED25519', 64],
    ]);
    expect(info.trailer).toEqual({
      magic: '77c295f360d2ef7f3552500f2cb67980',
      image_ok: 1,
      copy_done: 0xff,
      swap_info: 0xff,
      swap_size: 0xffffffff,
    });
    expect(info.decoded.flags).toEqual(['RAM_LOAD']);
    expect(info.decoded.tlvs[0]!.meaning).toBe('security counter 16908291');
    expect(info.decoded.tlvs[1]!.meaning).toBe('needs image 1 at version 2.0.0+0 or newer');
    expect(info.decoded.trailer).toMatchObject({
      magic: 'good',
      maxAlign: 8,
      imageOk: 'set (0x1)',
      copyDone: 'unset (0xff)',
    });
    const text = formatDumpInfo(info);
    expect(text).toContain('#### Image header (offset: 0x0) ');
    expect(text).toContain('flags:              0x20 (RAM_LOAD)');
    expect(text).toContain('type: DEPENDENCY (0x40)');
    expect(text).toContain('image_ok:    set (0x1)');
    expect(text).toContain('boot magic:  good (max-align 8)');
  });

  it('has no trailer for an unpadded image and reads max-align 16 magic', async () => {
    const plain = await signImage(appBinary(0x100, 100), {
      headerSize: 0x100,
      slotSize: 0x8000,
      version: '1',
    });
    expect(dumpInfo(plain, 'x').trailer).toEqual({});
    expect(formatDumpInfo(dumpInfo(plain, 'x'))).toContain('No trailer');
    const a16 = await signImage(appBinary(0x100, 100), {
      headerSize: 0x100,
      slotSize: 0x8000,
      version: '1',
      align: 16,
      confirm: true,
    });
    const info = dumpInfo(a16, 'x');
    expect(info.decoded.trailer?.maxAlign).toBe(16);
    expect(info.trailer.image_ok).toBe(1);
  });

  it('throws ImageFormatError for truncated or foreign files', async () => {
    const plain = await signImage(appBinary(0x100, 100), {
      headerSize: 0x100,
      slotSize: 0x8000,
      version: '1',
    });
    expect(() => dumpInfo(plain.subarray(0, 300), 'x')).toThrow(ImageFormatError);
    expect(() => dumpInfo(new Uint8Array(64), 'x')).toThrow('magic');
  });
});
