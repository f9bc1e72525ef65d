/**
 * littlefs metadata pairs (SPEC.md "Directories / Metadata pairs"; lfs.c lfs_dir_fetchmatch,
 * lfs_dir_commitattr, lfs_dir_commitcrc, lfs_dir_compact): reading the newest valid state of a
 * pair by replaying its commits, appending a commit to the active block, and compacting the
 * state into the other block under a higher revision count.
 *
 * Unlike littlefs, which looks tags up on disk each time, a fetch here replays every valid commit
 * into an in-memory table of entries (ids in order), which the caller then reads. The bytes on
 * disk are the same.
 */
import { type BlockDevice, ProgramFailed } from './config.ts';
import { lfsCrc } from './crc.ts';
import {
  BLOCK_NULL,
  ID_NONE,
  mkTag,
  type Pair,
  pairFrom,
  readBe32,
  readLe32,
  revNewer,
  TYPE_CRC,
  TYPE_FCRC,
  TYPE_MOVESTATE,
  tagChunk,
  tagDsize,
  tagId,
  tagIsDelete,
  tagIsValid,
  tagSize,
  tagSplice,
  tagType1,
  tagType3,
  writeBe32,
  writeLe32,
} from './tag.ts';

/** One file, directory or the superblock in a pair, as its tags describe it. */
export interface Entry {
  /** TYPE_REG, TYPE_DIR or TYPE_SUPERBLOCK (the name tag's type3). */
  type: number;
  name: Uint8Array;
  /** The latest struct tag: DIRSTRUCT, INLINESTRUCT or CTZSTRUCT, with its data. */
  struct: { type: number; data: Uint8Array } | undefined;
  /** User attributes by type (the chunk of a 0x3xx tag). */
  attrs: Map<number, Uint8Array>;
}

/** A fetched metadata pair. */
export interface Mdir {
  /** [active block, other block]. */
  pair: [number, number];
  rev: number;
  /** End of the last valid commit in the active block (0 for a pair not yet written). */
  off: number;
  /** The previous-tag value the next commit's first tag is XORed with. */
  etag: number;
  /** True when the rest of the active block can take another commit. */
  erased: boolean;
  tail: [number, number];
  /** The tail is a hard tail: the next pair holds more of this directory. */
  split: boolean;
  entries: Entry[];
  /** This pair's share of the global state (its latest MOVESTATE tag), 12 bytes. */
  gdelta: Uint8Array;
}

/** A tag with its data, as it goes into a commit (tag without the valid bit). */
export interface Attr {
  tag: number;
  data: Uint8Array;
}

/** No valid commit in either block of a pair. */
export class CorruptPair extends Error {
  override readonly name = 'CorruptPair';
}

/** A commit or compaction does not fit in a block. */
export class NoSpaceInBlock extends Error {
  override readonly name = 'NoSpaceInBlock';
}

export function emptyEntry(type: number, name: Uint8Array): Entry {
  return { type, name, struct: undefined, attrs: new Map() };
}

function cloneEntry(e: Entry): Entry {
  return { type: e.type, name: e.name, struct: e.struct, attrs: new Map(e.attrs) };
}

/** Entries, tail and global delta: what a pair's commits add up to. */
export interface PairState {
  entries: Entry[];
  tail: [number, number];
  split: boolean;
  gdelta: Uint8Array;
}

export function cloneState(s: PairState): PairState {
  return {
    entries: s.entries.map(cloneEntry),
    tail: [s.tail[0], s.tail[1]],
    split: s.split,
    gdelta: s.gdelta.slice(),
  };
}

/** Apply one tag of a commit to the state (what lfs_dir_getslice would see afterwards). */
export function applyAttr(s: PairState, tag: number, data: Uint8Array): void {
  const type1 = tagType1(tag);
  const id = tagId(tag);
  if (type1 === 0x000) {
    while (s.entries.length <= id) s.entries.push(emptyEntry(0, new Uint8Array(0)));
    const e = s.entries[id]!;
    e.type = tagType3(tag);
    e.name = data;
  } else if (type1 === 0x400) {
    const splice = tagSplice(tag);
    if (splice > 0) s.entries.splice(Math.min(id, s.entries.length), 0, emptyEntry(0, new Uint8Array(0)));
    else if (splice < 0 && id < s.entries.length) s.entries.splice(id, 1);
  } else if (type1 === 0x200) {
    const e = s.entries[id];
    if (e) e.struct = tagIsDelete(tag) ? undefined : { type: tagType3(tag), data };
  } else if (type1 === 0x300) {
    const e = s.entries[id];
    if (e) {
      if (tagIsDelete(tag)) e.attrs.delete(tagChunk(tag));
      else e.attrs.set(tagChunk(tag), data);
    }
  } else if (type1 === 0x600) {
    s.tail = pairFrom(data);
    s.split = (tagChunk(tag) & 1) === 1;
  } else if (tagType3(tag) === TYPE_MOVESTATE) {
    s.gdelta = data.slice(0, 12);
  }
}

/** Read the newest valid state of a pair (lfs_dir_fetchmatch without the match). */
export function fetchPair(bd: BlockDevice, pair: Pair): Mdir {
  const [a, b] = pair;
  if (a >= bd.blockCount || b >= bd.blockCount) {
    throw new CorruptPair(`metadata pair {${a}, ${b}} points outside the ${bd.blockCount}-block device`);
  }
  const revs = [readLe32(bd.read(a, 0, 4), 0), readLe32(bd.read(b, 0, 4), 0)] as const;
  const first = revNewer(revs[1], revs[0]) ? 1 : 0;
  for (let i = 0; i < 2; i++) {
    const which = (first + i) % 2;
    const block = pair[which]!;
    const other = pair[(which + 1) % 2]!;
    const found = replayBlock(bd, block, revs[which]!);
    if (found) return { pair: [block, other], rev: revs[which]!, ...found };
  }
  throw new CorruptPair(`metadata pair {${a}, ${b}} holds no valid commit in either block`);
}

type Replayed = Omit<Mdir, 'pair' | 'rev'>;

function replayBlock(bd: BlockDevice, block: number, rev: number): Replayed | undefined {
  const size = bd.blockSize;
  const data = bd.read(block, 0, size);
  const revBytes = new Uint8Array(4);
  writeLe32(revBytes, 0, rev);
  let crc = lfsCrc(0xffffffff, revBytes);
  let off = 4;
  let ptag = 0xffffffff;
  const state: PairState = {
    entries: [],
    tail: [BLOCK_NULL, BLOCK_NULL],
    split: false,
    gdelta: new Uint8Array(12),
  };
  let pending: Attr[] = [];
  let good: Replayed | undefined;
  let fcrc: { size: number; crc: number } | undefined;
  let lastFcrc: { size: number; crc: number } | undefined;
  let erased = false;
  while (true) {
    if (off + 4 > size) break;
    crc = lfsCrc(crc, data, off, off + 4);
    const tag = (readBe32(data, off) ^ ptag) >>> 0;
    if (!tagIsValid(tag)) {
      // Nothing more was committed. The rest of the block can take a commit if the last thing
      // read was a commit's CRC ending on a program boundary (lfs2.0), and, when that commit
      // carried a forward CRC (lfs2.1), the bytes after it still checksum as they did erased.
      if (good && tagType1(ptag) === TYPE_CRC && good.off % bd.progSize === 0) {
        erased = true;
        if (lastFcrc && good.off + lastFcrc.size <= size) {
          erased = lfsCrc(0xffffffff, data, good.off, good.off + lastFcrc.size) === lastFcrc.crc;
        }
      }
      break;
    }
    const dsize = tagDsize(tag);
    if (off + dsize > size) break;
    ptag = tag;
    if (tagType1(tag) === TYPE_CRC && tagChunk(tag) < 0x80) {
      if (off + 8 > size || readLe32(data, off + 4) !== crc) break;
      // The commit is good: its tags count (only now, so a torn commit changes nothing).
      for (const attr of pending) applyAttr(state, attr.tag, attr.data);
      pending = [];
      ptag = (ptag ^ ((tagChunk(tag) & 1) << 31)) >>> 0;
      lastFcrc = fcrc;
      fcrc = undefined;
      off += dsize;
      good = {
        off,
        etag: ptag,
        erased: false,
        tail: state.tail,
        split: state.split,
        entries: state.entries,
        gdelta: state.gdelta,
      };
      crc = 0xffffffff;
      continue;
    }
    crc = lfsCrc(crc, data, off + 4, off + dsize);
    const body = data.slice(off + 4, off + dsize);
    if (tagType3(tag) === TYPE_FCRC) {
      if (body.length >= 8) fcrc = { size: readLe32(body, 0), crc: readLe32(body, 4) };
    } else {
      pending.push({ tag, data: body });
    }
    off += dsize;
  }
  if (!good) return undefined;
  good.erased = erased;
  return good;
}

/** Builds the bytes of one commit in memory (lfs_dir_commitattr + lfs_dir_commitcrc). */
export class CommitBuilder {
  private readonly bytes: Uint8Array;
  private readonly begin: number;
  private off: number;
  private ptag: number;
  private crc: number;

  constructor(
    private readonly bd: BlockDevice,
    private readonly block: number,
    begin: number,
    ptag: number,
    /** Where tags must end (block size − 8, leaving room for the CRC). */
    private readonly end: number,
  ) {
    this.bytes = new Uint8Array(bd.blockSize - begin).fill(0xff);
    this.begin = begin;
    this.off = begin;
    this.ptag = ptag;
    this.crc = 0xffffffff;
  }

  /** Start a fresh block: the revision count is the first thing the CRC covers. */
  revision(rev: number): void {
    const b = new Uint8Array(4);
    writeLe32(b, 0, rev);
    this.put(b);
  }

  attr(tag: number, data: Uint8Array): void {
    const dsize = tagDsize(tag);
    if (this.off + dsize > this.end) {
      throw new NoSpaceInBlock(`commit of ${dsize} more bytes at ${this.off} passes ${this.end}`);
    }
    if (!tagIsDelete(tag) && data.length !== tagSize(tag)) {
      throw new RangeError(`tag 0x${tag.toString(16)} says ${tagSize(tag)} bytes, data has ${data.length}`);
    }
    const t = new Uint8Array(4);
    writeBe32(t, 0, ((tag & 0x7fffffff) ^ this.ptag) >>> 0);
    this.put(t);
    if (!tagIsDelete(tag)) this.put(data);
    this.ptag = (tag & 0x7fffffff) >>> 0;
  }

  private put(b: Uint8Array): void {
    this.bytes.set(b, this.off - this.begin);
    this.crc = lfsCrc(this.crc, b);
    this.off += b.length;
  }

  /**
   * Close the commit with CRC tags padded to the next program boundary, program it in
   * cache-size pieces, and return where the next commit starts and its first XOR value.
   */
  finish(cacheSize: number): { off: number; etag: number } {
    const prog = this.bd.progSize;
    const blockSize = this.bd.blockSize;
    const end = Math.ceil((this.off + 8) / prog) * prog;
    while (this.off < end) {
      const base = this.off + 4;
      let noff = Math.min(end - base, 0x3fe) + base;
      if (noff < end) noff = Math.min(noff, end - 8);
      // Pick the CRC tag's low bit so the word after the commit, as it is now (erased), reads
      // as an invalid tag: a commit that is never written cannot look valid.
      let next = 0xffffffff;
      if (noff + 4 <= blockSize) next = readBe32(this.bd.read(this.block, noff, 4), 0);
      const reset = (~next >>> 31) & 1;
      const tag = mkTag(TYPE_CRC + reset, ID_NONE, noff - base);
      const t = new Uint8Array(4);
      writeBe32(t, 0, (tag ^ this.ptag) >>> 0);
      this.put(t);
      const c = new Uint8Array(4);
      writeLe32(c, 0, this.crc);
      this.bytes.set(c, this.off - this.begin);
      this.off = noff;
      this.ptag = (tag ^ (reset << 31)) >>> 0;
      this.crc = 0xffffffff;
    }
    const length = end - this.begin;
    for (let at = 0; at < length; at += cacheSize) {
      const piece = this.bytes.subarray(at, Math.min(length, at + cacheSize));
      this.bd.prog(this.block, this.begin + at, piece);
    }
    return { off: end, etag: this.ptag };
  }
}

/** Bytes a list of attributes takes in a commit. */
export function attrsSize(attrs: readonly Attr[]): number {
  let n = 0;
  for (const a of attrs) n += tagDsize(a.tag);
  return n;
}

/** The tags that describe one entry under a given id, in the order a compaction writes them. */
export function entryAttrs(e: Entry, id: number): Attr[] {
  const out: Attr[] = [{ tag: mkTag(e.type, id, e.name.length), data: e.name }];
  if (e.struct) out.push({ tag: mkTag(e.struct.type, id, e.struct.data.length), data: e.struct.data });
  for (const [type, data] of [...e.attrs].sort((x, y) => x[0] - y[0])) {
    out.push({ tag: mkTag(0x300 | type, id, data.length), data });
  }
  return out;
}

export function programFailed(e: unknown): e is ProgramFailed {
  return e instanceof ProgramFailed;
}
