/** Image management group (1) of the virtual device's SMP server: list, test/confirm, upload, erase. */
import { ImageFlag } from '../../image/format.ts';
import { formatVersion, type ImageVersion } from '../../image/version.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { imageErase, imageStateRead, imageStateWrite, imageUpload } from '../../smp/groups/image.ts';
import { BootError } from '../mcuboot/errors.ts';
import { setConfirmed, setPending } from '../mcuboot/public.ts';
import { ImageUploader, ImgErr } from './img-upload.ts';
import { GroupError, MgmtErr, MgmtError } from './mgmt-error.ts';
import { ACTIVE_SLOT, type ImageSlots, OTHER_SLOT } from './slots.ts';
import type { SmpServer } from './smp-server.ts';

const HASH_LEN = 32;

/** More img_mgmt_err_code_t values (the upload ones live in img-upload.ts). */
const StateErr = {
  UNKNOWN: 1,
  HASH_NOT_FOUND: 8,
  FLASH_WRITE_FAILED: 12,
  INVALID_HASH: 24,
  IMAGE_ALREADY_PENDING: 28,
  INVALID_IMAGE_VECTOR_TABLE: 29,
  INVALID_IMAGE_HEADER_MAGIC: 23,
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
  /** Where the image manager's log lines go (Zephyr module mcumgr_img_grp). */
  log?: (level: 'inf' | 'err', message: string) => void;
}

export function registerImageGroup(server: SmpServer, options: ImageGroupOptions): ImageUploader {
  const { slots } = options;
  const uploader = new ImageUploader(slots, options.runningVersion, {
    imageCheck: options.imageCheck ?? false,
    ...(options.log ? { log: options.log } : {}),
  });

  const stateResponse = () => {
    const flags = slots.flags();
    const images = [ACTIVE_SLOT, OTHER_SLOT].flatMap((slot) => {
      const info = slots.readInfo(slot);
      if (!info) return [];
      const slotFlags = flags[slot]!;
      return [
        {
          slot,
          version: formatVersion(info.version),
          hash: info.hash,
          bootable: (info.flags & ImageFlag.NON_BOOTABLE) === 0,
          pending: slotFlags.pending,
          confirmed: slotFlags.confirmed,
          active: slotFlags.active,
          permanent: slotFlags.permanent,
        },
      ];
    });
    return { images, splitStatus: 0 };
  };

  server.register(imageStateRead, () => stateResponse(), { readsRequest: false });

  server.register(imageStateWrite, (request) => {
    const confirm = request.confirm ?? false;
    const hash = request.hash ?? new Uint8Array(0);
    let slot: number;
    if (hash.length === 0) {
      if (!confirm) throw imageError(StateErr.INVALID_HASH, 'a test needs the hash of the image to test');
      slot = ACTIVE_SLOT;
    } else if (hash.length !== HASH_LEN) {
      throw imageError(StateErr.INVALID_HASH, `hash is ${hash.length} bytes, expected ${HASH_LEN}`);
    } else {
      const found = slots.findByHash(hash);
      if (found === undefined)
        throw imageError(StateErr.HASH_NOT_FOUND, 'no slot holds an image with that hash');
      slot = found;
    }
    setNextBootSlot(slots, slot, confirm);
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
    const slot = request.slot ?? OTHER_SLOT;
    if (slot !== ACTIVE_SLOT && slot !== OTHER_SLOT) {
      throw imageError(14, `slot ${slot} does not exist (INVALID_SLOT)`);
    }
    // img_mgmt.c img_mgmt_erase: a slot holding a valid image that is in use (running, to revert
    // to, or pending without CONFIG_MCUMGR_GRP_IMG_ALLOW_ERASE_PENDING) is not erased.
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

/** img_mgmt_set_next_boot_slot: the rules for test and confirm, then boot_set_next. */
function setNextBootSlot(slots: ImageSlots, slot: number, confirm: boolean): void {
  const next = slots.nextBoot();
  if (!confirm && slot === ACTIVE_SLOT) {
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
      (slot === ACTIVE_SLOT && next.slot !== ACTIVE_SLOT) ||
      (!confirm && slot !== ACTIVE_SLOT && slot === next.slot)
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
    if (slot === ACTIVE_SLOT) setConfirmed(slots.area(ACTIVE_SLOT), slots.board.mcuboot.maxAlign);
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
