/**
 * How large an encoded chunk request (8-byte SMP header + CBOR map) is for a given set of fields
 * and N data bytes, and how many data bytes fit a request limit. Computed from CBOR's head sizes
 * (RFC 8949 §3) rather than by trial encoding, so it is exact for every offset and cheap. Each
 * transfer kind describes its request as a field list (image upload: off, data, and len, sha,
 * image, upgrade in the first chunk; fs upload: name, off, data, and len in the first chunk).
 * Pure: no Node imports.
 */

export const SMP_HEADER_SIZE = 8;
/** Room for the map head: 1 byte definite (≤ 23 keys) or 2 bytes indefinite (0xBF … 0xFF). */
const MAP_FRAMING = 2;

/** Size of a CBOR head carrying `value` (major types 0, 2, 3 all share it). */
export function cborHeadSize(value: number): number {
  if (value < 24) return 1;
  if (value < 0x100) return 2;
  if (value < 0x10000) return 3;
  if (value < 0x1_0000_0000) return 5;
  return 9;
}

/** One field of a chunk request other than its data, as far as its encoded size goes. */
export type SizedField =
  | { readonly key: string; readonly kind: 'uint'; readonly value: number }
  | { readonly key: string; readonly kind: 'bytes'; readonly length: number }
  /** `length` in UTF-8 bytes, not characters. */
  | { readonly key: string; readonly kind: 'text'; readonly length: number }
  | { readonly key: string; readonly kind: 'bool' };

/** UTF-8 length of a text value (what a CBOR text string head counts). */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function textKeySize(key: string): number {
  const length = utf8Length(key);
  return cborHeadSize(length) + length;
}

/** Encoded size of one key/value pair. */
export function fieldSize(field: SizedField): number {
  const key = textKeySize(field.key);
  switch (field.kind) {
    case 'uint':
      return key + cborHeadSize(field.value);
    case 'bytes':
    case 'text':
      return key + cborHeadSize(field.length) + field.length;
    case 'bool':
      return key + 1;
  }
}

/** Encoded size of everything in a request except the value of its `dataKey` field. */
export function overheadOf(fields: readonly SizedField[], dataKey = 'data'): number {
  let size = SMP_HEADER_SIZE + MAP_FRAMING + textKeySize(dataKey);
  for (const field of fields) size += fieldSize(field);
  return size;
}

/** Encoded size of a whole request with `dataLength` data bytes. */
export function sizeWithData(fields: readonly SizedField[], dataLength: number, dataKey = 'data'): number {
  return overheadOf(fields, dataKey) + cborHeadSize(dataLength) + dataLength;
}

/** Largest data length whose request is at most `limit` bytes (0 if none fits). */
export function dataThatFits(fields: readonly SizedField[], limit: number, dataKey = 'data'): number {
  const room = limit - overheadOf(fields, dataKey);
  let length = room - 1;
  while (length > 0 && length + cborHeadSize(length) > room) length--;
  return Math.max(0, length);
}

/** Encoded size of a request without a data field (a download request: name and off). */
export function sizeWithoutData(fields: readonly SizedField[]): number {
  let size = SMP_HEADER_SIZE + MAP_FRAMING;
  for (const field of fields) size += fieldSize(field);
  return size;
}
