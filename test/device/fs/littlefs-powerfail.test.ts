// Power cuts during LittleFS operations: before every write and erase an operation makes, and
// inside each (torn program, partial erase), then power on and remount. The mount never fails
// or formats, a file holds its old or its new contents (never a mix, never garbage), a rename
// leaves the file in exactly one place, and the file system takes writes again afterwards. Then
// the same for random operation sequences cut at random points (a seeded property).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CutPlan, Flash, type FlashArea, PowerCut } from '../../../src/device/flash.ts';
import { FS_O_CREATE, FS_O_RDWR, FS_O_TRUNC, FS_O_WRITE, FsError } from '../../../src/device/fs/fs-api.ts';
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

  it('random operation sequences with random cuts (1 KiB blocks, pairs moving every 5 compactions)', () => {
    const PATHS = ['a', 'b', 'dd/x', 'dd/y'];
    const step = fc.record({
      kind: fc.constantFrom('write', 'writeAt', 'unlink', 'rename'),
      path: fc.constantFrom(...PATHS),
      to: fc.constantFrom(...PATHS),
      size: fc.integer({ min: 0, max: 3000 }),
      seed: fc.nat(),
      cut: fc.option(
        fc.record({ at: fc.integer({ min: 1, max: 40 }), fraction: fc.option(fc.constantFrom(0.3, 0.9)) }),
      ),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 20 }), (steps) => {
        const area = smallArea(new Flash({ sectors: Array(16).fill(1024), writeAlign: 4 }));
        const opts = { blockCycles: 4 };
        const mountNow = () => {
          const v = new Vfs();
          v.mount('/lfs1', mountLittlefs(area, '/lfs1', { ...opts, formatIfNeeded: false }));
          return v;
        };
        mountLittlefs(area, '/lfs1', opts).unmount();
        let vfs = mountNow();
        vfs.mkdir('/lfs1/dd');
        const contents = () => {
          const out = new Map<string, Uint8Array>();
          for (const p of PATHS) {
            try {
              out.set(p, readFile(vfs, `/lfs1/${p}`));
            } catch (e) {
              if (!(e instanceof FsError) || e.code !== 'ENOENT') throw e;
            }
          }
          return out;
        };
        let model = new Map<string, Uint8Array>();
        for (const o of steps) {
          const next = new Map(model);
          if (o.cut) {
            const inside = o.cut.fraction === null ? undefined : { fraction: o.cut.fraction, seed: o.seed };
            area.flash.cutPower(inside ? { mutation: o.cut.at, inside } : { mutation: o.cut.at });
          }
          try {
            const old = model.get(o.path);
            if (o.kind === 'write') {
              const data = bytes(o.size, o.seed);
              next.set(o.path, data);
              writeFile(vfs, `/lfs1/${o.path}`, data, FS_O_CREATE | FS_O_WRITE | FS_O_TRUNC);
            } else if (o.kind === 'writeAt' && old) {
              const data = bytes(Math.min(o.size, 500), o.seed);
              const at = Math.min(o.seed % 2000, old.length);
              const want = new Uint8Array(Math.max(old.length, at + data.length));
              want.set(old);
              want.set(data, at);
              next.set(o.path, want);
              const f = vfs.open(`/lfs1/${o.path}`, FS_O_RDWR);
              f.seek(at);
              f.write(data);
              f.close();
            } else if (o.kind === 'unlink' && old) {
              next.delete(o.path);
              vfs.unlink(`/lfs1/${o.path}`);
            } else if (o.kind === 'rename' && old) {
              next.delete(o.path);
              next.set(o.to, old);
              vfs.rename(`/lfs1/${o.path}`, `/lfs1/${o.to}`);
            }
            area.flash.powerOn();
            model = next;
            if (o.cut) vfs = mountNow();
          } catch (e) {
            area.flash.powerOn();
            if (e instanceof FsError && e.code === 'ENOSPC') {
              vfs = mountNow();
              model = contents();
              continue;
            }
            if (!(e instanceof PowerCut)) throw e;
            vfs = mountNow();
            const now = contents();
            for (const p of PATHS) {
              const got = now.get(p);
              const is = (x: Uint8Array | undefined) =>
                x === undefined ? got === undefined : got !== undefined && Buffer.compare(x, got) === 0;
              // A file being created may be there empty: its name is committed at open.
              const created = o.kind === 'write' && p === o.path && got?.length === 0;
              expect(is(model.get(p)) || is(next.get(p)) || created, `${p} after ${JSON.stringify(o)}`).toBe(
                true,
              );
            }
            model = now;
          }
        }
        vfs = mountNow();
        for (const [p, data] of model) expect(Buffer.compare(readFile(vfs, `/lfs1/${p}`), data), p).toBe(0);
      }),
      { seed: 20261204, numRuns: 40 },
    );
  });
});
