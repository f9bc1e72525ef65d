import { describe, expect, it } from 'vitest';
import {
  ecdsaDerToRaw,
  ecdsaRawToDer,
  generateKey,
  KEY_TYPES,
  KeyError,
  keyHash,
  loadPrivateKey,
  loadPublicKey,
  loadSigningKey,
  publicKeyBytes,
  publicKeyPem,
  signImage,
  verifyImage,
} from '../../src/image/index.ts';
import { appBinary, readBytes, readText } from './helpers.ts';

async function keyError(p: Promise<unknown>): Promise<KeyError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KeyError) return e;
    throw e;
  }
  throw new Error('expected a KeyError');
}

describe('generateKey / loadPrivateKey', () => {
  for (const type of KEY_TYPES.filter((t) => t !== 'rsa-3072')) {
    it(`${type}: PKCS#8 PEM round trip keeps type and public key`, async () => {
      const { privatePem, key } = await generateKey(type);
      expect(privatePem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      const loaded = await loadPrivateKey(privatePem);
      expect(loaded.type).toBe(type);
      expect(publicKeyBytes(loaded)).toEqual(publicKeyBytes(key));
      const fromPem = await loadPublicKey(publicKeyPem(loaded));
      expect(fromPem.type).toBe(type);
      expect(fromPem.bytes).toEqual(publicKeyBytes(key));
    });
  }

  it('x25519 keys load but are not signing keys', async () => {
    const { privatePem } = await generateKey('x25519');
    const e = await keyError(loadSigningKey(privatePem));
    expect(e.message).toContain('encryption');
  });
});

describe('OpenSSL key formats', () => {
  it('reads a traditional RSA PRIVATE KEY; public bytes equal OpenSSL -RSAPublicKey_out', async () => {
    const key = await loadSigningKey(readText('rsa-2048-traditional.pem'));
    expect(key.type).toBe('rsa-2048');
    expect(publicKeyBytes(key)).toEqual(readBytes('rsa-2048-traditional.pkcs1.der'));
    // The bootloader-embedded PKCS#1 DER loads back as a public key.
    const pub = await loadPublicKey(readBytes('rsa-2048-traditional.pkcs1.der'));
    const img = await signImage(appBinary(32, 50), { key, headerSize: 32, slotSize: 4096, version: '1' });
    expect((await verifyImage(img, { keys: [pub] })).ok).toBe(true);
  });

  it('reads a traditional EC PRIVATE KEY (P-256) and PKCS#8 P-384 / Ed25519; SPKI equals OpenSSL', async () => {
    const ec = await loadSigningKey(readText('ec-p256-traditional.pem'));
    expect(ec.type).toBe('ecdsa-p256');
    expect(publicKeyBytes(ec)).toEqual(readBytes('ec-p256-traditional.spki.der'));
    const p384 = await loadSigningKey(readText('ec-p384-pkcs8.pem'));
    expect(p384.type).toBe('ecdsa-p384');
    expect(publicKeyBytes(p384)).toEqual(readBytes('ec-p384.spki.der'));
    const ed = await loadSigningKey(readText('ed25519-pkcs8.pem'));
    expect(ed.type).toBe('ed25519');
    expect(publicKeyBytes(ed)).toEqual(readBytes('ed25519.spki.der'));
    expect((await loadPublicKey(readBytes('ed25519.spki.der'))).type).toBe('ed25519');
  });

  it('key hash is SHA-256 of the public key bytes (getpubhash)', async () => {
    const key = await loadSigningKey(readText('rsa-2048-traditional.pem'));
    const expected = new Uint8Array(
      await crypto.subtle.digest('SHA-256', readBytes('rsa-2048-traditional.pkcs1.der').slice().buffer),
    );
    expect(await keyHash(key)).toEqual(expected);
  });

  it('skips an EC PARAMETERS block in front of the key (openssl ecparam -genkey output)', async () => {
    const params = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    const key = await loadSigningKey(params + readText('ec-p256-traditional.pem'));
    expect(publicKeyBytes(key)).toEqual(readBytes('ec-p256-traditional.spki.der'));
  });

  it('refuses RSA sizes MCUboot does not support, naming the size', async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: 'RSA-PSS', hash: 'SHA-256', modulusLength: 1024, publicExponent: Uint8Array.of(1, 0, 1) },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
    const pem = `-----BEGIN PRIVATE KEY-----\n${der}\n-----END PRIVATE KEY-----\n`;
    expect((await keyError(loadSigningKey(pem))).message).toContain('1024-bit modulus');
  });

  it('explains unsupported inputs', async () => {
    expect(
      (
        await keyError(
          loadSigningKey(
            '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n',
          ),
        )
      ).message,
    ).toContain('password-protected');
    expect((await keyError(loadSigningKey('hello'))).message).toContain('no private key found');
    expect((await keyError(loadPublicKey(Uint8Array.of(0x30, 0x03, 0x02, 0x01)))).message).toContain(
      'not valid DER',
    );
  });
});

describe('ECDSA signature encoding', () => {
  it('raw r||s ↔ DER, with a 0x00 pad when the top bit is set and leading zeros stripped', () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x80;
    raw[31] = 1;
    raw[33] = 0x12; // s has a leading zero byte
    const der = ecdsaRawToDer(raw);
    expect(der[0]).toBe(0x30);
    expect(Array.from(der.subarray(2, 5))).toEqual([0x02, 33, 0x00]);
    expect(der.length).toBe(2 + 2 + 33 + 2 + 31);
    expect(ecdsaDerToRaw(der, 32)).toEqual(raw);
    // imgtool --pad-sig zero padding after the SEQUENCE is tolerated.
    const padded = new Uint8Array(72);
    padded.set(der);
    expect(ecdsaDerToRaw(padded, 32)).toEqual(raw);
  });
});
