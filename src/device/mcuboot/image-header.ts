// The bootloader's own minimal view of an image header (boot_read_image_header,
// boot_check_header_valid, boot_read_image_size). Full parsing and verification live in src/image/.
import type { FlashArea } from '../flash.ts';

export const IMAGE_MAGIC = 0x96f3b83d;
export const IMAGE_HEADER_SIZE = 32;
export const IMAGE_F_NON_BOOTABLE = 0x10;
const TLV_INFO_MAGIC = 0x6907;
const TLV_PROT_INFO_MAGIC = 0x6908;

export interface BootImageHeader {
  magic: number;
  loadAddr: number;
  hdrSize: number;
  protectTlvSize: number;
  imgSize: number;
  flags: number;
  version: { major: number; minor: number; revision: number; build: number };
  /** All four magic bytes read as erased. */
  erased: boolean;
}

export function parseHeader(bytes: Uint8Array, eraseValue: number): BootImageHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset, IMAGE_HEADER_SIZE);
  return {
    magic: v.getUint32(0, true),
    loadAddr: v.getUint32(4, true),
    hdrSize: v.getUint16(8, true),
    protectTlvSize: v.getUint16(10, true),
    imgSize: v.getUint32(12, true),
    flags: v.getUint32(16, true),
    version: {
      major: v.getUint8(20),
      minor: v.getUint8(21),
      revision: v.getUint16(22, true),
      build: v.getUint32(24, true),
    },
    erased: bytes.subarray(0, 4).every((b) => b === eraseValue),
  };
}

export function readHeader(area: FlashArea): BootImageHeader {
  return parseHeader(area.read(0, IMAGE_HEADER_SIZE), area.eraseValue);
}

/** boot_check_header_valid: right magic and header+body+protected TLVs smaller than the slot. */
export function headerValid(hdr: BootImageHeader, slotSize: number): boolean {
  if (hdr.magic !== IMAGE_MAGIC) return false;
  return hdr.hdrSize + hdr.imgSize + hdr.protectTlvSize < slotSize;
}

/**
 * boot_read_image_size: header + body + both TLV areas, or undefined when the TLV info headers
 * are inconsistent (BOOT_EBADIMAGE in C).
 */
export function imageSize(area: FlashArea, hdr: BootImageHeader): number | undefined {
  const off = hdr.hdrSize + hdr.imgSize;
  if (off + 4 > area.size) return undefined;
  let info = area.read(off, 4);
  let magic = info[0]! | (info[1]! << 8);
  let tot = info[2]! | (info[3]! << 8);
  if (magic === TLV_PROT_INFO_MAGIC) {
    if (hdr.protectTlvSize !== tot || off + tot + 4 > area.size) return undefined;
    info = area.read(off + tot, 4);
    magic = info[0]! | (info[1]! << 8);
    tot = info[2]! | (info[3]! << 8);
  } else if (hdr.protectTlvSize !== 0) {
    return undefined;
  }
  if (magic !== TLV_INFO_MAGIC) return undefined;
  return off + hdr.protectTlvSize + tot;
}
