/**
 * Which buttons a slot row of the Slots view offers, after Zephyr's img_mgmt_state.c rules: a
 * test boot is asked for a slot that is not running and not already pending; confirm keeps the
 * running image (or installs another slot's image for good); erase clears a slot that is not
 * running. Pure.
 */
import type { ImageSlotState } from '../../groups/image/models.ts';

export type SlotAction = 'test' | 'confirm' | 'erase';

export function slotActions(slot: ImageSlotState): SlotAction[] {
  const actions: SlotAction[] = [];
  const hasImage = slot.hash.length > 0;
  if (!slot.active && hasImage && !slot.pending) actions.push('test');
  if (hasImage && !slot.confirmed && !(slot.pending && slot.permanent)) actions.push('confirm');
  if (!slot.active) actions.push('erase');
  return actions;
}

/** img_mgmt_erase numbers slots absolutely: image N's slots are 2N and 2N+1. */
export function absoluteSlot(slot: ImageSlotState): number {
  return 2 * (slot.image ?? 0) + slot.slot;
}

export const SLOT_ACTION_LABELS: Readonly<Record<SlotAction, string>> = {
  test: 'Test boot',
  confirm: 'Confirm',
  erase: 'Erase',
};
