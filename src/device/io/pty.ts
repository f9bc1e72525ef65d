/**
 * The virtual device's UART as a real pseudo-terminal: other programs (zdfu, Go mcumgr,
 * mcumgr-client, smpmgr, a terminal) open the slave side like a /dev/ttyUSB0.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, symlinkSync, unlinkSync, write } from 'node:fs';
import tty from 'node:tty';
import pty from 'node-pty';
import { Listeners } from '../../util/listeners.ts';

interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
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
  static open(linkPath?: string): PtyPort {
    const native = (pty as unknown as { native: NativePty }).native;
    const { master, slave, pty: path } = native.open(80, 24);
    // Raw, no echo: a serial line carries bytes, not a terminal session.
    execFileSync('stty', ['-F', path, 'raw', '-echo', '115200']);
    if (linkPath) {
      replaceLink(linkPath, path);
    }
    return new PtyPort(master, slave, path, linkPath);
  }

  onData(listener: (data: Uint8Array) => void): () => void {
    return this.listeners.add(listener);
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
    try {
      closeSync(this.slave);
    } catch {
      // already closed
    }
    if (this.linkPath) removeLink(this.linkPath);
  }
}

function replaceLink(linkPath: string, target: string): void {
  try {
    const stat = lstatSync(linkPath);
    if (!stat.isSymbolicLink()) {
      throw new Error(`cannot make ${linkPath} a link to the PTY: a file that is not a symlink is there`);
    }
    unlinkSync(linkPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  symlinkSync(target, linkPath);
}

function removeLink(linkPath: string): void {
  try {
    if (lstatSync(linkPath).isSymbolicLink()) unlinkSync(linkPath);
  } catch {
    // gone already
  }
}
