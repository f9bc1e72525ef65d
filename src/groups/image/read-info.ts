/**
 * img_mgmt_read_info (grp/img_mgmt/src/img_mgmt.c, Zephyr v3.5.0) over a slot's flash area: what
 * `image list`, test/confirm by hash and erase see of a slot. It reads only the header and the TLV
 * area, as the app does, never the whole slot. A slot is listed only when: the header magic is
 * MCUboot's, a TLV info (after an optional protected area) follows the body, and exactly one
 * SHA-256 TLV sits inside it. Everything after the hash TLV is skipped unread, so an upload cut
 * inside the signature TLV is listed with the right hash, as the real server lists it.
 */

import type { FlashArea } from '../../device/flash.ts';
import {
  decodeHeaderFields,
  IMAGE_HEADER_SIZE,
  IMAGE_MAGIC,
  TLV_INFO_MAGIC,
  TLV_PROT_INFO_MAGIC,
  TlvType,
} from '../../image/format.ts';
import type { ImageVersion } from '../../image/version.ts';

export interface SlotImageInfo {
  slot: number;
  version: ImageVersion;
  hash: Uint8Array;
  flags: number;
}

const TLV_INFO_SIZE = 4;
const TLV_SIZE = 4;
const HASH_LEN = 32;

/** Why a slot is not listed (img_mgmt_err_code_t names), for messages. */
export type ReadInfoFailure =
  | 'NO_IMAGE'
  | 'INVALID_IMAGE_HEADER_MAGIC'
  | 'NO_TLVS'
  | 'TLV_MULTIPLE_HASHES_FOUND'
  | 'TLV_INVALID_SIZE'
  | 'HASH_NOT_FOUND'
  | 'FLASH_READ_FAILED';

/**
 * `start` is where the image begins in the slot: one sector in for a swap-using-offset secondary
 * slot (dfu_boot_read_img_info reads from dfu_boot_get_image_offset, Zephyr 4.x).
 */
export function readSlotInfo(
  area: FlashArea,
  slot: number,
  start = 0,
): { ok: true; info: SlotImageInfo } | { ok: false; failure: ReadInfoFailure } {
  const read = (offset: number, length: number): DataView | undefined => {
    if (offset < 0 || start + offset + length > area.size) return undefined;
    const bytes = area.read(start + offset, length);
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  };
  const fail = (failure: ReadInfoFailure) => ({ ok: false as const, failure });

  const headerView = read(0, IMAGE_HEADER_SIZE);
  if (!headerView) return fail('FLASH_READ_FAILED');
  const headerBytes = new Uint8Array(headerView.buffer, headerView.byteOffset, IMAGE_HEADER_SIZE);
  const header = decodeHeaderFields(headerBytes);
  const erased32 = (area.eraseValue * 0x01010101) >>> 0;
  if (header.magic === erased32) return fail('NO_IMAGE');
  if (header.magic !== IMAGE_MAGIC) return fail('INVALID_IMAGE_HEADER_MAGIC');

  // img_mgmt_find_tlvs: a TLV info's magic and total length; the data starts after it.
  const findTlvs = (at: number, magic: number): { start: number; end: number } | undefined => {
    const view = read(at, TLV_INFO_SIZE);
    if (!view || view.getUint16(0, true) !== magic) return undefined;
    return { start: at + TLV_INFO_SIZE, end: at + TLV_INFO_SIZE + view.getUint16(2, true) };
  };
  let dataOff = header.hdrSize + header.imgSize;
  const protectedArea = findTlvs(dataOff, TLV_PROT_INFO_MAGIC);
  if (protectedArea) dataOff = protectedArea.end - TLV_INFO_SIZE;
  const tlvs = findTlvs(dataOff, TLV_INFO_MAGIC);
  if (!tlvs) return fail('NO_TLVS');

  let hash: Uint8Array | undefined;
  let off = tlvs.start;
  while (off + TLV_SIZE <= tlvs.end) {
    const tlv = read(off, TLV_SIZE);
    if (!tlv) return fail('FLASH_READ_FAILED');
    const type = tlv.getUint16(0, true);
    const len = tlv.getUint16(2, true);
    // (Upstream also stops at `it_type == 0xff && it_len == 0xffff`; it_type is 16 bits wide, so
    // erased flash, 0xffff/0xffff, never matches and is skipped like any other TLV.)
    if (type !== TlvType.SHA256 || len !== HASH_LEN) {
      off += TLV_SIZE + len;
      continue;
    }
    if (hash) return fail('TLV_MULTIPLE_HASHES_FOUND');
    off += TLV_SIZE;
    if (off + HASH_LEN > tlvs.end) return fail('TLV_INVALID_SIZE');
    const value = read(off, HASH_LEN);
    if (!value) return fail('FLASH_READ_FAILED');
    hash = new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + HASH_LEN));
    // Upstream does not skip the hash's own bytes here: the next loop turn reads the hash's first
    // four bytes as a TLV header and jumps by that "length", as img_mgmt_read_info does.
  }
  if (!hash) return fail('HASH_NOT_FOUND');
  return { ok: true, info: { slot, version: header.version, hash, flags: header.flags } };
}
