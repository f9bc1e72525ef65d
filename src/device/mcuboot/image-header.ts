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
