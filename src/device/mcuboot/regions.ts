// Sector-granular helpers shared by the upgrade strategies (boot_erase_region,
// boot_scramble_region, boot_copy_region).
import type { FlashArea } from '../flash.ts';

/** boot_copy_region moves data through a 1 KiB buffer: one flash write per chunk. */
export const COPY_CHUNK = 1024;

/** Erase the sectors covering [off, off+size), one erase per sector; backwards = highest first. */
export function eraseRegion(area: FlashArea, off: number, size: number, backwards = false): void {
  if (size === 0) return;
  const first = area.sectorAt(off);
  const last = area.sectorAt(off + size - 1);
  const sectors = area.sectors.filter((s) => s.offset >= first.offset && s.offset <= last.offset);
  if (backwards) sectors.reverse();
  for (const s of sectors) area.erase(s.offset, s.size);
}

export function copyRegion(
  src: FlashArea,
  dst: FlashArea,
  offSrc: number,
  offDst: number,
  size: number,
): void {
  for (let done = 0; done < size; done += COPY_CHUNK) {
    const n = Math.min(COPY_CHUNK, size - done);
    dst.write(offDst + done, src.read(offSrc + done, n));
  }
}
