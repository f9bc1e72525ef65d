/**
 * What the Zephyr application knows about its image slots (img_mgmt_state.c / zephyr_img_mgmt.c,
 * Zephyr v3.5.0): which images are readable, the next boot slot and type of each image, the flags
 * `image list` reports, and where an upload goes.
 *
 * Slots are numbered as img_mgmt numbers them (img_mgmt_flash_area_id): absolute, two per image,
 * slot 2i the primary and 2i+1 the secondary of image i (slot0..slot3_partition on an nRF5340).
 * `image list` reports each as {image: slot >> 1, slot: slot % 2} (img_mgmt_state_encode_slot).
 */

import type { Board } from '../../device/boards/board.ts';
import type { FlashArea } from '../../device/flash.ts';
import { readSwapState, swapType } from '../../device/mcuboot/public.ts';
import { BootFlag, BootMagic, SwapType } from '../../image/trailer.ts';
import { compareVersions } from '../../image/version.ts';
import { readSlotInfo, type SlotImageInfo } from './read-info.ts';

export type { SlotImageInfo } from './read-info.ts';

/** Image 0's slots (a single-image build knows only these). */
export const ACTIVE_SLOT = 0;
export const OTHER_SLOT = 1;

export type NextBootType = 'normal' | 'test' | 'revert';

export interface SlotFlags {
  active: boolean;
  confirmed: boolean;
  pending: boolean;
  permanent: boolean;
}

/** One image's two slots (state->imgs[i][0/1] in MCUboot). */
export interface ImageAreas {
  readonly primary: FlashArea;
  readonly secondary: FlashArea;
}

export interface ImageSlotsOptions {
  /** CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING (default n). */
  readonly allowErasePending?: boolean;
  /**
   * Per image, the slot (0 primary, 1 secondary) MCUboot booted it from (BootResult.images[i]):
   * a direct-XIP image built for slot 1 runs from there; RAM-load reports it through the shared
   * boot info (BLINFO_RUNNING_SLOT). Swap and overwrite builds always run from the primary.
   */
  readonly booted?: readonly (0 | 1)[];
}

export class ImageSlots {
  readonly images: readonly ImageAreas[];
  private readonly allowErasePending: boolean;
  private readonly booted: readonly (0 | 1)[];

  constructor(
    readonly board: Board,
    areas: readonly [FlashArea, FlashArea] | readonly ImageAreas[],
    options: boolean | ImageSlotsOptions = false,
  ) {
    this.images = isPair(areas)
      ? [{ primary: areas[0], secondary: areas[1] }]
      : (areas as readonly ImageAreas[]);
    const opts = typeof options === 'boolean' ? { allowErasePending: options } : options;
    this.allowErasePending = opts.allowErasePending ?? false;
    this.booted = opts.booted ?? [];
  }

  /** CONFIG_MCUMGR_GRP_IMG_UPDATABLE_IMAGE_NUMBER. */
  get imageCount(): number {
    return this.images.length;
  }

  /** 2 × the image count: every valid absolute slot number is below this. */
  get slotCount(): number {
    return 2 * this.images.length;
  }

  /** img_mgmt_slot_to_image. */
  imageOf(slot: number): number {
    return slot >> 1;
  }

  area(slot: number): FlashArea {
    const image = this.images[this.imageOf(slot)];
    if (!image || slot < 0 || !Number.isInteger(slot)) {
      throw new RangeError(
        `slot ${slot} does not exist on ${this.board.name} (${this.images.length} image(s): slots 0-${this.slotCount - 1})`,
      );
    }
    return slot % 2 === 0 ? image.primary : image.secondary;
  }

  /**
   * img_mgmt_active_slot: the slot the image runs from. Zephyr v3.5.0 (img_mgmt.c) knows it from
   * the build (FLASH_LOAD_OFFSET inside slot1_partition: a direct-XIP image linked for slot 1);
   * later releases ask MCUboot's shared data for RAM-load. Both are the slot MCUboot booted.
   */
  activeSlot(image: number): number {
    return 2 * image + (this.booted[image] ?? 0);
  }

  /** img_mgmt_get_opposite_slot. */
  oppositeSlot(slot: number): number {
    return slot ^ 1;
  }

  private get mode() {
    return this.board.mcuboot.mode;
  }

  private get maxAlign(): number {
    return this.board.mcuboot.maxAlign;
  }

  /**
   * Where the image starts inside the slot (boot_get_image_start_offset, subsys/dfu/boot/mcuboot.c,
   * Zephyr 4.1+; dfu_boot_get_image_offset later): with swap using offset an update is written
   * one sector into the secondary slot, except while that image is in revert (the swap moved the
   * old image back to the slot's start).
   */
  imageOffset(slot: number): number {
    if (this.mode !== 'swap-offset' || slot % 2 === 0) return 0;
    const image = this.imageOf(slot);
    if (this.swapTypeOf(image) === SwapType.REVERT) return 0;
    return this.area(slot).sectors[0]!.size;
  }

  /** img_mgmt_read_info (./read-info.ts): undefined when the slot holds no listable image. */
  readInfo(slot: number): SlotImageInfo | undefined {
    const result = readSlotInfo(this.area(slot), slot, this.imageOffset(slot));
    return result.ok ? result.info : undefined;
  }

  /** img_mgmt_find_by_hash: the first slot, over every image, whose image has this hash. */
  findByHash(hash: Uint8Array): number | undefined {
    for (let slot = 0; slot < this.slotCount; slot++) {
      const info = this.readInfo(slot);
      if (info && equalBytes(info.hash, hash)) return slot;
    }
    return undefined;
  }

  /** mcuboot_swap_type_multi(image). */
  private swapTypeOf(image: number): SwapType {
    const areas = this.images[image]!;
    return swapType(areas.primary, areas.secondary, this.maxAlign);
  }

  /**
   * img_mgmt_get_next_boot_slot (img_mgmt_state.c). Swap, overwrite and RAM-load builds: from
   * MCUboot's swap type. Direct-XIP: the slot with the higher version (MCUboot boots the highest,
   * loader.c boot_load_and_validate_images). Direct-XIP with revert (img_mgmt_state.c upstream
   * main, read_directxip_state; v3.5.0 built it as plain direct-XIP): a slot marked for one boot
   * is tested, an active image booted once and not confirmed reverts.
   */
  nextBoot(image = 0): { slot: number; type: NextBootType } {
    const active = this.activeSlot(image);
    const other = this.oppositeSlot(active);
    if (this.mode === 'direct-xip' || this.mode === 'direct-xip-revert') {
      return this.nextBootDirectXip(active, other);
    }
    switch (this.swapTypeOf(image)) {
      case SwapType.NONE:
        return { slot: active, type: 'normal' };
      case SwapType.PERM:
        return { slot: other, type: 'normal' };
      case SwapType.REVERT:
        return { slot: other, type: 'revert' };
      default:
        return { slot: other, type: 'test' };
    }
  }

  private nextBootDirectXip(active: number, other: number): { slot: number; type: NextBootType } {
    const activeInfo = this.readInfo(active);
    const otherInfo = this.readInfo(other);
    const newer = activeInfo && otherInfo && compareVersions(activeInfo.version, otherInfo.version) < 0;
    if (this.mode === 'direct-xip') return { slot: newer ? other : active, type: 'normal' };
    if (!activeInfo || !otherInfo) return { slot: active, type: 'normal' };
    const activeState = this.directXipState(active);
    const otherState = this.directXipState(other);
    if (activeState === 'revert') return { slot: other, type: 'revert' };
    if (otherState === 'unset') return { slot: active, type: activeState === 'once' ? 'test' : 'normal' };
    if (newer && otherState === 'forever') return { slot: other, type: 'normal' };
    if (newer && otherState === 'once') return { slot: other, type: 'test' };
    return { slot: active, type: 'normal' };
  }

  /** read_directxip_state (img_mgmt_state.c): what the slot's trailer says MCUboot will do. */
  private directXipState(slot: number): 'unset' | 'once' | 'revert' | 'forever' {
    const state = readSwapState(this.area(slot), this.maxAlign);
    if (state.magic !== BootMagic.GOOD) return 'unset';
    if (state.imageOk === BootFlag.SET) return 'forever';
    if (state.copyDone === BootFlag.SET) return 'revert';
    return 'once';
  }

  /**
   * The flags img_mgmt_state_read reports for one image's slots, indexed by slot % 2: the active
   * slot is active and (unless it reverts next boot) confirmed; the other slot is pending and
   * permanent, confirmed (to revert to) or pending, from the next boot slot and type.
   */
  flags(image = 0): [SlotFlags, SlotFlags] {
    const next = this.nextBoot(image);
    const activeSlot = this.activeSlot(image);
    const active: SlotFlags = {
      active: true,
      confirmed: next.type !== 'revert',
      pending: false,
      permanent: false,
    };
    const other: SlotFlags = { active: false, confirmed: false, pending: false, permanent: false };
    if (next.slot !== activeSlot) {
      if (next.type === 'normal') {
        other.pending = true;
        other.permanent = true;
      } else if (next.type === 'revert') {
        other.confirmed = true;
      } else {
        other.pending = true;
      }
    }
    return activeSlot % 2 === 0 ? [active, other] : [other, active];
  }

  /**
   * img_mgmt_slot_in_use (img_mgmt_state.c): the running slot, the slot a revert would go back to,
   * and, unless built with CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING (default n), a slot pending
   * for the next boot (test or permanent). Direct-XIP and RAM-load builds keep only the running
   * slot. An upload picks only a slot not in use, and an erase of a slot in use is refused.
   */
  inUse(slot: number): boolean {
    const image = this.imageOf(slot);
    const active = this.activeSlot(image);
    if (!['direct-xip', 'direct-xip-revert', 'ram-load'].includes(this.mode)) {
      const next = this.nextBoot(image);
      if (slot === next.slot && next.type === 'revert') return true;
      const pending =
        (slot === next.slot && next.type === 'test') || (next.slot !== active && next.type === 'normal');
      if (pending && !this.allowErasePending) return true;
    }
    return slot === active;
  }

  /**
   * img_mgmt_get_unused_slot_area_id (zephyr_img_mgmt.c): a single-image build takes the first of
   * slots 0 and 1 not in use (the `image` field is ignored), so a direct-XIP image running from
   * slot 1 is updated in slot 0; a multi-image build takes the slot opposite the image's active
   * one if it is not in use. Undefined: no free slot (NO_FREE_SLOT).
   */
  uploadSlot(image: number): number | undefined {
    if (this.images.length === 1) {
      for (const slot of [0, 1]) if (!this.inUse(slot)) return slot;
      return undefined;
    }
    if (!Number.isInteger(image) || image < 0 || image >= this.images.length) return undefined;
    const slot = this.oppositeSlot(this.activeSlot(image));
    return this.inUse(slot) ? undefined : slot;
  }
}

function isPair(
  areas: readonly [FlashArea, FlashArea] | readonly ImageAreas[],
): areas is readonly [FlashArea, FlashArea] {
  return areas.length === 2 && !('primary' in (areas[0] as object));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
