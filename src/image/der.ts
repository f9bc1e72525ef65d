// Minimal DER reader/writer: just enough ASN.1 for key containers (PKCS#8, SPKI, PKCS#1, SEC1)
// and ECDSA signatures. Definite lengths only, as DER requires.

import { concatBytes } from './bytes.ts';

export const DerTag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

export interface DerNode {
  tag: number;
  /** Content bytes (without tag and length). */
  value: Uint8Array;
  /** The whole encoding (tag, length, content). */
  raw: Uint8Array;
}

export class DerError extends Error {
  override name = 'DerError';
}

function readNode(buf: Uint8Array, off: number): { node: DerNode; next: number } {
  if (off + 2 > buf.length) throw new DerError(`DER element at offset ${off} is cut short`);
  const tag = buf[off]!;
  let len = buf[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`unsupported DER length form 0x${len.toString(16)} at ${off}`);
    if (p + n > buf.length) throw new DerError(`DER length at offset ${off} is cut short`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) {
    throw new DerError(`DER element at offset ${off} claims ${len} bytes, only ${buf.length - p} remain`);
  }
  return { node: { tag, value: buf.subarray(p, p + len), raw: buf.subarray(off, p + len) }, next: p + len };
}

/** Parse exactly one element filling `buf`. */
export function derDecode(buf: Uint8Array): DerNode {
  const { node, next } = readNode(buf, 0);
  if (next !== buf.length) throw new DerError(`${buf.length - next} stray bytes after the DER element`);
  return node;
}

/** The children of a constructed element (SEQUENCE, context tags). */
export function derChildren(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let off = 0;
  while (off < node.value.length) {
    const { node: child, next } = readNode(node.value, off);
    out.push(child);
    off = next;
  }
  return out;
}

function encodeLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function derEncode(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), encodeLength(content.length), content]);
}

export function derSequence(children: readonly Uint8Array[]): Uint8Array {
  return derEncode(DerTag.SEQUENCE, concatBytes(children));
}

/** Unsigned big-endian integer → DER INTEGER (minimal, with a 0x00 when the top bit is set). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = Uint8Array.of(0);
  if (body[0]! & 0x80) body = concatBytes([Uint8Array.of(0), body]);
  return derEncode(DerTag.INTEGER, body);
}

/** DER INTEGER content → unsigned magnitude left-padded to `size` bytes. */
export function integerToFixed(content: Uint8Array, size: number): Uint8Array {
  let start = 0;
  while (start < content.length - 1 && content[start] === 0) start++;
  const mag = content.subarray(start);
  if (mag.length > size) throw new DerError(`integer of ${mag.length} bytes does not fit in ${size}`);
  const out = new Uint8Array(size);
  out.set(mag, size - mag.length);
  return out;
}

/** Dotted OID text from OID content bytes. */
export function oidToString(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const first = content[0]!;
  const parts: number[] = [
    Math.min(2, Math.floor(first / 40)),
    first - Math.min(2, Math.floor(first / 40)) * 40,
  ];
  let acc = 0;
  for (let i = 1; i < content.length; i++) {
    const b = content[i]!;
    acc = acc * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

export function oidEncode(dotted: string): Uint8Array {
  const nums = dotted.split('.').map(Number);
  const bytes: number[] = [nums[0]! * 40 + nums[1]!];
  for (const n of nums.slice(2)) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return derEncode(DerTag.OID, Uint8Array.from(bytes));
}
