/**
 * zdfu's LittleFS against the reference littlefs C library (littlefs-python 0.19.0 from PyPI,
 * installed by scripts/interop/setup.sh), with Zephyr's settings (read/prog 16, cache 64,
 * lookahead 32, 512 block cycles) on the nrf52840dk storage partition (8 blocks of 4 KiB) and on
 * a larger 128 KiB partition of 4 KiB sectors (room for deeper trees): an image zdfu wrote mounts in littlefs with the same tree and
 * contents, and images littlefs wrote (on-disk 2.0 as Zephyr v3.5.0 writes, and 2.1) mount in
 * zdfu with the same tree; zdfu then writes to littlefs's image and littlefs reads the result.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoardFlash, findPartition, getBoard } from '../../src/device/boards/index.ts';
import { Flash, FlashArea } from '../../src/device/flash.ts';
import { FS_O_CREATE, FS_O_READ, FS_O_WRITE } from '../../src/device/fs/fs-api.ts';
import { mountLittlefs } from '../../src/device/fs/littlefs-mount.ts';
import { Vfs } from '../../src/device/fs/vfs.ts';
import { peerTool } from './peers.ts';

interface Tree {
  dirs: string[];
  files: Record<string, string>;
}
interface RefTree extends Tree {
  disk_version: number;
  used_blocks: number;
}

const BLOCK = 4096;
/** Blocks of the larger test partition. */
const COUNT = 32;
const helper = join(import.meta.dirname, 'py', 'littlefs_ops.py');
let dir: string;

function python(args: string[]): RefTree {
  const r = spawnSync(peerTool('python'), [helper, ...args], { encoding: 'utf8' });
  expect(r.stderr, `littlefs_ops.py ${args.join(' ')}`).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as RefTree;
}

/** The nrf52840dk storage partition (8 blocks), or a 32-block partition of the same kind of flash. */
function freshArea(large = true): FlashArea {
  if (large) {
    const flash = new Flash({ name: 'nor', sectors: Array(COUNT).fill(BLOCK), writeAlign: 4 });
    return new FlashArea(flash, { label: 'storage_partition', offset: 0, size: flash.size });
  }
  const board = getBoard('nrf52840dk');
  const part = findPartition(board, 'storage_partition')!;
  return new FlashArea(createBoardFlash(board), { label: part.label, offset: part.offset, size: part.size });
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function treeOf(vfs: Vfs, base = '/lfs1'): Tree {
  const dirs: string[] = [];
  const files: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of vfs.readdir(`${base}${rel || '/'}`)) {
      const p = `${rel}/${e.name}`;
      if (e.type === 'dir') {
        dirs.push(p);
        walk(p);
      } else {
        const f = vfs.open(`${base}${p}`, FS_O_READ);
        files[p] = hex(f.read(e.size + 1));
        f.close();
      }
    }
  };
  walk('');
  return { dirs: dirs.sort(), files };
}

function put(vfs: Vfs, path: string, data: Uint8Array): void {
  const f = vfs.open(`/lfs1${path}`, FS_O_CREATE | FS_O_WRITE);
  f.write(data);
  f.close();
}

function mounted(area: FlashArea, format: boolean): Vfs {
  const vfs = new Vfs();
  vfs.mount('/lfs1', mountLittlefs(area, '/lfs1', { formatIfNeeded: format }));
  return vfs;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-lfs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an image zdfu wrote, read by the reference littlefs', () => {
  it('on the nrf52840dk storage partition: an inline file, a CTZ file, a directory', () => {
    const area = freshArea(false);
    const vfs = mounted(area, true);
    vfs.mkdir('/lfs1/settings');
    put(vfs, '/settings/run', bytes(40, 1));
    put(vfs, '/log.bin', bytes(9000, 2));
    const ours = treeOf(vfs);
    const image = join(dir, 'nrf.img');
    writeFileSync(image, area.peek());
    const ref = python(['dump', image, String(BLOCK), '8']);
    expect(ref.disk_version).toBe(0x00020000);
    expect(ref.dirs).toEqual(['/settings']);
    expect(ref.files).toEqual(ours.files);
    expect(Object.keys(ref.files).sort()).toEqual(['/log.bin', '/settings/run']);
  });

  it('has the same tree and contents: inline and CTZ files, nested and split directories', () => {
    const area = freshArea();
    const vfs = mounted(area, true);
    vfs.mkdir('/lfs1/logs');
    vfs.mkdir('/lfs1/logs/old');
    vfs.mkdir('/lfs1/many');
    put(vfs, '/hello.txt', new TextEncoder().encode('hello from zdfu'));
    put(vfs, '/big.bin', bytes(10000, 1));
    put(vfs, '/logs/log.0000', bytes(3000, 2));
    put(vfs, '/logs/old/a', bytes(100, 3));
    put(vfs, '/empty', new Uint8Array(0));
    for (let i = 0; i < 60; i++) put(vfs, `/many/entry-with-a-longish-name-${i}`, bytes(i % 50, 10 + i));
    for (let i = 0; i < 60; i += 7) vfs.unlink(`/lfs1/many/entry-with-a-longish-name-${i}`);
    vfs.rename('/lfs1/logs/log.0000', '/lfs1/logs/old/log.0000');
    const f = vfs.open('/lfs1/big.bin', FS_O_WRITE);
    f.seek(6000);
    f.write(bytes(500, 4));
    f.close();
    const ours = treeOf(vfs);
    const image = join(dir, 'zdfu.img');
    writeFileSync(image, area.peek());
    const ref = python(['dump', image, String(BLOCK), String(COUNT)]);
    expect(ref.disk_version).toBe(0x00020000);
    expect(ref.dirs).toEqual(ours.dirs);
    expect(ref.files).toEqual(ours.files);
    expect(Object.keys(ours.files)).toHaveLength(5 + 60 - 9);
    expect(ref.used_blocks).toBe(COUNT - vfs.statvfs('/lfs1').bfree);
  });
});

describe('an image zdfu wore in (pairs moved by block_cycles), read by the reference littlefs', () => {
  it('has the same tree after hundreds of rewrites in nested directories', () => {
    const flash = new Flash({ name: 'nor', sectors: Array(32).fill(1024), writeAlign: 4 });
    const area = new FlashArea(flash, { label: 'storage_partition', offset: 0, size: flash.size });
    const vfs = new Vfs();
    vfs.mount('/lfs1', mountLittlefs(area, '/lfs1', { blockCycles: 4 }));
    vfs.mkdir('/lfs1/a');
    vfs.mkdir('/lfs1/a/b');
    for (let i = 0; i < 300; i++) {
      put(vfs, `/a/b/s${i % 4}`, bytes(30 + (i % 30), i));
      if (i % 50 === 0) put(vfs, `/a/big${i}`, bytes(1500, i));
    }
    const ours = treeOf(vfs);
    const image = join(dir, 'worn.img');
    writeFileSync(image, area.peek());
    const ref = python(['dump', image, '1024', '32']);
    expect(ref.dirs).toEqual(['/a', '/a/b']);
    expect(ref.files).toEqual(ours.files);
  });
});

describe.each([
  ['2.0 (as Zephyr v3.5.0 writes)', '0x20000', 0x00020000],
  ['2.1 (the library default)', '0', 0x00020001],
])('an image the reference littlefs wrote, on-disk %s', (_name, versionArg, version) => {
  it('mounts in zdfu with the same tree, and takes zdfu writes littlefs reads back', () => {
    const files: Record<string, string> = {
      '/readme.txt': hex(new TextEncoder().encode('written by littlefs')),
      '/data/ctz.bin': hex(bytes(12000, 5)),
      '/data/deep/er/file': hex(bytes(300, 6)),
      '/data/small': hex(bytes(10, 7)),
      '/gone': hex(bytes(5, 8)),
    };
    for (let i = 0; i < 50; i++) files[`/data/n${i}`] = hex(bytes(i, 20 + i));
    const spec = {
      dirs: ['/data', '/data/deep', '/data/deep/er', '/empty-dir'],
      files,
      remove: ['/gone'],
      rename: [['/data/small', '/data/deep/small']],
    };
    const specPath = join(dir, `spec-${versionArg}.json`);
    writeFileSync(specPath, JSON.stringify(spec));
    const image = join(dir, `ref-${versionArg}.img`);
    const made = python(['make', image, String(BLOCK), String(COUNT), specPath, versionArg]);
    expect(made.disk_version).toBe(version);
    const area = freshArea();
    area.flash.load(readFileSync(image), area.offset);
    const vfs = mounted(area, false);
    const ours = treeOf(vfs);
    expect(ours.dirs).toEqual(made.dirs);
    expect(ours.files).toEqual(made.files);
    // Now zdfu writes into littlefs's image; littlefs must read it all.
    put(vfs, '/from-zdfu.bin', bytes(5000, 30));
    vfs.mkdir('/lfs1/empty-dir/sub');
    put(vfs, '/empty-dir/sub/x', bytes(40, 31));
    vfs.unlink('/lfs1/data/n3');
    vfs.rename('/lfs1/data/n4', '/lfs1/n4');
    const after = treeOf(vfs);
    writeFileSync(image, area.peek());
    const ref = python(['dump', image, String(BLOCK), String(COUNT)]);
    expect(ref.dirs).toEqual(after.dirs);
    expect(ref.files).toEqual(after.files);
  });
});

describe('an image the reference littlefs wore in (relocated pairs, expanded superblock)', () => {
  it('mounts in zdfu with the same tree, takes writes, and littlefs reads them back', () => {
    const spec = {
      dirs: ['/d', '/d/e'],
      files: { '/d/e/f': hex(bytes(2500, 40)), '/top': hex(bytes(70, 41)) },
      block_cycles: 4,
      rewrites: [
        { path: '/hot', times: 600 },
        { path: '/d/e/hot', times: 300 },
      ],
    };
    const specPath = join(dir, 'spec-worn.json');
    writeFileSync(specPath, JSON.stringify(spec));
    const image = join(dir, 'ref-worn.img');
    const made = python(['make', image, '1024', '32', specPath, '0x20000']);
    const flash = new Flash({ name: 'nor', sectors: Array(32).fill(1024), writeAlign: 4 });
    const area = new FlashArea(flash, { label: 'storage_partition', offset: 0, size: flash.size });
    flash.load(readFileSync(image));
    const vfs = new Vfs();
    const mount = mountLittlefs(area, '/lfs1', { formatIfNeeded: false, blockCycles: 4 });
    vfs.mount('/lfs1', mount);
    const ours = treeOf(vfs);
    expect(ours.dirs).toEqual(made.dirs);
    expect(ours.files).toEqual(made.files);
    // littlefs grew the superblock chain: the root directory is no longer the pair at blocks 0, 1.
    expect(mount.lfs.store.root.some((block) => block < 2)).toBe(false);
    for (let i = 0; i < 200; i++) put(vfs, `/d/e/hot`, bytes(10 + (i % 50), 500 + i));
    vfs.mkdir('/lfs1/d/new');
    put(vfs, '/d/new/g', bytes(1800, 42));
    const after = treeOf(vfs);
    writeFileSync(image, area.peek());
    const ref = python(['dump', image, '1024', '32']);
    expect(ref.dirs).toEqual(after.dirs);
    expect(ref.files).toEqual(after.files);
  });
});
