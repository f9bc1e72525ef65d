/**
 * A LittleFS v2 file system over a synchronous block device, writing on-disk version 2.0 (what
 * littlefs v2.5, shipped by Zephyr v3.5.0, writes) and reading 2.0 and 2.1. Follows lfs.c of
 * littlefs-project/littlefs: format/mount (lfs_rawformat, lfs_rawmount), path lookup
 * (lfs_dir_find), commits with compaction and splitting (lfs_dir_relocatingcommit,
 * lfs_dir_splittingcompact, lfs_dir_compact), mkdir/remove/rename with the global move and orphan
 * state (lfs_rawmkdir, lfs_rawremove, lfs_rawrename, lfs_fs_demove, lfs_fs_deorphan), the
 * lookahead block allocator (lfs_alloc) over a traversal (lfs_fs_rawtraverse).
 *
 * Metadata pairs are wear-levelled as littlefs does: every (block_cycles+1)|1 compactions a pair
 * moves one of its blocks to a fresh block, and its parent and predecessor are re-pointed
 * (lfs_dir_compact "tired", lfs_dir_orphaningcommit), with the orphan flag set in between so a
 * power cut is repaired at the next mount (lfs_fs_deorphan's half-orphans). Not modelled: bad
 * blocks (the flash model does not wear out, so no program or erase ever fails), and superblock
 * expansion (the root pair at blocks 0 and 1 is compacted in place when tired).
 */
import { FsError } from '../fs-api.ts';
import {
  type BlockDevice,
  DISK_VERSION,
  DISK_VERSION_MINOR_MAX,
  LFS_ATTR_MAX,
  LFS_FILE_MAX,
  LFS_NAME_MAX,
  type LfsConfig,
  MIN_BLOCK_COUNT,
  ProgramFailed,
} from './config.ts';
import { ctzBlocks } from './ctz.ts';
import { LfsFile, type OpenFlags } from './file.ts';
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
  TYPE_CREATE,
  TYPE_CTZSTRUCT,
  TYPE_DELETE,
  TYPE_DIR,
  TYPE_DIRSTRUCT,
  TYPE_INLINESTRUCT,
  TYPE_MOVESTATE,
  TYPE_REG,
  TYPE_SOFTTAIL,
  TYPE_SUPERBLOCK,
  TYPE_TAIL,
  tagType3,
  writeLe32,
} from './tag.ts';

export interface LfsInfo {
  type: 'file' | 'dir';
  name: string;
  size: number;
}

/** Where a path leads: the root, an entry, or the spot a new entry would take. */
type Found =
  | { kind: 'root' }
  | { kind: 'entry'; dir: Mdir; id: number; entry: Entry }
  | { kind: 'missing'; dir: Mdir; id: number; name: Uint8Array };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAGIC = encoder.encode('littlefs');

/** Compare a stored name with a wanted one, as lfs_dir_find_match orders them. */
function compareName(disk: Uint8Array, name: Uint8Array): number {
  const n = Math.min(disk.length, name.length);
  for (let i = 0; i < n; i++) if (disk[i] !== name[i]) return disk[i]! < name[i]! ? -1 : 1;
  if (name.length !== disk.length) return name.length < disk.length ? -1 : 1;
  return 0;
}

function namesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareName(a, b) === 0;
}

/** A file or directory entry (not the superblock): a name tag of type 0x000–0x07f. */
function isNamed(e: Entry): boolean {
  return (e.type & 0x780) === 0 && (e.type === TYPE_REG || e.type === TYPE_DIR);
}

/** Resolve '.', '..' and repeated slashes the way lfs_dir_find does (lexically). */
export function pathParts(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

export class Littlefs {
  readonly bd: BlockDevice;
  readonly cfg: LfsConfig;
  /** Prefix for paths in error messages (the mount point). */
  readonly label: string;
  nameMax: number;
  fileMax: number;
  attrMax: number;
  /** Largest file kept inside its metadata pair (lfs_file_flushedwrite's inline limit). */
  readonly inlineMax: number;
  private root: [number, number] = [BLOCK_NULL, BLOCK_NULL];
  private gstate: Gstate = gZero();
  private gdisk: Gstate = gZero();
  private gdelta: Gstate = gZero();
  private consistent = false;
  private readonly free: { off: number; size: number; i: number; ack: number; bits: Uint8Array };
  /** @internal open files, for the allocator and for detaching on remove/rename. */
  readonly openFiles = new Set<LfsFile>();
  private mounted = true;

  private constructor(bd: BlockDevice, cfg: LfsConfig, label: string) {
    this.bd = bd;
    this.cfg = cfg;
    this.label = label;
    this.nameMax = cfg.nameMax || LFS_NAME_MAX;
    this.fileMax = cfg.fileMax || LFS_FILE_MAX;
    this.attrMax = cfg.attrMax || LFS_ATTR_MAX;
    this.inlineMax = Math.min(0x3fe, cfg.cacheSize, Math.floor(bd.blockSize / 8));
    this.free = { off: 0, size: 0, i: 0, ack: 0, bits: new Uint8Array(cfg.lookaheadSize) };
  }

  /** Check the geometry littlefs needs (lfs_init's asserts), as a clear error. */
  static checkGeometry(bd: BlockDevice, cfg: LfsConfig, label: string): void {
    const bad = (why: string) => new FsError('EINVAL', `${label}: ${why}`);
    if (bd.blockCount < MIN_BLOCK_COUNT) {
      throw bad(
        `LittleFS needs at least ${MIN_BLOCK_COUNT} blocks (a metadata pair), the area has ${bd.blockCount} of ${bd.blockSize} bytes`,
      );
    }
    if (bd.blockSize < 128) throw bad(`block size ${bd.blockSize} is below LittleFS's minimum of 128 bytes`);
    if (cfg.cacheSize % bd.readSize !== 0 || cfg.cacheSize % bd.progSize !== 0) {
      throw bad(
        `cache size ${cfg.cacheSize} is not a multiple of read size ${bd.readSize} and prog size ${bd.progSize}`,
      );
    }
    if (bd.blockSize % cfg.cacheSize !== 0) {
      throw bad(`block size ${bd.blockSize} is not a multiple of cache size ${cfg.cacheSize}`);
    }
    if (cfg.lookaheadSize <= 0 || cfg.lookaheadSize % 8 !== 0) {
      throw bad(`lookahead size ${cfg.lookaheadSize} must be a positive multiple of 8`);
    }
    if ((cfg.nameMax || 0) > LFS_NAME_MAX) throw bad(`name_max ${cfg.nameMax} exceeds ${LFS_NAME_MAX}`);
  }

  /** Write an empty file system (lfs_rawformat): a root pair in blocks 0 and 1 with the superblock. */
  static format(bd: BlockDevice, cfg: LfsConfig, label = ''): void {
    Littlefs.checkGeometry(bd, cfg, label);
    const fs = new Littlefs(bd, cfg, label);
    fs.free.off = 0;
    fs.free.size = Math.min(8 * cfg.lookaheadSize, bd.blockCount);
    fs.free.i = 0;
    fs.free.bits.fill(0);
    fs.allocAck();
    let root = fs.allocPair();
    const sb = new Uint8Array(24);
    writeLe32(sb, 0, DISK_VERSION);
    writeLe32(sb, 4, bd.blockSize);
    writeLe32(sb, 8, bd.blockCount);
    writeLe32(sb, 12, fs.nameMax);
    writeLe32(sb, 16, fs.fileMax);
    writeLe32(sb, 20, fs.attrMax);
    root = fs.commit(root, [
      { tag: mkTag(TYPE_CREATE, 0, 0), data: new Uint8Array(0) },
      { tag: mkTag(TYPE_SUPERBLOCK, 0, 8), data: MAGIC },
      { tag: mkTag(TYPE_INLINESTRUCT, 0, 24), data: sb },
    ]);
    // Compact once more so both blocks hold this file system and no older one can be found.
    root.erased = false;
    fs.commit(root, []);
    fetchPair(bd, [0, 1]);
  }

  /** Mount (lfs_rawmount): find the superblock along the thread list and sum the global state. */
  static mount(bd: BlockDevice, cfg: LfsConfig, label = ''): Littlefs {
    Littlefs.checkGeometry(bd, cfg, label);
    const fs = new Littlefs(bd, cfg, label);
    let tail: Pair = [0, 1];
    let cycle = 0;
    let seed = 0;
    while (!pairIsNull(tail)) {
      if (cycle >= bd.blockCount / 2) throw fs.corrupt('the metadata thread list loops');
      cycle++;
      let dir: Mdir;
      try {
        dir = fetchPair(bd, tail);
      } catch (e) {
        if (e instanceof CorruptPair) throw fs.corrupt(e.message);
        throw e;
      }
      seed = (seed * 31 + dir.rev + dir.off) >>> 0;
      const sb = dir.entries[0];
      if (sb && sb.type === TYPE_SUPERBLOCK && namesEqual(sb.name, MAGIC)) {
        fs.root = [dir.pair[0], dir.pair[1]];
        fs.checkSuperblock(sb);
      }
      fs.gstate = gXor(fs.gstate, gFromBytes(dir.gdelta));
      tail = dir.tail;
    }
    if (pairIsNull(fs.root)) throw new FsError('EINVAL', `${label}: no LittleFS superblock found`);
    // An orphan flag on disk means the orphan count was lost: assume one (lfs_rawmount).
    if (fs.gstate.tag & 0x80000000) fs.gstate = { tag: (fs.gstate.tag + 1) >>> 0, pair: fs.gstate.pair };
    fs.gdisk = fs.gstate;
    fs.free.off = seed % bd.blockCount;
    fs.allocDrop();
    return fs;
  }

  private checkSuperblock(sb: Entry): void {
    const d = sb.struct;
    if (!d || d.type !== TYPE_INLINESTRUCT || d.data.length < 24)
      throw this.corrupt('superblock has no configuration');
    const version = readLe32(d.data, 0);
    const major = version >>> 16;
    const minor = version & 0xffff;
    if (major !== DISK_VERSION >>> 16 || minor > DISK_VERSION_MINOR_MAX) {
      throw new FsError(
        'EINVAL',
        `${this.label}: LittleFS on-disk version ${major}.${minor} is not supported (2.0–2.1)`,
      );
    }
    const blockSize = readLe32(d.data, 4);
    const blockCount = readLe32(d.data, 8);
    if (blockSize !== this.bd.blockSize || blockCount !== this.bd.blockCount) {
      throw new FsError(
        'EINVAL',
        `${this.label}: superblock says ${blockCount} blocks of ${blockSize} bytes, the area has ${this.bd.blockCount} of ${this.bd.blockSize}`,
      );
    }
    const limits: [number, 'nameMax' | 'fileMax' | 'attrMax'][] = [
      [readLe32(d.data, 12), 'nameMax'],
      [readLe32(d.data, 16), 'fileMax'],
      [readLe32(d.data, 20), 'attrMax'],
    ];
    for (const [value, key] of limits) {
      if (value === 0) continue;
      if (value > this[key]) {
        throw new FsError(
          'EINVAL',
          `${this.label}: superblock ${key} ${value} exceeds this build's ${this[key]}`,
        );
      }
      this[key] = value;
    }
  }

  unmount(): void {
    for (const f of this.openFiles) f.detachForUnmount();
    this.openFiles.clear();
    this.mounted = false;
  }

  get isMounted(): boolean {
    return this.mounted;
  }

  // ---- errors ----

  /** @internal */
  corrupt(why: string): FsError {
    return new FsError('EFAULT', `${this.label}: LittleFS corrupted: ${why}`);
  }

  private where(path: string): string {
    const p = path.startsWith('/') ? path : `/${path}`;
    return this.label && p === '/' ? this.label : `${this.label}${p}`;
  }

  private checkMounted(): void {
    if (!this.mounted) throw new FsError('EBADF', `${this.label}: file system is unmounted`);
  }

  // ---- block allocation (lfs_alloc) ----

  /** @internal Blocks handed out since the last ack stay reserved until the next full scan. */
  allocAck(): void {
    this.free.ack = this.bd.blockCount;
  }

  private allocDrop(): void {
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
    for (const f of this.openFiles) f.traverse(visit);
  }

  /** Blocks in use (lfs_fs_rawsize). */
  fsSize(): number {
    this.checkMounted();
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
  private allocPair(): Mdir {
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
  private pred(pair: Pair): Mdir | undefined {
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
  private dropPair(pdir: Mdir, dir: Mdir): void {
    this.gdelta = gXor(this.gdelta, gFromBytes(dir.gdelta));
    this.commit(pdir, [
      { tag: mkTag(TYPE_TAIL + (dir.split ? 1 : 0), ID_NONE, 8), data: pairBytes(dir.tail) },
    ]);
  }

  // ---- consistency after power loss (lfs_fs_forceconsistency) ----

  /** @internal Finish an interrupted move and drop orphaned pairs before the first write. */
  forceConsistency(): void {
    this.checkMounted();
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
  private parentOf(pair: Pair): { dir: Mdir; id: number; entry: Entry } | undefined {
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

  // ---- path lookup (lfs_dir_find) ----

  /** Entries visible in a fetched pair: a pending move's source is already gone. */
  private visible(dir: Mdir, id: number): boolean {
    if (gHasMoveHere(this.gdisk, dir.pair) && ((this.gdisk.tag >>> 10) & 0x3ff) === id) return false;
    return true;
  }

  /** @internal Walk a path from the root directory (lfs_dir_find). */
  find(path: string): Found {
    this.checkMounted();
    const parts = pathParts(path);
    let found: Found = { kind: 'root' };
    let pair: Pair = this.root;
    for (const [k, part] of parts.entries()) {
      if (found.kind === 'missing') throw new FsError('ENOENT', this.where(parts.slice(0, k).join('/')));
      if (found.kind === 'entry') {
        if (found.entry.type !== TYPE_DIR)
          throw new FsError('ENOTDIR', this.where(parts.slice(0, k).join('/')));
        pair = this.dirPair(found.entry);
      }
      found = this.lookup(pair, encoder.encode(part));
    }
    return found;
  }

  /**
   * Find a name in a directory's chain of pairs. Names are kept in order across the chain, so the
   * first pair holding a greater name is where a missing one would go (lfs_dir_fetchmatch's id).
   */
  private lookup(pair: Pair, name: Uint8Array): Found {
    let dir = this.fetch(pair);
    for (let cycle = 0; ; cycle++) {
      let insert = -1;
      for (let id = 0; id < dir.entries.length; id++) {
        const e = dir.entries[id]!;
        if (!isNamed(e) || !this.visible(dir, id)) continue;
        const c = compareName(e.name, name);
        if (c === 0) return { kind: 'entry', dir, id, entry: e };
        if (c > 0 && insert < 0) insert = id;
      }
      if (insert >= 0 || !dir.split)
        return { kind: 'missing', dir, id: insert >= 0 ? insert : dir.entries.length, name };
      if (cycle >= this.bd.blockCount) throw this.corrupt('a directory chain loops');
      dir = this.fetch(dir.tail);
    }
  }

  private dirPair(e: Entry): [number, number] {
    if (!e.struct || e.struct.type !== TYPE_DIRSTRUCT || e.struct.data.length < 8) {
      throw this.corrupt(`directory ${decoder.decode(e.name)} has no pair`);
    }
    return pairFrom(e.struct.data);
  }

  // ---- operations ----

  stat(path: string): LfsInfo {
    const f = this.find(path);
    if (f.kind === 'root') return { type: 'dir', name: '/', size: 0 };
    if (f.kind === 'missing') throw new FsError('ENOENT', this.where(path));
    return this.info(f.entry);
  }

  private info(e: Entry): LfsInfo {
    const name = decoder.decode(e.name);
    if (e.type === TYPE_DIR) return { type: 'dir', name, size: 0 };
    let size = 0;
    if (e.struct?.type === TYPE_INLINESTRUCT) size = e.struct.data.length;
    else if (e.struct?.type === TYPE_CTZSTRUCT) size = readLe32(e.struct.data, 4);
    return { type: 'file', name, size };
  }

  /** Entries of a directory, all pairs of its chain, in on-disk order (no '.' or '..'). */
  readdir(path: string): LfsInfo[] {
    const f = this.find(path);
    let pair: Pair;
    if (f.kind === 'root') pair = this.root;
    else if (f.kind === 'missing') throw new FsError('ENOENT', this.where(path));
    else if (f.entry.type !== TYPE_DIR) throw new FsError('ENOTDIR', this.where(path));
    else pair = this.dirPair(f.entry);
    const out: LfsInfo[] = [];
    let cycle = 0;
    while (true) {
      if (cycle++ >= this.bd.blockCount) throw this.corrupt('a directory chain loops');
      const dir = this.fetch(pair);
      dir.entries.forEach((e, id) => {
        if (isNamed(e) && this.visible(dir, id)) out.push(this.info(e));
      });
      if (!dir.split) return out;
      pair = dir.tail;
    }
  }

  mkdir(path: string): void {
    this.forceConsistency();
    const f = this.find(path);
    if (f.kind !== 'missing') throw new FsError('EEXIST', this.where(path));
    this.checkName(f.name, path);
    this.allocAck();
    let child = this.allocPair();
    let pred = f.dir;
    while (pred.split) pred = this.fetch(pred.tail);
    child = this.commit(child, [{ tag: mkTag(TYPE_SOFTTAIL, ID_NONE, 8), data: pairBytes(pred.tail) }]);
    const childPair = pairBytes(child.pair);
    if (f.dir.split) {
      // Linking the new pair after the directory's last pair, apart from the entry that names it:
      // flag orphans until the entry is committed.
      this.gstate = gPrepOrphans(this.gstate, +1);
      this.commit(pred, [{ tag: mkTag(TYPE_SOFTTAIL, ID_NONE, 8), data: childPair }]);
      this.gstate = gPrepOrphans(this.gstate, -1);
    }
    const attrs: Attr[] = [
      { tag: mkTag(TYPE_CREATE, f.id, 0), data: new Uint8Array(0) },
      { tag: mkTag(TYPE_DIR, f.id, f.name.length), data: f.name },
      { tag: mkTag(TYPE_DIRSTRUCT, f.id, 8), data: childPair },
    ];
    if (!f.dir.split) attrs.push({ tag: mkTag(TYPE_SOFTTAIL, ID_NONE, 8), data: childPair });
    this.commit(this.fetch(f.dir.pair), attrs);
  }

  private checkName(name: Uint8Array, path: string): void {
    if (name.length > this.nameMax) {
      throw new FsError(
        'ENAMETOOLONG',
        `${this.where(path)}: name of ${name.length} bytes, at most ${this.nameMax}`,
      );
    }
  }

  remove(path: string): void {
    this.forceConsistency();
    const f = this.find(path);
    if (f.kind === 'root')
      throw new FsError('EINVAL', `${this.where(path)}: cannot remove the root directory`);
    if (f.kind === 'missing') throw new FsError('ENOENT', this.where(path));
    let child: Mdir | undefined;
    if (f.entry.type === TYPE_DIR) {
      child = this.fetch(this.dirPair(f.entry));
      if (child.entries.length > 0 || child.split) throw new FsError('ENOTEMPTY', this.where(path));
      this.gstate = gPrepOrphans(this.gstate, +1);
    }
    this.commit(f.dir, [{ tag: mkTag(TYPE_DELETE, f.id, 0), data: new Uint8Array(0) }]);
    this.detachOpen(path);
    if (child) {
      this.gstate = gPrepOrphans(this.gstate, -1);
      const pdir = this.pred(child.pair);
      if (pdir) this.dropPair(pdir, this.fetch(child.pair));
    }
  }

  rename(from: string, to: string): void {
    this.forceConsistency();
    const o = this.find(from);
    if (o.kind === 'root')
      throw new FsError('EINVAL', `${this.where(from)}: cannot rename the root directory`);
    if (o.kind === 'missing') throw new FsError('ENOENT', this.where(from));
    const n = this.find(to);
    if (n.kind === 'root')
      throw new FsError('EINVAL', `${this.where(to)}: cannot replace the root directory`);
    const samePair = pairEq(o.dir.pair, n.dir.pair);
    let newOldId = o.id;
    let replaced: Mdir | undefined;
    let newId: number;
    let newName: Uint8Array;
    if (n.kind === 'missing') {
      this.checkName(n.name, to);
      newId = n.id;
      newName = n.name;
      if (samePair && newId <= newOldId) newOldId++;
    } else {
      newId = n.id;
      newName = n.entry.name;
      if (n.entry.type !== o.entry.type) {
        throw new FsError(
          n.entry.type === TYPE_DIR ? 'EISDIR' : 'ENOTDIR',
          `${this.where(from)} → ${this.where(to)}`,
        );
      }
      if (samePair && n.id === o.id) return;
      if (n.entry.type === TYPE_DIR) {
        replaced = this.fetch(this.dirPair(n.entry));
        if (replaced.entries.length > 0 || replaced.split) throw new FsError('ENOTEMPTY', this.where(to));
        this.gstate = gPrepOrphans(this.gstate, +1);
      }
    }
    if (!samePair) this.gstate = gPrepMove(this.gstate, newOldId, o.dir.pair);
    const e = o.entry;
    const attrs: Attr[] = [];
    if (n.kind === 'entry') attrs.push({ tag: mkTag(TYPE_DELETE, newId, 0), data: new Uint8Array(0) });
    attrs.push({ tag: mkTag(TYPE_CREATE, newId, 0), data: new Uint8Array(0) });
    attrs.push({ tag: mkTag(e.type, newId, newName.length), data: newName });
    for (const a of entryAttrs(e, newId).slice(1)) attrs.push(a);
    if (samePair) attrs.push({ tag: mkTag(TYPE_DELETE, newOldId, 0), data: new Uint8Array(0) });
    this.commit(n.dir, attrs);
    if (!samePair && gHasMove(this.gstate)) {
      // The source's pair is where the move state says (a relocation on the way would have
      // finished the move itself, lfs_rawrename).
      const movePair: Pair = [this.gstate.pair[0], this.gstate.pair[1]];
      const moveId = (this.gstate.tag >>> 10) & 0x3ff;
      this.gstate = gPrepMove(this.gstate, ID_NONE, [0, 0]);
      this.commit(this.fetch(movePair), [{ tag: mkTag(TYPE_DELETE, moveId, 0), data: new Uint8Array(0) }]);
    }
    this.detachOpen(from);
    this.detachOpen(to);
    if (replaced) {
      this.gstate = gPrepOrphans(this.gstate, -1);
      const pdir = this.pred(replaced.pair);
      if (pdir) this.dropPair(pdir, this.fetch(replaced.pair));
    }
  }

  /** littlefs forgets an open file whose entry is removed or renamed: its later syncs go nowhere. */
  private detachOpen(path: string): void {
    const key = pathParts(path).join('/');
    for (const f of this.openFiles) if (f.key === key) f.detach();
  }

  open(path: string, flags: OpenFlags): LfsFile {
    this.checkMounted();
    if (flags.write || flags.create) this.forceConsistency();
    const f = this.find(path);
    if (f.kind === 'root') throw new FsError('EISDIR', this.where(path));
    const key = pathParts(path).join('/');
    if (f.kind === 'missing') {
      // littlefs creates the entry at open, whatever the access mode (lfs_file_rawopencfg).
      if (!flags.create) throw new FsError('ENOENT', this.where(path));
      this.checkName(f.name, path);
      this.commit(f.dir, [
        { tag: mkTag(TYPE_CREATE, f.id, 0), data: new Uint8Array(0) },
        { tag: mkTag(TYPE_REG, f.id, f.name.length), data: f.name },
        { tag: mkTag(TYPE_INLINESTRUCT, f.id, 0), data: new Uint8Array(0) },
      ]);
      return this.track(new LfsFile(this, key, this.where(path), flags, { inline: new Uint8Array(0) }));
    }
    if (flags.excl) throw new FsError('EEXIST', this.where(path));
    if (f.entry.type === TYPE_DIR) throw new FsError('EISDIR', this.where(path));
    const s = f.entry.struct;
    let file: LfsFile;
    if (flags.trunc && flags.write) {
      file = new LfsFile(this, key, this.where(path), flags, { inline: new Uint8Array(0) });
      file.markDirty();
    } else if (s?.type === TYPE_CTZSTRUCT && s.data.length >= 8) {
      file = new LfsFile(this, key, this.where(path), flags, {
        head: readLe32(s.data, 0),
        size: readLe32(s.data, 4),
      });
    } else {
      file = new LfsFile(this, key, this.where(path), flags, {
        inline: s?.data.slice() ?? new Uint8Array(0),
      });
    }
    return this.track(file);
  }

  private track(f: LfsFile): LfsFile {
    this.openFiles.add(f);
    return f;
  }

  /** @internal Commit a file's new struct to its entry, wherever the entry is now. */
  commitFile(key: string, struct: Attr): void {
    const f = this.find(key);
    if (f.kind !== 'entry' || f.entry.type !== TYPE_REG) return;
    this.commit(f.dir, [{ tag: mkTag(tagType3(struct.tag), f.id, struct.data.length), data: struct.data }]);
  }

  /** @internal */
  closed(f: LfsFile): void {
    this.openFiles.delete(f);
  }
}

export { TYPE_CTZSTRUCT, TYPE_INLINESTRUCT };
