import { describe, expect, it } from 'vitest';
import {
  buildSignedImage,
  decryptImage,
  generateKey,
  ImageFlag,
  imgtoolTrailerSize,
  type PrivateKey,
  parseImage,
  SignError,
  signImage,
  TlvType,
  unwrapImageKey,
  verifyImage,
  wrapImageKey,
} from '../../src/image/index.ts';
import { appBinary, testKey } from './helpers.ts';

const encKeys = new Map<string, Promise<PrivateKey>>();
const encKey = (type: 'rsa-2048' | 'ecdsa-p256' | 'x25519') => {
  let k = encKeys.get(type);
  if (!k) {
    k = generateKey(type).then((g) => g.key);
    encKeys.set(type, k);
  }
  return k;
};

const AES128 = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const AES256 = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);

describe('ENC_* key wrapping', () => {
  it.each([
    ['rsa-2048', 'auto', TlvType.ENC_RSA2048, 256],
    ['ecdsa-p256', 'auto', TlvType.ENC_EC256, 65 + 32 + 16],
    ['x25519', 'auto', TlvType.ENC_X25519, 32 + 32 + 16],
    ['x25519', 512, TlvType.ENC_X25519_SHA512, 32 + 64 + 16],
  ] as const)(
    '%s (hmac %s) → TLV type %i of the documented size, and back',
    async (type, hmac, tlv, size) => {
      const key = await encKey(type);
      const wrapped = await wrapImageKey(key.publicKey, AES128, hmac);
      expect(wrapped.type).toBe(tlv);
      expect(wrapped.data.length).toBe(size);
      expect(await unwrapImageKey(key, wrapped.type, wrapped.data)).toEqual(AES128);
    },
  );

  it('refuses the wrong private key and HMAC-SHA512 with P-256', async () => {
    const wrapped = await wrapImageKey((await encKey('x25519')).publicKey, AES256);
    const other = (await generateKey('x25519')).key;
    await expect(unwrapImageKey(other, wrapped.type, wrapped.data)).rejects.toThrow('HMAC does not match');
    await expect(unwrapImageKey(await encKey('ecdsa-p256'), wrapped.type, wrapped.data)).rejects.toThrow(
      'cannot be opened with a ecdsa-p256 key',
    );
    await expect(wrapImageKey((await encKey('ecdsa-p256')).publicKey, AES128, 512)).rejects.toThrow('X25519');
  });
});

describe('encrypted images', () => {
  const payload = appBinary(0x200, 1001); // not a multiple of 16: imgtool pads the body with zeros

  it('encrypts the body only, keeps the plaintext hash, and decrypts back', async () => {
    const key = await testKey('ed25519');
    const enc = await encKey('x25519');
    const options = { key, headerSize: 0x200, slotSize: 0x10000, version: '1.2.3' };
    const bytes = await signImage(payload, {
      ...options,
      encrypt: { key: enc.publicKey, aesKey: AES128 },
    });
    const image = parseImage(bytes);
    expect(image.header.flags & ImageFlag.ENCRYPTED_AES128).toBeTruthy();
    expect(image.header.imgSize).toBe(1008);
    expect(image.tlvs.map((t) => t.type)).toEqual([
      TlvType.SHA256,
      TlvType.KEYHASH,
      TlvType.ED25519,
      TlvType.ENC_X25519,
    ]);
    expect(bytes.subarray(0x200, 0x200 + 1001)).not.toEqual(payload.subarray(0x200));
    expect((await verifyImage(bytes, { keys: [key.publicKey] })).failure).toBe('hash');
    const plain = await decryptImage(bytes, enc);
    expect(plain.aesKey).toEqual(AES128);
    expect(plain.bytes.subarray(0x200, 0x200 + 1001)).toEqual(payload.subarray(0x200));
    expect(plain.bytes.subarray(0x200 + 1001, 0x200 + 1008)).toEqual(new Uint8Array(7));
    expect((await verifyImage(plain.bytes, { keys: [key.publicKey] })).ok).toBe(true);
  });

  it('--clear keeps the body plain but sets the flag and the TLV; AES-256 sets its own flag', async () => {
    const enc = await encKey('ecdsa-p256');
    const bytes = await signImage(payload, {
      key: await testKey('ecdsa-p256'),
      headerSize: 0x200,
      slotSize: 0x10000,
      version: '1.0.0',
      encrypt: { key: enc.publicKey, keyLength: 256, clear: true },
    });
    const image = parseImage(bytes);
    expect(image.header.flags & ImageFlag.ENCRYPTED_AES256).toBeTruthy();
    expect(bytes.subarray(0x200, 0x200 + 1001)).toEqual(payload.subarray(0x200));
    expect(image.tlvs.at(-1)?.data.length).toBe(65 + 32 + 32);
    expect((await verifyImage(bytes)).ok).toBe(true);
  });

  it('reserves two 16-byte key slots in the trailer, as imgtool does', async () => {
    const signed = await buildSignedImage(payload, {
      headerSize: 0x200,
      slotSize: 0x10000,
      version: '1.0.0',
      encrypt: { key: (await encKey('rsa-2048')).publicKey },
    });
    expect(signed.trailerSize).toBe(
      imgtoolTrailerSize({ align: 1, maxAlign: 8, maxSectors: 128, overwriteOnly: false }) + 32,
    );
    expect(
      imgtoolTrailerSize({
        align: 1,
        maxAlign: 8,
        maxSectors: 128,
        overwriteOnly: false,
        encrypted: true,
        saveEnctlvLength: 113,
      }),
    ).toBe(432 + 240);
  });

  it('refuses signing and encryption keys of different families, and signing-only encryption keys', async () => {
    const opts = { headerSize: 0x200, slotSize: 0x10000, version: '1.0.0' };
    await expect(
      signImage(payload, {
        ...opts,
        key: await testKey('rsa-2048'),
        encrypt: { key: (await encKey('x25519')).publicKey },
      }),
    ).rejects.toThrow(SignError);
    await expect(
      signImage(payload, { ...opts, encrypt: { key: (await testKey('ed25519')).publicKey } }),
    ).rejects.toThrow('cannot encrypt images');
  });
});
