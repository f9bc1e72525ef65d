/**
 * Zephyr's image upload state machine (img_mgmt.c + zephyr_img_mgmt.c): one upload at a time,
 * held in RAM only, resumable by `sha`, chunks at the expected offset only, the slot erased on the
 * first chunk, data written through a buffer that keeps flash writes aligned.
 */

import type { FlashArea } from '../../device/flash.ts';
import { GroupError } from '../../device/server/mgmt-error.ts';
import { digest } from '../../image/digest.ts';
import { decodeHeaderFields, IMAGE_MAGIC } from '../../image/format.ts';
import { compareVersions, formatVersion, type ImageVersion } from '../../image/version.ts';
import type { DecodedRequestOf, ResponseInputOf } from '../../smp/command.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { ImgErr } from './group.ts';
import type { imageUpload } from './models.ts';
import type { ImageSlots } from './slots.ts';
import { equalBytes } from './slots.ts';

/**
 * The `reason` strings are img_mgmt.c's img_mgmt_err_str_*, set (as `rsn`) only for what
 * img_mgmt_upload_inspect refuses; flash errors carry none.
 */

/** The request as the command model decodes it, and the response it encodes. */
export type UploadRequest = DecodedRequestOf<typeof imageUpload>;
export type UploadResponse = ResponseInputOf<typeof imageUpload>;

interface UploadState {
  slot: number;
  area: FlashArea;
  /** Where the image starts in the slot (one sector in for a swap-using-offset secondary). */
  start: number;
  off: number;
  size: number;
  sha: Uint8Array;
  /** Bytes not yet written because they do not fill a whole write block. */
  pending: Uint8Array;
}

const MAX_SHA_LEN = 32;
const HEADER_MIN = 32;

function imageError(rc: number, message: string, reason?: string): GroupError {
  return new GroupError(SmpGroup.Image, rc, message, reason);
}

export interface UploaderOptions {
  /** CONFIG_IMG_ENABLE_IMAGE_CHECK: hash the slot against `sha` (first and last chunk). */
  readonly imageCheck: boolean;
  /** The image manager's LOG_* lines (module mcumgr_img_grp), for the console. */
  readonly log?: (level: 'inf' | 'err', message: string) => void;
}

export class ImageUploader {
  private state: UploadState | undefined;

  constructor(
    private readonly slots: ImageSlots,
    private readonly runningVersion: () => ImageVersion | undefined,
    private readonly options: UploaderOptions = { imageCheck: false },
  ) {}

  /** Any error, an erase or a reboot drops the upload in progress (img_mgmt_reset_upload). */
  reset(): void {
    this.state = undefined;
  }

  get inProgress(): { slot: number; off: number; size: number } | undefined {
    return this.state ? { slot: this.state.slot, off: this.state.off, size: this.state.size } : undefined;
  }

  async handle(request: UploadRequest): Promise<UploadResponse> {
    try {
      return await this.step(request);
    } catch (error) {
      this.reset();
      throw error;
    }
  }

  private async step(request: UploadRequest): Promise<UploadResponse> {
    if (request.off === 0) {
      const early = await this.startOrResume(request);
      if (early) return early;
    }
    const state = this.state;
    // A chunk at the wrong offset is dropped and the expected offset returned (not an error).
    if (!state || request.off !== state.off) return { off: state?.off ?? 0 };
    if (request.off + request.data.length > state.size) {
      throw imageError(
        ImgErr.INVALID_IMAGE_DATA_OVERRUN,
        `chunk at ${request.off} of ${request.data.length} bytes runs past the announced ${state.size}`,
        'data overrun',
      );
    }
    this.write(state, request.data);
    state.off += request.data.length;
    if (state.off < state.size) return { off: state.off };
    this.flush(state);
    const off = state.off;
    this.reset();
    // img_mgmt.c img_mgmt_upload: "match" is appended to the last response only under
    // CONFIG_IMG_ENABLE_IMAGE_CHECK (flash_img_check of the slot against the full 32-byte sha).
    if (!this.options.imageCheck) return { off };
    const match =
      state.sha.length === MAX_SHA_LEN &&
      equalBytes(await digest('sha256', state.area.read(state.start, state.size)), state.sha);
    if (!match) this.options.log?.('err', 'Uploaded image sha256 hash verification failed');
    return { off, match };
  }

  /**
   * First chunk (img_mgmt_upload_inspect, zephyr_img_mgmt.c): checks, slot choice, erase. Returns
   * a response instead when it resumes the upload in progress (same `sha`), or, with
   * CONFIG_IMG_ENABLE_IMAGE_CHECK, when the slot already holds exactly this file. A completed
   * upload is no longer in progress (img_mgmt_reset_upload), so its first chunk sent again starts
   * it over.
   */
  private async startOrResume(request: UploadRequest): Promise<UploadResponse | undefined> {
    try {
      return await this.inspectFirst(request);
    } catch (error) {
      if (error instanceof GroupError) this.options.log?.('err', `Image upload inspect failed: ${error.rc}`);
      throw error;
    }
  }

  private async inspectFirst(request: UploadRequest): Promise<UploadResponse | undefined> {
    if (request.data.length < HEADER_MIN) {
      throw imageError(
        ImgErr.INVALID_IMAGE_HEADER,
        'first chunk is shorter than an image header',
        'header malformed',
      );
    }
    if (request.len === undefined) {
      throw imageError(ImgErr.INVALID_LENGTH, 'first chunk has no "len"', 'header malformed');
    }
    if (decodeHeaderFields(request.data).magic !== IMAGE_MAGIC) {
      throw imageError(
        ImgErr.INVALID_IMAGE_HEADER_MAGIC,
        'data does not start with an MCUboot header',
        'magic mismatch',
      );
    }
    const sha = request.sha ?? new Uint8Array(0);
    if (sha.length > MAX_SHA_LEN)
      throw imageError(ImgErr.INVALID_HASH, `"sha" is ${sha.length} bytes, at most 32`);
    if (this.state && sha.length > 0 && equalBytes(this.state.sha, sha)) return { off: this.state.off };

    // img_mgmt_get_unused_slot_area_id (zephyr_img_mgmt.c): the request's "image" (default 0)
    // picks the image on a multi-image build; a single-image build ignores it.
    const image = request.image ?? 0;
    const slot = this.slots.uploadSlot(image);
    if (slot === undefined) {
      const why =
        this.slots.imageCount > 1 && image >= this.slots.imageCount
          ? `image ${image} does not exist (this build updates images 0-${this.slots.imageCount - 1})`
          : `image ${image} has no free slot: its other slot is in use (the image to revert to, or pending for the next boot)`;
      throw imageError(ImgErr.NO_FREE_SLOT, why, 'no slot');
    }
    const area = this.slots.area(slot);
    // flash_img_init_id starts writing at boot_get_image_start_offset (one sector in for a
    // swap-using-offset secondary slot), and the size check leaves that sector out.
    const start = this.slots.imageOffset(slot);
    const room = area.size - start;
    // Zephyr (zephyr_img_mgmt.c, img_mgmt_upload_inspect) refuses only `len > fa_size` unless
    // CONFIG_MCUMGR_GRP_IMG_TOO_LARGE_SYSBUILD or _BOOTLOADER_INFO is chosen; the default,
    // MCUMGR_GRP_IMG_TOO_LARGE_DISABLED, accepts a --pad'ded image exactly the slot's size (its
    // Kconfig says the other choices "prevent uploading of padded and confirmed images").
    if (request.len > room) {
      throw imageError(
        ImgErr.INVALID_IMAGE_TOO_LARGE,
        `image of ${request.len} bytes does not fit slot ${slot} (${room} bytes${start ? `: ${area.size} less the ${start}-byte sector before the image` : ''})`,
        'img too large',
      );
    }
    if (request.upgrade) {
      const running = this.runningVersion();
      const offered = decodeHeaderFields(request.data).version;
      if (running && compareVersions(offered, running) <= 0) {
        throw imageError(
          ImgErr.CURRENT_VERSION_IS_NEWER,
          `upgrade refused: ${formatVersion(offered)} is not newer than the running ${formatVersion(running)}`,
          'downgrade',
        );
      }
    }
    if (
      this.options.imageCheck &&
      sha.length === MAX_SHA_LEN &&
      equalBytes(await digest('sha256', area.read(start, request.len)), sha)
    ) {
      this.reset();
      return { off: request.len, match: true };
    }
    // img_mgmt_flash_check_empty: a blank slot is not erased at all.
    if (!area.isErased(0, area.size)) this.eraseFor(area, start + request.len);
    this.state = { slot, area, start, off: 0, size: request.len, sha, pending: new Uint8Array(0) };
    return undefined;
  }

  /**
   * zephyr_img_mgmt.c img_mgmt_erase_image_data: erases from the slot's start to the end of the
   * sector holding the image's last byte, then, if not covered yet, from the sector holding the
   * trailer status offset (boot_get_trailer_status_offset, subsys/dfu/boot/mcuboot.c: slot size −
   * 16-byte magic − 2 × BOOT_MAX_ALIGN) to the slot's end, logging each erase as it does.
   */
  private eraseFor(area: FlashArea, length: number): void {
    const sectorEnd = (offset: number) => {
      const sector = area.sectors.find((s) => offset >= s.offset && offset < s.offset + s.size);
      return sector ? sector.offset + sector.size : area.size;
    };
    const eraseRange = (from: number, to: number) => {
      try {
        for (const sector of area.sectors) {
          if (sector.offset >= from && sector.offset < to) area.erase(sector.offset, sector.size);
        }
      } catch (error) {
        throw imageError(ImgErr.FLASH_ERASE_FAILED, `erasing slot failed: ${(error as Error).message}`);
      }
    };
    const imageEnd = sectorEnd(Math.max(0, length - 1));
    eraseRange(0, imageEnd);
    this.options.log?.('inf', `Erased 0x${imageEnd.toString(16)} bytes of image slot`);
    const statusOffset = area.size - 16 - 2 * this.slots.board.mcuboot.maxAlign;
    if (statusOffset >= imageEnd) {
      const trailerStart = area.sectors.find(
        (s) => statusOffset >= s.offset && statusOffset < s.offset + s.size,
      )!.offset;
      eraseRange(trailerStart, area.size);
      this.options.log?.(
        'inf',
        `Erased 0x${(area.size - trailerStart).toString(16)} bytes of image slot trailer`,
      );
    }
  }

  private write(state: UploadState, data: Uint8Array): void {
    const align = state.area.align;
    const joined = concat(state.pending, data);
    const writable = joined.length - (joined.length % align);
    const start = state.off - state.pending.length;
    try {
      if (writable > 0) state.area.write(state.start + start, joined.subarray(0, writable));
    } catch (error) {
      throw imageError(ImgErr.FLASH_WRITE_FAILED, `flash write failed: ${(error as Error).message}`);
    }
    state.pending = joined.slice(writable);
  }

  /** The last partial write block is padded with the erase value, like flash_img_buffered_write. */
  private flush(state: UploadState): void {
    if (state.pending.length === 0) return;
    const block = new Uint8Array(state.area.align).fill(state.area.eraseValue);
    block.set(state.pending);
    try {
      state.area.write(state.start + state.off - state.pending.length, block);
    } catch (error) {
      throw imageError(ImgErr.FLASH_WRITE_FAILED, `flash write failed: ${(error as Error).message}`);
    }
    state.pending = new Uint8Array(0);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
