/**
 * The virtual device's UART as a real pseudo-terminal: other programs (zdfu, Go mcumgr,
 * mcumgr-client, smpmgr, a terminal) open the slave side like a /dev/ttyUSB0. The PTY comes from
 * node-pty's native module, an optional dependency loaded on the first open, so the library loads
 * (and everything but a PTY works) where it is not installed.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, readlinkSync, symlinkSync, unlinkSync, write } from 'node:fs';
import { dirname } from 'node:path';
import tty from 'node:tty';
import type { Fault } from '../../util/fault.ts';
import { Listeners } from '../../util/listeners.ts';
import { findPtyHolder, ptyIndex } from './pty-owner.ts';

/** The --pty path cannot be used: a file is there, or a running sim's PTY link. */
export class PtyLinkError extends Error {
  override readonly name = 'PtyLinkError';
  readonly fault: Fault = 'local';
}

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

/** node-pty, the optional package the PTY needs, is missing or does not load. */
export class PtyUnavailableError extends Error {
  override readonly name = 'PtyUnavailableError';
  readonly fault: Fault = 'local';
}

/**
 * node-pty's native PTY opener, loaded through `importer`. node-pty is an optional dependency with
 * a native build step, so a missing or unbuilt one is an install problem, said in those words.
 */
export async function importNativePty(
  importer: () => Promise<unknown> = () => import('node-pty'),
): Promise<NativePty> {
  let module: unknown;
  try {
    module = await importer();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new PtyUnavailableError(
      `the virtual board's serial port is a pseudo-terminal from the optional package node-pty, which could not be loaded (${reason}): install it with \`npm install node-pty@1.1.0\` (it builds a native module: python3, make and a C++ compiler)`,
      { cause: error },
    );
  }
  const loaded = module as { default?: { native?: NativePty }; native?: NativePty };
  const native = loaded.default?.native ?? loaded.native;
  if (!native || typeof native.open !== 'function') {
    throw new PtyUnavailableError(
      'the installed node-pty has no native open() (another version?): install the one zdfu is built for with `npm install node-pty@1.1.0`',
    );
  }
  return native;
}

/** node-pty, loaded once on the first PTY (a failed load is tried again next time). */
let nativePty: Promise<NativePty> | undefined;

function loadNativePty(): Promise<NativePty> {
  nativePty ??= importNativePty().catch((error: unknown) => {
    nativePty = undefined;
    throw error;
  });
  return nativePty;
}

/** Bytes waiting to go out while nobody reads; past this the UART drops, as a real one would. */
const MAX_PENDING_BYTES = 256 * 1024;

export class PtyPort {
  readonly path: string;
  readonly linkPath: string | undefined;
  private readonly master: number;
  private readonly slave: number;
  private readonly reader: tty.ReadStream;
  private readonly pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private writing = false;
  private closed = false;
  private readonly listeners = new Listeners<Uint8Array>();

  private constructor(master: number, slave: number, path: string, linkPath: string | undefined) {
    this.master = master;
    this.slave = slave;
    this.path = path;
    this.linkPath = linkPath;
    this.reader = new tty.ReadStream(master);
    this.reader.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.listeners.emit(bytes);
    });
    // EIO arrives when the last slave user goes away on some kernels; we hold the slave open,
    // so any error here means the PTY is gone.
    this.reader.on('error', () => undefined);
  }

  /** Opens a new PTY; with `linkPath`, that path becomes a stable symlink to it. */
  static async open(linkPath?: string): Promise<PtyPort> {
    const native = await loadNativePty();
    // Refuse a link a live sim holds before opening anything.
    if (linkPath) checkLinkFree(linkPath);
    const { master, slave, pty: path } = native.open(80, 24);
    try {
      // Raw, no echo: a serial line carries bytes, not a terminal session.
      execFileSync('stty', ['-F', path, 'raw', '-echo', '115200']);
      if (linkPath) replaceLink(linkPath, path);
    } catch (error) {
      closeQuietly(slave);
      closeQuietly(master);
      throw error;
    }
    return new PtyPort(master, slave, path, linkPath);
  }

  onData(listener: (data: Uint8Array) => void): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Stops reading what the other side writes: the kernel's PTY buffer fills and the writer
   * blocks (or gets EAGAIN), as on a real serial port whose line is busy.
   */
  pause(): void {
    if (!this.closed) this.reader.pause();
  }

  resume(): void {
    if (!this.closed) this.reader.resume();
  }

  /** Queues bytes for the slave side. Never blocks; drops when nobody has read for a long time. */
  write(data: Uint8Array): void {
    if (this.closed || data.length === 0) return;
    if (this.pendingBytes + data.length > MAX_PENDING_BYTES) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.closed) return;
    const next = this.pending[0];
    if (!next) return;
    this.writing = true;
    write(this.master, next, 0, next.length, null, (error, written) => {
      this.writing = false;
      if (this.closed) return;
      if (error) {
        // The master is non-blocking: EAGAIN means the kernel buffer is full; try again shortly.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => this.pump(), 5);
        }
        return;
      }
      if (written < next.length) {
        this.pending[0] = next.subarray(written);
      } else {
        this.pending.shift();
      }
      this.pendingBytes -= written;
      this.pump();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.reader.destroy();
    closeQuietly(this.slave);
    if (this.linkPath) removeLink(this.linkPath, this.path);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function linkTarget(linkPath: string): string | undefined {
  try {
    const stat = lstatSync(linkPath);
    if (!stat.isSymbolicLink()) {
      throw new PtyLinkError(
        `cannot make ${linkPath} a link to the PTY: a file that is not a symlink is there. Give another --pty path.`,
      );
    }
    return readlinkSync(linkPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * A link to a PTY whose master a live process holds belongs to a running sim: taking it over
 * would cut that sim off (and our exit would delete its link). A link to a PTY nobody holds was
 * left by a sim that died: it may be replaced.
 */
function checkLinkFree(linkPath: string): void {
  const target = linkTarget(linkPath);
  const index = target === undefined ? undefined : ptyIndex(target);
  if (index === undefined) return;
  const holder = findPtyHolder(index);
  if (holder) {
    throw new PtyLinkError(
      `${linkPath} is in use: it links to ${target}, the PTY of a running process ` +
        `(pid ${holder.pid}: ${holder.command}). Stop that sim first, or give another --pty path.`,
    );
  }
}

/** Makes the (checked) link; a stale one is replaced. */
function replaceLink(linkPath: string, target: string): void {
  if (linkTarget(linkPath) !== undefined) unlinkSync(linkPath);
  try {
    symlinkSync(target, linkPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const why =
      code === 'EEXIST'
        ? 'another process created it just now'
        : code === 'ENOENT'
          ? `the folder ${dirname(linkPath)} does not exist (ENOENT)`
          : code;
    throw new PtyLinkError(`cannot make ${linkPath} a link to the PTY (${why}). Give another --pty path.`);
  }
}

/** Removes the link only if it still points to our PTY (never another sim's link). */
function removeLink(linkPath: string, ours: string): void {
  try {
    if (readlinkSync(linkPath) === ours) unlinkSync(linkPath);
  } catch {
    // gone already, or not a link
  }
}
