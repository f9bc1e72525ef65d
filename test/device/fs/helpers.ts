/** Shared set-up for the file-system tests: a board's storage partition and a Vfs over it. */
import { createBoardFlash, findPartition, getBoard } from '../../../src/device/boards/index.ts';
import { type Flash, FlashArea } from '../../../src/device/flash.ts';
import { FsError } from '../../../src/device/fs/fs-api.ts';
import { type LittlefsMountOptions, mountLittlefs } from '../../../src/device/fs/littlefs-mount.ts';
import { Vfs } from '../../../src/device/fs/vfs.ts';

export function storageArea(boardName: string, flash?: Flash): FlashArea {
  const board = getBoard(boardName);
  const part = findPartition(board, 'storage_partition');
  if (!part) throw new Error(`${boardName} has no storage_partition`);
  const f = flash ?? createBoardFlash(board);
  return new FlashArea(f, { label: part.label, offset: part.offset, size: part.size });
}

/** A small standalone area (sectors of `sector` bytes) for tests that need their own geometry. */
export function smallArea(flash: Flash): FlashArea {
  return new FlashArea(flash, { label: 'storage_partition', offset: 0, size: flash.size });
}

export function vfsOn(area: FlashArea, opts: LittlefsMountOptions = {}): Vfs {
  const vfs = new Vfs();
  vfs.mount('/lfs1', mountLittlefs(area, '/lfs1', opts));
  return vfs;
}

export function errnoOf(run: () => unknown): number {
  try {
    run();
  } catch (e) {
    if (e instanceof FsError) return e.errno;
    throw e;
  }
  throw new Error('expected an FsError');
}

export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function writeFile(vfs: Vfs, path: string, data: Uint8Array, flags = 0x12): void {
  const f = vfs.open(path, flags);
  f.write(data);
  f.close();
}

export function readFile(vfs: Vfs, path: string): Uint8Array {
  const f = vfs.open(path, 0x01);
  const parts: Uint8Array[] = [];
  while (true) {
    const b = f.read(4096);
    if (b.length === 0) break;
    parts.push(b);
  }
  f.close();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
