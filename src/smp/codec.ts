/**
 * CBOR bodies and whole SMP packets. cbor-x does the CBOR work; this module pins its options to
 * what Zephyr speaks (text-keyed maps, plain byte strings, no records or tags) and can rewrite
 * containers into the indefinite-length form zcbor emits.
 */
import { Decoder, Encoder } from 'cbor-x';
import { SmpProtocolError } from './errors.ts';
import { decodeHeader, encodeHeader, SMP_HEADER_SIZE, type SmpHeader } from './header.ts';

export type CborValue = null | boolean | number | bigint | string | Uint8Array | CborValue[] | CborMap;
export interface CborMap {
  [key: string]: CborValue;
}

export interface CborEncodeOptions {
  /** Write maps and arrays as 0xBF/0x9F … 0xFF, as Zephyr's zcbor does (non-canonical build). */
  readonly indefinite?: boolean;
}

const encoder = new Encoder({
  mapsAsObjects: true,
  useRecords: false,
  variableMapSize: true,
  tagUint8Array: false,
});
const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });

const TWO_POW_32 = 2 ** 32;
/**
 * Deepest nesting of maps and arrays accepted. SMP bodies nest a few levels (image list: 3), and
 * Zephyr's server bounds it as well (CONFIG_MCUMGR_SMP_CBOR_MAX_DECODING_LEVELS); without a bound
 * a small packet of nested one-item arrays overflows the stack of the recursive walks below.
 */
const MAX_NESTING = 64;

function tooDeep(where: string): SmpProtocolError {
  return new SmpProtocolError(`CBOR ${where} nested deeper than ${MAX_NESTING} levels`);
}

/** cbor-x writes integers beyond 32 bits as floats; hand them over as bigint so they stay integers. */
function prepareForEncoding(value: CborValue): unknown {
  if (typeof value === 'number') {
    return Number.isInteger(value) && Math.abs(value) >= TWO_POW_32 ? BigInt(value) : value;
  }
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(prepareForEncoding);
  // fromEntries, not `out[key] =`: a "__proto__" key must stay a key, not become the prototype.
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, item]) =>
      item === undefined ? [] : [[key, prepareForEncoding(item)]],
    ),
  );
}

export function encodeCbor(value: CborValue, options: CborEncodeOptions = {}): Uint8Array {
  const encoded: Uint8Array = encoder.encode(prepareForEncoding(value));
  const definite = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length).slice();
  return options.indefinite ? toIndefiniteLength(definite) : definite;
}

/** Turns decoder output into plain CborValue: Buffers → Uint8Array, safe bigints → numbers. */
function normalizeDecoded(value: unknown, path: string, depth = 0): CborValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  }
  if (value instanceof Uint8Array) {
    return value.constructor === Uint8Array ? value : new Uint8Array(value);
  }
  if (Array.isArray(value)) {
    if (depth >= MAX_NESTING) throw tooDeep('item');
    return value.map((item, i) => normalizeDecoded(item, `${path}[${i}]`, depth + 1));
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    if (depth >= MAX_NESTING) throw tooDeep('item');
    const out: CborMap = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = normalizeDecoded(item, `${path}.${key}`, depth + 1);
    }
    return out;
  }
  throw new SmpProtocolError(`unsupported CBOR item at ${path || 'top level'} (${describeJs(value)})`);
}

function describeJs(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return typeof value;
}

export function decodeCbor(bytes: Uint8Array): CborValue {
  let decoded: unknown;
  try {
    decoded = decoder.decode(bytes);
  } catch (error) {
    // cbor-x recurses too: a stack overflow there is the same too-deep input.
    if (error instanceof RangeError && /call stack/.test(error.message)) throw tooDeep('item');
    throw new SmpProtocolError(`invalid CBOR (${bytes.length} bytes): ${(error as Error).message}`);
  }
  return normalizeDecoded(decoded, '');
}

export function isCborMap(value: CborValue | undefined): value is CborMap {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/**
 * Rewrites every definite-length map and array in one CBOR item into indefinite-length form.
 * Strings and scalars are copied unchanged.
 */
export function toIndefiniteLength(cbor: Uint8Array): Uint8Array {
  const out: number[] = [];
  let pos = 0;

  const readArgument = (info: number): number => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
    if (size < 0) throw new SmpProtocolError(`CBOR rewrite: unsupported additional info ${info} at ${pos}`);
    if (pos + size > cbor.length) throw new SmpProtocolError('CBOR rewrite: truncated item');
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + (cbor[pos + i] ?? 0);
    pos += size;
    return value;
  };

  const copyItem = (depth: number): void => {
    if (depth > MAX_NESTING) throw tooDeep('rewrite: item');
    if (pos >= cbor.length) throw new SmpProtocolError('CBOR rewrite: truncated item');
    const start = pos;
    const initial = cbor[pos++] ?? 0;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 4 || major === 5) {
      out.push(major === 4 ? 0x9f : 0xbf);
      if (info === 31) {
        while (cbor[pos] !== 0xff) copyItem(depth + 1);
        pos++;
      } else {
        const count = readArgument(info) * (major === 5 ? 2 : 1);
        for (let i = 0; i < count; i++) copyItem(depth + 1);
      }
      out.push(0xff);
      return;
    }
    if (major === 6) {
      readArgument(info);
      for (let i = start; i < pos; i++) out.push(cbor[i] ?? 0);
      copyItem(depth + 1);
      return;
    }
    if ((major === 2 || major === 3) && info === 31) {
      while (cbor[pos] !== 0xff) copyItem(depth + 1);
      pos++;
    } else {
      // For simple values and floats the argument bytes are the value itself; just skip them.
      const argument = readArgument(info);
      if (major === 2 || major === 3) pos += argument;
    }
    if (pos > cbor.length) throw new SmpProtocolError('CBOR rewrite: truncated item');
    for (let i = start; i < pos; i++) out.push(cbor[i] ?? 0);
  };

  copyItem(0);
  if (pos !== cbor.length) throw new SmpProtocolError('CBOR rewrite: trailing bytes after the item');
  return Uint8Array.from(out);
}

/** One SMP message: header plus decoded body (undefined when the payload is empty). */
export interface SmpPacket {
  readonly header: SmpHeader;
  readonly body: CborValue | undefined;
}

export type SmpHeaderFields = Omit<SmpHeader, 'length'>;

export function encodePacket(
  header: SmpHeaderFields,
  body: CborMap,
  options: CborEncodeOptions = {},
): Uint8Array {
  const payload = encodeCbor(body, options);
  const packet = new Uint8Array(SMP_HEADER_SIZE + payload.length);
  packet.set(encodeHeader({ ...header, length: payload.length }), 0);
  packet.set(payload, SMP_HEADER_SIZE);
  return packet;
}

/** Decodes exactly one SMP message; the length field must match the bytes given. */
export function decodePacket(bytes: Uint8Array): SmpPacket {
  const header = decodeHeader(bytes);
  const available = bytes.length - SMP_HEADER_SIZE;
  if (available !== header.length) {
    throw new SmpProtocolError(
      `SMP header announces ${header.length} payload bytes but the packet carries ${available}`,
    );
  }
  const payload = bytes.subarray(SMP_HEADER_SIZE);
  return { header, body: payload.length === 0 ? undefined : decodeCbor(payload) };
}

/**
 * Splits a transport packet holding several SMP messages back to back (Zephyr allows it).
 * Moves on by exactly 8 + length; a short tail is an error.
 */
export function splitMessages(bytes: Uint8Array): Uint8Array[] {
  const messages: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < SMP_HEADER_SIZE) {
      throw new SmpProtocolError(`${bytes.length - offset} stray bytes after the last SMP message`);
    }
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset + 2, 2).getUint16(0);
    const end = offset + SMP_HEADER_SIZE + length;
    if (end > bytes.length) {
      throw new SmpProtocolError(
        `SMP message at offset ${offset} announces ${length} payload bytes, only ${bytes.length - offset - SMP_HEADER_SIZE} present`,
      );
    }
    messages.push(bytes.subarray(offset, end));
    offset = end;
  }
  return messages;
}
