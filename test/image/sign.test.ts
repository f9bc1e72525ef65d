import { decode as cborDecode } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import {
  bootMagic,
  digest,
  imgtoolTrailerSize,
  loadSigningKey,
  parseDependencies,
  parseImage,
  publicKeyBytes,
  SignError,
  signImage,
  TlvType,
  trailerLayout,
  verifyImage,
} from '../../src/image/index.ts';
import { appBinary, SIGNING_TYPES, testKey } from './helpers.ts';

const HDR = 0x200;
const SLOT = 0x20000;

async function signError(p: Promise<unknown>): Promise<SignError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SignError) return e;
    throw e;
  }
  throw new Error('expected a SignError');
}

describe('signImage → verifyImage for every key type', () => {
  const expectedTlv = {
    'rsa-2048': [TlvType.RSA2048_PSS, 256],
    'rsa-3072': [TlvType.RSA3072_PSS, 384],
    'ecdsa-p256': [TlvType.ECDSA_SIG, 0],
    'ecdsa-p384': [TlvType.ECDSA_SIG, 0],
    ed25519: [TlvType.ED25519, 64],
  } as const;

  for (const type of SIGNING_TYPES) {
    it(`${type}: signs, verifies, and the KEYHASH is the hash of the embedded public key`, async () => {
      const key = await testKey(type);
      const img = await signImage(appBinary(HDR, 5000), {
        key,
        headerSize: HDR,
        slotSize: SLOT,
        version: '1.0.0',
      });
      const p = parseImage(img);
      const hashAlg = type === 'ecdsa-p384' ? 'sha384' : 'sha256';
      expect(p.tlvs.map((t) => t.type)).toEqual([
        hashAlg === 'sha384' ? TlvType.SHA384 : TlvType.SHA256,
        TlvType.KEYHASH,
        expectedTlv[type][0],
      ]);
      expect(p.tlvs[1]!.data).toEqual(await digest(hashAlg, publicKeyBytes(key)));
      const sig = p.tlvs[2]!.data;
      if (expectedTlv[type][1]) expect(sig.length).toBe(expectedTlv[type][1]);
      else expect(sig[0]).toBe(0x30); // DER SEQUENCE, not WebCrypto's raw r||s
      const r = await verifyImage(img, { keys: [key.publicKey] });
      expect(r.ok, r.message).toBe(true);
      expect(r.keyType).toBe(type);
      expect(r.digest).toEqual(p.hashTlv!.data);
    });
  }

  it('ed25519 with sha 512 writes a SHA512 TLV and signs that digest', async () => {
    const key = await testKey('ed25519');
    const img = await signImage(appBinary(HDR, 100), {
      key,
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
      sha: 512,
    });
    expect(parseImage(img).tlvs.map((t) => t.type)).toEqual([
      TlvType.SHA512,
      TlvType.KEYHASH,
      TlvType.ED25519,
    ]);
    expect((await verifyImage(img, { keys: [key.publicKey] })).ok).toBe(true);
  });

  it('refuses a hash the key type does not allow', async () => {
    const key = await testKey('rsa-2048');
    const e = await signError(
      signImage(appBinary(HDR, 10), { key, headerSize: HDR, slotSize: SLOT, version: '1', sha: 384 }),
    );
    expect(e.message).toContain('SHA-384');
  });

  it('publicKeyFormat full embeds the key bytes as PUBKEY', async () => {
    const key = await testKey('ecdsa-p256');
    const img = await signImage(appBinary(HDR, 10), {
      key,
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
      publicKeyFormat: 'full',
    });
    const tlv = parseImage(img).tlvs[1]!;
    expect(tlv.type).toBe(TlvType.PUBKEY);
    expect(tlv.data).toEqual(publicKeyBytes(key));
  });
});

describe('signImage with the committed development key', () => {
  it('KEYHASH is SHA-256 of the PKCS#1 RSAPublicKey DER', async () => {
    const { readFileSync } = await import('node:fs');
    const key = await loadSigningKey(
      readFileSync(new URL('../../keys/dev-rsa-2048.pem', import.meta.url), 'utf8'),
    );
    expect(key.type).toBe('rsa-2048');
    const pkcs1 = publicKeyBytes(key);
    expect(pkcs1.subarray(0, 4)).toEqual(Uint8Array.of(0x30, 0x82, 0x01, 0x0a)); // RSAPublicKey, 270 bytes
    expect(pkcs1.length).toBe(270);
    const img = await signImage(appBinary(HDR, 64), {
      key,
      headerSize: HDR,
      slotSize: SLOT,
      version: '1.0.0',
    });
    const keyhash = parseImage(img).tlvs.find((t) => t.type === TlvType.KEYHASH)!;
    expect(keyhash.data).toEqual(await digest('sha256', pkcs1));
  });
});

describe('hash-only images', () => {
  it('carry only the SHA256 TLV, which covers header, body and protected TLVs', async () => {
    const bin = appBinary(HDR, 777);
    const img = await signImage(bin, {
      headerSize: HDR,
      slotSize: SLOT,
      version: '0.0.0+0',
      securityCounter: 'auto',
    });
    const p = parseImage(img);
    expect(p.tlvs.map((t) => t.type)).toEqual([TlvType.SHA256]);
    expect(p.sha256Hash).toEqual(await digest('sha256', img.subarray(0, p.hashedLength)));
    expect((await verifyImage(img)).ok).toBe(true);
  });

  it('are reported as unsigned when keys are given', async () => {
    const key = await testKey('rsa-2048');
    const img = await signImage(appBinary(HDR, 10), { headerSize: HDR, slotSize: SLOT, version: '1' });
    const r = await verifyImage(img, { keys: [key.publicKey] });
    expect(r.failure).toBe('signature');
    expect(r.message).toContain('no signature found');
  });
});

describe('header handling', () => {
  it('refuses input that does not start with header-size zeros, naming the byte', async () => {
    const bin = appBinary(HDR, 100);
    bin[5] = 0x42;
    const e = await signError(signImage(bin, { headerSize: HDR, slotSize: SLOT, version: '1' }));
    expect(e.message).toContain('header padding was not requested');
    expect(e.message).toContain('byte 5 is 0x42');
  });

  it('padHeader prepends erased bytes that stay in the hashed header padding', async () => {
    const body = appBinary(0, 100);
    const img = await signImage(body, { headerSize: 64, padHeader: true, slotSize: SLOT, version: '1' });
    expect(img.subarray(32, 64)).toEqual(new Uint8Array(32).fill(0xff));
    expect(img.subarray(64, 164)).toEqual(body);
    expect(parseImage(img).header.imgSize).toBe(100);
    const zeroed = await signImage(body, {
      headerSize: 64,
      padHeader: true,
      erasedVal: 0,
      slotSize: SLOT,
      version: '1',
    });
    expect(zeroed.subarray(32, 64)).toEqual(new Uint8Array(32));
  });

  it('rejects a header size below 32', async () => {
    await signError(signImage(appBinary(16, 10), { headerSize: 16, slotSize: SLOT, version: '1' }));
  });

  it('sets ROM_FIXED and the load address for romFixed', async () => {
    const img = await signImage(appBinary(HDR, 10), {
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
      romFixed: 0x8020000,
    });
    expect(parseImage(img).header).toMatchObject({ loadAddr: 0x8020000, flags: 0x100 });
  });
});

describe('protected TLVs', () => {
  it('security counter auto = (major << 24) + (minor << 16) + revision', async () => {
    const img = await signImage(appBinary(HDR, 10), {
      headerSize: HDR,
      slotSize: SLOT,
      version: '2.3.4+5',
      securityCounter: 'auto',
    });
    const sec = parseImage(img).protectedTlvs[0]!;
    expect(sec.type).toBe(TlvType.SEC_CNT);
    expect(new DataView(sec.data.buffer).getUint32(0, true)).toBe((2 << 24) + (3 << 16) + 4);
  });

  it('orders SEC_CNT, BOOT_RECORD, DEPENDENCY and encodes the boot record as imgtool does', async () => {
    const key = await testKey('rsa-2048');
    const img = await signImage(appBinary(HDR, 10), {
      key,
      headerSize: HDR,
      slotSize: SLOT,
      version: '1.2.3+9',
      securityCounter: 1,
      bootRecord: 'blinky',
      dependencies: parseDependencies('(1, 1.2.3+0), (2, 0.1.0)'),
    });
    const p = parseImage(img);
    expect(p.protectedTlvs.map((t) => t.type)).toEqual([
      TlvType.SEC_CNT,
      TlvType.BOOT_RECORD,
      TlvType.DEPENDENCY,
      TlvType.DEPENDENCY,
    ]);
    const rec = p.protectedTlvs[1]!.data;
    expect(rec[0]).toBe(0xa5); // map of 5, keys in imgtool's order 1, 4, 5, 6, 2
    expect([rec[1], rec[2]]).toEqual([0x01, 0x66]);
    const decoded = cborDecode(rec) as Record<number, unknown>;
    expect(decoded[1]).toBe('blinky');
    expect(decoded[4]).toBe('1.2.3');
    expect(new Uint8Array(decoded[5] as Uint8Array)).toEqual(await digest('sha256', publicKeyBytes(key)));
    expect(decoded[6]).toBe('SHA256');
    expect(new Uint8Array(decoded[2] as Uint8Array)).toEqual(new Uint8Array(32));
    expect(p.protectedTlvs[3]!.data).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0));
    expect((await verifyImage(img, { keys: [key.publicKey] })).ok).toBe(true);
  });

  it('rejects a boot record type longer than 12 characters', async () => {
    const e = await signError(
      signImage(appBinary(HDR, 10), {
        headerSize: HDR,
        slotSize: SLOT,
        version: '1',
        bootRecord: 'x'.repeat(13),
      }),
    );
    expect(e.message).toContain('13 characters');
  });
});

describe('slot size and trailer', () => {
  it('imgtool trailer reservation matches the examples and trailer.ts', () => {
    const t = (align: number, maxAlign: number, overwriteOnly = false) =>
      imgtoolTrailerSize({ align, maxAlign, maxSectors: 128, overwriteOnly });
    expect([t(1, 8), t(2, 8), t(4, 8), t(8, 8), t(16, 16), t(32, 32)]).toEqual([
      432, 816, 1584, 3120, 6224, 12448,
    ]);
    expect(t(1, 8, true)).toBe(32);
    for (const [align, maxAlign] of [
      [1, 8],
      [4, 8],
      [16, 16],
      [32, 32],
    ] as const) {
      for (const overwriteOnly of [false, true]) {
        const layout = trailerLayout({ slotSize: SLOT, maxAlign, writeSize: align, overwriteOnly });
        expect(layout.trailerSize).toBe(t(align, maxAlign, overwriteOnly));
      }
    }
  });

  it('rejects image + TLVs + trailer larger than the slot, naming both sizes', async () => {
    const slotSize = 8192;
    const bin = appBinary(HDR, 8192 - HDR - 432 - 40 + 1); // one byte too many with the 40-byte hash TLV area
    const e = await signError(signImage(bin, { headerSize: HDR, slotSize, version: '1' }));
    expect(e.message).toContain(`image with TLVs is ${slotSize - 432 + 1} bytes`);
    expect(e.message).toContain('432-byte trailer');
    expect(e.message).toContain(`slot is ${slotSize} bytes`);
    const fits = await signImage(bin.subarray(0, bin.length - 1), {
      headerSize: HDR,
      slotSize,
      version: '1',
    });
    expect(fits.length).toBe(slotSize - 432);
  });

  it('--pad: slot-sized output, erased fill, magic at S−16, image_ok left erased', async () => {
    const img = await signImage(appBinary(HDR, 100), {
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
      pad: true,
    });
    expect(img.length).toBe(SLOT);
    const end = parseImage(img).totalLength;
    expect(img.subarray(end, SLOT - 16).every((b) => b === 0xff)).toBe(true);
    expect(img.subarray(SLOT - 16)).toEqual(bootMagic(8));
    expect(Array.from(img.subarray(SLOT - 16, SLOT - 12))).toEqual([0x77, 0xc2, 0x95, 0xf3]);
  });

  it('--confirm: additionally image_ok = 0x01 at S−24 for A = 8, nothing else', async () => {
    const img = await signImage(appBinary(HDR, 100), {
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
      confirm: true,
    });
    const end = parseImage(img).totalLength;
    expect(img[SLOT - 24]).toBe(0x01);
    const rest = [...img.subarray(end, SLOT - 16)].filter((_, i) => end + i !== SLOT - 24);
    expect(rest.every((b) => b === 0xff)).toBe(true);
    expect(trailerLayout({ slotSize: SLOT }).imageOkOff).toBe(SLOT - 24);
  });

  it('--confirm with max-align 16 and 32 uses the other magic and image_ok at S−32 / S−64', async () => {
    for (const [maxAlign, okOff] of [
      [16, 32],
      [32, 64],
    ] as const) {
      const img = await signImage(appBinary(HDR, 100), {
        headerSize: HDR,
        slotSize: SLOT,
        version: '1',
        confirm: true,
        maxAlign,
      });
      expect(img.subarray(SLOT - 16)).toEqual(bootMagic(maxAlign));
      expect([img[SLOT - 16], img[SLOT - 15]]).toEqual([maxAlign, 0]);
      expect(img[SLOT - okOff]).toBe(0x01);
      expect(trailerLayout({ slotSize: SLOT, maxAlign }).imageOkOff).toBe(SLOT - okOff);
    }
  });

  it('--confirm with overwrite-only writes the magic only; erasedVal 0 pads with zeros', async () => {
    const img = await signImage(appBinary(HDR, 100), {
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
      confirm: true,
      overwriteOnly: true,
      erasedVal: 0,
    });
    const end = parseImage(img).totalLength;
    expect(img.subarray(end, SLOT - 16).every((b) => b === 0)).toBe(true);
    expect(img.subarray(SLOT - 16)).toEqual(bootMagic(8));
  });

  it('rejects align larger than max-align and unknown align values', async () => {
    const base = { headerSize: HDR, slotSize: SLOT, version: '1' };
    expect(
      (await signError(signImage(appBinary(HDR, 1), { ...base, align: 16, maxAlign: 8 }))).message,
    ).toContain('align 16');
    expect(
      (await signError(signImage(appBinary(HDR, 1), { ...base, align: 3 as unknown as 1 }))).message,
    ).toContain('align must be one of');
  });
});
