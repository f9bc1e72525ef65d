/**
 * littlefs's metadata-pair store: the global state, the block allocator and every commit to a
 * pair. Follows lfs.c: lfs_alloc (lookahead windows over lfs_fs_rawtraverse), lfs_dir_alloc,
 * lfs_dir_relocatingcommit / lfs_dir_orphaningcommit (append, else compact; split while over half
 * a block; move a tired pair and re-point its parent and predecessor), lfs_dir_drop, lfs_fs_pred,
 * lfs_fs_parent, lfs_fs_forceconsistency (finish a move, drop orphans, repair half-orphans).
 *
 * Metadata pairs are wear-levelled as littlefs does: every (block_cycles+1)|1 compactions a pair
 * moves one of its blocks to a fresh block, and its parent and predecessor are re-pointed, with
 * the orphan flag set in between so a power cut is repaired at the next mount. Not modelled: bad
 * blocks (the flash model does not wear out, so no program or erase ever fails) and superblock
 * expansion (the root pair at blocks 0 and 1 is compacted in place when tired).
 */
import { FsError } from '../fs-api.ts';
import { type BlockDevice, type LfsConfig, ProgramFailed } from './config.ts';
import { ctzBlocks } from './ctz.ts';
import {
  type Gstate,
  gFromBytes,
  gHasMove,
  gHasMoveHere,
  gHasOrphans,
  gIsZero,
  gPrepMove,
  gPrepOrphans,
  gToBytes,
  gXor,
  gZero,
} from './gstate.ts';
import {
  type Attr,
  applyAttr,
  attrsSize,
  CommitBuilder,
  CorruptPair,
  cloneState,
  type Entry,
  entryAttrs,
  fetchPair,
  type Mdir,
  NoSpaceInBlock,
} from './mdir.ts';
import {
  BLOCK_NULL,
  ID_NONE,
  mkTag,
  type Pair,
  pairBytes,
  pairEq,
  pairFrom,
  pairIsNull,
  pairOverlap,
  readLe32,
  TYPE_CTZSTRUCT,
  TYPE_DELETE,
  TYPE_DIRSTRUCT,
  TYPE_MOVESTATE,
  TYPE_TAIL,
  tagType3,
} from './tag.ts';

export class PairStore {
  /** The pair holding the superblock: the root directory's first pair. */
  root: [number, number] = [BLOCK_NULL, BLOCK_NULL];
  /** Global state as it is to be; as it is on disk; deltas taken from dropped pairs. */
  gstate: Gstate = gZero();
  gdisk: Gstate = gZero();
  private gdelta: Gstate = gZero();
  private consistent = false;
  private readonly free: { off: number; size: number; i: number; ack: number; bits: Uint8Array };

  constructor(
    readonly bd: BlockDevice,
    readonly cfg: LfsConfig,
    /** Prefix for error messages (the mount point). */
    readonly label: string,
    /** Blocks that open files hold beyond the committed tree. */
    private readonly extraBlocks: (visit: (block: number) => void) => void,
  ) {
    this.free = { off: 0, size: 0, i: 0, ack: 0, bits: new Uint8Array(cfg.lookaheadSize) };
  }

  /** A fresh device: the allocator starts at block 0 with nothing in use (lfs_rawformat). */
  startFormat(): void {
    this.free.off = 0;
    this.free.size = Math.min(8 * this.cfg.lookaheadSize, this.bd.blockCount);
    this.free.i = 0;
    this.free.bits.fill(0);
    this.allocAck();
  }

  /** After a mount's scan: the root, the summed global state, and where allocation starts. */
  mounted(root: Pair, gstate: Gstate, seed: number): void {
    this.root = [root[0], root[1]];
    // An orphan flag on disk means the orphan count was lost: assume one (lfs_rawmount).
    this.gstate = gstate.tag & 0x80000000 ? { tag: (gstate.tag + 1) >>> 0, pair: gstate.pair } : gstate;
    this.gdisk = this.gstate;
    this.free.off = seed % this.bd.blockCount;
    this.allocDrop();
  }

  /** @internal */
  corrupt(why: string): FsError {
    return new FsError('EFAULT', `${this.label}: LittleFS corrupted: ${why}`);
  }

  // ---- block allocation (lfs_alloc) ----

  /** @internal Blocks handed out since the last ack stay reserved until the next full scan. */
  allocAck(): void {
    this.free.ack = this.bd.blockCount;
  }

  allocDrop(): void {
    this.free.size = 0;
    this.free.i = 0;
    this.allocAck();
  }

  /** @internal A free block, found by scanning lookahead windows of the in-use map. */
  alloc(): number {
    const f = this.free;
    const count = this.bd.blockCount;
    const used = (i: number) => (f.bits[i >> 3]! & (1 << (i & 7))) !== 0;
    while (true) {
      while (f.i !== f.size) {
        const off = f.i;
        f.i++;
        f.ack--;
        if (!used(off)) {
          while (f.i !== f.size && used(f.i)) {
            f.i++;
            f.ack--;
          }
          return (f.off + off) % count;
        }
      }
      if (f.ack <= 0) {
        throw new FsError('ENOSPC', `${this.label}: every one of the ${count} blocks is in use`);
      }
      f.off = (f.off + f.size) % count;
      f.size = Math.min(8 * this.cfg.lookaheadSize, f.ack);
      f.i = 0;
      f.bits.fill(0);
      try {
        this.traverse((block) => {
          const rel = (block - f.off + count) % count;
          if (rel < f.size) f.bits[rel >> 3]! |= 1 << (rel & 7);
        });
      } catch (e) {
        this.allocDrop();
        throw e;
      }
    }
  }

  /** Every block in use (lfs_fs_rawtraverse): pairs on the thread list, files, open files. */
  traverse(visit: (block: number) => void): void {
    let tail: Pair = [0, 1];
    let cycle = 0;
    while (!pairIsNull(tail)) {
      if (cycle >= this.bd.blockCount / 2) throw this.corrupt('the metadata thread list loops');
      cycle++;
      visit(tail[0]);
      visit(tail[1]);
      const dir = this.fetch(tail);
      for (const e of dir.entries) {
        if (e.struct?.type === TYPE_CTZSTRUCT && e.struct.data.length >= 8) {
          const size = readLe32(e.struct.data, 4);
          ctzBlocks(this.reader(), this.bd.blockSize, readLe32(e.struct.data, 0), size, visit);
        }
      }
      tail = dir.tail;
    }
    this.extraBlocks(visit);
  }

  /** Blocks in use (lfs_fs_rawsize). */
  fsSize(): number {
    let n = 0;
    this.traverse(() => {
      n++;
    });
    return n;
  }

  /** @internal Reads through the block device. */
  reader(): (block: number, off: number, length: number) => Uint8Array {
    return (block, off, length) => this.bd.read(block, off, length);
  }

  // ---- metadata pairs ----

  /** @internal */
  fetch(pair: Pair): Mdir {
    try {
      return fetchPair(this.bd, pair);
    } catch (e) {
      if (e instanceof CorruptPair) throw this.corrupt(e.message);
      throw e;
    }
  }

  /** A fresh, unwritten pair (lfs_dir_alloc). */
  /** @internal */
  allocPair(): Mdir {
    const b1 = this.alloc();
    const b0 = this.alloc();
    // Start from the old revision of the block, aligned to the wear-levelling period, so the
    // count keeps growing across reuse (lfs_dir_alloc).
    let rev = readLe32(this.bd.read(b0, 0, 4), 0);
    if (this.cfg.blockCycles > 0) {
      const m = (this.cfg.blockCycles + 1) | 1;
      const up = (rev + m - 1) >>> 0;
      rev = (up - (up % m)) >>> 0;
    }
    return {
      pair: [b0, b1],
      rev,
      off: 4,
      etag: 0xffffffff,
      erased: false,
      tail: [BLOCK_NULL, BLOCK_NULL],
      split: false,
      entries: [],
      gdelta: new Uint8Array(12),
    };
  }

  /** The global-state change a commit carries: pending changes and any stolen deltas. */
  private pendingDelta(): Gstate {
    const d = gXor(gXor(this.gstate, this.gdisk), this.gdelta);
    return { tag: (d.tag & ~0x3ff) >>> 0, pair: d.pair };
  }

  /** The pair before `pair` on the thread list (lfs_fs_pred), if any. */
  pred(pair: Pair): Mdir | undefined {
    let dir = this.fetch([0, 1]);
    let cycle = 0;
    while (!pairIsNull(dir.tail)) {
      if (cycle++ >= this.bd.blockCount / 2) throw this.corrupt('the metadata thread list loops');
      if (pairOverlap(dir.tail, pair)) return dir;
      dir = this.fetch(dir.tail);
    }
    return undefined;
  }

  /**
   * @internal Commit attributes to a pair (lfs_dir_relocatingcommit): append when the block has
   * room, else compact (splitting, and moving a tired pair). Returns the pair as it is now.
   */
  commit(dir: Mdir, attrs: readonly Attr[]): Mdir {
    const next = cloneState(dir);
    let deletes = false;
    for (const a of attrs) {
      applyAttr(next, a.tag, a.data);
      if (tagType3(a.tag) === TYPE_DELETE) deletes = true;
    }
    // A pair of a directory's chain left without entries is unlinked instead (LFS_OK_DROPPED).
    if (deletes && next.entries.length === 0 && !pairEq(dir.pair, [0, 1])) {
      const pdir = this.pred(dir.pair);
      if (pdir?.split) {
        this.dropPair(pdir, dir);
        return this.fetch(dir.pair);
      }
    }
    const delta = this.pendingDelta();
    const own = gFromBytes(dir.gdelta);
    const newDelta = gXor(own, delta);
    if (dir.erased) {
      const all = [...attrs];
      if (!gIsZero(delta)) all.push({ tag: mkTag(TYPE_MOVESTATE, ID_NONE, 12), data: gToBytes(newDelta) });
      if (dir.off + attrsSize(all) <= this.bd.blockSize - 8) {
        try {
          const cb = new CommitBuilder(this.bd, dir.pair[0], dir.off, dir.etag, this.bd.blockSize - 8);
          for (const a of all) cb.attr(a.tag, a.data);
          const done = cb.finish(this.cfg.cacheSize);
          dir.off = done.off;
          dir.etag = done.etag;
          dir.erased = done.off < this.bd.blockSize;
          dir.entries = next.entries;
          dir.tail = next.tail;
          dir.split = next.split;
          if (!gIsZero(delta)) dir.gdelta = gToBytes(newDelta);
          this.gdisk = this.gstate;
          this.gdelta = gZero();
          return dir;
        } catch (e) {
          // Bytes that were not erased (a torn earlier commit): compact instead, as littlefs
          // does when a commit fails to verify.
          if (!(e instanceof ProgramFailed)) throw e;
        }
      }
    }
    // Wear levelling: a pair compacted (block_cycles+1)|1 times moves to a fresh block.
    const m = (this.cfg.blockCycles + 1) | 1;
    let fresh: number | undefined;
    if (this.cfg.blockCycles > 0 && (dir.rev + 1) % m === 0 && !pairEq(dir.pair, [0, 1])) {
      try {
        fresh = this.alloc();
      } catch (e) {
        // No spare block: compact in place (littlefs carries on when a tired pair cannot move).
        if (!(e instanceof FsError && e.code === 'ENOSPC')) throw e;
      }
    }
    if (fresh === undefined) {
      next.gdelta = gToBytes(newDelta);
      this.splittingCompact(dir, next.entries, next.tail, next.split, next.gdelta);
      this.gdisk = this.gstate;
      this.gdelta = gZero();
      return dir;
    }
    // The moved pair is not reachable until its parent and predecessor point at it, so the
    // pending global state goes with those commits, not this one (lfs_dir_compact "relocated").
    const oldPair: [number, number] = [dir.pair[0], dir.pair[1]];
    dir.pair = [dir.pair[0], fresh];
    next.gdelta = gToBytes(gXor(own, this.gdelta));
    this.gdelta = gZero();
    this.splittingCompact(dir, next.entries, next.tail, next.split, next.gdelta);
    this.repoint(oldPair, dir);
    return dir;
  }

  /**
   * After a pair moved from `oldPair`, point its parent's entry and its predecessor's tail at it
   * (lfs_dir_orphaningcommit). Between the two commits the file system has a half-orphan, flagged
   * in the global state for lfs_fs_deorphan.
   */
  private repoint(oldPair: Pair, dir: Mdir): void {
    if (pairOverlap(oldPair, this.root)) this.root = [dir.pair[0], dir.pair[1]];
    const newPair = pairBytes(dir.pair);
    const parent = this.parentOf(oldPair);
    if (parent) {
      this.gstate = gPrepOrphans(this.gstate, +1);
      const attrs: Attr[] = [];
      let id = parent.id;
      // A pending move in the parent is finished in the same commit: the move's pair may be the
      // one that is about to change.
      if (gHasMoveHere(this.gstate, parent.dir.pair)) {
        const moveId = (this.gstate.tag >>> 10) & 0x3ff;
        this.gstate = gPrepMove(this.gstate, ID_NONE, [0, 0]);
        attrs.push({ tag: mkTag(TYPE_DELETE, moveId, 0), data: new Uint8Array(0) });
        if (moveId < id) id--;
      }
      attrs.push({ tag: mkTag(TYPE_DIRSTRUCT, id, 8), data: newPair });
      this.commit(parent.dir, attrs);
    }
    const pdir = this.pred(oldPair);
    if (pdir) {
      if (parent && gHasOrphans(this.gstate)) this.gstate = gPrepOrphans(this.gstate, -1);
      const attrs: Attr[] = [];
      if (gHasMoveHere(this.gstate, pdir.pair)) {
        const moveId = (this.gstate.tag >>> 10) & 0x3ff;
        this.gstate = gPrepMove(this.gstate, ID_NONE, [0, 0]);
        attrs.push({ tag: mkTag(TYPE_DELETE, moveId, 0), data: new Uint8Array(0) });
      }
      attrs.push({ tag: mkTag(TYPE_TAIL + (pdir.split ? 1 : 0), ID_NONE, 8), data: newPair });
      this.commit(pdir, attrs);
    }
  }

  /** Compact into the other block, first splitting off tail pairs while the entries exceed half a block. */
  private splittingCompact(
    dir: Mdir,
    entries: Entry[],
    tail: [number, number],
    split: boolean,
    gdelta: Uint8Array,
  ): void {
    const bs = this.bd.blockSize;
    const limit = Math.min(bs - 36, Math.ceil(bs / 2 / this.bd.progSize) * this.bd.progSize);
    let end = entries.length;
    let curTail = tail;
    let curSplit = split;
    while (true) {
      let at = 0;
      while (end - at > 1) {
        let size = 0;
        for (let i = at; i < end; i++) size += attrsSize(entryAttrs(entries[i]!, i - at));
        if (end - at < 0xff && size <= limit) break;
        at += Math.floor((end - at) / 2);
      }
      if (at === 0) break;
      let tailDir: Mdir;
      try {
        tailDir = this.allocPair();
      } catch (e) {
        // No block for a new pair: compact what we have, it may still fit.
        if (e instanceof FsError && e.code === 'ENOSPC') break;
        throw e;
      }
      this.compactInto(tailDir, entries.slice(at, end), curTail, curSplit, new Uint8Array(12));
      curTail = [tailDir.pair[0], tailDir.pair[1]];
      curSplit = true;
      end = at;
    }
    this.compactInto(dir, entries.slice(0, end), curTail, curSplit, gdelta);
  }

  /** Write a pair's whole state into its other block under the next revision (lfs_dir_compact). */
  private compactInto(
    dir: Mdir,
    entries: Entry[],
    tail: [number, number],
    split: boolean,
    gdelta: Uint8Array,
  ): void {
    const block = dir.pair[1];
    const rev = (dir.rev + 1) >>> 0;
    this.bd.erase(block);
    const cb = new CommitBuilder(this.bd, block, 0, 0xffffffff, this.bd.blockSize - 8);
    try {
      cb.revision(rev);
      entries.forEach((e, id) => {
        for (const a of entryAttrs(e, id)) cb.attr(a.tag, a.data);
      });
      if (!pairIsNull(tail)) cb.attr(mkTag(TYPE_TAIL + (split ? 1 : 0), ID_NONE, 8), pairBytes(tail));
      if (!gIsZero(gFromBytes(gdelta))) cb.attr(mkTag(TYPE_MOVESTATE, ID_NONE, 12), gdelta);
    } catch (e) {
      if (e instanceof NoSpaceInBlock) {
        throw new FsError(
          'ENOSPC',
          `${this.label}: a directory's metadata no longer fits in a ${this.bd.blockSize}-byte block`,
        );
      }
      throw e;
    }
    const done = cb.finish(this.cfg.cacheSize);
    dir.pair = [block, dir.pair[0]];
    dir.rev = rev;
    dir.off = done.off;
    dir.etag = done.etag;
    dir.erased = done.off < this.bd.blockSize;
    dir.entries = entries;
    dir.tail = tail;
    dir.split = split;
    dir.gdelta = gdelta;
  }

  /** Unlink `dir` from the thread list by pointing its predecessor past it (lfs_dir_drop). */
  dropPair(pdir: Mdir, dir: Mdir): void {
    this.gdelta = gXor(this.gdelta, gFromBytes(dir.gdelta));
    this.commit(pdir, [
      { tag: mkTag(TYPE_TAIL + (dir.split ? 1 : 0), ID_NONE, 8), data: pairBytes(dir.tail) },
    ]);
  }

  // ---- consistency after power loss (lfs_fs_forceconsistency) ----

  /** @internal Finish an interrupted move and drop orphaned pairs before the first write. */
  forceConsistency(): void {
    if (this.consistent) return;
    if (gHasMove(this.gdisk)) {
      const id = (this.gdisk.tag >>> 10) & 0x3ff;
      const dir = this.fetch(this.gdisk.pair);
      this.gstate = gPrepMove(this.gstate, ID_NONE, [0, 0]);
      this.commit(dir, [{ tag: mkTag(TYPE_DELETE, id, 0), data: new Uint8Array(0) }]);
    }
    if (gHasOrphans(this.gstate)) {
      let pdir = this.fetch([0, 1]);
      let cycle = 0;
      while (!pairIsNull(pdir.tail)) {
        if (cycle++ >= this.bd.blockCount) throw this.corrupt('the metadata thread list loops');
        const dir = this.fetch(pdir.tail);
        if (!pdir.split) {
          const parent = this.parentOf(pdir.tail);
          if (!parent) {
            // An orphan: a directory removed, or never linked, before the power went.
            this.dropPair(pdir, dir);
            pdir = this.fetch(pdir.pair);
            continue;
          }
          const pointed = pairFrom(parent.entry.struct!.data);
          if (!pairEq(pointed, pdir.tail)) {
            // A half-orphan: the pair moved and its parent knows, its predecessor does not yet.
            this.commit(pdir, [
              { tag: mkTag(TYPE_TAIL + (pdir.split ? 1 : 0), ID_NONE, 8), data: pairBytes(pointed) },
            ]);
            pdir = this.fetch(pdir.pair);
            continue;
          }
        }
        pdir = dir;
      }
      this.gstate = gPrepOrphans(this.gstate, -((this.gstate.tag & 0x3ff) >>> 0));
    }
    this.consistent = true;
  }

  /** The directory entry pointing at a pair that shares a block with `pair` (lfs_fs_parent). */
  parentOf(pair: Pair): { dir: Mdir; id: number; entry: Entry } | undefined {
    let tail: Pair = [0, 1];
    let cycle = 0;
    while (!pairIsNull(tail)) {
      if (cycle++ >= this.bd.blockCount) throw this.corrupt('the metadata thread list loops');
      const dir = this.fetch(tail);
      for (let id = 0; id < dir.entries.length; id++) {
        const e = dir.entries[id]!;
        if (
          e.struct?.type === TYPE_DIRSTRUCT &&
          e.struct.data.length >= 8 &&
          pairOverlap(pairFrom(e.struct.data), pair)
        ) {
          return { dir, id, entry: e };
        }
      }
      tail = dir.tail;
    }
    return undefined;
  }
}
