/** Test data: one slot as `image list` reports it, every flag false unless given. */
import type { ImageSlotState } from '../../src/groups/image/models.ts';

export function slotState(
  slot: number,
  version: string,
  hash: Uint8Array,
  flags: Partial<ImageSlotState> = {},
): ImageSlotState {
  return {
    slot,
    version,
    hash,
    bootable: true,
    pending: false,
    confirmed: false,
    active: false,
    permanent: false,
    ...flags,
  };
}
