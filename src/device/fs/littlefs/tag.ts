/**
 * littlefs v2 metadata tags (SPEC.md "Metadata tags"; lfs.h LFS_TYPE_*): 32 bits of
 * valid(1) | type3(11) | id(10) | size(10), stored big-endian and XORed with the previous tag.
 */

export const BLOCK_NULL = 0xffffffff;

// Types (type3 unless said otherwise).
export const TYPE_NAME = 0x000; // type1 0: names; the chunk is the file type
export const TYPE_REG = 0x001;
export const TYPE_DIR = 0x002;
export const TYPE_SUPERBLOCK = 0x0ff;
export const TYPE_STRUCT = 0x200; // type1 2
export const TYPE_DIRSTRUCT = 0x200;
export const TYPE_INLINESTRUCT = 0x201;
export const TYPE_CTZSTRUCT = 0x202;
export const TYPE_USERATTR = 0x300; // type1 3
export const TYPE_SPLICE = 0x400; // type1 4
export const TYPE_CREATE = 0x401;
export const TYPE_DELETE = 0x4ff;
export const TYPE_CRC = 0x500; // type1 5 (commit CRC; chunk bit 0 flips the next valid bit)
export const TYPE_FCRC = 0x5ff; // lfs2.1: checksum of the erased bytes after a commit
export const TYPE_TAIL = 0x600; // type1 6
export const TYPE_SOFTTAIL = 0x600;
export const TYPE_HARDTAIL = 0x601;
export const TYPE_GLOBALS = 0x700; // type1 7
export const TYPE_MOVESTATE = 0x7ff;

/** The id for tags that belong to the pair rather than a file. */
export const ID_NONE = 0x3ff;
/** The size that marks a deleted tag. */
export const SIZE_DELETED = 0x3ff;

export function mkTag(type: number, id: number, size: number): number {
  return ((type << 20) | (id << 10) | size) >>> 0;
}

/** After the XOR chain, a tag whose top bit is set is not part of a commit. */
export function tagIsValid(tag: number): boolean {
  return (tag & 0x80000000) === 0;
}
export function tagType1(tag: number): number {
  return (tag >>> 20) & 0x700;
}
export function tagType3(tag: number): number {
  return (tag >>> 20) & 0x7ff;
}
export function tagChunk(tag: number): number {
  return (tag >>> 20) & 0xff;
}
/** A create (+1) or delete (-1) moves later ids. */
export function tagSplice(tag: number): number {
  const c = tagChunk(tag);
  return c >= 0x80 ? c - 0x100 : c;
}
export function tagId(tag: number): number {
  return (tag >>> 10) & 0x3ff;
}
export function tagSize(tag: number): number {
  return tag & 0x3ff;
}
export function tagIsDelete(tag: number): boolean {
  return tagSize(tag) === SIZE_DELETED;
}
/** Bytes the tag and its data take in a commit (a deleted tag carries no data). */
export function tagDsize(tag: number): number {
  return 4 + (tagIsDelete(tag) ? 0 : tagSize(tag));
}

export function readLe32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}
export function writeLe32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}
export function readBe32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
export function writeBe32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** A metadata-pair pointer: two block numbers. */
export type Pair = readonly [number, number];

export function pairIsNull(p: Pair): boolean {
  return p[0] === BLOCK_NULL || p[1] === BLOCK_NULL;
}
/** Same pair, in either order (lfs_pair_cmp == 0). */
export function pairEq(a: Pair, b: Pair): boolean {
  return (a[0] === b[0] && a[1] === b[1]) || (a[0] === b[1] && a[1] === b[0]);
}
/** The pairs share a block (lfs_pair_cmp != 0 is false): a pair that moved one block still matches. */
export function pairOverlap(a: Pair, b: Pair): boolean {
  return a[0] === b[0] || a[0] === b[1] || a[1] === b[0] || a[1] === b[1];
}
export function pairBytes(p: Pair): Uint8Array {
  const b = new Uint8Array(8);
  writeLe32(b, 0, p[0]);
  writeLe32(b, 4, p[1]);
  return b;
}
export function pairFrom(b: Uint8Array, off = 0): [number, number] {
  return [readLe32(b, off), readLe32(b, off + 4)];
}

/** Sequence comparison of revision counts (lfs_scmp): wrap-around safe. */
export function revNewer(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
