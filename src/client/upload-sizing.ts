/**
 * How many data bytes one image-upload request can carry so that the ENCODED request (8-byte SMP
 * header + CBOR map) fits the link and the device's reassembly buffer. Computed from CBOR's
 * head sizes rather than by trial encoding, so it is exact for every offset and cheap.
 * Pure: no Node imports.
 */
import { findKind } from '../transport/kinds/registry.ts';

export const SMP_HEADER_SIZE = 8;
/** Room for the map head: 1 byte definite (≤ 23 keys) or 2 bytes indefinite (0xBF … 0xFF). */
const MAP_FRAMING = 2;
/** Zephyr rejects a first chunk shorter than the MCUboot header (err 22). */
export const MIN_FIRST_CHUNK = 32;

/** Size of a CBOR head carrying `value` (major types 0, 2, 3 all share it). */
export function cborHeadSize(value: number): number {
  if (value < 24) return 1;
  if (value < 0x100) return 2;
  if (value < 0x10000) return 3;
  if (value < 0x1_0000_0000) return 5;
  return 9;
}

function textKeySize(key: string): number {
  return cborHeadSize(key.length) + key.length;
}

function uintFieldSize(key: string, value: number): number {
  return textKeySize(key) + cborHeadSize(value);
}

function bytesFieldSize(key: string, length: number): number {
  return textKeySize(key) + cborHeadSize(length) + length;
}

export interface ChunkFields {
  readonly off: number;
  /** Only on the first chunk (off = 0). */
  readonly first?: {
    readonly len: number;
    readonly shaLength: number;
    readonly image: number;
    readonly upgrade: boolean;
  };
}

/** Encoded size of everything in the request except the `data` field. */
export function requestOverhead(fields: ChunkFields): number {
  let size = SMP_HEADER_SIZE + MAP_FRAMING + uintFieldSize('off', fields.off) + textKeySize('data');
  const first = fields.first;
  if (first !== undefined) {
    size += uintFieldSize('image', first.image) + uintFieldSize('len', first.len);
    if (first.shaLength > 0) size += bytesFieldSize('sha', first.shaLength);
    if (first.upgrade) size += textKeySize('upgrade') + 1;
  }
  return size;
}

/** Encoded size of one whole upload request with `dataLength` bytes of data. */
export function requestSize(fields: ChunkFields, dataLength: number): number {
  return requestOverhead(fields) + cborHeadSize(dataLength) + dataLength;
}

/** Largest data length whose request is at most `limit` bytes (0 if none fits). */
export function maxChunkData(fields: ChunkFields, limit: number): number {
  const room = limit - requestOverhead(fields);
  let length = room - 1;
  while (length > 0 && length + cborHeadSize(length) > room) length--;
  return Math.max(0, length);
}

/**
 * Largest encoded request (header + CBOR) the device's buffer of `deviceBufSize` bytes holds
 * over a link of kind `linkKind`: the kind's descriptor says what its framing keeps in the
 * buffer; a link that is no registered kind (in memory) carries the packet alone.
 */
export function deviceRequestLimit(linkKind: string, deviceBufSize: number): number {
  return findKind(linkKind)?.deviceRequestLimit(deviceBufSize) ?? deviceBufSize;
}

/**
 * Largest encoded request (header + CBOR) both the link and the device accept. `fragmentSize`:
 * the link splits longer requests into writes the device must join (BLE), which a device that
 * does not report its buffers may not do.
 */
export function requestLimit(
  linkMtu: number,
  linkKind: string,
  deviceBufSize: number | undefined,
  fragmentSize?: number,
): number {
  if (deviceBufSize === undefined) {
    // A device that does not report its buffers: the kind's fallback (serial: Zephyr's UART MTU),
    // one write on a splitting link.
    const fallback = findKind(linkKind)?.unreportedRequestLimit ?? fragmentSize;
    return fallback === undefined ? linkMtu : Math.min(linkMtu, fallback);
  }
  return Math.min(linkMtu, deviceRequestLimit(linkKind, deviceBufSize));
}
