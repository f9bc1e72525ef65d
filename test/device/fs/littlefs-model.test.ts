// Property tests: random sequences of Zephyr file-system calls on LittleFS (writes, appends,
// writes at an offset, truncates, unlinks, renames, remounts) agree with a plain Map model of the
// files, and so does the tree after a final remount; on a partition too small for them, every
// call either completes or fails with -ENOSPC leaving each file as it was. Seeded, so a failure
// repeats.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Flash } from '../../../src/device/flash.ts';
import {
  FS_O_APPEND,
  FS_O_CREATE,
  FS_O_RDWR,
  FS_O_TRUNC,
  FS_O_WRITE,
  FsError,
} from '../../../src/device/fs/fs-api.ts';
import { mountLittlefs } from '../../../src/device/fs/littlefs-mount.ts';
import { Vfs } from '../../../src/device/fs/vfs.ts';
import { bytes, readFile, smallArea, storageArea } from './helpers.ts';

const PATHS = ['a', 'b', 'c', 'longer-name-d', 'sub/e', 'sub/f', 'sub/g'];

type Op =
  | { kind: 'write'; path: string; size: number; seed: number; mode: 'trunc' | 'append' | 'at'; at: number }
  | { kind: 'truncate'; path: string; size: number }
  | { kind: 'unlink'; path: string }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'remount' };

const path = fc.constantFrom(...PATHS);
const size = fc.oneof(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 6000 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      path,
      size,
      seed: fc.nat(),
      mode: fc.constantFrom('trunc' as const, 'append' as const, 'at' as const),
      at: fc.nat(7000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), path, size }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unlink' as const), path }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename' as const), from: path, to: path }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'remount' as const }) },
);

function mount(area: ReturnType<typeof smallArea>): Vfs {
  const vfs = new Vfs();
  vfs.mount('/lfs1', mountLittlefs(area, '/lfs1'));
  return vfs;
}

function errno(run: () => void): number {
  try {
    run();
    return 0;
  } catch (e) {
    if (e instanceof FsError) return e.errno;
    throw e;
  }
}

function apply(vfs: Vfs, model: Map<string, Uint8Array>, o: Op): void {
  if (o.kind === 'write') {
    const data = bytes(o.size, o.seed);
    const old = model.get(o.path) ?? new Uint8Array(0);
    let next: Uint8Array;
    let flags = FS_O_CREATE | FS_O_WRITE;
    let at = 0;
    if (o.mode === 'trunc') {
      flags |= FS_O_TRUNC;
      next = data;
    } else if (o.mode === 'append') {
      flags |= FS_O_APPEND;
      next = new Uint8Array([...old, ...data]);
    } else {
      flags = FS_O_CREATE | FS_O_RDWR;
      at = Math.min(o.at, old.length + 100);
      next = new Uint8Array(Math.max(old.length, at + data.length));
      next.set(old);
      next.set(data, at);
    }
    const f = vfs.open(`/lfs1/${o.path}`, flags);
    if (at) f.seek(at);
    expect(f.write(data)).toBe(data.length);
    f.close();
    model.set(o.path, next);
  } else if (o.kind === 'truncate') {
    const old = model.get(o.path);
    if (!old) return;
    const f = vfs.open(`/lfs1/${o.path}`, FS_O_WRITE);
    f.truncate(o.size);
    f.close();
    const next = new Uint8Array(o.size);
    next.set(old.subarray(0, o.size));
    model.set(o.path, next);
  } else if (o.kind === 'unlink') {
    const e = errno(() => vfs.unlink(`/lfs1/${o.path}`));
    expect(e).toBe(model.delete(o.path) ? 0 : -2);
  } else if (o.kind === 'rename') {
    const e = errno(() => vfs.rename(`/lfs1/${o.from}`, `/lfs1/${o.to}`));
    const data = model.get(o.from);
    expect(e).toBe(data ? 0 : -2);
    if (data && o.from !== o.to) {
      model.delete(o.from);
      model.set(o.to, data);
    }
  }
}

function check(vfs: Vfs, model: Map<string, Uint8Array>): void {
  const listed = [
    ...vfs
      .readdir('/lfs1')
      .filter((e) => e.type === 'file')
      .map((e) => e.name),
    ...vfs.readdir('/lfs1/sub').map((e) => `sub/${e.name}`),
  ].sort();
  expect(listed).toEqual([...model.keys()].sort());
  for (const [p, data] of model) {
    expect(vfs.stat(`/lfs1/${p}`).size, p).toBe(data.length);
    expect(Buffer.compare(readFile(vfs, `/lfs1/${p}`), data), p).toBe(0);
  }
}

describe('LittleFS against a Map model', () => {
  it('random operation sequences agree with the model, across remounts', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), (ops) => {
        // 128 KiB of 4 KiB sectors: room for the largest sequence, so no -ENOSPC.
        const area = smallArea(new Flash({ sectors: Array(32).fill(4096), writeAlign: 4 }));
        let vfs = mount(area);
        vfs.mkdir('/lfs1/sub');
        const model = new Map<string, Uint8Array>();
        for (const o of ops) {
          if (o.kind === 'remount') {
            vfs = mount(area);
            check(vfs, model);
          } else apply(vfs, model, o);
        }
        check(mount(area), model);
      }),
      { seed: 20261202, numRuns: 40 },
    );
  });

  it('on a full partition, a call completes or fails with -ENOSPC and changes nothing', () => {
    const write = fc.record({
      path: fc.constantFrom('a', 'b', 'c', 'd/x', 'd/y'),
      size: fc.integer({ min: 0, max: 9000 }),
      seed: fc.nat(),
      remove: fc.boolean(),
      mkdir: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 30 }), (ops) => {
        // nrf52840dk: 8 blocks of 4 KiB, soon full.
        const area = storageArea('nrf52840dk');
        const mountNow = () => {
          const v = new Vfs();
          v.mount('/lfs1', mountLittlefs(area, '/lfs1', { formatIfNeeded: false }));
          return v;
        };
        mountLittlefs(area, '/lfs1').unmount();
        let vfs = mountNow();
        const model = new Map<string, Uint8Array>();
        let haveDir = false;
        for (const o of ops) {
          if (o.path.startsWith('d/') && !haveDir && !o.mkdir) continue;
          const before = model.get(o.path);
          try {
            if (o.mkdir && !haveDir) {
              vfs.mkdir('/lfs1/d');
              haveDir = true;
            } else if (o.remove) {
              if (before) vfs.unlink(`/lfs1/${o.path}`);
              model.delete(o.path);
            } else {
              const data = bytes(o.size, o.seed);
              const f = vfs.open(`/lfs1/${o.path}`, FS_O_CREATE | FS_O_WRITE | FS_O_TRUNC);
              try {
                f.write(data);
              } finally {
                f.close();
              }
              model.set(o.path, data);
            }
          } catch (e) {
            if (!(e instanceof FsError) || e.code !== 'ENOSPC') throw e;
            // A file the call created but never filled is there, empty (littlefs commits the name at open).
            if (!o.mkdir && !o.remove && !before) model.set(o.path, new Uint8Array(0));
            if (o.mkdir) haveDir = vfs.readdir('/lfs1').some((e) => e.name === 'd');
          }
          vfs = mountNow();
          for (const [p, data] of model) {
            expect(Buffer.compare(readFile(vfs, `/lfs1/${p}`), data), `${p} after ${JSON.stringify(o)}`).toBe(
              0,
            );
          }
        }
      }),
      { seed: 20261203, numRuns: 60 },
    );
  });
});
