/**
 * An open LittleFS file (lfs.c lfs_file_*): small files live inline in their metadata entry,
 * larger ones in a CTZ skip-list. Writes go to fresh blocks (copy-on-write: the last partial block
 * is copied, never appended to in place; writing inside a file rewrites from there to its end) and
 * become part of the file system only when sync() commits the new struct to the entry.
 * Each handle keeps its own view of the file, as each lfs_file_t does: two handles on one file do
 * not see each other's unsynced writes, and a handle whose entry is removed or renamed is detached
 * (its later syncs commit nothing, as littlefs nulls the handle's pair).
 */
import { FsError } from '../fs-api.ts';
import { ProgramFailed } from './config.ts';
import { type BlockReader, ctzBlocks, ctzExtendPrefix, ctzFind } from './ctz.ts';
import type { Littlefs } from './littlefs.ts';
import { mkTag, TYPE_CTZSTRUCT, TYPE_INLINESTRUCT, writeLe32 } from './tag.ts';

export interface OpenFlags {
  read: boolean;
  write: boolean;
  create?: boolean;
  excl?: boolean;
  trunc?: boolean;
  append?: boolean;
}

/** What the file holds when not being written: inline bytes, or a skip-list (head, size). */
export type FileSource = { inline: Uint8Array } | { head: number; size: number };

/** The block being written: its bytes so far (buffered) and how many went to flash. */
interface Writing {
  block: number;
  off: number;
  buf: Uint8Array;
  progged: number;
}

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

export class LfsFile {
  private pos = 0;
  private w: Writing | undefined;
  private dirty = false;
  /** A write or sync failed part-way (LFS_F_ERRED): the file's state is not to be committed. */
  private erred = false;
  private detached = false;
  private isClosed = false;

  constructor(
    private readonly fs: Littlefs,
    /** Path inside the file system, normalised (for re-finding the entry at sync). */
    readonly key: string,
    private readonly where: string,
    private readonly flags: OpenFlags,
    private src: FileSource,
  ) {}

  // ---- state ----

  private srcSize(): number {
    return 'inline' in this.src ? this.src.inline.length : this.src.size;
  }

  /** lfs_file_rawsize: while writing, the position may be past the stored size. */
  size(): number {
    this.checkOpen();
    return this.w ? Math.max(this.pos, this.srcSize()) : this.srcSize();
  }

  tell(): number {
    this.checkOpen();
    return this.pos;
  }

  /** @internal The entry this file belongs to was removed or renamed. */
  detach(): void {
    this.detached = true;
  }

  /** @internal */
  detachForUnmount(): void {
    this.isClosed = true;
  }

  /** @internal */
  markDirty(): void {
    this.dirty = true;
  }

  private checkOpen(): void {
    if (this.isClosed) throw new FsError('EBADF', `${this.where}: file is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (!this.flags.write) throw new FsError('EBADF', `${this.where}: file is not open for writing`);
  }

  private bufferedReader(): BlockReader {
    const w = this.w;
    return (block, off, length) =>
      w && block === w.block ? w.buf.slice(off, off + length) : this.fs.bd.read(block, off, length);
  }

  /** @internal Blocks this file holds that the committed tree does not show yet. */
  traverse(visit: (block: number) => void): void {
    const bs = this.fs.bd.blockSize;
    if (this.dirty && !('inline' in this.src))
      ctzBlocks(this.fs.reader(), bs, this.src.head, this.src.size, visit);
    if (this.w) ctzBlocks(this.bufferedReader(), bs, this.w.block, this.pos, visit);
  }

  // ---- reading ----

  read(length: number): Uint8Array {
    this.checkOpen();
    if (!this.flags.read) throw new FsError('EBADF', `${this.where}: file is not open for reading`);
    if (!Number.isInteger(length) || length < 0)
      throw new FsError('EINVAL', `${this.where}: read of ${length} bytes`);
    this.flush();
    const n = Math.max(0, Math.min(length, this.srcSize() - this.pos));
    const out = this.readSrc(this.pos, n);
    this.pos += n;
    return out;
  }

  private readSrc(pos: number, n: number): Uint8Array {
    const src = this.src;
    if ('inline' in src) return src.inline.slice(pos, pos + n);
    const out = new Uint8Array(n);
    const bs = this.fs.bd.blockSize;
    let done = 0;
    while (done < n) {
      const at = ctzFind(this.fs.reader(), bs, src.head, src.size, pos + done);
      const chunk = Math.min(n - done, bs - at.off);
      out.set(this.fs.bd.read(at.block, at.off, chunk), done);
      done += chunk;
    }
    return out;
  }

  // ---- writing ----

  write(data: Uint8Array): number {
    this.checkWritable();
    if (this.flags.append) this.pos = Math.max(this.pos, this.size());
    if (this.pos + data.length > this.fs.fileMax) {
      throw new FsError(
        'EFBIG',
        `${this.where}: ${this.pos + data.length} bytes exceed the ${this.fs.fileMax}-byte limit`,
      );
    }
    this.guard(() => {
      if (!this.w && this.pos > this.srcSize()) {
        // Seeked past the end: the gap reads as zeros.
        const gap = this.pos - this.srcSize();
        this.pos = this.srcSize();
        this.writeRaw(new Uint8Array(gap));
      }
      this.writeRaw(data);
    });
    return data.length;
  }

  /** Run a step that may leave the file half-written: on failure, never commit it (lfs_file_rawsync). */
  private guard(run: () => void): void {
    try {
      run();
    } catch (e) {
      this.erred = true;
      throw e;
    }
  }

  private writeRaw(data: Uint8Array): void {
    if (data.length === 0) return;
    const src = this.src;
    if (!this.w && 'inline' in src) {
      if (Math.max(this.pos + data.length, src.inline.length) > this.fs.inlineMax) {
        this.outline(src.inline);
      } else {
        const next = new Uint8Array(Math.max(src.inline.length, this.pos + data.length));
        next.set(src.inline);
        next.set(data, this.pos);
        this.src = { inline: next };
        this.pos += data.length;
        this.dirty = true;
        return;
      }
    }
    const bs = this.fs.bd.blockSize;
    let i = 0;
    while (i < data.length) {
      if (!this.w || this.w.off === bs) this.extend();
      const w = this.w!;
      const n = Math.min(data.length - i, bs - w.off);
      w.buf.set(data.subarray(i, i + n), w.off);
      w.off += n;
      this.pos += n;
      i += n;
      this.programFull();
      this.fs.allocAck();
    }
  }

  /** Move inline contents before the write position into a block of their own (lfs_file_outline). */
  private outline(bytes: Uint8Array): void {
    this.fs.allocAck();
    const block = this.fs.alloc();
    this.fs.bd.erase(block);
    const buf = new Uint8Array(this.fs.bd.blockSize).fill(0xff);
    buf.set(bytes.subarray(0, this.pos));
    this.w = { block, off: this.pos, buf, progged: 0 };
    this.programFull();
  }

  /** Start the next block of the list (lfs_ctz_extend). */
  private extend(): void {
    const bs = this.fs.bd.blockSize;
    let from = 0xffffffff;
    if (this.w) from = this.w.block;
    else if (this.pos > 0 && !('inline' in this.src)) {
      from = ctzFind(this.fs.reader(), bs, this.src.head, this.src.size, this.pos - 1).block;
    }
    this.fs.allocAck();
    const block = this.fs.alloc();
    this.fs.bd.erase(block);
    const { prefix, off } = ctzExtendPrefix(
      this.bufferedReader(),
      bs,
      from,
      from === 0xffffffff ? 0 : this.pos,
    );
    const buf = new Uint8Array(bs).fill(0xff);
    buf.set(prefix);
    this.w = { block, off, buf, progged: 0 };
    this.programFull();
  }

  /** Program every whole cache-size piece written so far (littlefs flushes its cache when full). */
  private programFull(): void {
    const w = this.w!;
    const piece = this.fs.cfg.cacheSize;
    while (w.progged + piece <= w.off) {
      this.prog(w, w.progged, w.progged + piece);
      w.progged += piece;
    }
  }

  private prog(w: Writing, from: number, to: number): void {
    try {
      this.fs.bd.prog(w.block, from, w.buf.subarray(from, to));
    } catch (e) {
      if (e instanceof ProgramFailed) throw new FsError('EIO', `${this.where}: ${e.message}`);
      throw e;
    }
  }

  /** Finish the block being written (lfs_file_flush): copy the rest of the old contents, program the tail. */
  private flush(): void {
    const w0 = this.w;
    if (!w0) return;
    const orig = this.pos;
    const old = this.srcSize();
    while (this.pos < old) {
      const chunk = this.readSrc(this.pos, Math.min(old - this.pos, this.fs.cfg.cacheSize));
      this.writeRaw(chunk);
    }
    const w = this.w!;
    const prog = this.fs.bd.progSize;
    const end = Math.ceil(w.off / prog) * prog;
    if (end > w.progged) {
      this.prog(w, w.progged, end);
      w.progged = end;
    }
    this.src = { head: w.block, size: this.pos };
    this.w = undefined;
    this.dirty = true;
    this.pos = orig;
  }

  seek(offset: number, whence = SEEK_SET): number {
    this.checkOpen();
    let npos: number;
    if (whence === SEEK_SET) npos = offset;
    else if (whence === SEEK_CUR) npos = this.pos + offset;
    else if (whence === SEEK_END) npos = this.size() + offset;
    else
      throw new FsError('EINVAL', `${this.where}: seek origin ${whence} is not SET (0), CUR (1) or END (2)`);
    if (!Number.isInteger(npos) || npos < 0 || npos > this.fs.fileMax) {
      throw new FsError('EINVAL', `${this.where}: seek to ${npos} is outside 0…${this.fs.fileMax}`);
    }
    this.flush();
    this.pos = npos;
    return npos;
  }

  /** Cut or extend with zeros (lfs_file_rawtruncate; a file cut to the inline limit goes back inline, as littlefs ≥ 2.6 does). */
  truncate(length: number): void {
    this.checkWritable();
    if (!Number.isInteger(length) || length < 0 || length > this.fs.fileMax) {
      throw new FsError('EINVAL', `${this.where}: truncate to ${length} bytes`);
    }
    this.guard(() => {
      const orig = this.pos;
      const old = this.size();
      if (length < old) {
        this.flush();
        const src = this.src;
        if ('inline' in src) this.src = { inline: src.inline.slice(0, length) };
        else if (length <= this.fs.inlineMax) this.src = { inline: this.readSrc(0, length) };
        else {
          const at = ctzFind(this.fs.reader(), this.fs.bd.blockSize, src.head, src.size, length - 1);
          this.src = { head: at.block, size: length };
        }
        this.dirty = true;
      } else if (length > old) {
        this.seek(0, SEEK_END);
        this.writeRaw(new Uint8Array(length - old));
      }
      this.seek(orig, SEEK_SET);
    });
  }

  /** Make the file's contents part of the file system: one commit to its entry (lfs_file_rawsync). */
  sync(): void {
    this.checkOpen();
    // After a failed write, littlefs keeps the file as last committed (LFS_F_ERRED).
    if (this.erred) return;
    this.guard(() => this.commitState());
  }

  private commitState(): void {
    this.flush();
    if (this.dirty && !this.detached) {
      const src = this.src;
      if ('inline' in src) {
        this.fs.commitFile(this.key, {
          tag: mkTag(TYPE_INLINESTRUCT, 0, src.inline.length),
          data: src.inline,
        });
      } else {
        const d = new Uint8Array(8);
        writeLe32(d, 0, src.head);
        writeLe32(d, 4, src.size);
        this.fs.commitFile(this.key, { tag: mkTag(TYPE_CTZSTRUCT, 0, 8), data: d });
      }
    }
    this.dirty = false;
  }

  close(): void {
    this.checkOpen();
    try {
      if (this.flags.write) this.sync();
    } finally {
      this.isClosed = true;
      this.fs.closed(this);
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }
}
