/**
 * CTZ skip-lists, littlefs's file layout (SPEC.md "0x202 LFS_TYPE_CTZSTRUCT", DESIGN.md
 * "CTZ skip-lists"; lfs.c lfs_ctz_index, lfs_ctz_find, lfs_ctz_extend, lfs_ctz_traverse).
 * Block n of a file starts with ctz(n)+1 little-endian pointers: pointer i leads to block n − 2^i.
 * A file is known by its last block (the head) and its size.
 */
/** Reads bytes of a block (the block device, or a file's unwritten buffer for its newest block). */
export type BlockReader = (block: number, off: number, length: number) => Uint8Array;

import { readLe32, writeLe32 } from './tag.ts';

function popcount(x: number): number {
  let v = x >>> 0;
  let n = 0;
  while (v) {
    v &= v - 1;
    n++;
  }
  return n;
}

/** Count trailing zeros (x > 0). */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Smallest power of two ≥ x, as an exponent (lfs_npw2). */
function npw2(x: number): number {
  return x <= 1 ? 0 : 32 - Math.clz32(x - 1);
}

/** Which block of the list holds file byte `pos`, and at what offset inside that block. */
export function ctzIndex(blockSize: number, pos: number): { index: number; off: number } {
  const b = blockSize - 8;
  let i = Math.floor(pos / b);
  if (i === 0) return { index: 0, off: pos };
  i = Math.floor((pos - 4 * (popcount(i - 1) + 2)) / b);
  return { index: i, off: pos - b * i - 4 * popcount(i) };
}

/** The block holding file byte `pos` of the list (head, size), and the offset in it. */
export function ctzFind(
  read: BlockReader,
  blockSize: number,
  head: number,
  size: number,
  pos: number,
): { block: number; off: number } {
  if (size === 0) return { block: 0xffffffff, off: 0 };
  let current = ctzIndex(blockSize, size - 1).index;
  const target = ctzIndex(blockSize, pos);
  let block = head;
  while (current > target.index) {
    const skip = Math.min(npw2(current - target.index + 1) - 1, ctz32(current));
    block = readLe32(read(block, 4 * skip, 4), 0);
    current -= 2 ** skip;
  }
  return { block, off: target.off };
}

/** Every block of the list (lfs_ctz_traverse), head first. */
export function ctzBlocks(
  read: BlockReader,
  blockSize: number,
  head: number,
  size: number,
  visit: (block: number) => void,
): void {
  if (size === 0) return;
  let index = ctzIndex(blockSize, size - 1).index;
  let block = head;
  while (true) {
    visit(block);
    if (index === 0) return;
    const count = 2 - (index & 1);
    const ptrs = read(block, 0, 4 * count);
    if (count === 2) visit(readLe32(ptrs, 0));
    block = readLe32(ptrs, 4 * (count - 1));
    index -= count;
  }
}

/**
 * The start of a new last block for a list of `size` bytes ending in `head` (lfs_ctz_extend),
 * returned as the bytes to place at the start of the freshly erased `nblock` and the offset where
 * file data continues. A partly filled last block is copied whole (it cannot be appended to in
 * place: committed data never changes); a full one gets a successor with its skip pointers.
 */
export function ctzExtendPrefix(
  read: BlockReader,
  blockSize: number,
  head: number,
  size: number,
): { prefix: Uint8Array; off: number } {
  if (size === 0) return { prefix: new Uint8Array(0), off: 0 };
  const last = ctzIndex(blockSize, size - 1);
  const used = last.off + 1;
  if (used !== blockSize) return { prefix: read(head, 0, used), off: used };
  const index = last.index + 1;
  const skips = ctz32(index) + 1;
  const prefix = new Uint8Array(4 * skips);
  let target = head;
  for (let i = 0; i < skips; i++) {
    writeLe32(prefix, 4 * i, target);
    if (i !== skips - 1) target = readLe32(read(target, 4 * i, 4), 0);
  }
  return { prefix, off: 4 * skips };
}
