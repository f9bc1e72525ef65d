/** Image management group (1) of the virtual device's SMP server: list, test/confirm, upload, erase. */

import { BootError } from '../../device/mcuboot/errors.ts';
import { setConfirmed, setPending } from '../../device/mcuboot/public.ts';
import { GroupError, MgmtErr, MgmtError } from '../../device/server/mgmt-error.ts';
import type { SmpServer } from '../../device/server/smp-server.ts';
import { ImageFlag } from '../../image/format.ts';
import { formatVersion, type ImageVersion } from '../../image/version.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { ImgErr } from './group.ts';
import { imageErase, imageStateRead, imageStateWrite, imageUpload } from './models.ts';
import { ImageUploader } from './server-upload.ts';
import { type ImageSlots, OTHER_SLOT } from './slots.ts';

const HASH_LEN = 32;
/** img_mgmt_active_image(): the application core's image, the one this server runs in. */
const ACTIVE_IMAGE = 0;

/** More img_mgmt_err_code_t values (the upload ones live in img-upload.ts). */
const StateErr = {
  UNKNOWN: 1,
  HASH_NOT_FOUND: 8,
  FLASH_WRITE_FAILED: 12,
  INVALID_HASH: 24,
  IMAGE_ALREADY_PENDING: 28,
  INVALID_IMAGE_VECTOR_TABLE: 29,
  INVALID_IMAGE_HEADER_MAGIC: 23,
  IMAGE_CONFIRMATION_DENIED: 32,
  IMAGE_SETTING_TEST_TO_ACTIVE_DENIED: 33,
} as const;

function imageError(rc: number, message: string): GroupError {
  return new GroupError(SmpGroup.Image, rc, message);
}

export interface ImageGroupOptions {
  slots: ImageSlots;
  /** Version of the image that is running (from the header MCUboot booted). */
  runningVersion: () => ImageVersion | undefined;
  /** CONFIG_IMG_ENABLE_IMAGE_CHECK (default off, as in smp_svr). */
  imageCheck?: boolean;
  /**
   * CONFIG_MCUMGR_GRP_IMG_ALLOW_CONFIRM_NON_ACTIVE_IMAGE_SECONDARY / _ANY (Zephyr v3.5.0): may a
   * client confirm a slot of an image other than the running one (image 0)? (default: secondary
   * yes, any no).
   */
  allowConfirmNonActiveImageSecondary?: boolean;
  allowConfirmNonActiveImageAny?: boolean;
  /** Where the image manager's log lines go (Zephyr module mcumgr_img_grp). */
  log?: (level: 'inf' | 'err', message: string) => void;
}

export function registerImageGroup(server: SmpServer, options: ImageGroupOptions): ImageUploader {
  const { slots } = options;
  const uploader = new ImageUploader(slots, options.runningVersion, {
    imageCheck: options.imageCheck ?? false,
    ...(options.log ? { log: options.log } : {}),
  });

  // img_mgmt_state_read (img_mgmt_state.c): per image, its two slots in slot order, each listed
  // only if it holds a readable image; "image" only when built for more than one image.
  const stateResponse = () => {
    const images = [];
    for (let image = 0; image < slots.imageCount; image++) {
      const flags = slots.flags(image);
      for (const local of [0, 1]) {
        const slot = 2 * image + local;
        const info = slots.readInfo(slot);
        if (!info) continue;
        const slotFlags = flags[local]!;
        images.push({
          ...(slots.imageCount > 1 ? { image } : {}),
          slot: local,
          version: formatVersion(info.version),
          hash: info.hash,
          bootable: (info.flags & ImageFlag.NON_BOOTABLE) === 0,
          pending: slotFlags.pending,
          confirmed: slotFlags.confirmed,
          active: slotFlags.active,
          permanent: slotFlags.permanent,
        });
      }
    }
    return { images, splitStatus: 0 };
  };

  server.register(imageStateRead, () => stateResponse(), { readsRequest: false });

  server.register(imageStateWrite, (request) => {
    const confirm = request.confirm ?? false;
    const hash = request.hash ?? new Uint8Array(0);
    let slot: number;
    if (hash.length === 0) {
      if (!confirm) throw imageError(StateErr.INVALID_HASH, 'a test needs the hash of the image to test');
      // img_mgmt_state_write: confirm without a hash is the running image's active slot.
      slot = slots.activeSlot(ACTIVE_IMAGE);
    } else if (hash.length !== HASH_LEN) {
      throw imageError(StateErr.INVALID_HASH, `hash is ${hash.length} bytes, expected ${HASH_LEN}`);
    } else {
      const found = slots.findByHash(hash);
      if (found === undefined)
        throw imageError(StateErr.HASH_NOT_FOUND, 'no slot holds an image with that hash');
      slot = found;
    }
    setNextBootSlot(slots, slot, confirm, options);
    return stateResponse();
  });

  server.register(imageUpload, (request) => uploader.handle(request), {
    // Zephyr: a request that does not decode is EINVAL; only a missing "off" is err 20.
    onBadRequest: (error) =>
      error.path === 'off' && error.problem === 'missing'
        ? new GroupError(
            SmpGroup.Image,
            ImgErr.INVALID_OFFSET,
            'upload chunk has no "off"',
            'header malformed',
          )
        : new MgmtError(MgmtErr.EINVAL, `image upload: ${error.message}`),
  });

  server.register(imageErase, (request) => {
    // img_mgmt.c img_mgmt_erase: "slot" (default 1) is the absolute slot number of
    // img_mgmt_flash_area_id, 0..2N-1 on an N-image build (slot 3 is image 1's secondary).
    const slot = request.slot ?? OTHER_SLOT;
    if (slot >= slots.slotCount) {
      throw imageError(
        14,
        `slot ${slot} does not exist (INVALID_SLOT): this build has ${slots.imageCount} image(s), slots 0-${slots.slotCount - 1}`,
      );
    }
    // A slot holding a valid image that is in use (running, to revert to, or pending without
    // CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING) is not erased.
    if (slots.readInfo(slot) && slots.inUse(slot)) {
      throw imageError(
        ImgErr.NO_FREE_SLOT,
        `slot ${slot} is in use (running, to revert to, or pending for the next boot) and cannot be erased`,
      );
    }
    const area = slots.area(slot);
    try {
      for (const sector of area.sectors) {
        if (!area.isErased(sector.offset, sector.size)) area.erase(sector.offset, sector.size);
      }
    } catch (error) {
      throw imageError(ImgErr.FLASH_ERASE_FAILED, `erase failed: ${(error as Error).message}`);
    }
    uploader.reset();
    return {};
  });

  return uploader;
}

/**
 * img_mgmt_set_next_boot_slot (img_mgmt_state.c, v3.5.0): the rules for test and confirm of one
 * image's slot, then boot_set_next on that slot's area (bootutil_public.c: confirm the active
 * slot, or mark the other slot pending, as boot_set_pending_multi does for image N).
 */
function setNextBootSlot(
  slots: ImageSlots,
  slot: number,
  confirm: boolean,
  options: ImageGroupOptions,
): void {
  const image = slots.imageOf(slot);
  const activeSlot = slots.activeSlot(image);
  const next = slots.nextBoot(image);
  // Confirming another image than the running one (image 0) is refused unless
  // CONFIG_MCUMGR_GRP_IMG_ALLOW_CONFIRM_NON_ACTIVE_IMAGE_ANY, or _SECONDARY for its secondary slot.
  if (
    confirm &&
    image !== ACTIVE_IMAGE &&
    !options.allowConfirmNonActiveImageAny &&
    (!(options.allowConfirmNonActiveImageSecondary ?? true) || slot === activeSlot)
  ) {
    throw imageError(
      StateErr.IMAGE_CONFIRMATION_DENIED,
      `image ${image} is not the running image: its slot ${slot % 2} cannot be confirmed on this build`,
    );
  }
  if (!confirm && slot === activeSlot) {
    throw imageError(
      StateErr.IMAGE_SETTING_TEST_TO_ACTIVE_DENIED,
      'the running image cannot be set for test',
    );
  }
  if (next.type === 'test') {
    if (!confirm && slot === next.slot) return;
    throw imageError(StateErr.IMAGE_ALREADY_PENDING, 'another image is already pending for the next boot');
  }
  if (next.type === 'normal') {
    if (confirm && slot === next.slot) return;
    if (
      (slot === activeSlot && next.slot !== activeSlot) ||
      (!confirm && slot !== activeSlot && slot === next.slot)
    ) {
      throw imageError(StateErr.IMAGE_ALREADY_PENDING, 'an image is already confirmed for the next boot');
    }
  }
  if (next.type === 'revert') {
    if (confirm && slot === next.slot) return;
    if (!confirm)
      throw imageError(StateErr.IMAGE_ALREADY_PENDING, 'the running image is under test; confirm it first');
  }
  try {
    if (slot === activeSlot) setConfirmed(slots.area(slot), slots.board.mcuboot.maxAlign);
    else setPending(slots.area(slot), confirm, slots.board.mcuboot.maxAlign);
  } catch (error) {
    if (error instanceof BootError) {
      const rc =
        error.code === 'BOOT_EFLASH'
          ? StateErr.FLASH_WRITE_FAILED
          : error.code === 'BOOT_EBADVECT'
            ? StateErr.INVALID_IMAGE_VECTOR_TABLE
            : error.code === 'BOOT_EBADIMAGE'
              ? StateErr.INVALID_IMAGE_HEADER_MAGIC
              : StateErr.UNKNOWN;
      throw imageError(rc, error.message);
    }
    throw imageError(StateErr.FLASH_WRITE_FAILED, (error as Error).message);
  }
}
