// Checking images: `imgtool verify` semantics (verifyImage) and the bootloader's own
// acceptance test, bootutil_img_validate (validateForBoot). See mcuboot.md §1.7 and §2.5.

import { bytesEqual, toHex } from './bytes.ts';
import { digest, HASH_SIZE } from './digest.ts';
import { ImageFormatError } from './errors.ts';
import {
  HASH_ALGORITHM_TLV,
  HASH_TLV_ALGORITHM,
  type HashAlgorithm,
  ImageFlag,
  type McubootImage,
  parseImage,
  SIGNATURE_TLV_TYPES,
  TlvType,
  tlvName,
} from './format.ts';
import type { KeyType, PublicKey } from './keys.ts';
import { keyMatchesSignatureTlv, verifyImageSignature } from './signature.ts';
import { formatVersion, type ImageVersion } from './version.ts';

export type VerifyFailure = 'magic' | 'header' | 'tlv' | 'hash' | 'signature' | 'truncated';

export interface VerifyResult {
  ok: boolean;
  failure?: VerifyFailure;
  /** One sentence: what was validated, or which check failed and why. */
  message: string;
  image?: McubootImage;
  version?: ImageVersion;
  /** The digest recomputed over the hashed region (for the image's first hash TLV). */
  digest?: Uint8Array;
  hashAlgorithm?: HashAlgorithm;
  /** The key that verified the signature, when keys were given. */
  keyType?: KeyType;
  keyIndex?: number;
}

function parseOrFailure(bytes: Uint8Array): McubootImage | ImageFormatError {
  try {
    return parseImage(bytes);
  } catch (e) {
    if (e instanceof ImageFormatError) return e;
    throw e;
  }
}

/**
 * Check an image like `imgtool verify [-k KEY]`: magic, TLV layout, every hash TLV, and (with
 * keys) a signature TLV that one of the keys verifies. KEYHASH is not consulted, as in imgtool.
 */
export async function verifyImage(
  bytes: Uint8Array,
  options: { keys?: PublicKey[] } = {},
): Promise<VerifyResult> {
  const image = parseOrFailure(bytes);
  if (image instanceof ImageFormatError) {
    const failure: VerifyFailure =
      image.reason === 'size' ? 'tlv' : image.reason === 'header' ? 'header' : image.reason;
    return { ok: false, failure, message: image.message };
  }
  const version = image.header.version;
  const hashed = bytes.subarray(0, image.hashedLength);
  const hashTlvs = image.tlvs.filter((t) => HASH_TLV_ALGORITHM.has(t.type));
  if (hashTlvs.length === 0) {
    return {
      ok: false,
      failure: 'hash',
      message: 'image has no hash TLV (SHA256/SHA384/SHA512)',
      image,
      version,
    };
  }
  let firstDigest: Uint8Array | undefined;
  let firstAlg: HashAlgorithm | undefined;
  for (const tlv of hashTlvs) {
    const alg = HASH_TLV_ALGORITHM.get(tlv.type)!;
    const computed = await digest(alg, hashed);
    if (!bytesEqual(computed, tlv.data)) {
      return {
        ok: false,
        failure: 'hash',
        message: `image has an invalid hash: ${tlvName(tlv.type)} TLV says ${toHex(tlv.data)}, the ${image.hashedLength} hashed bytes give ${toHex(computed)}`,
        image,
        version,
        digest: computed,
        hashAlgorithm: alg,
      };
    }
    firstDigest ??= computed;
    firstAlg ??= alg;
  }
  const base = { image, version, digest: firstDigest!, hashAlgorithm: firstAlg! };
  const keys = options.keys ?? [];
  const versionText = formatVersion(version, 'imgtool');
  if (keys.length === 0) {
    return { ok: true, message: `image hash is valid (version ${versionText}, no key given)`, ...base };
  }
  const pure = image.tlvs.some((t) => t.type === TlvType.SIG_PURE);
  const sigTlvs = image.tlvs.filter((t) => SIGNATURE_TLV_TYPES.has(t.type));
  for (const tlv of sigTlvs) {
    for (const [keyIndex, key] of keys.entries()) {
      if (!keyMatchesSignatureTlv(key, tlv.type)) continue;
      if (await verifyImageSignature(key, tlv.type, tlv.data, hashed, firstDigest!, pure)) {
        return {
          ok: true,
          message: `image was correctly validated with a ${key.type} key (version ${versionText})`,
          keyType: key.type,
          keyIndex,
          ...base,
        };
      }
    }
  }
  const present = sigTlvs.map((t) => tlvName(t.type)).join(', ') || 'none';
  const keyTypes = [...new Set(keys.map((k) => k.type))].join(', ');
  const anyMatching = sigTlvs.some((t) => keys.some((k) => keyMatchesSignatureTlv(k, t.type)));
  return {
    ok: false,
    failure: 'signature',
    message: anyMatching
      ? `no signature verifies with the given ${keyTypes} key(s) (signature TLVs: ${present})`
      : `no signature found for the given ${keyTypes} key(s) (signature TLVs: ${present})`,
    ...base,
  };
}

export type BootFailure = 'magic' | 'header' | 'tlv' | 'size' | 'hash' | 'signature';

export interface BootValidation {
  ok: boolean;
  failure?: BootFailure;
  message: string;
  image?: McubootImage;
  digest?: Uint8Array;
  /** Index (in options.keys) of the key whose signature was accepted. */
  keyIndex?: number;
}

export interface BootValidationOptions {
  /** The bootloader's embedded keys; none = a build without signature checking (hash only). */
  keys?: PublicKey[];
  /** Largest image+TLVs the slot allows (bootloader: slot size minus its trailer). */
  maxImageSize?: number;
  /** Hash the bootloader is built for; default SHA-384 if all keys are P-384, else SHA-256. */
  sha?: 256 | 384 | 512;
}

function bootHashAlgorithm(options: BootValidationOptions): HashAlgorithm {
  if (options.sha) return `sha${options.sha}`;
  const keys = options.keys ?? [];
  return keys.length > 0 && keys.every((k) => k.type === 'ecdsa-p384') ? 'sha384' : 'sha256';
}

/**
 * Would MCUboot boot (or swap in) this slot? Mirrors bootutil_img_validate: the hash TLV of the
 * configured type must match; a KEYHASH (or PUBKEY) TLV selects the key for the signature TLV
 * after it; signatures by unknown keys are skipped; with keys configured the last signature
 * checked must be valid.
 */
export async function validateForBoot(
  slotBytes: Uint8Array,
  options: BootValidationOptions = {},
): Promise<BootValidation> {
  const image = parseOrFailure(slotBytes);
  if (image instanceof ImageFormatError) {
    const failure: BootFailure =
      image.reason === 'truncated' ? 'size' : image.reason === 'size' ? 'tlv' : image.reason;
    return { ok: false, failure, message: image.message };
  }
  if (image.header.flags & ImageFlag.NON_BOOTABLE) {
    return { ok: false, failure: 'header', message: 'image header is marked non-bootable', image };
  }
  if (options.maxImageSize !== undefined && image.totalLength > options.maxImageSize) {
    return {
      ok: false,
      failure: 'size',
      message: `image with TLVs is ${image.totalLength} bytes, more than the ${options.maxImageSize} bytes the slot allows`,
      image,
    };
  }
  const keys = options.keys ?? [];
  const alg = bootHashAlgorithm(options);
  const hashed = slotBytes.subarray(0, image.hashedLength);
  const computed = await digest(alg, hashed);
  const keyHashes = await Promise.all(keys.map((k) => digest(alg, k.bytes)));

  let hashFound = false;
  let keyId = -1;
  let validSignature = false;
  let signatureChecked = false;
  let unknownKey = false;
  let acceptedKey: number | undefined;
  for (const tlv of [...image.protectedTlvs, ...image.tlvs]) {
    if (tlv.type === HASH_ALGORITHM_TLV[alg]) {
      if (tlv.data.length !== HASH_SIZE[alg] || !bytesEqual(tlv.data, computed)) {
        return {
          ok: false,
          failure: 'hash',
          message: `image hash mismatch: ${tlvName(tlv.type)} TLV is ${toHex(tlv.data)}, flash contents hash to ${toHex(computed)}`,
          image,
          digest: computed,
        };
      }
      hashFound = true;
    } else if (tlv.type === TlvType.KEYHASH) {
      if (tlv.data.length > HASH_SIZE[alg]) {
        return {
          ok: false,
          failure: 'tlv',
          message: `KEYHASH TLV is ${tlv.data.length} bytes, too long`,
          image,
        };
      }
      keyId = keyHashes.findIndex((h) => bytesEqual(h.subarray(0, tlv.data.length), tlv.data));
      unknownKey ||= keyId < 0;
    } else if (tlv.type === TlvType.PUBKEY) {
      keyId = keys.findIndex((k) => bytesEqual(k.bytes, tlv.data));
      unknownKey ||= keyId < 0;
    } else if (SIGNATURE_TLV_TYPES.has(tlv.type)) {
      const key = keys[keyId];
      // Only the signature type this key's build expects is looked at; others are ignored.
      if (!key || !keyMatchesSignatureTlv(key, tlv.type)) continue;
      validSignature = await verifyImageSignature(key, tlv.type, tlv.data, hashed, computed);
      signatureChecked = true;
      if (validSignature) acceptedKey = keyId;
      keyId = -1;
    }
  }
  if (!hashFound) {
    return {
      ok: false,
      failure: 'hash',
      message: `image has no ${tlvName(HASH_ALGORITHM_TLV[alg])} hash TLV, which this bootloader requires`,
      image,
      digest: computed,
    };
  }
  if (keys.length > 0 && !validSignature) {
    const why = signatureChecked
      ? 'its signature does not verify with the matching bootloader key'
      : unknownKey
        ? `it is signed with a key the bootloader does not have (none of its ${keys.length} key(s) match KEYHASH)`
        : 'it carries no signature from any bootloader key';
    return { ok: false, failure: 'signature', message: `image rejected: ${why}`, image, digest: computed };
  }
  const result: BootValidation = { ok: true, message: 'image is valid', image, digest: computed };
  if (acceptedKey !== undefined) result.keyIndex = acceptedKey;
  return result;
}
