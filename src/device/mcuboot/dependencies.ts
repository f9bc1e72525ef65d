// Image versions and dependency TLVs as the bootloader reads them: boot_compare_version
// (bootutil_loader.c, without MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER) and the protected
// IMAGE_TLV_DEPENDENCY entries (struct image_dependency in image.h) that
// boot_verify_slot_dependencies (loader.c) walks with bootutil_tlv_iter (tlv.c).
import { TLV_INFO_MAGIC, TLV_PROT_INFO_MAGIC, TlvType } from '../../image/format.ts';
import type { FlashArea } from '../flash.ts';
import type { BootImageHeader } from './image-header.ts';

export interface BootVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

/** boot_compare_version: −1, 0 or 1, ignoring the build number (the default build). */
export function compareVersion(a: BootVersion, b: BootVersion): number {
  for (const k of ['major', 'minor', 'revision'] as const) {
    if (a[k] > b[k]) return 1;
    if (a[k] < b[k]) return -1;
  }
  return 0;
}

export function versionText(v: BootVersion): string {
  return `${v.major}.${v.minor}.${v.revision}+${v.build}`;
}

export interface ImageDependency {
  imageId: number;
  minVersion: BootVersion;
}

/** Why a dependency list could not be read (the C iterator's error returns). */
export class DependencyReadError extends Error {
  override name = 'DependencyReadError';
}

const IMAGE_DEPENDENCY_SIZE = 12;

/**
 * The dependency TLVs of the image starting `base` bytes into `area` (protected area only, as
 * bootutil_tlv_iter_begin(.., IMAGE_TLV_DEPENDENCY, true) searches).
 */
export function readDependencies(area: FlashArea, hdr: BootImageHeader, base = 0): ImageDependency[] {
  const tlvOff = base + hdr.hdrSize + hdr.imgSize;
  if (tlvOff + 4 > area.size) throw new DependencyReadError('the TLV area lies beyond the slot');
  const info = area.read(tlvOff, 4);
  const magic = info[0]! | (info[1]! << 8);
  const tot = info[2]! | (info[3]! << 8);
  if (magic !== TLV_PROT_INFO_MAGIC) {
    if (hdr.protectTlvSize !== 0 || magic !== TLV_INFO_MAGIC) {
      throw new DependencyReadError(`bad TLV info magic 0x${magic.toString(16)}`);
    }
    return [];
  }
  if (tot !== hdr.protectTlvSize || tlvOff + tot > area.size) {
    throw new DependencyReadError(
      `protected TLV size ${tot} does not match the header's ${hdr.protectTlvSize}`,
    );
  }
  const bytes = area.read(tlvOff, tot);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const deps: ImageDependency[] = [];
  let off = 4;
  while (off < tot) {
    if (off + 4 > tot) throw new DependencyReadError('a protected TLV header runs past the protected area');
    const type = v.getUint16(off, true);
    const len = v.getUint16(off + 2, true);
    if (off + 4 + len > tot) throw new DependencyReadError('a protected TLV runs past the protected area');
    if (type === TlvType.DEPENDENCY) {
      if (len !== IMAGE_DEPENDENCY_SIZE) {
        throw new DependencyReadError(`dependency TLV of ${len} bytes (expected ${IMAGE_DEPENDENCY_SIZE})`);
      }
      const p = off + 4;
      deps.push({
        imageId: v.getUint8(p),
        minVersion: {
          major: v.getUint8(p + 4),
          minor: v.getUint8(p + 5),
          revision: v.getUint16(p + 6, true),
          build: v.getUint32(p + 8, true),
        },
      });
    }
    off += 4 + len;
  }
  return deps;
}
