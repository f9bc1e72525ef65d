/**
 * A LittleFS v2 file system over a synchronous block device, writing on-disk version 2.0 (what
 * littlefs v2.5, shipped by Zephyr v3.5.0, writes) and reading 2.0 and 2.1. Follows lfs.c of
 * littlefs-project/littlefs: format and mount (lfs_rawformat, lfs_rawmount), path lookup
 * (lfs_dir_find), stat/readdir, mkdir/remove/rename with the global move and orphan state
 * (lfs_rawmkdir, lfs_rawremove, lfs_rawrename) and file opening (lfs_file_rawopencfg). Commits,
 * compaction, wear levelling and allocation live in pairs.ts; open files in file.ts.
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
} from './config.ts';
import { LfsFile, type OpenFlags } from './file.ts';
import { gFromBytes, gHasMove, gHasMoveHere, gPrepMove, gPrepOrphans, gXor, gZero } from './gstate.ts';
import { type Attr, CorruptPair, type Entry, entryAttrs, fetchPair, type Mdir } from './mdir.ts';
import { PairStore } from './pairs.ts';
import {
  BLOCK_NULL,
  ID_NONE,
  mkTag,
  type Pair,
  pairBytes,
  pairEq,
  pairFrom,
  pairIsNull,
  readLe32,
  TYPE_CREATE,
  TYPE_CTZSTRUCT,
  TYPE_DELETE,
  TYPE_DIR,
  TYPE_DIRSTRUCT,
  TYPE_INLINESTRUCT,
  TYPE_REG,
  TYPE_SOFTTAIL,
  TYPE_SUPERBLOCK,
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
  /** @internal the metadata pairs, global state and allocator. */
  readonly store: PairStore;
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
    this.store = new PairStore(bd, cfg, label, (visit) => {
      for (const f of this.openFiles) f.traverse(visit);
    });
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
    fs.store.startFormat();
    let root = fs.store.allocPair();
    const sb = new Uint8Array(24);
    writeLe32(sb, 0, DISK_VERSION);
    writeLe32(sb, 4, bd.blockSize);
    writeLe32(sb, 8, bd.blockCount);
    writeLe32(sb, 12, fs.nameMax);
    writeLe32(sb, 16, fs.fileMax);
    writeLe32(sb, 20, fs.attrMax);
    root = fs.store.commit(root, [
      { tag: mkTag(TYPE_CREATE, 0, 0), data: new Uint8Array(0) },
      { tag: mkTag(TYPE_SUPERBLOCK, 0, 8), data: MAGIC },
      { tag: mkTag(TYPE_INLINESTRUCT, 0, 24), data: sb },
    ]);
    // Compact once more so both blocks hold this file system and no older one can be found.
    root.erased = false;
    fs.store.commit(root, []);
    fetchPair(bd, [0, 1]);
  }

  /** Mount (lfs_rawmount): find the superblock along the thread list and sum the global state. */
  static mount(bd: BlockDevice, cfg: LfsConfig, label = ''): Littlefs {
    Littlefs.checkGeometry(bd, cfg, label);
    const fs = new Littlefs(bd, cfg, label);
    let tail: Pair = [0, 1];
    let cycle = 0;
    let seed = 0;
    let root: Pair = [BLOCK_NULL, BLOCK_NULL];
    let gstate = gZero();
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
      // Where allocation starts after a mount, to spread wear (littlefs folds the commit CRCs it
      // reads into lfs->seed; any value that changes with the contents serves).
      seed = (seed * 31 + dir.rev + dir.off) >>> 0;
      const sb = dir.entries[0];
      if (sb && sb.type === TYPE_SUPERBLOCK && namesEqual(sb.name, MAGIC)) {
        root = [dir.pair[0], dir.pair[1]];
        fs.checkSuperblock(sb);
      }
      gstate = gXor(gstate, gFromBytes(dir.gdelta));
      tail = dir.tail;
    }
    if (pairIsNull(root)) throw new FsError('EINVAL', `${label}: no LittleFS superblock found`);
    fs.store.mounted(root, gstate, seed);
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

  // ---- delegates for open files ----

  /** @internal */
  alloc(): number {
    return this.store.alloc();
  }

  /** @internal */
  allocAck(): void {
    this.store.allocAck();
  }

  /** @internal */
  reader(): (block: number, off: number, length: number) => Uint8Array {
    return this.store.reader();
  }

  /** Blocks in use (lfs_fs_rawsize). */
  fsSize(): number {
    this.checkMounted();
    return this.store.fsSize();
  }

  /** @internal Finish an interrupted move and drop orphans, once, before the first write. */
  forceConsistency(): void {
    this.checkMounted();
    this.store.forceConsistency();
  }

  // ---- path lookup (lfs_dir_find) ----

  /** Entries visible in a fetched pair: a pending move's source is already gone. */
  private visible(dir: Mdir, id: number): boolean {
    if (gHasMoveHere(this.store.gdisk, dir.pair) && ((this.store.gdisk.tag >>> 10) & 0x3ff) === id)
      return false;
    return true;
  }

  /** @internal Walk a path from the root directory (lfs_dir_find). */
  find(path: string): Found {
    this.checkMounted();
    const parts = pathParts(path);
    let found: Found = { kind: 'root' };
    let pair: Pair = this.store.root;
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
    let dir = this.store.fetch(pair);
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
      dir = this.store.fetch(dir.tail);
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
    if (f.kind === 'root') pair = this.store.root;
    else if (f.kind === 'missing') throw new FsError('ENOENT', this.where(path));
    else if (f.entry.type !== TYPE_DIR) throw new FsError('ENOTDIR', this.where(path));
    else pair = this.dirPair(f.entry);
    const out: LfsInfo[] = [];
    let cycle = 0;
    while (true) {
      if (cycle++ >= this.bd.blockCount) throw this.corrupt('a directory chain loops');
      const dir = this.store.fetch(pair);
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
    this.store.allocAck();
    let child = this.store.allocPair();
    let pred = f.dir;
    while (pred.split) pred = this.store.fetch(pred.tail);
    child = this.store.commit(child, [{ tag: mkTag(TYPE_SOFTTAIL, ID_NONE, 8), data: pairBytes(pred.tail) }]);
    const childPair = pairBytes(child.pair);
    if (f.dir.split) {
      // Linking the new pair after the directory's last pair, apart from the entry that names it:
      // flag orphans until the entry is committed.
      this.store.gstate = gPrepOrphans(this.store.gstate, +1);
      this.store.commit(pred, [{ tag: mkTag(TYPE_SOFTTAIL, ID_NONE, 8), data: childPair }]);
      this.store.gstate = gPrepOrphans(this.store.gstate, -1);
    }
    const attrs: Attr[] = [
      { tag: mkTag(TYPE_CREATE, f.id, 0), data: new Uint8Array(0) },
      { tag: mkTag(TYPE_DIR, f.id, f.name.length), data: f.name },
      { tag: mkTag(TYPE_DIRSTRUCT, f.id, 8), data: childPair },
    ];
    if (!f.dir.split) attrs.push({ tag: mkTag(TYPE_SOFTTAIL, ID_NONE, 8), data: childPair });
    this.store.commit(this.store.fetch(f.dir.pair), attrs);
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
      child = this.store.fetch(this.dirPair(f.entry));
      if (child.entries.length > 0 || child.split) throw new FsError('ENOTEMPTY', this.where(path));
      this.store.gstate = gPrepOrphans(this.store.gstate, +1);
    }
    this.store.commit(f.dir, [{ tag: mkTag(TYPE_DELETE, f.id, 0), data: new Uint8Array(0) }]);
    this.detachOpen(path);
    if (child) {
      this.store.gstate = gPrepOrphans(this.store.gstate, -1);
      const pdir = this.store.pred(child.pair);
      if (pdir) this.store.dropPair(pdir, this.store.fetch(child.pair));
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
        replaced = this.store.fetch(this.dirPair(n.entry));
        if (replaced.entries.length > 0 || replaced.split) throw new FsError('ENOTEMPTY', this.where(to));
        this.store.gstate = gPrepOrphans(this.store.gstate, +1);
      }
    }
    if (!samePair) this.store.gstate = gPrepMove(this.store.gstate, newOldId, o.dir.pair);
    const e = o.entry;
    const attrs: Attr[] = [];
    if (n.kind === 'entry') attrs.push({ tag: mkTag(TYPE_DELETE, newId, 0), data: new Uint8Array(0) });
    attrs.push({ tag: mkTag(TYPE_CREATE, newId, 0), data: new Uint8Array(0) });
    attrs.push({ tag: mkTag(e.type, newId, newName.length), data: newName });
    for (const a of entryAttrs(e, newId).slice(1)) attrs.push(a);
    if (samePair) attrs.push({ tag: mkTag(TYPE_DELETE, newOldId, 0), data: new Uint8Array(0) });
    this.store.commit(n.dir, attrs);
    if (!samePair && gHasMove(this.store.gstate)) {
      // The source's pair is where the move state says (a relocation on the way would have
      // finished the move itself, lfs_rawrename).
      const movePair: Pair = [this.store.gstate.pair[0], this.store.gstate.pair[1]];
      const moveId = (this.store.gstate.tag >>> 10) & 0x3ff;
      this.store.gstate = gPrepMove(this.store.gstate, ID_NONE, [0, 0]);
      this.store.commit(this.store.fetch(movePair), [
        { tag: mkTag(TYPE_DELETE, moveId, 0), data: new Uint8Array(0) },
      ]);
    }
    this.detachOpen(from);
    this.detachOpen(to);
    if (replaced) {
      this.store.gstate = gPrepOrphans(this.store.gstate, -1);
      const pdir = this.store.pred(replaced.pair);
      if (pdir) this.store.dropPair(pdir, this.store.fetch(replaced.pair));
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
      this.store.commit(f.dir, [
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
    this.store.commit(f.dir, [
      { tag: mkTag(tagType3(struct.tag), f.id, struct.data.length), data: struct.data },
    ]);
  }

  /** @internal */
  closed(f: LfsFile): void {
    this.openFiles.delete(f);
  }
}

export { TYPE_CTZSTRUCT, TYPE_INLINESTRUCT };
