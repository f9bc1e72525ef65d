import { describe, expect, it } from 'vitest';
import {
  decryptPkcs8,
  encryptPkcs8,
  generateKey,
  isEncryptedPem,
  KeyPasswordError,
  loadPrivateKey,
  loadPublicKey,
  loadSigningKey,
  publicKeyBytes,
} from '../../src/image/index.ts';
import { readText } from './helpers.ts';

describe('password-protected PKCS#8 keys', () => {
  it('opens a key written by imgtool keygen -p (cryptography BestAvailableEncryption)', async () => {
    const pem = readText('ed25519-imgtool-password-secret.pem');
    expect(isEncryptedPem(pem)).toBe(true);
    const key = await loadSigningKey(pem, 'secret');
    expect(key.type).toBe('ed25519');
    expect(publicKeyBytes(key)).toHaveLength(44);
  });

  it('names a wrong or missing password', async () => {
    const pem = readText('ed25519-imgtool-password-secret.pem');
    await expect(loadPrivateKey(pem, 'not-it')).rejects.toThrow(KeyPasswordError);
    await expect(loadPrivateKey(pem, 'not-it')).rejects.toThrow('wrong password');
    const missing = await loadPrivateKey(pem).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KeyPasswordError);
    expect((missing as KeyPasswordError).reason).toBe('missing');
    await expect(loadPublicKey(pem)).rejects.toThrow('password-protected');
  });

  it('round-trips generateKey({password}) for every key type it is used with', async () => {
    for (const type of ['ecdsa-p256', 'ed25519', 'x25519'] as const) {
      const { privatePem, key } = await generateKey(type, { password: 'pw' });
      expect(privatePem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
      const back = await loadPrivateKey(privatePem, 'pw');
      expect(back.type).toBe(type);
      expect(publicKeyBytes(back)).toEqual(publicKeyBytes(key));
    }
  });

  it('writes PBES2 with PBKDF2-HMAC-SHA256, 2048 iterations and AES-256-CBC like imgtool', async () => {
    const plain = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);
    const salt = new Uint8Array(16).fill(1);
    const iv = new Uint8Array(16).fill(2);
    const der = await encryptPkcs8(plain, 'pw', { salt, iv });
    const hex = Buffer.from(der).toString('hex');
    expect(hex).toContain('06092a864886f70d01050d'); // PBES2
    expect(hex).toContain('06092a864886f70d01050c'); // PBKDF2
    expect(hex).toContain('02020800'); // 2048 iterations
    expect(hex).toContain('06082a864886f70d0209'); // hmacWithSHA256
    expect(hex).toContain('060960864801650304012a'); // aes-256-cbc
    expect(await decryptPkcs8(der, 'pw')).toEqual(plain);
    await expect(decryptPkcs8(der, 'other')).rejects.toThrow(KeyPasswordError);
  });

  it('refuses an empty password when encrypting', async () => {
    await expect(encryptPkcs8(Uint8Array.of(0x30, 0), '')).rejects.toThrow('must not be empty');
  });
});
