// Power cuts during LittleFS operations: before every write and erase an operation makes, and
// inside each (torn program, partial erase), then power on and remount. The mount never fails
// or formats, a file holds its old or its new contents (never a mix, never garbage), a rename
// leaves the file in exactly one place, and the file system takes writes again afterwards.
import { describe, expect, it } from 'vitest';
import { type CutPlan, Flash, type FlashArea, PowerCut } from '../../../src/device/flash.ts';
import { FS_O_CREATE, FS_O_RDWR, FS_O_TRUNC, FS_O_WRITE } from '../../../src/device/fs/fs-api.ts';
import { fetchPair } from '../../../src/device/fs/littlefs/mdir.ts';
import {
  type LittlefsMount,
  type LittlefsMountOptions,
  mountLittlefs,
} from '../../../src/device/fs/littlefs-mount.ts';
import { Vfs } from '../../../src/device/fs/vfs.ts';
import { bytes, readFile, smallArea, storageArea, writeFile } from './helpers.ts';

type Check = (vfs: Vfs, label: string) => void;

const mountsOf = new WeakMap<Vfs, LittlefsMount>();

/** The block device under a test Vfs's /lfs1. */
function rootBd(vfs: Vfs) {
  return mountsOf.get(vfs)!.lfs.bd;
}

let mountOpts: LittlefsMountOptions = {};

function mountOn(area: FlashArea): Vfs {
  const m = mountLittlefs(area, '/lfs1', { ...mountOpts, formatIfNeeded: false });
  const vfs = new Vfs();
  vfs.mount('/lfs1', m);
  mountsOf.set(vfs, m);
  return vfs;
}

/**
 * Run `op` on a fresh mount of the state `setup` left, cutting power before and inside each of its
 * writes and erases in turn; after each cut, remount and `check`, then write a new file to prove
 * the file system still works. Returns how many flash mutations the operation makes.
 */
function sweep(
  setup: (vfs: Vfs) => void,
  op: (vfs: Vfs) => void,
  check: Check,
  on: { area?: FlashArea; opts?: LittlefsMountOptions } = {},
): number {
  const area = on.area ?? storageArea('nrf52840dk');
  mountOpts = on.opts ?? {};
  const flash = area.flash;
  mountLittlefs(area, '/lfs1', mountOpts).unmount(); // format the blank partition
  setup(mountOn(area));
  const snap = flash.snapshot();
  const start = flash.mutations;
  op(mountOn(area));
  const total = flash.mutations - start;
  check(mountOn(area), 'completed');
  const plans: CutPlan[] = [];
  for (let k = 1; k <= total; k++) {
    plans.push({ mutation: k });
    // Inside, by turns: right at the start (a first word torn), half-way, or in a commit's CRC.
    plans.push({ mutation: k, inside: { fraction: [0.02, 0.5, 0.9][k % 3]!, seed: k } });
  }
  for (const plan of plans) {
    const label = `cut ${plan.inside ? `inside (${plan.inside.fraction})` : 'before'} mutation ${plan.mutation}/${total}`;
    flash.restore(snap);
    flash.powerOn();
    const vfs = mountOn(area);
    flash.cutPower(plan);
    expect(() => op(vfs), label).toThrow(PowerCut);
    flash.powerOn();
    const after = mountOn(area);
    check(after, label);
    writeFile(after, '/lfs1/probe', bytes(700, plan.mutation));
    expect(readFile(after, '/lfs1/probe'), label).toEqual(bytes(700, plan.mutation));
    check(mountOn(area), `${label}, then a write`);
  }
  return total;
}

function oneOf(vfs: Vfs, path: string, allowed: (Uint8Array | undefined)[], label: string): void {
  let got: Uint8Array | undefined;
  try {
    got = readFile(vfs, path);
  } catch {
    got = undefined;
  }
  const ok = allowed.some((a) =>
    a === undefined ? got === undefined : got !== undefined && Buffer.compare(a, got) === 0,
  );
  expect(
    ok,
    `${label}: ${path} holds ${got === undefined ? 'nothing' : `${got.length} bytes`} of neither the old nor the new`,
  ).toBe(true);
}

// Each sweep remounts a few hundred times: allow for a loaded machine.
describe('LittleFS power cuts (every write and erase, before and inside)', { timeout: 60_000 }, () => {
  it('overwriting a CTZ file in place: old or new contents', () => {
    const old = bytes(4500, 1);
    const neu = bytes(5000, 2);
    const n = sweep(
      (vfs) => {
        writeFile(vfs, '/lfs1/data.bin', old);
        writeFile(vfs, '/lfs1/other', bytes(30, 3));
      },
      (vfs) => {
        const f = vfs.open('/lfs1/data.bin', FS_O_RDWR);
        f.write(neu);
        f.close();
      },
      (vfs, label) => {
        oneOf(vfs, '/lfs1/data.bin', [old, neu], label);
        oneOf(vfs, '/lfs1/other', [bytes(30, 3)], label);
      },
    );
    expect(n).toBeGreaterThan(3);
  });

  it('creating a small file: absent, empty (created, not yet synced) or complete', () => {
    const data = bytes(50, 4);
    sweep(
      (vfs) => writeFile(vfs, '/lfs1/keep', bytes(3000, 5)),
      (vfs) => writeFile(vfs, '/lfs1/new.txt', data),
      (vfs, label) => {
        oneOf(vfs, '/lfs1/new.txt', [undefined, new Uint8Array(0), data], label);
        oneOf(vfs, '/lfs1/keep', [bytes(3000, 5)], label);
      },
    );
  });

  it('rewriting a small file until its metadata pair compacts: always one whole version', () => {
    const version = (i: number) => bytes(40, 200 + i);
    let last = 0;
    const n = sweep(
      (vfs) => {
        // Fill the root pair's block with commits until a few more will not fit.
        for (last = 0; fetchPair(rootBd(vfs), [0, 1]).off < 4096 - 200; last++) {
          writeFile(vfs, '/lfs1/setting', version(last), FS_O_CREATE | FS_O_WRITE | FS_O_TRUNC);
        }
      },
      (vfs) => {
        for (let i = 0; i < 5; i++) {
          writeFile(vfs, '/lfs1/setting', version(last + i), FS_O_CREATE | FS_O_WRITE | FS_O_TRUNC);
        }
      },
      (vfs, label) => {
        oneOf(
          vfs,
          '/lfs1/setting',
          Array.from({ length: 6 }, (_, i) => version(last - 1 + i)),
          label,
        );
      },
    );
    expect(n).toBeGreaterThan(5); // the compaction erased and rewrote the other block
  });

  it('renaming across directories (the move state): the file is in exactly one place', () => {
    const data = bytes(2000, 6);
    sweep(
      (vfs) => {
        vfs.mkdir('/lfs1/a');
        vfs.mkdir('/lfs1/b');
        writeFile(vfs, '/lfs1/a/f', data);
      },
      (vfs) => vfs.rename('/lfs1/a/f', '/lfs1/b/g'),
      (vfs, label) => {
        const names = [...vfs.readdir('/lfs1/a'), ...vfs.readdir('/lfs1/b')].map((e) => e.name);
        expect(names.length, `${label}: ${names.join(',')}`).toBe(1);
        oneOf(vfs, names[0] === 'f' ? '/lfs1/a/f' : '/lfs1/b/g', [data], label);
      },
    );
  });

  it('making and removing directories (orphans): the tree is whole and its blocks are reclaimed', () => {
    sweep(
      (vfs) => {
        vfs.mkdir('/lfs1/old');
        writeFile(vfs, '/lfs1/f', bytes(100, 7));
      },
      (vfs) => {
        vfs.unlink('/lfs1/old');
        vfs.mkdir('/lfs1/new');
        writeFile(vfs, '/lfs1/new/x', bytes(10, 8), FS_O_CREATE | FS_O_WRITE | FS_O_TRUNC);
      },
      (vfs, label) => {
        const names = vfs
          .readdir('/lfs1')
          .map((e) => e.name)
          .filter((n) => n !== 'probe');
        expect(['f,old', 'f', 'f,new'].includes(names.join(',')), `${label}: ${names.join(',')}`).toBe(true);
        oneOf(vfs, '/lfs1/f', [bytes(100, 7)], label);
        // Once written to (orphans are dropped before the first write, lfs_fs_forceconsistency),
        // the blocks in use are the root's, f's, the probe's and 2 per directory present.
        if (vfs.readdir('/lfs1').some((e) => e.name === 'probe')) {
          expect(8 - vfs.statvfs('/lfs1').bfree, label).toBe(2 + 1 + 1 + 2 * (names.length - 1));
        }
      },
    );
  });

  it('moving a worn directory pair (block_cycles): the tree stays whole, no block leaks', () => {
    const version = (i: number) => bytes(50, 300 + i);
    let last = 0;
    let before = '';
    const area = smallArea(new Flash({ sectors: Array(12).fill(1024), writeAlign: 4 }));
    const cfgPair = (vfs: Vfs) => {
      const root = fetchPair(rootBd(vfs), [0, 1]);
      const e = root.entries.find((x) => x.name.length === 3)!;
      return fetchPair(rootBd(vfs), [e.struct!.data[0]!, e.struct!.data[4]!]);
    };
    const n = sweep(
      (vfs) => {
        vfs.mkdir('/lfs1/cfg');
        // Rewrite until the directory's next compaction is the one that moves it.
        for (last = 0; ; last++) {
          writeFile(vfs, '/lfs1/cfg/s', version(last), FS_O_CREATE | FS_O_WRITE | FS_O_TRUNC);
          const d = cfgPair(vfs);
          if (d.rev % 5 === 4 && d.off > 1024 - 150) break;
        }
        last++;
        before = cfgPair(vfs).pair.join(',');
      },
      (vfs) => {
        for (let i = 0; i < 3; i++)
          writeFile(vfs, '/lfs1/cfg/s', version(last + i), FS_O_CREATE | FS_O_WRITE | FS_O_TRUNC);
      },
      (vfs, label) => {
        oneOf(
          vfs,
          '/lfs1/cfg/s',
          Array.from({ length: 4 }, (_, i) => version(last - 1 + i)),
          label,
        );
        if (label === 'completed')
          expect(new Set(cfgPair(vfs).pair)).not.toEqual(new Set(before.split(',').map(Number)));
        if (vfs.readdir('/lfs1').some((e) => e.name === 'probe')) {
          expect(12 - vfs.statvfs('/lfs1').bfree, label).toBe(2 + 2 + 1);
        }
      },
      { area, opts: { blockCycles: 4 } },
    );
    expect(n).toBeGreaterThan(4); // erase, compaction and the parent's and predecessor's commits
  });
});
