// Overwrite-only upgrade (loader.c boot_copy_image, MCUBOOT_OVERWRITE_ONLY without _FAST): the
// whole secondary slot, trailer included, replaces the primary; then the secondary's first and
// last sectors are erased so the upgrade cannot trigger again. No status area, nothing to revert
// to. Compatibility is swap_scratch.c's boot_slots_compatible without the scratch checks.
import type { LoaderState } from './loader-state.ts';
import { copyRegion, eraseRegion } from './regions.ts';
import { slotsCompatibleMessage } from './swap-scratch.ts';

export function overwriteSlotsCompatible(st: LoaderState): boolean {
  const warning = slotsCompatibleMessage(st, false);
  if (warning) st.log(`W: ${warning}`);
  return warning === undefined;
}

export function copyImage(st: LoaderState): void {
  const { primary, secondary } = st.areas;
  st.log(`I: Image ${st.image} upgrade secondary slot -> primary slot`);
  st.log('I: Erasing the primary slot');
  let size = 0;
  for (const sector of primary.sectors) {
    eraseRegion(primary, sector.offset, sector.size);
    size += sector.size;
  }
  st.log(`I: Image ${st.image} copying the secondary slot to the primary slot: 0x${size.toString(16)} bytes`);
  copyRegion(secondary, primary, 0, 0, size);
  const first = secondary.sectors[0]!;
  eraseRegion(secondary, first.offset, first.size);
  const last = secondary.sectors[secondary.sectors.length - 1]!;
  eraseRegion(secondary, last.offset, last.size);
}
