import { describe, expect, it } from 'vitest';
import { parseImage, signImage, TlvType, validateForBoot, verifyImage } from '../../src/image/index.ts';
import { appBinary, SIGNING_TYPES, testKey } from './helpers.ts';

const HDR = 0x200;
const SLOT = 0x10000;

describe('verifyImage failures', () => {
  for (const type of SIGNING_TYPES) {
    it(`${type}: tampered body → 'hash'; other key of the same type → 'signature'`, async () => {
      const key = await testKey(type);
      const img = await signImage(appBinary(HDR, 2000), {
        key,
        headerSize: HDR,
        slotSize: SLOT,
        version: '1.0.0',
      });
      const tampered = img.slice();
      tampered[HDR + 100]! ^= 0x01;
      const h = await verifyImage(tampered, { keys: [key.publicKey] });
      expect(h.ok).toBe(false);
      expect(h.failure).toBe('hash');
      expect(h.message).toContain('invalid hash');

      const other = await signImage(appBinary(HDR, 2000), {
        key: await testKey(type, 1),
        headerSize: HDR,
        slotSize: SLOT,
        version: '1.0.0',
      });
      const s = await verifyImage(other, { keys: [key.publicKey] });
      expect(s.ok).toBe(false);
      expect(s.failure).toBe('signature');
      expect(s.message).toContain('no signature verifies');
    });
  }

  it('a key of another type finds no signature', async () => {
    const img = await signImage(appBinary(HDR, 10), {
      key: await testKey('ed25519'),
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
    });
    const r = await verifyImage(img, { keys: [(await testKey('ecdsa-p256')).publicKey] });
    expect(r.failure).toBe('signature');
    expect(r.message).toContain(
      'no signature found for the given ecdsa-p256 key(s) (signature TLVs: ED25519)',
    );
  });

  it('a corrupted signature → signature', async () => {
    const key = await testKey('rsa-2048');
    const img = await signImage(appBinary(HDR, 10), { key, headerSize: HDR, slotSize: SLOT, version: '1' });
    const sigTlv = parseImage(img).tlvs.find((t) => t.type === TlvType.RSA2048_PSS)!;
    img[sigTlv.offset + 4 + 10]! ^= 0xff;
    expect((await verifyImage(img, { keys: [key.publicKey] })).failure).toBe('signature');
  });

  it('truncated, bad magic and bad TLV info are reported as such', async () => {
    const img = await signImage(appBinary(HDR, 3000), { headerSize: HDR, slotSize: SLOT, version: '1' });
    const t = await verifyImage(img.subarray(0, 1000));
    expect(t.failure).toBe('truncated');
    expect(t.message).toBe(`image is truncated: header+body need ${HDR + 3000} bytes, file has 1000`);
    const m = img.slice();
    m[0] = 0;
    expect((await verifyImage(m)).failure).toBe('magic');
    const tl = img.slice();
    tl[HDR + 3000 + 1] = 0;
    expect((await verifyImage(tl)).failure).toBe('tlv');
  });

  it('reports version and digest on success', async () => {
    const img = await signImage(appBinary(HDR, 10), { headerSize: HDR, slotSize: SLOT, version: '1.2.3+4' });
    const r = await verifyImage(img);
    expect(r.ok).toBe(true);
    expect(r.version).toEqual({ major: 1, minor: 2, revision: 3, build: 4 });
    expect(r.digest).toEqual(parseImage(img).sha256Hash);
  });
});

describe('validateForBoot (bootutil_img_validate)', () => {
  it('accepts an image signed by one of its keys and says which (KEYHASH selects it)', async () => {
    const rsa = await testKey('rsa-2048');
    const other = await testKey('ecdsa-p256');
    const img = await signImage(appBinary(HDR, 500), {
      key: rsa,
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
      confirm: true,
    });
    const r = await validateForBoot(img, {
      keys: [other.publicKey, rsa.publicKey],
      maxImageSize: SLOT - 432,
    });
    expect(r.ok, r.message).toBe(true);
    expect(r.keyIndex).toBe(1);
  });

  it('rejects an image from an unknown key, and an unsigned image, when keys are configured', async () => {
    const rsa = await testKey('rsa-2048');
    const foreign = await signImage(appBinary(HDR, 10), {
      key: await testKey('rsa-2048', 1),
      headerSize: HDR,
      slotSize: SLOT,
      version: '1',
    });
    const r = await validateForBoot(foreign, { keys: [rsa.publicKey] });
    expect(r.failure).toBe('signature');
    expect(r.message).toContain('does not have');
    const unsigned = await signImage(appBinary(HDR, 10), { headerSize: HDR, slotSize: SLOT, version: '1' });
    const u = await validateForBoot(unsigned, { keys: [rsa.publicKey] });
    expect(u.failure).toBe('signature');
    expect(u.message).toContain('no signature');
    // A bootloader built without signature checking only needs the hash.
    expect((await validateForBoot(unsigned)).ok).toBe(true);
  });

  it('rejects a flipped body bit (hash) and a bad signature from the right key', async () => {
    const key = await testKey('ed25519');
    const img = await signImage(appBinary(HDR, 10), { key, headerSize: HDR, slotSize: SLOT, version: '1' });
    const body = img.slice();
    body[HDR]! ^= 0x80;
    expect((await validateForBoot(body, { keys: [key.publicKey] })).failure).toBe('hash');
    const sig = img.slice();
    const sigTlv = parseImage(img).tlvs.find((t) => t.type === TlvType.ED25519)!;
    sig[sigTlv.offset + 4]! ^= 0x01;
    const r = await validateForBoot(sig, { keys: [key.publicKey] });
    expect(r.failure).toBe('signature');
    expect(r.message).toContain('does not verify');
  });

  it('rejects an image larger than the slot allows, erased flash, and a missing hash type', async () => {
    const img = await signImage(appBinary(HDR, 1000), { headerSize: HDR, slotSize: SLOT, version: '1' });
    const big = await validateForBoot(img, { maxImageSize: 1000 });
    expect(big.failure).toBe('size');
    expect(big.message).toContain(`${parseImage(img).totalLength} bytes`);
    expect((await validateForBoot(new Uint8Array(4096).fill(0xff))).failure).toBe('magic');
    const h = await validateForBoot(img, { sha: 384 });
    expect(h.failure).toBe('hash');
    expect(h.message).toContain('SHA384');
  });

  it('uses SHA-384 for a P-384 key set', async () => {
    const key = await testKey('ecdsa-p384');
    const img = await signImage(appBinary(HDR, 10), { key, headerSize: HDR, slotSize: SLOT, version: '1' });
    expect((await validateForBoot(img, { keys: [key.publicKey] })).ok).toBe(true);
  });
});
