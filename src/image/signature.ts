// The signature algorithms MCUboot verifies (image_rsa.c, image_ecdsa.c, image_ed25519.c), via WebCrypto.

import { toBufferSource } from './bytes.ts';
import { DerTag, derChildren, derDecode, derSequence, derUnsignedInteger, integerToFixed } from './der.ts';
import { type PublicKey, SIGNATURE_TLV, type SigningKey, type SigningKeyType } from './keys.ts';

/** RSA-PSS parameters imgtool uses and bootutil hard-codes. */
export const RSA_PSS_SALT_LENGTH = 32;

const EC_FIELD_BYTES: Partial<Record<SigningKeyType, number>> = { 'ecdsa-p256': 32, 'ecdsa-p384': 48 };
const EC_HASH: Partial<Record<SigningKeyType, string>> = { 'ecdsa-p256': 'SHA-256', 'ecdsa-p384': 'SHA-384' };

/** WebCrypto's raw r‖s → ASN.1 DER SEQUENCE { r, s } as imgtool (cryptography) writes it. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  return derSequence([derUnsignedInteger(raw.subarray(0, half)), derUnsignedInteger(raw.subarray(half))]);
}

/** DER ECDSA signature → raw r‖s; tolerates imgtool --pad-sig zero padding after the SEQUENCE. */
export function ecdsaDerToRaw(der: Uint8Array, fieldBytes: number): Uint8Array {
  const seqLen = (der[1] ?? 0) + 2;
  const node = derDecode(der[1]! & 0x80 ? der : der.subarray(0, seqLen));
  const [r, s] = derChildren(node);
  if (node.tag !== DerTag.SEQUENCE || r?.tag !== DerTag.INTEGER || s?.tag !== DerTag.INTEGER) {
    throw new RangeError('ECDSA signature is not a DER SEQUENCE of two INTEGERs');
  }
  const out = new Uint8Array(fieldBytes * 2);
  out.set(integerToFixed(r.value, fieldBytes), 0);
  out.set(integerToFixed(s.value, fieldBytes), fieldBytes);
  return out;
}

function algorithmFor(type: SigningKeyType): AlgorithmIdentifier | RsaPssParams | EcdsaParams {
  switch (type) {
    case 'rsa-2048':
    case 'rsa-3072':
      return { name: 'RSA-PSS', saltLength: RSA_PSS_SALT_LENGTH };
    case 'ecdsa-p256':
    case 'ecdsa-p384':
      return { name: 'ECDSA', hash: EC_HASH[type]! };
    case 'ed25519':
      return { name: 'Ed25519' };
  }
}

/**
 * The signature TLV payload for an image. RSA and ECDSA sign the hashed region (their own
 * SHA-256/384 of it is the image digest); Ed25519 signs the digest bytes themselves.
 */
export async function signImageRegion(
  key: SigningKey,
  hashedRegion: Uint8Array,
  imageDigest: Uint8Array,
): Promise<Uint8Array> {
  const message = key.type === 'ed25519' ? imageDigest : hashedRegion;
  const sig = new Uint8Array(
    await globalThis.crypto.subtle.sign(algorithmFor(key.type), key.privateKey, toBufferSource(message)),
  );
  return key.type.startsWith('ecdsa') ? ecdsaRawToDer(sig) : sig;
}

/** Does this key type produce this signature TLV? */
export function keyMatchesSignatureTlv(key: PublicKey, tlvType: number): boolean {
  return key.type !== 'x25519' && SIGNATURE_TLV[key.type] === tlvType;
}

/**
 * Check one signature TLV. `pure` (SIG_PURE present) means Ed25519 signed the hashed region
 * instead of the digest. Malformed signatures are simply invalid.
 */
export async function verifyImageSignature(
  key: PublicKey,
  tlvType: number,
  signature: Uint8Array,
  hashedRegion: Uint8Array,
  imageDigest: Uint8Array,
  pure = false,
): Promise<boolean> {
  if (key.type === 'x25519' || !keyMatchesSignatureTlv(key, tlvType)) return false;
  let sig = signature;
  let message = hashedRegion;
  if (key.type === 'ecdsa-p256' || key.type === 'ecdsa-p384') {
    try {
      sig = ecdsaDerToRaw(signature, EC_FIELD_BYTES[key.type]!);
    } catch {
      return false;
    }
  } else if (key.type === 'ed25519') {
    if (sig.length !== 64) return false;
    if (!pure) message = imageDigest;
  } else {
    const modulusBytes = key.type === 'rsa-2048' ? 256 : 384;
    if (sig.length !== modulusBytes) return false;
  }
  return globalThis.crypto.subtle.verify(
    algorithmFor(key.type),
    key.cryptoKey,
    toBufferSource(sig),
    toBufferSource(message),
  );
}
