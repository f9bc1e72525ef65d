// MCUboot image layout (bootutil image.h): header, protected and unprotected TLV areas.
// See shared/reference/mcuboot.md §1.

import { dataView, hex32 } from './bytes.ts';
import { ImageFormatError } from './errors.ts';
import type { ImageVersion } from './version.ts';

export const IMAGE_MAGIC = 0x96f3b83d;
export const IMAGE_MAGIC_V1 = 0x96f3b83c;
export const IMAGE_MAGIC_NONE = 0xffffffff;
export const IMAGE_HEADER_SIZE = 32;
export const TLV_INFO_MAGIC = 0x6907;
export const TLV_PROT_INFO_MAGIC = 0x6908;
export const TLV_INFO_SIZE = 4;
export const TLV_HEADER_SIZE = 4;

export const ImageFlag = {
  PIC: 0x001,
  ENCRYPTED_AES128: 0x004,
  ENCRYPTED_AES256: 0x008,
  NON_BOOTABLE: 0x010,
  RAM_LOAD: 0x020,
  ROM_FIXED: 0x100,
  COMPRESSED_LZMA1: 0x200,
  COMPRESSED_LZMA2: 0x400,
  COMPRESSED_ARM_THUMB_FLT: 0x800,
} as const;

export const TlvType = {
  KEYHASH: 0x01,
  PUBKEY: 0x02,
  SHA256: 0x10,
  SHA384: 0x11,
  SHA512: 0x12,
  RSA2048_PSS: 0x20,
  ECDSA224: 0x21,
  ECDSA_SIG: 0x22,
  RSA3072_PSS: 0x23,
  ED25519: 0x24,
  SIG_PURE: 0x25,
  ENC_RSA2048: 0x30,
  ENC_KW: 0x31,
  ENC_EC256: 0x32,
  ENC_X25519: 0x33,
  ENC_X25519_SHA512: 0x34,
  DEPENDENCY: 0x40,
  SEC_CNT: 0x50,
  BOOT_RECORD: 0x60,
  DECOMP_SIZE: 0x70,
  DECOMP_SHA: 0x71,
  DECOMP_SIGNATURE: 0x72,
  COMP_DEC_SIZE: 0x73,
  UUID_VID: 0x74,
  UUID_CID: 0x75,
} as const;

const TLV_NAMES = new Map<number, string>(Object.entries(TlvType).map(([name, id]) => [id, name]));

/** "SHA256", "RSA2048_PSS", … or "0x00a5" for unknown/custom types. */
export function tlvName(type: number): string {
  return TLV_NAMES.get(type) ?? `0x${type.toString(16).padStart(4, '0')}`;
}

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export const HASH_TLV_ALGORITHM: ReadonlyMap<number, HashAlgorithm> = new Map([
  [TlvType.SHA256, 'sha256'],
  [TlvType.SHA384, 'sha384'],
  [TlvType.SHA512, 'sha512'],
]);

export const HASH_ALGORITHM_TLV: Readonly<Record<HashAlgorithm, number>> = {
  sha256: TlvType.SHA256,
  sha384: TlvType.SHA384,
  sha512: TlvType.SHA512,
};

export const SIGNATURE_TLV_TYPES: ReadonlySet<number> = new Set([
  TlvType.RSA2048_PSS,
  TlvType.ECDSA224,
  TlvType.ECDSA_SIG,
  TlvType.RSA3072_PSS,
  TlvType.ED25519,
]);

export interface ImageHeader {
  magic: number;
  loadAddr: number;
  hdrSize: number;
  protectTlvSize: number;
  imgSize: number;
  flags: number;
  version: ImageVersion;
}

export interface Tlv {
  type: number;
  /** Offset of the TLV's 4-byte header from the start of the image. */
  offset: number;
  /** The payload (a copy). */
  data: Uint8Array;
  /** True when inside the protected (hashed) area. */
  protected: boolean;
}

export interface HashTlv {
  type: number;
  algorithm: HashAlgorithm;
  data: Uint8Array;
}

export interface McubootImage {
  header: ImageHeader;
  protectedTlvs: Tlv[];
  /** Unprotected TLVs (hash, key hash, signature, …), in file order. */
  tlvs: Tlv[];
  /** Bytes covered by the image hash: header + body + protected TLV area. */
  hashedLength: number;
  /** Offset of the unprotected TLV info header (0x6907). */
  unprotectedOffset: number;
  /** End of the unprotected TLV area: the image's size without any slot padding/trailer. */
  totalLength: number;
  /** The first hash TLV (SHA256/384/512) in the unprotected area, if any. */
  hashTlv?: HashTlv;
  /** The IMAGE_TLV_SHA256 value: the "image hash" mcumgr lists. */
  sha256Hash?: Uint8Array;
}

/**
 * The 32-byte header's fields as stored, with no checks: for readers that must look at whatever a
 * slot holds (a bootloader, a slot inspector). `parseHeader` is the checked form.
 */
export function decodeHeaderFields(bytes: Uint8Array): ImageHeader {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, IMAGE_HEADER_SIZE);
  return {
    magic: dv.getUint32(0, true),
    loadAddr: dv.getUint32(4, true),
    hdrSize: dv.getUint16(8, true),
    protectTlvSize: dv.getUint16(10, true),
    imgSize: dv.getUint32(12, true),
    flags: dv.getUint32(16, true),
    version: {
      major: dv.getUint8(20),
      minor: dv.getUint8(21),
      revision: dv.getUint16(22, true),
      build: dv.getUint32(24, true),
    },
  };
}

export function parseHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length < IMAGE_HEADER_SIZE) {
    throw new ImageFormatError(
      'truncated',
      `image is truncated: the header needs ${IMAGE_HEADER_SIZE} bytes, file has ${bytes.length}`,
    );
  }
  const dv = dataView(bytes);
  const magic = dv.getUint32(0, true);
  if (magic !== IMAGE_MAGIC) {
    const what =
      magic === IMAGE_MAGIC_NONE
        ? 'the area is erased (no image)'
        : magic === IMAGE_MAGIC_V1
          ? 'it has the obsolete v1 magic'
          : 'this is not an MCUboot image';
    throw new ImageFormatError(
      'magic',
      `bad image magic ${hex32(magic)} (expected ${hex32(IMAGE_MAGIC)}): ${what}`,
      0,
    );
  }
  const header = decodeHeaderFields(bytes);
  if (header.hdrSize < IMAGE_HEADER_SIZE) {
    throw new ImageFormatError(
      'header',
      `header size ${header.hdrSize} is smaller than the ${IMAGE_HEADER_SIZE}-byte image header`,
      8,
    );
  }
  return header;
}

function readTlvEntries(bytes: Uint8Array, start: number, end: number, isProtected: boolean): Tlv[] {
  const dv = dataView(bytes);
  const out: Tlv[] = [];
  let off = start + TLV_INFO_SIZE;
  while (off < end) {
    if (off + TLV_HEADER_SIZE > end) {
      throw new ImageFormatError(
        'tlv',
        `TLV header at offset ${off} runs past the end of its area (${end})`,
        off,
      );
    }
    const type = dv.getUint16(off, true);
    const len = dv.getUint16(off + 2, true);
    const dataEnd = off + TLV_HEADER_SIZE + len;
    if (dataEnd > end) {
      throw new ImageFormatError(
        'tlv',
        `TLV ${tlvName(type)} at offset ${off} is ${len} bytes long and runs past the end of its area (${end})`,
        off,
      );
    }
    out.push({
      type,
      offset: off,
      data: bytes.slice(off + TLV_HEADER_SIZE, dataEnd),
      protected: isProtected,
    });
    off = dataEnd;
  }
  return out;
}

function readInfo(bytes: Uint8Array, off: number, label: string): { magic: number; total: number } {
  if (off + TLV_INFO_SIZE > bytes.length) {
    throw new ImageFormatError(
      'truncated',
      `image is truncated: the ${label} TLV info at offset ${off} needs ${off + TLV_INFO_SIZE} bytes, file has ${bytes.length}`,
      off,
    );
  }
  const dv = dataView(bytes);
  return { magic: dv.getUint16(off, true), total: dv.getUint16(off + 2, true) };
}

function checkAreaFits(bytes: Uint8Array, off: number, total: number, label: string): void {
  if (total < TLV_INFO_SIZE) {
    throw new ImageFormatError(
      'tlv',
      `${label} TLV area at offset ${off} claims ${total} bytes, less than its 4-byte info header`,
      off,
    );
  }
  if (off + total > bytes.length) {
    throw new ImageFormatError(
      'truncated',
      `image is truncated: the ${label} TLV area needs ${off + total} bytes, file has ${bytes.length}`,
      off,
    );
  }
}

/**
 * Parse an MCUboot image (with or without slot padding/trailer after it).
 * Follows bootutil's TLV iterator rules (tlv.c), so anything it accepts the bootloader can walk.
 */
export function parseImage(bytes: Uint8Array): McubootImage {
  const header = parseHeader(bytes);
  const bodyEnd = header.hdrSize + header.imgSize;
  if (bodyEnd > bytes.length) {
    throw new ImageFormatError(
      'truncated',
      `image is truncated: header+body need ${bodyEnd} bytes, file has ${bytes.length}`,
    );
  }
  let off = bodyEnd;
  let info = readInfo(bytes, off, 'first');
  let protectedTlvs: Tlv[] = [];
  if (info.magic === TLV_PROT_INFO_MAGIC) {
    if (info.total !== header.protectTlvSize) {
      throw new ImageFormatError(
        'size',
        `protected TLV area is ${info.total} bytes by its info header but ${header.protectTlvSize} by the image header`,
        off,
      );
    }
    checkAreaFits(bytes, off, info.total, 'protected');
    protectedTlvs = readTlvEntries(bytes, off, off + info.total, true);
    off += info.total;
    info = readInfo(bytes, off, 'unprotected');
  } else if (header.protectTlvSize !== 0) {
    throw new ImageFormatError(
      'size',
      `image header says the protected TLV area is ${header.protectTlvSize} bytes, but no protected TLV info (0x6908) follows the body at offset ${off} (found 0x${info.magic.toString(16)})`,
      off,
    );
  }
  if (info.magic !== TLV_INFO_MAGIC) {
    throw new ImageFormatError(
      'tlv',
      `bad TLV info magic 0x${info.magic.toString(16).padStart(4, '0')} at offset ${off} (expected 0x6907)`,
      off,
    );
  }
  checkAreaFits(bytes, off, info.total, 'unprotected');
  const tlvs = readTlvEntries(bytes, off, off + info.total, false);
  const image: McubootImage = {
    header,
    protectedTlvs,
    tlvs,
    hashedLength: bodyEnd + header.protectTlvSize,
    unprotectedOffset: off,
    totalLength: off + info.total,
  };
  const hashTlv = tlvs.find((t) => HASH_TLV_ALGORITHM.has(t.type));
  if (hashTlv) {
    image.hashTlv = {
      type: hashTlv.type,
      algorithm: HASH_TLV_ALGORITHM.get(hashTlv.type)!,
      data: hashTlv.data,
    };
  }
  const sha256 = tlvs.find((t) => t.type === TlvType.SHA256);
  if (sha256) image.sha256Hash = sha256.data;
  return image;
}

/** All TLVs of one type, protected first, in file order. */
export function findTlvs(image: McubootImage, type: number): Tlv[] {
  return [...image.protectedTlvs, ...image.tlvs].filter((t) => t.type === type);
}
