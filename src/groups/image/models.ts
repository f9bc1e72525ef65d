/** Image management group (1): state read/write (list, test, confirm), upload, erase, slot info. */
import { defineCommand, type ResponseOf, type SmpCommand } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import type { OutputOf } from '../../smp/schema.ts';
import { arrayOf, bool, bytes, int, optional, struct, text, uint, withDefault } from '../../smp/schema.ts';

/** One slot as `image list` reports it; FRUGAL_LIST devices omit false flags, so they default. */
export const imageSlotState = struct({
  image: optional(uint()),
  slot: uint(),
  version: text(),
  hash: bytes(),
  bootable: withDefault(bool(), false),
  pending: withDefault(bool(), false),
  confirmed: withDefault(bool(), false),
  active: withDefault(bool(), false),
  permanent: withDefault(bool(), false),
});

const imageStateShape = {
  images: arrayOf(imageSlotState),
  splitStatus: optional(int()),
};

export type ImageSlotState = OutputOf<typeof imageSlotState>;

export const imageStateRead = defineCommand({
  group: SmpGroup.Image,
  id: 0,
  op: 'read',
  name: 'image state read',
  request: {},
  response: imageStateShape,
});

export type ImageStateResponse = ResponseOf<typeof imageStateRead>;

export const imageStateWrite = defineCommand({
  group: SmpGroup.Image,
  id: 0,
  op: 'write',
  name: 'image state write',
  request: { hash: optional(bytes()), confirm: optional(bool()) },
  response: imageStateShape,
});

export const imageUpload = defineCommand({
  group: SmpGroup.Image,
  id: 1,
  op: 'write',
  name: 'image upload',
  request: {
    image: optional(uint()),
    len: optional(uint()),
    off: uint(),
    sha: optional(bytes()),
    // Zephyr decodes every key as optional: no "data" is a zero-byte chunk.
    data: withDefault(bytes(), new Uint8Array(0)),
    upgrade: optional(bool()),
  },
  response: { off: uint(), match: optional(bool()) },
});

export const imageErase = defineCommand({
  group: SmpGroup.Image,
  id: 5,
  op: 'write',
  name: 'image erase',
  request: { slot: optional(uint()) },
  response: {},
});

const slotInfoSlot = struct({
  slot: uint(),
  size: uint(),
  upload_image_id: optional(uint()),
});

export const slotInfo = defineCommand({
  group: SmpGroup.Image,
  id: 6,
  op: 'read',
  name: 'image slot info',
  request: {},
  response: {
    images: arrayOf(
      struct({
        image: uint(),
        slots: arrayOf(slotInfoSlot),
        max_image_size: optional(uint()),
      }),
    ),
  },
});
export type SlotInfoResponse = ResponseOf<typeof slotInfo>;

export const imageCommands: ReadonlyArray<SmpCommand> = [
  imageStateRead,
  imageStateWrite,
  imageUpload,
  imageErase,
  slotInfo,
];
