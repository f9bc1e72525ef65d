/**
 * What the Zephyr application knows about its image slots (img_mgmt_state.c / zephyr_img_mgmt.c):
 * which images are readable, the next boot slot and type from MCUboot's trailers, and the flags
 * `image list` reports. Single-image, swap or overwrite builds: the running slot is always 0.
 */
import { SwapType } from '../../image/trailer.ts';
import type { Board } from '../boards/board.ts';
import type { FlashArea } from '../flash.ts';
import { swapType } from '../mcuboot/public.ts';
import { readSlotInfo, type SlotImageInfo } from './read-info.ts';

export type { SlotImageInfo } from './read-info.ts';

export const ACTIVE_SLOT = 0;
export const OTHER_SLOT = 1;

export type NextBootType = 'normal' | 'test' | 'revert';

export interface SlotFlags {
  active: boolean;
  confirmed: boolean;
  pending: boolean;
  permanent: boolean;
}

export class ImageSlots {
  constructor(
    readonly board: Board,
    readonly areas: readonly [FlashArea, FlashArea],
    /** CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING. */
    private readonly allowErasePending = false,
  ) {}

  area(slot: number): FlashArea {
    const area = this.areas[slot];
    if (!area) throw new RangeError(`slot ${slot} does not exist on ${this.board.name}`);
    return area;
  }

  /** img_mgmt_read_info (./read-info.ts): undefined when the slot holds no listable image. */
  readInfo(slot: number): SlotImageInfo | undefined {
    const result = readSlotInfo(this.area(slot), slot);
    return result.ok ? result.info : undefined;
  }

  findByHash(hash: Uint8Array): number | undefined {
    for (const slot of [ACTIVE_SLOT, OTHER_SLOT]) {
      const info = this.readInfo(slot);
      if (info && equalBytes(info.hash, hash)) return slot;
    }
    return undefined;
  }

  /** img_mgmt_get_next_boot_slot, from MCUboot's swap type. */
  nextBoot(): { slot: number; type: NextBootType } {
    const type = swapType(this.areas[0], this.areas[1], this.board.mcuboot.maxAlign);
    switch (type) {
      case SwapType.NONE:
        return { slot: ACTIVE_SLOT, type: 'normal' };
      case SwapType.PERM:
        return { slot: OTHER_SLOT, type: 'normal' };
      case SwapType.REVERT:
        return { slot: OTHER_SLOT, type: 'revert' };
      default:
        return { slot: OTHER_SLOT, type: 'test' };
    }
  }

  /** The flags img_mgmt_state_read reports for each slot. */
  flags(): [SlotFlags, SlotFlags] {
    const next = this.nextBoot();
    const active: SlotFlags = {
      active: true,
      confirmed: next.type !== 'revert',
      pending: false,
      permanent: false,
    };
    const other: SlotFlags = { active: false, confirmed: false, pending: false, permanent: false };
    if (next.slot !== ACTIVE_SLOT) {
      if (next.type === 'normal') {
        other.pending = true;
        other.permanent = true;
      } else if (next.type === 'revert') {
        other.confirmed = true;
      } else {
        other.pending = true;
      }
    }
    return [active, other];
  }

  /**
   * img_mgmt_slot_in_use (img_mgmt_state.c): the running slot, the slot a revert would go back to,
   * and, unless built with CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING (default n), a slot pending
   * for the next boot (test or permanent). An upload picks only a slot not in use, and an erase of
   * a slot in use is refused (img_mgmt.c img_mgmt_erase, zephyr_img_mgmt.c
   * img_mgmt_get_unused_slot_area_id).
   */
  inUse(slot: number): boolean {
    const next = this.nextBoot();
    if (slot === next.slot && next.type === 'revert') return true;
    const pending =
      (slot === next.slot && next.type === 'test') || (next.slot !== ACTIVE_SLOT && next.type === 'normal');
    if (pending && !this.allowErasePending) return true;
    return slot === ACTIVE_SLOT;
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
