// boot_validate_slot (loader.c) and boot_read_image_headers (bootutil_loader.c), shared by every
// strategy: an erased or non-bootable slot, the swap-offset wrong-upload check, overwrite-only's
// downgrade check, then header + image validation; an invalid secondary (or, where slots are
// equivalent, any invalid slot) is erased so it is not tried again.
import { ImageFlag } from '../../image/format.ts';
import { SwapType } from '../../image/trailer.ts';
import type { FlashArea } from '../flash.ts';
import type { ImageValidator } from './boot-types.ts';
import { compareVersion } from './dependencies.ts';
import { headerValid, IMAGE_MAGIC, imageExtent, readHeader } from './image-header.ts';
import { type BootStatus, isStatusReset, type LoaderState } from './loader-state.ts';
import { eraseRegion } from './regions.ts';
import { scrambleTrailerSectors, swapTypeMulti } from './swap-common.ts';
import type { SlotIndex, SwapStrategy } from './swap-strategy.ts';

export type SlotVerdict = { kind: 'ok' } | { kind: 'no-bootable'; reason: string };

export function slotArea(st: LoaderState, slot: SlotIndex): FlashArea {
  return slot === 0 ? st.areas.primary : st.areas.secondary;
}

export const slotName = (slot: SlotIndex) => (slot === 0 ? 'primary' : 'secondary');

/** Where the slot's image starts: swap-using-offset keeps the secondary image one sector in. */
export function imageBase(st: LoaderState, slot: SlotIndex): number {
  return slot === 1 ? st.secondaryOffset : 0;
}

/**
 * boot_read_image_headers: both slots' headers into the state. A failing secondary is fine unless
 * requireAll; returns false for the C function's nonzero return.
 */
export function readImageHeaders(
  st: LoaderState,
  strategy: SwapStrategy | undefined,
  requireAll: boolean,
  bs: BootStatus | undefined,
): boolean {
  for (const slot of [0, 1] as const) {
    const r = strategy
      ? strategy.readImageHeader(st, slot, bs)
      : { hdr: readHeader(slotArea(st, slot)), ok: true };
    st.headers[slot] = r.hdr;
    if (!r.ok) return slot > 0 && !requireAll;
  }
  return true;
}

/** boot_scramble_slot: the whole slot erased. */
export function scrambleSlot(area: FlashArea): void {
  eraseRegion(area, 0, area.size);
}

export interface ValidateEnv {
  validate: ImageValidator;
  strategy: SwapStrategy | undefined;
  /** ARE_SLOTS_EQUIVALENT(): direct-XIP and RAM-load erase an invalid primary too. */
  slotsEquivalent: boolean;
}

export async function validateSlot(
  st: LoaderState,
  slot: SlotIndex,
  bs: BootStatus | undefined,
  expected: SwapType,
  env: ValidateEnv,
): Promise<SlotVerdict> {
  const area = slotArea(st, slot);
  const hdr = st.headers[slot] ?? readHeader(area, imageBase(st, slot));
  const s = env.strategy;
  if (hdr.erased || (hdr.flags & ImageFlag.NON_BOOTABLE) !== 0) {
    // A leftover trailer without an image would keep re-triggering; drop it.
    if (slot === 1 && s) {
      scrambleTrailerSectors(st, s, area);
      if (
        s.mode === 'swap-move' &&
        (bs?.swapType === SwapType.REVERT || swapTypeMulti(st) === SwapType.REVERT)
      ) {
        scrambleTrailerSectors(st, s, st.areas.primary);
        st.log(`I: Cleared image ${st.image} primary slot trailer due to stuck revert`);
      }
    }
    return { kind: 'no-bootable', reason: `no image in the ${slotName(slot)} slot of image ${st.image}` };
  }
  let reason: string | undefined;
  if (
    s?.mode === 'swap-offset' &&
    slot === 1 &&
    bs !== undefined &&
    isStatusReset(bs, s.initialOp) &&
    (expected === SwapType.TEST || expected === SwapType.PERM) &&
    readHeader(area, 0).magic === IMAGE_MAGIC
  ) {
    st.log('E: Secondary header magic detected in first sector, wrong upload address?');
    reason = `the update starts at the secondary slot's first sector; swap using offset expects it one sector (0x${area.sectors[0]!.size.toString(16)} bytes) in`;
  }
  if (
    reason === undefined &&
    st.config.mode === 'overwrite-only' &&
    st.config.downgradePrevention &&
    slot === 1
  ) {
    const pri = st.headers[0];
    if (pri && !pri.erased && compareVersion(hdr.version, pri.version) < 0) {
      st.log('E: Insufficient version in secondary slot');
      scrambleSlot(area);
      return {
        kind: 'no-bootable',
        reason: `downgrade refused: image ${st.image} version ${fmt(hdr.version)} in the secondary slot is lower than ${fmt(pri.version)} in the primary`,
      };
    }
  }
  if (reason === undefined) {
    const base = imageBase(st, slot);
    if (!headerValid(hdr, area.size)) {
      reason = `bad image header in the ${slotName(slot)} slot (magic 0x${hdr.magic.toString(16)})`;
    } else {
      // Like bootutil_img_validate, read only the image (header, body, TLVs), not the trailer.
      const room = area.size - base;
      const length = Math.min(imageExtent(area, hdr, base)?.size ?? room, room);
      const res = await env.validate(slotName(slot), area.read(base, length), st.image);
      if (!res.ok) reason = res.reason ?? `image in the ${slotName(slot)} slot failed validation`;
    }
  }
  if (reason === undefined) return { kind: 'ok' };
  st.log(`E: Image in the ${slotName(slot)} slot is not valid!`);
  if (slot === 1 || env.slotsEquivalent) scrambleSlot(area);
  return { kind: 'no-bootable', reason };
}

function fmt(v: { major: number; minor: number; revision: number }): string {
  return `${v.major}.${v.minor}.${v.revision}`;
}
