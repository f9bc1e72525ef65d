// The bootloader's own minimal view of an image header (boot_read_image_header,
// boot_check_header_valid, boot_read_image_size). Full parsing and verification live in src/image/.
import {
  decodeHeaderFields,
  IMAGE_HEADER_SIZE,
  IMAGE_MAGIC,
  type ImageHeader,
  TLV_INFO_MAGIC,
  TLV_PROT_INFO_MAGIC,
} from '../../image/format.ts';
import type { FlashArea } from '../flash.ts';

export { IMAGE_HEADER_SIZE, IMAGE_MAGIC } from '../../image/format.ts';

export interface BootImageHeader extends ImageHeader {
  /** All four magic bytes read as erased. */
  erased: boolean;
}

export function parseHeader(bytes: Uint8Array, eraseValue: number): BootImageHeader {
  return { ...decodeHeaderFields(bytes), erased: bytes.subarray(0, 4).every((b) => b === eraseValue) };
}

export function readHeader(area: FlashArea, off = 0): BootImageHeader {
  return parseHeader(area.read(off, IMAGE_HEADER_SIZE), area.eraseValue);
}

/** boot_check_header_valid: right magic and header+body+protected TLVs smaller than the slot. */
export function headerValid(hdr: BootImageHeader, slotSize: number): boolean {
  if (hdr.magic !== IMAGE_MAGIC) return false;
  return hdr.hdrSize + hdr.imgSize + hdr.protectTlvSize < slotSize;
}

/** The TLV areas behind an image: their sizes as boot_read_image_size finds them. */
export interface ImageExtent {
  /** header + body + both TLV areas. */
  size: number;
  /** it_tlv_tot of the unprotected TLV area (BOOT_IMG_UNPROTECTED_TLV_SIZE). */
  unprotectedTlvSize: number;
}

/**
 * boot_read_image_size for an image starting `base` bytes into the area (swap-using-offset keeps
 * the secondary image one sector in), or undefined when the TLV info headers are inconsistent
 * (BOOT_EBADIMAGE in C).
 */
export function imageExtent(area: FlashArea, hdr: BootImageHeader, base = 0): ImageExtent | undefined {
  const off = hdr.hdrSize + hdr.imgSize;
  if (base + off + 4 > area.size) return undefined;
  let info = area.read(base + off, 4);
  let magic = info[0]! | (info[1]! << 8);
  let tot = info[2]! | (info[3]! << 8);
  if (magic === TLV_PROT_INFO_MAGIC) {
    if (hdr.protectTlvSize !== tot || base + off + tot + 4 > area.size) return undefined;
    info = area.read(base + off + tot, 4);
    magic = info[0]! | (info[1]! << 8);
    tot = info[2]! | (info[3]! << 8);
  } else if (hdr.protectTlvSize !== 0) {
    return undefined;
  }
  if (magic !== TLV_INFO_MAGIC) return undefined;
  return { size: off + hdr.protectTlvSize + tot, unprotectedTlvSize: tot };
}

/** boot_read_image_size from the start of the area. */
export function imageSize(area: FlashArea, hdr: BootImageHeader): number | undefined {
  return imageExtent(area, hdr)?.size;
}
