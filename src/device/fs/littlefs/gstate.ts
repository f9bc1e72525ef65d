/**
 * littlefs global state (SPEC.md "0x7ff LFS_TYPE_MOVESTATE"; lfs.c lfs_gstate_*): the XOR of every
 * pair's MOVESTATE delta. It records a move in flight (a file that, after a power loss, exists in
 * two pairs: the source is to be deleted) and whether orphaned pairs may be in the thread list.
 */
import { mkTag, type Pair, readLe32, TYPE_DELETE, tagSize, tagType1, writeLe32 } from './tag.ts';

export interface Gstate {
  /** Move tag: type DELETE + id of the source when a move is pending; top bit = orphans; size = orphan count. */
  tag: number;
  pair: [number, number];
}

export function gZero(): Gstate {
  return { tag: 0, pair: [0, 0] };
}

export function gXor(a: Gstate, b: Gstate): Gstate {
  return { tag: (a.tag ^ b.tag) >>> 0, pair: [(a.pair[0] ^ b.pair[0]) >>> 0, (a.pair[1] ^ b.pair[1]) >>> 0] };
}

export function gIsZero(g: Gstate): boolean {
  return g.tag === 0 && g.pair[0] === 0 && g.pair[1] === 0;
}

export function gFromBytes(b: Uint8Array): Gstate {
  if (b.length < 12) return gZero();
  return { tag: readLe32(b, 0), pair: [readLe32(b, 4), readLe32(b, 8)] };
}

export function gToBytes(g: Gstate): Uint8Array {
  const b = new Uint8Array(12);
  writeLe32(b, 0, g.tag);
  writeLe32(b, 4, g.pair[0]);
  writeLe32(b, 8, g.pair[1]);
  return b;
}

export function gHasOrphans(g: Gstate): boolean {
  return tagSize(g.tag) !== 0;
}

export function gHasMove(g: Gstate): boolean {
  return tagType1(g.tag) !== 0;
}

export function gHasMoveHere(g: Gstate, pair: Pair): boolean {
  return (
    gHasMove(g) &&
    ((g.pair[0] === pair[0] && g.pair[1] === pair[1]) || (g.pair[0] === pair[1] && g.pair[1] === pair[0]))
  );
}

/** Add to the orphan count; the top bit mirrors "some" (lfs_fs_preporphans). */
export function gPrepOrphans(g: Gstate, n: number): Gstate {
  let tag = (g.tag + n) >>> 0;
  tag = ((tag & 0x7fffffff) | ((tagSize(tag) !== 0 ? 1 : 0) << 31)) >>> 0;
  return { tag, pair: g.pair };
}

/** Record (id < 0x3ff) or clear (id = 0x3ff) a pending move (lfs_fs_prepmove). */
export function gPrepMove(g: Gstate, id: number, pair: Pair): Gstate {
  const keep = (g.tag & ~mkTag(0x7ff, 0x3ff, 0)) >>> 0;
  if (id === 0x3ff) return { tag: keep, pair: [0, 0] };
  return { tag: (keep | mkTag(TYPE_DELETE, id, 0)) >>> 0, pair: [pair[0], pair[1]] };
}
