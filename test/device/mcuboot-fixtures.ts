// Small MCUboot-format images for the bootloader tests: a real header, a body, and an
// unprotected TLV area with a SHA-256 hash TLV that the test validator checks.
import type { Board } from '../../src/device/boards/board.ts';
import { createBoardFlash } from '../../src/device/boards/index.ts';
import type { Flash, FlashArea } from '../../src/device/flash.ts';
import type { ImageValidator } from '../../src/device/mcuboot/boot.ts';
import { bootAreas } from '../../src/device/mcuboot/boot.ts';

export interface TestImage {
  bytes: Uint8Array;
  /** header + body, the hashed region. */
  hashedLength: number;
}

export async function makeImage(opts: {
  headerSize: number;
  bodySize: number;
  seed: number;
  version?: [number, number, number];
}): Promise<TestImage> {
  const { headerSize, bodySize, seed } = opts;
  const [major, minor, revision] = opts.version ?? [1, 0, 0];
  const tlvTotal = 4 + 4 + 32;
  const out = new Uint8Array(headerSize + bodySize + tlvTotal);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x96f3b83d, true);
  v.setUint16(8, headerSize, true);
  v.setUint32(12, bodySize, true);
  v.setUint8(20, major);
  v.setUint8(21, minor);
  v.setUint16(22, revision, true);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bodySize; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[headerSize + i] = x >>> 24;
  }
  const hashed = headerSize + bodySize;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', out.subarray(0, hashed)));
  v.setUint16(hashed, 0x6907, true);
  v.setUint16(hashed + 2, tlvTotal, true);
  v.setUint16(hashed + 4, 0x10, true);
  v.setUint16(hashed + 6, 32, true);
  out.set(digest, hashed + 8);
  return { bytes: out, hashedLength: hashed };
}

/** Checks the header magic and the SHA-256 TLV, like a hash-only MCUboot build. */
export const hashValidator: ImageValidator = async (_slot, bytes) => {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== 0x96f3b83d) return { ok: false, reason: 'bad magic' };
  const hashed = v.getUint16(8, true) + v.getUint32(12, true);
  if (
    hashed + 40 > bytes.length ||
    v.getUint16(hashed, true) !== 0x6907 ||
    v.getUint16(hashed + 4, true) !== 0x10
  ) {
    return { ok: false, reason: 'no hash TLV' };
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice(0, hashed)));
  const stored = bytes.subarray(hashed + 8, hashed + 40);
  return digest.every((b, i) => b === stored[i]) ? { ok: true } : { ok: false, reason: 'hash mismatch' };
};

export function makeFlash(board: Board): Flash {
  return createBoardFlash(board);
}

/** Upload like img_mgmt does: erase what is needed, write the image (padded to the write size). */
export function uploadImage(area: FlashArea, image: Uint8Array): void {
  const len = Math.ceil(image.length / area.align) * area.align;
  let covered = 0;
  for (const s of area.sectors) {
    if (covered >= len) break;
    area.erase(s.offset, s.size);
    covered = s.offset + s.size;
  }
  const padded = new Uint8Array(len).fill(area.eraseValue);
  padded.set(image);
  area.write(0, padded);
}

export function areasOf(flash: Flash, board: Board) {
  return bootAreas(flash, board);
}

export function startsWith(area: FlashArea, image: Uint8Array): boolean {
  const got = area.peek(0, image.length);
  return got.every((b, i) => b === image[i]);
}
