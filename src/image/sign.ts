// Build a signed (or hash-only) MCUboot image byte-for-byte as `imgtool sign` does.
// Order and contents follow imgtool image.py (create, add_header, pad_to); see mcuboot.md §1.5, §2.3, §2.4.

import { encodeBootRecord, MAX_SW_TYPE_LENGTH } from './boot-record.ts';
import { concatBytes, dataView } from './bytes.ts';
import { digest, HASH_SIZE } from './digest.ts';
import { type AesKeyLength, aesCtr, type HmacShaOption, wrapImageKey } from './encrypt.ts';
import { SignError } from './errors.ts';
import {
  HASH_ALGORITHM_TLV,
  type HashAlgorithm,
  IMAGE_HEADER_SIZE,
  IMAGE_MAGIC,
  ImageFlag,
  TLV_HEADER_SIZE,
  TLV_INFO_MAGIC,
  TLV_INFO_SIZE,
  TLV_PROT_INFO_MAGIC,
  TlvType,
  tlvName,
} from './format.ts';
import { type PublicKey, SIGNATURE_TLV, type SigningKey, type SigningKeyType } from './keys.ts';
import { signImageRegion } from './signature.ts';
import { bootMagic, magicBlockSize } from './trailer.ts';
import { checkVersion, type ImageVersion, parseVersion } from './version.ts';

export type ShaOption = 'auto' | 256 | 384 | 512;

export interface Dependency {
  imageId: number;
  /** Minimum version of that image ("1.2.3+0" or a parsed version). */
  version: ImageVersion | string;
}

export interface SignOptions {
  /** Signing key; without one the image carries only the hash TLV. */
  key?: SigningKey;
  /** ih_hdr_size (imgtool -H); at least 32. */
  headerSize: number;
  /** Prepend headerSize erased bytes instead of requiring the input to start with zeros. */
  padHeader?: boolean;
  /** Slot size (imgtool -S): image + TLVs + reserved trailer must fit. */
  slotSize: number;
  /** "maj.min.rev+build" (imgtool -v). */
  version: string | ImageVersion;
  /** Flash write size used to size the swap status area (imgtool --align). */
  align?: 1 | 2 | 4 | 8 | 16 | 32;
  /** Trailer field alignment / magic variant; default max(8, align). */
  maxAlign?: 8 | 16 | 32;
  /** Sectors assumed in the swap status area (imgtool -M), default 128. */
  maxSectors?: number;
  /** Pad to slotSize and write the boot magic at the end. */
  pad?: boolean;
  /** Like pad, and also set image_ok (implies pad). */
  confirm?: boolean;
  /** Reserve only the overwrite-only trailer; confirm then writes the magic only. */
  overwriteOnly?: boolean;
  /** SEC_CNT value, or 'auto' = (major << 24) + (minor << 16) + revision. */
  securityCounter?: number | 'auto';
  dependencies?: Dependency[];
  /** RAM load address (imgtool -L): sets ih_load_addr and IMAGE_F_RAM_LOAD. */
  loadAddr?: number;
  /** Flash address the image is linked for (imgtool -F): sets ih_load_addr and IMAGE_F_ROM_FIXED. */
  romFixed?: number;
  /** KEYHASH (default) or the full public key (PUBKEY). */
  publicKeyFormat?: 'hash' | 'full';
  /** sw_type for a BOOT_RECORD TLV (≤ 12 characters). */
  bootRecord?: string;
  /** Value for padding: 0xff (default) or 0. */
  erasedVal?: 0 | 0xff;
  /** Image hash algorithm; 'auto' picks what the key requires (SHA-384 for P-384, else SHA-256). */
  sha?: ShaOption;
  /** Like pad, but leave image_ok erased (imgtool --test; same bytes as plain pad). */
  test?: boolean;
  /** Set IMAGE_F_NON_BOOTABLE (imgtool --non-bootable). */
  nonBootable?: boolean;
  /** Encrypt the body for the holder of this key's private half (imgtool -E). */
  encrypt?: EncryptOptions;
}

export interface EncryptOptions {
  /** RSA-2048, EC P-256 or X25519 public (or private) key. */
  key: PublicKey;
  /** AES key length (imgtool --encrypt-keylen), default 128. */
  keyLength?: AesKeyLength;
  /** Keep the body in clear but add the flag and ENC TLV (imgtool -c/--clear). */
  clear?: boolean;
  /** HMAC of the ECIES wrapping: 256 (auto) or 512 (X25519 only). */
  hmacSha?: HmacShaOption;
  /** Trailer reserves room for the whole ENC TLV (imgtool --save-enctlv). */
  saveEnctlv?: boolean;
  /** The AES key to use instead of a random one (for reproducible tests). */
  aesKey?: Uint8Array;
}

/** A signed image before slot padding, with what is needed to pad it or to place it in a HEX file. */
export interface SignedImage {
  /** Header + body + TLVs (no padding, no trailer). */
  image: Uint8Array;
  slotSize: number;
  /** Bytes imgtool reserves at the end of the slot. */
  trailerSize: number;
  maxAlign: 8 | 16 | 32;
  erasedVal: 0 | 0xff;
  /** --pad, --confirm or --test was given. */
  pad: boolean;
  /** image_ok gets written as 0x01 (confirm and not overwrite-only). */
  setImageOk: boolean;
  /** HEX output carries an image_ok block (confirm or test, not overwrite-only); erased unless setImageOk. */
  imageOkBlock: boolean;
  /** The AES key used (encrypted images only). */
  aesKey?: Uint8Array;
}

const ALIGNS = [1, 2, 4, 8, 16, 32];
const MAX_ALIGNS = [8, 16, 32];
const DEFAULT_MAX_SECTORS = 128;

/** Hash sizes each key type may be used with; the first is what 'auto' picks (imgtool ALLOWED_KEY_SHA). */
const ALLOWED_KEY_SHA: Readonly<Record<SigningKeyType, readonly number[]>> = {
  'rsa-2048': [256],
  'rsa-3072': [256],
  'ecdsa-p256': [256],
  'ecdsa-p384': [384],
  ed25519: [256, 512],
};

export function chooseHashAlgorithm(
  keyType: SigningKeyType | undefined,
  sha: ShaOption = 'auto',
): HashAlgorithm {
  let bits: number;
  if (keyType === undefined) {
    bits = sha === 'auto' ? 256 : sha;
  } else {
    const allowed = ALLOWED_KEY_SHA[keyType];
    bits = sha === 'auto' ? allowed[0]! : sha;
    if (!allowed.includes(bits)) {
      throw new SignError(
        `a ${keyType} key cannot be used with SHA-${bits}; allowed: ${allowed.map((b) => `SHA-${b}`).join(', ')}`,
      );
    }
  }
  if (bits !== 256 && bits !== 384 && bits !== 512) throw new SignError(`unsupported hash size ${bits}`);
  return `sha${bits}` as HashAlgorithm;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Bytes imgtool reserves at the end of the slot (image.py _trailer_size, no encryption):
 * maxSectors·3·align + 4·A + align_up(16, A), or 2·A + align_up(16, A) for overwrite-only.
 * Equal to trailerLayout().trailerSize from trailer.ts for the same parameters.
 */
export function imgtoolTrailerSize(opts: {
  align: number;
  maxAlign: number;
  maxSectors: number;
  overwriteOnly: boolean;
  /** Encrypted images reserve two key slots: align_up(16, A) each, or the aligned TLV with saveEnctlv. */
  encrypted?: boolean;
  /** ENC TLV payload length, for saveEnctlv. */
  saveEnctlvLength?: number;
}): number {
  const magic = alignUp(16, opts.maxAlign);
  if (opts.overwriteOnly) return 2 * opts.maxAlign + magic;
  // imgtool reserves 16 bytes per key slot even for AES-256 keys (image.py _trailer_size).
  const keySlot = opts.saveEnctlvLength !== undefined ? opts.saveEnctlvLength : 16;
  const keys = opts.encrypted ? 2 * alignUp(keySlot, opts.maxAlign) : 0;
  return opts.maxSectors * 3 * opts.align + keys + 4 * opts.maxAlign + magic;
}

function requireInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SignError(`${name} must be an integer from ${min} to ${max} (got ${value})`);
  }
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  dataView(out).setUint32(0, n, true);
  return out;
}

interface TlvEntry {
  type: number;
  data: Uint8Array;
}

/** A TLV area: info header {magic, total incl. itself} then entries; empty when there are none. */
function encodeTlvArea(magic: number, entries: readonly TlvEntry[]): Uint8Array {
  if (entries.length === 0) return new Uint8Array(0);
  const total = TLV_INFO_SIZE + entries.reduce((n, e) => n + TLV_HEADER_SIZE + e.data.length, 0);
  if (total > 0xffff) throw new SignError(`TLV area of ${total} bytes exceeds the 65535-byte limit`);
  const out = new Uint8Array(total);
  const dv = dataView(out);
  dv.setUint16(0, magic, true);
  dv.setUint16(2, total, true);
  let off = TLV_INFO_SIZE;
  for (const e of entries) {
    if (e.data.length > 0xffff) throw new SignError(`TLV ${tlvName(e.type)} payload is too long`);
    dv.setUint16(off, e.type, true);
    dv.setUint16(off + 2, e.data.length, true);
    out.set(e.data, off + TLV_HEADER_SIZE);
    off += TLV_HEADER_SIZE + e.data.length;
  }
  return out;
}

function dependencyTlv(dep: Dependency): TlvEntry {
  requireInt('dependency image id', dep.imageId, 0, 0xff);
  const v = typeof dep.version === 'string' ? parseVersion(dep.version) : dep.version;
  checkVersion(v);
  const data = new Uint8Array(12);
  const dv = dataView(data);
  dv.setUint8(0, dep.imageId); // then 3 padding bytes
  dv.setUint8(4, v.major);
  dv.setUint8(5, v.minor);
  dv.setUint16(6, v.revision, true);
  dv.setUint32(8, v.build, true);
  return { type: TlvType.DEPENDENCY, data };
}

/** Parse imgtool's -d text: "(1, 1.2.3+0), (2, 0.1.0)". */
export function parseDependencies(text: string): Dependency[] {
  const deps: Dependency[] = [];
  const re = /\(\s*(\d+)\s*,\s*([0-9.+]+)\s*\)/g;
  for (const m of text.matchAll(re)) deps.push({ imageId: Number(m[1]), version: parseVersion(m[2]!) });
  if (deps.length === 0)
    throw new SignError(`no dependencies found in '${text}'; expected "(id, maj.min.rev+build)"`);
  return deps;
}

function resolveVersion(version: string | ImageVersion): ImageVersion {
  try {
    const v = typeof version === 'string' ? parseVersion(version) : version;
    checkVersion(v);
    return v;
  } catch (e) {
    throw new SignError((e as Error).message);
  }
}

function inputWithHeaderSpace(payload: Uint8Array, headerSize: number, padHeader: boolean, erased: number) {
  if (padHeader) {
    const out = new Uint8Array(headerSize + payload.length).fill(erased, 0, headerSize);
    out.set(payload, headerSize);
    return out;
  }
  if (payload.length < headerSize) {
    throw new SignError(
      `input is ${payload.length} bytes, shorter than the ${headerSize}-byte header it should start with; use padHeader (--pad-header)`,
    );
  }
  const nonZero = payload.subarray(0, headerSize).findIndex((b) => b !== 0);
  if (nonZero >= 0) {
    throw new SignError(
      `header padding was not requested and the image does not start with ${headerSize} zero bytes ` +
        `(byte ${nonZero} is 0x${payload[nonZero]!.toString(16).padStart(2, '0')}); ` +
        'link the app with a header gap (ROM_START_OFFSET) or use padHeader (--pad-header)',
    );
  }
  return payload.slice();
}

/** Signing and encryption key types must agree for RSA and ECDSA (imgtool's rule). */
function checkKeyPair(key: SigningKey | undefined, encKey: PublicKey): void {
  if (!key) return;
  const needs: Partial<Record<SigningKeyType, string>> = {
    'rsa-2048': 'rsa',
    'rsa-3072': 'rsa',
    'ecdsa-p256': 'ecdsa-p256',
    'ecdsa-p384': 'ecdsa-p384',
  };
  const need = needs[key.type];
  if (need && !encKey.type.startsWith(need)) {
    throw new SignError(
      `signing and encryption must use the same type of key: a ${key.type} signing key needs a ${need === 'rsa' ? 'RSA' : need} encryption key, got ${encKey.type}`,
    );
  }
}

function padTo16(image: Uint8Array): Uint8Array {
  const rem = image.length % 16;
  if (rem === 0) return image;
  const out = new Uint8Array(image.length + 16 - rem);
  out.set(image);
  return out;
}

/** Build the image like `imgtool sign`, without slot padding (see `padSignedImage`). */
export async function buildSignedImage(payload: Uint8Array, options: SignOptions): Promise<SignedImage> {
  const erased = options.erasedVal ?? 0xff;
  if (erased !== 0 && erased !== 0xff) throw new SignError(`erased value must be 0 or 0xff (got ${erased})`);
  const align = options.align ?? 1;
  if (!ALIGNS.includes(align))
    throw new SignError(`align must be one of ${ALIGNS.join(', ')} (got ${align})`);
  const maxAlign = options.maxAlign ?? (Math.max(8, align) as 8 | 16 | 32);
  if (!MAX_ALIGNS.includes(maxAlign)) {
    throw new SignError(`max-align must be one of ${MAX_ALIGNS.join(', ')} (got ${maxAlign})`);
  }
  if (align > maxAlign) throw new SignError(`align ${align} is larger than max-align ${maxAlign}`);
  const maxSectors = options.maxSectors ?? DEFAULT_MAX_SECTORS;
  requireInt('max-sectors', maxSectors, 1, 0xffff);
  requireInt('header size', options.headerSize, IMAGE_HEADER_SIZE, 0xffff);
  requireInt('slot size', options.slotSize, 1, 0xffffffff);
  if (options.loadAddr !== undefined && options.romFixed !== undefined) {
    throw new SignError('loadAddr (--load-addr) and romFixed (--rom-fixed) cannot be used together');
  }
  if (options.loadAddr !== undefined) requireInt('load address', options.loadAddr, 0, 0xffffffff);
  if (options.romFixed !== undefined) requireInt('rom-fixed address', options.romFixed, 0, 0xffffffff);
  const version = resolveVersion(options.version);
  const key = options.key;
  const hashAlg = chooseHashAlgorithm(key?.type, options.sha);
  const overwriteOnly = options.overwriteOnly ?? false;
  const pad = (options.pad ?? false) || (options.confirm ?? false) || (options.test ?? false);
  const enc = options.encrypt;
  const keyLength = enc?.keyLength ?? 128;
  if (enc) {
    checkKeyPair(key, enc.key);
    if (keyLength !== 128 && keyLength !== 256) {
      throw new SignError(`encryption key length must be 128 or 256 bits (got ${keyLength})`);
    }
    if (enc.aesKey && enc.aesKey.length * 8 !== keyLength) {
      throw new SignError(`the given AES key is ${enc.aesKey.length * 8} bits, not ${keyLength}`);
    }
  }

  let image: Uint8Array = inputWithHeaderSpace(
    payload,
    options.headerSize,
    options.padHeader ?? false,
    erased,
  );
  // imgtool pads the whole payload (header included) to a multiple of 16 with zeros before encrypting.
  if (enc) image = padTo16(image);
  const imgSize = image.length - options.headerSize;

  // The key hash is also the BOOT_RECORD signer id; unsigned images use 32 zero bytes (as imgtool).
  const pubKeyHash = key ? await digest(hashAlg, key.publicKey.bytes) : new Uint8Array(32);

  const protectedEntries: TlvEntry[] = [];
  if (options.securityCounter !== undefined) {
    const counter =
      options.securityCounter === 'auto'
        ? version.major * 2 ** 24 + version.minor * 2 ** 16 + version.revision
        : options.securityCounter;
    requireInt('security counter', counter, 0, 0xffffffff);
    protectedEntries.push({ type: TlvType.SEC_CNT, data: u32(counter) });
  }
  if (options.bootRecord !== undefined) {
    if (options.bootRecord.length > MAX_SW_TYPE_LENGTH) {
      throw new SignError(
        `boot record sw_type '${options.bootRecord}' is ${options.bootRecord.length} characters; at most ${MAX_SW_TYPE_LENGTH} are allowed`,
      );
    }
    protectedEntries.push({
      type: TlvType.BOOT_RECORD,
      data: encodeBootRecord({
        swType: options.bootRecord,
        version: `${version.major}.${version.minor}.${version.revision}`,
        signerId: pubKeyHash,
        measurementDescription: `SHA${hashAlg.slice(3)}`,
        measurementValue: new Uint8Array(HASH_SIZE[hashAlg]),
      }),
    });
  }
  for (const dep of options.dependencies ?? []) protectedEntries.push(dependencyTlv(dep));
  const protectedArea = encodeTlvArea(TLV_PROT_INFO_MAGIC, protectedEntries);

  let flags = 0;
  if (enc) flags |= keyLength === 256 ? ImageFlag.ENCRYPTED_AES256 : ImageFlag.ENCRYPTED_AES128;
  if (options.loadAddr) flags |= ImageFlag.RAM_LOAD;
  if (options.romFixed) flags |= ImageFlag.ROM_FIXED;
  if (options.nonBootable) flags |= ImageFlag.NON_BOOTABLE;
  const hv = dataView(image);
  hv.setUint32(0, IMAGE_MAGIC, true);
  hv.setUint32(4, options.romFixed || options.loadAddr || 0, true);
  hv.setUint16(8, options.headerSize, true);
  hv.setUint16(10, protectedArea.length, true);
  hv.setUint32(12, imgSize, true);
  hv.setUint32(16, flags, true);
  hv.setUint8(20, version.major);
  hv.setUint8(21, version.minor);
  hv.setUint16(22, version.revision, true);
  hv.setUint32(24, version.build, true);
  hv.setUint32(28, 0, true);

  const hashedRegion = concatBytes([image, protectedArea]);
  const imageDigest = await digest(hashAlg, hashedRegion);
  const entries: TlvEntry[] = [{ type: HASH_ALGORITHM_TLV[hashAlg], data: imageDigest }];
  if (key) {
    entries.push(
      options.publicKeyFormat === 'full'
        ? { type: TlvType.PUBKEY, data: key.publicKey.bytes }
        : { type: TlvType.KEYHASH, data: pubKeyHash },
    );
    entries.push({
      type: SIGNATURE_TLV[key.type],
      data: await signImageRegion(key, hashedRegion, imageDigest),
    });
  }
  let aesKey: Uint8Array | undefined;
  let encTlvLength: number | undefined;
  if (enc) {
    aesKey = enc.aesKey ?? globalThis.crypto.getRandomValues(new Uint8Array(keyLength / 8));
    let wrapped: TlvEntry;
    try {
      wrapped = await wrapImageKey(enc.key, aesKey, enc.hmacSha);
    } catch (e) {
      throw new SignError((e as Error).message);
    }
    entries.push(wrapped);
    encTlvLength = wrapped.data.length;
    if (!enc.clear) {
      // The hash above covers the plaintext; only the body between header and TLVs is encrypted.
      hashedRegion.set(await aesCtr(aesKey, image.subarray(options.headerSize)), options.headerSize);
    }
  }
  const signed = concatBytes([hashedRegion, encodeTlvArea(TLV_INFO_MAGIC, entries)]);

  const trailerSize = imgtoolTrailerSize({
    align,
    maxAlign,
    maxSectors,
    overwriteOnly,
    encrypted: enc !== undefined,
    ...(enc?.saveEnctlv && encTlvLength !== undefined ? { saveEnctlvLength: encTlvLength } : {}),
  });
  if (signed.length + trailerSize > options.slotSize) {
    throw new SignError(
      `image does not fit the slot: image with TLVs is ${signed.length} bytes (0x${signed.length.toString(16)}) ` +
        `+ ${trailerSize}-byte trailer (0x${trailerSize.toString(16)}) = ${signed.length + trailerSize}, ` +
        `slot is ${options.slotSize} bytes (0x${options.slotSize.toString(16)})`,
    );
  }
  const result: SignedImage = {
    image: signed,
    slotSize: options.slotSize,
    trailerSize,
    maxAlign,
    erasedVal: erased,
    pad,
    setImageOk: (options.confirm ?? false) && !overwriteOnly,
    imageOkBlock: ((options.confirm ?? false) || (options.test ?? false)) && !overwriteOnly,
  };
  if (aesKey) result.aesKey = aesKey;
  return result;
}

/** Offset of image_ok from the slot start as imgtool writes it: S − (align_up(16, A) + A). */
export function imgtoolImageOkOffset(slotSize: number, maxAlign: number): number {
  return slotSize - (magicBlockSize(maxAlign) + maxAlign);
}

/** The binary imgtool writes: the image, or (with pad) the whole slot with magic and image_ok. */
export function padSignedImage(signed: SignedImage): Uint8Array {
  if (!signed.pad) return signed.image;
  const out = new Uint8Array(signed.slotSize).fill(signed.erasedVal);
  out.set(signed.image, 0);
  out.set(bootMagic(signed.maxAlign), signed.slotSize - 16);
  if (signed.setImageOk) out[imgtoolImageOkOffset(signed.slotSize, signed.maxAlign)] = 0x01;
  return out;
}

export async function signImage(payload: Uint8Array, options: SignOptions): Promise<Uint8Array> {
  return padSignedImage(await buildSignedImage(payload, options));
}
