// Image encryption as imgtool does it (mcuboot.md §1.9, docs/encrypted_images.md): a random
// AES-128/256 key encrypts the body with AES-CTR (zero nonce, counter from the first body byte);
// the key travels in an ENC_* TLV, wrapped with RSA-OAEP(SHA-256) or ECIES (P-256 / X25519:
// ephemeral ECDH, HKDF(no salt, "MCUBoot_ECIES_v1"), AES-CTR of the key, HMAC over it).

import { bytesEqual, concatBytes, toBufferSource } from './bytes.ts';
import { ImageFormatError, KeyError } from './errors.ts';
import { ImageFlag, parseImage, TlvType, tlvName } from './format.ts';
import type { KeyType, PrivateKey, PublicKey } from './keys.ts';

export type EncryptionKeyType = 'rsa-2048' | 'ecdsa-p256' | 'x25519';
export type AesKeyLength = 128 | 256;
export type HmacShaOption = 'auto' | 256 | 512;

export const ENC_TLV_TYPES: ReadonlySet<number> = new Set([
  TlvType.ENC_RSA2048,
  TlvType.ENC_KW,
  TlvType.ENC_EC256,
  TlvType.ENC_X25519,
  TlvType.ENC_X25519_SHA512,
]);

const ECIES_INFO = new TextEncoder().encode('MCUBoot_ECIES_v1');
const ZERO_COUNTER = new Uint8Array(16);
const subtle = () => globalThis.crypto.subtle;

export function isEncryptionKeyType(type: KeyType): type is EncryptionKeyType {
  return type === 'rsa-2048' || type === 'ecdsa-p256' || type === 'x25519';
}

function requireEncryptionKey(type: KeyType): EncryptionKeyType {
  if (!isEncryptionKeyType(type)) {
    throw new KeyError(
      `a ${type} key cannot encrypt images; MCUboot decrypts with RSA-2048, EC P-256 or X25519 keys`,
    );
  }
  return type;
}

/** AES-CTR with an all-zero initial counter block, as MCUboot's bootutil_aes_ctr uses. */
export async function aesCtr(aesKey: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  if (aesKey.length !== 16 && aesKey.length !== 32) {
    throw new KeyError(`AES key must be 16 or 32 bytes (got ${aesKey.length})`);
  }
  const key = await subtle().importKey('raw', toBufferSource(aesKey), 'AES-CTR', false, ['encrypt']);
  return new Uint8Array(
    await subtle().encrypt(
      { name: 'AES-CTR', counter: toBufferSource(ZERO_COUNTER), length: 128 },
      key,
      toBufferSource(data),
    ),
  );
}

async function hkdf(shared: Uint8Array, hash: string, length: number): Promise<Uint8Array> {
  const base = await subtle().importKey('raw', toBufferSource(shared), 'HKDF', false, ['deriveBits']);
  // An empty salt is HMAC-keyed with zeros, the same as Python's salt=None.
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash, salt: new Uint8Array(0), info: toBufferSource(ECIES_INFO) },
    base,
    length * 8,
  );
  return new Uint8Array(bits);
}

async function hmac(hash: string, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', toBufferSource(key), { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, toBufferSource(data)));
}

function eciesAlgorithm(type: 'ecdsa-p256' | 'x25519'): EcKeyImportParams | Algorithm {
  return type === 'ecdsa-p256' ? { name: 'ECDH', namedCurve: 'P-256' } : { name: 'X25519' };
}

/** The ENC_* TLV type a key and HMAC choice produce (imgtool's rules). */
export function encryptionTlvType(keyType: KeyType, hmacSha: HmacShaOption = 'auto'): number {
  const type = requireEncryptionKey(keyType);
  if (type === 'rsa-2048') return TlvType.ENC_RSA2048;
  if (hmacSha === 512) {
    if (type !== 'x25519') throw new KeyError('only ECIES-X25519 supports HMAC-SHA512 (--hmac-sha 512)');
    return TlvType.ENC_X25519_SHA512;
  }
  return type === 'x25519' ? TlvType.ENC_X25519 : TlvType.ENC_EC256;
}

/** Wrap `aesKey` for the holder of `encKey`'s private half: returns the ENC_* TLV. */
export async function wrapImageKey(
  encKey: PublicKey,
  aesKey: Uint8Array,
  hmacSha: HmacShaOption = 'auto',
): Promise<{ type: number; data: Uint8Array }> {
  const type = encryptionTlvType(encKey.type, hmacSha);
  if (encKey.type === 'rsa-2048') {
    const oaep = await subtle().importKey(
      'spki',
      toBufferSource(encKey.spki),
      { name: 'RSA-OAEP', hash: 'SHA-256' },
      false,
      ['encrypt'],
    );
    return {
      type,
      data: new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP' }, oaep, toBufferSource(aesKey))),
    };
  }
  const curve = encKey.type as 'ecdsa-p256' | 'x25519';
  const hash = type === TlvType.ENC_X25519_SHA512 ? 'SHA-512' : 'SHA-256';
  const peer = await subtle().importKey(
    'spki',
    toBufferSource(encKey.spki),
    eciesAlgorithm(curve),
    false,
    [],
  );
  const ephemeral = (await subtle().generateKey(eciesAlgorithm(curve), true, [
    'deriveBits',
  ])) as CryptoKeyPair;
  const shared = new Uint8Array(
    await subtle().deriveBits(
      { name: eciesAlgorithm(curve).name, public: peer } as EcdhKeyDeriveParams,
      ephemeral.privateKey,
      256,
    ),
  );
  const macLength = hash === 'SHA-512' ? 64 : 32;
  const derived = await hkdf(shared, hash, aesKey.length + macLength);
  const cipherKey = await aesCtr(derived.subarray(0, aesKey.length), aesKey);
  const tag = await hmac(hash, derived.subarray(aesKey.length), cipherKey);
  const ephemeralPublic = new Uint8Array(await subtle().exportKey('raw', ephemeral.publicKey));
  return { type, data: concatBytes([ephemeralPublic, tag, cipherKey]) };
}

async function reimportPrivate(
  key: PrivateKey,
  algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm,
  usage: KeyUsage,
) {
  const pkcs8 = await subtle().exportKey('pkcs8', key.privateKey);
  return subtle().importKey('pkcs8', pkcs8, algorithm, false, [usage]);
}

/** The AES key inside an ENC_* TLV, unwrapped with the matching private key. */
export async function unwrapImageKey(
  key: PrivateKey,
  tlvType: number,
  data: Uint8Array,
): Promise<Uint8Array> {
  const wrongKey = () => new KeyError(`the ${tlvName(tlvType)} TLV cannot be opened with a ${key.type} key`);
  if (tlvType === TlvType.ENC_RSA2048) {
    if (key.type !== 'rsa-2048') throw wrongKey();
    const oaep = await reimportPrivate(key, { name: 'RSA-OAEP', hash: 'SHA-256' }, 'decrypt');
    try {
      return new Uint8Array(await subtle().decrypt({ name: 'RSA-OAEP' }, oaep, toBufferSource(data)));
    } catch {
      throw new KeyError('the ENC_RSA2048 TLV does not decrypt with this RSA key (wrong key?)');
    }
  }
  const curve =
    tlvType === TlvType.ENC_EC256
      ? 'ecdsa-p256'
      : tlvType === TlvType.ENC_X25519 || tlvType === TlvType.ENC_X25519_SHA512
        ? 'x25519'
        : undefined;
  if (curve === undefined) throw new KeyError(`${tlvName(tlvType)} key wrapping is not supported`);
  if (key.type !== curve) throw wrongKey();
  const pubLength = curve === 'x25519' ? 32 : 65;
  const hash = tlvType === TlvType.ENC_X25519_SHA512 ? 'SHA-512' : 'SHA-256';
  const macLength = hash === 'SHA-512' ? 64 : 32;
  const keyLength = data.length - pubLength - macLength;
  if (keyLength !== 16 && keyLength !== 32) {
    throw new KeyError(`${tlvName(tlvType)} TLV is ${data.length} bytes, which fits no AES key length`);
  }
  const ephemeralPublic = data.subarray(0, pubLength);
  const tag = data.subarray(pubLength, pubLength + macLength);
  const cipherKey = data.subarray(pubLength + macLength);
  const priv =
    curve === 'x25519' ? key.privateKey : await reimportPrivate(key, eciesAlgorithm(curve), 'deriveBits');
  const peer = await subtle().importKey(
    'raw',
    toBufferSource(ephemeralPublic),
    eciesAlgorithm(curve),
    false,
    [],
  );
  const shared = new Uint8Array(
    await subtle().deriveBits(
      { name: eciesAlgorithm(curve).name, public: peer } as EcdhKeyDeriveParams,
      priv,
      256,
    ),
  );
  const derived = await hkdf(shared, hash, keyLength + macLength);
  if (!bytesEqual(await hmac(hash, derived.subarray(keyLength), cipherKey), tag)) {
    throw new KeyError(
      `the ${tlvName(tlvType)} TLV's HMAC does not match: this is not the image's encryption key`,
    );
  }
  return aesCtr(derived.subarray(0, keyLength), cipherKey);
}

export interface DecryptedImage {
  /** The image with its body decrypted (header, TLVs and anything after them unchanged). */
  bytes: Uint8Array;
  aesKey: Uint8Array;
  encTlvType: number;
}

/** Decrypt an encrypted image's body with the private key its ENC_* TLV was made for. */
export async function decryptImage(bytes: Uint8Array, key: PrivateKey): Promise<DecryptedImage> {
  const image = parseImage(bytes);
  const { flags, hdrSize, imgSize } = image.header;
  if (!(flags & (ImageFlag.ENCRYPTED_AES128 | ImageFlag.ENCRYPTED_AES256))) {
    throw new ImageFormatError('header', 'the image is not encrypted (no ENCRYPTED_AES128/256 flag)', 16);
  }
  const encTlv = image.tlvs.find((t) => ENC_TLV_TYPES.has(t.type));
  if (!encTlv) throw new ImageFormatError('tlv', 'the image is flagged encrypted but has no ENC_* TLV');
  const aesKey = await unwrapImageKey(key, encTlv.type, encTlv.data);
  const expected = flags & ImageFlag.ENCRYPTED_AES256 ? 32 : 16;
  if (aesKey.length !== expected) {
    throw new KeyError(
      `the ENC TLV holds a ${aesKey.length * 8}-bit key but the header flags say AES-${expected * 8}`,
    );
  }
  const out = bytes.slice();
  out.set(await aesCtr(aesKey, bytes.subarray(hdrSize, hdrSize + imgSize)), hdrSize);
  return { bytes: out, aesKey, encTlvType: encTlv.type };
}
