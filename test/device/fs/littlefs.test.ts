// LittleFS on the virtual boards' storage partitions: the Zephyr file-system calls behave as
// Zephyr's littlefs_fs.c + littlefs v2.5 do (results, errnos), contents survive remounts, metadata
// pairs compact and split, CTZ files span blocks, and a full file system says -ENOSPC.
import { describe, expect, it } from 'vitest';
import { Flash } from '../../../src/device/flash.ts';
import {
  Errno,
  FS_O_APPEND,
  FS_O_CREATE,
  FS_O_RDWR,
  FS_O_READ,
  FS_O_TRUNC,
  FS_O_WRITE,
  FS_SEEK_CUR,
  FS_SEEK_END,
  FS_SEEK_SET,
  FsError,
} from '../../../src/device/fs/fs-api.ts';
import { fetchPair } from '../../../src/device/fs/littlefs/mdir.ts';
import { mountLittlefs } from '../../../src/device/fs/littlefs-mount.ts';
import { Vfs } from '../../../src/device/fs/vfs.ts';
import { bytes, errnoOf, readFile, smallArea, storageArea, vfsOn, writeFile } from './helpers.ts';

const text = (s: string) => new TextEncoder().encode(s);
const W = FS_O_CREATE | FS_O_WRITE;

describe('mount and format (littlefs_mount)', () => {
  it('formats a blank partition, then mounts it as it is', () => {
    const area = storageArea('nrf52840dk');
    const first = mountLittlefs(area, '/lfs1');
    expect(first.formatted).toBe(true);
    expect(first.lfs.bd.blockSize).toBe(4096);
    expect(first.lfs.bd.blockCount).toBe(8);
    expect(area.peek(8, 8)).toEqual(text('littlefs')); // the magic sits at offset 8 of block 0 or 1
    first.unmount();
    const again = mountLittlefs(area, '/lfs1');
    expect(again.formatted).toBe(false);
    expect(again.statvfs()).toEqual({ bsize: 16, frsize: 4096, blocks: 8, bfree: 6 });
  });

  it('does not format when told not to (FS_MOUNT_FLAG_NO_FORMAT)', () => {
    const area = storageArea('nrf52840dk');
    expect(errnoOf(() => mountLittlefs(area, '/lfs1', { formatIfNeeded: false }))).toBe(-Errno.EFAULT);
  });

  it('mounts on esp32_devkitc_wroom (6 blocks of 4 KiB)', () => {
    const vfs = vfsOn(storageArea('esp32_devkitc_wroom'));
    expect(vfs.statvfs('/lfs1')).toMatchObject({ frsize: 4096, blocks: 6 });
  });

  it('refuses stm32f4_disco: one 128 KiB sector is a single block, LittleFS needs two', () => {
    const e = (() => {
      try {
        mountLittlefs(storageArea('stm32f4_disco'), '/lfs1');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(FsError);
    expect((e as FsError).errno).toBe(-Errno.EINVAL);
    expect((e as FsError).message).toMatch(/at least 2 blocks.*1 of 131072 bytes/);
  });

  it('a file system of another geometry is formatted over, as Zephyr would', () => {
    const flash = new Flash({ sectors: Array(16).fill(4096), writeAlign: 4 });
    const area = smallArea(flash);
    mountLittlefs(area, '/lfs1', { blockSize: 8192 }).unmount();
    const m = mountLittlefs(area, '/lfs1');
    expect(m.formatted).toBe(true);
    expect(m.lfs.bd.blockCount).toBe(16);
  });
});

describe('files and directories (fs_open, fs_read, fs_write, ...)', () => {
  it('writes, reads, seeks, tells, truncates and appends', () => {
    const vfs = vfsOn(storageArea('nrf52840dk'));
    const f = vfs.open('/lfs1/a.txt', W | FS_O_READ);
    expect(f.write(text('hello world'))).toBe(11);
    expect(f.tell()).toBe(11);
    f.seek(6, FS_SEEK_SET);
    expect(new TextDecoder().decode(f.read(100))).toBe('world');
    f.seek(-5, FS_SEEK_END);
    f.write(text('there'));
    f.seek(-11, FS_SEEK_CUR);
    expect(new TextDecoder().decode(f.read(11))).toBe('hello there');
    f.truncate(5);
    expect(f.tell()).toBe(11);
    f.close();
    expect(vfs.stat('/lfs1/a.txt')).toEqual({ type: 'file', name: 'a.txt', size: 5 });
    const g = vfs.open('/lfs1/a.txt', FS_O_WRITE | FS_O_APPEND);
    g.write(text('!'));
    g.close();
    expect(new TextDecoder().decode(readFile(vfs, '/lfs1/a.txt'))).toBe('hello!');
    // A seek past the end leaves a gap of zeros once written.
    const h = vfs.open('/lfs1/a.txt', FS_O_RDWR);
    h.seek(10, FS_SEEK_SET);
    h.write(text('x'));
    h.close();
    expect(readFile(vfs, '/lfs1/a.txt')).toEqual(
      new Uint8Array([...text('hello!'), 0, 0, 0, 0, ...text('x')]),
    );
    const t = vfs.open('/lfs1/a.txt', FS_O_WRITE | FS_O_TRUNC);
    t.close();
    expect(vfs.stat('/lfs1/a.txt').size).toBe(0);
  });

  it('keeps files larger than a block in a CTZ skip-list, and rewrites their middle', () => {
    const area = storageArea('nrf52840dk');
    const vfs = vfsOn(area);
    const data = bytes(9000, 1);
    writeFile(vfs, '/lfs1/big.bin', data);
    expect(vfs.statvfs('/lfs1').bfree).toBe(8 - 2 - 3); // 9000 bytes take 3 blocks (less their pointers)
    // Rewriting from byte 5000 copies the rest to new blocks: the old ones stay until the commit.
    const f = vfs.open('/lfs1/big.bin', FS_O_RDWR);
    f.seek(5000, FS_SEEK_SET);
    f.write(bytes(3000, 2));
    f.close();
    const want = data.slice();
    want.set(bytes(3000, 2), 5000);
    const again = new Vfs();
    again.mount('/lfs1', mountLittlefs(area, '/lfs1'));
    expect(readFile(again, '/lfs1/big.bin')).toEqual(want);
    const g = again.open('/lfs1/big.bin', FS_O_RDWR);
    g.truncate(4200);
    g.seek(4100, FS_SEEK_SET);
    expect(g.read(500)).toEqual(want.slice(4100, 4200));
    g.truncate(40); // back to inline
    g.close();
    expect(readFile(again, '/lfs1/big.bin')).toEqual(want.slice(0, 40));
    expect(again.statvfs('/lfs1').bfree).toBe(6);
  });

  it('makes, lists, renames and removes directories and files', () => {
    const vfs = vfsOn(storageArea('nrf52840dk'));
    vfs.mkdir('/lfs1/logs');
    vfs.mkdir('/lfs1/logs/old');
    writeFile(vfs, '/lfs1/logs/log.0000', text('first'));
    writeFile(vfs, '/lfs1/logs/log.0001', text('second'));
    expect(vfs.readdir('/lfs1/logs').map((e) => `${e.type}:${e.name}:${e.size}`)).toEqual([
      'file:log.0000:5',
      'file:log.0001:6',
      'dir:old:0',
    ]);
    vfs.rename('/lfs1/logs/log.0000', '/lfs1/logs/old/log.0000');
    vfs.rename('/lfs1/logs/log.0001', '/lfs1/top'); // across directories
    expect(vfs.readdir('/lfs1/logs').map((e) => e.name)).toEqual(['old']);
    expect(readFile(vfs, '/lfs1/logs/old/log.0000')).toEqual(text('first'));
    writeFile(vfs, '/lfs1/other', text('other'));
    vfs.rename('/lfs1/other', '/lfs1/top'); // replaces
    expect(readFile(vfs, '/lfs1/top')).toEqual(text('other'));
    expect(errnoOf(() => vfs.unlink('/lfs1/logs'))).toBe(-Errno.ENOTEMPTY);
    vfs.unlink('/lfs1/logs/old/log.0000');
    vfs.unlink('/lfs1/logs/old');
    vfs.unlink('/lfs1/logs');
    expect(vfs.readdir('/lfs1')).toEqual([{ type: 'file', name: 'top', size: 5 }]);
    expect(vfs.statvfs('/lfs1').bfree).toBe(6); // the directories' pairs are free again
    expect(vfs.stat('/lfs1')).toEqual({ type: 'dir', name: '/', size: 0 });
    expect(vfs.readdir('/')).toEqual([{ type: 'dir', name: 'lfs1', size: 0 }]);
  });

  it('fails as Zephyr does, with the errno and the path in words', () => {
    const vfs = vfsOn(storageArea('nrf52840dk'));
    writeFile(vfs, '/lfs1/f', text('x'));
    vfs.mkdir('/lfs1/d');
    expect(errnoOf(() => vfs.open('/lfs1/missing', FS_O_READ))).toBe(-Errno.ENOENT);
    expect(errnoOf(() => vfs.open('/lfs1/nodir/f', W))).toBe(-Errno.ENOENT);
    expect(errnoOf(() => vfs.open('/lfs1/d', FS_O_READ))).toBe(-Errno.EISDIR);
    expect(errnoOf(() => vfs.open('/lfs1/f/g', W))).toBe(-Errno.ENOTDIR);
    expect(errnoOf(() => vfs.mkdir('/lfs1/d'))).toBe(-Errno.EEXIST);
    expect(errnoOf(() => vfs.mkdir('/lfs1/f'))).toBe(-Errno.EEXIST);
    expect(errnoOf(() => vfs.stat('/nowhere/f'))).toBe(-Errno.ENOENT);
    expect(errnoOf(() => vfs.stat('relative'))).toBe(-Errno.EINVAL);
    expect(errnoOf(() => vfs.open('/lfs1/f', 0))).toBe(-Errno.EINVAL);
    expect(errnoOf(() => vfs.unlink('/lfs1'))).toBe(-Errno.EINVAL);
    expect(errnoOf(() => vfs.rename('/lfs1/f', '/lfs1/d'))).toBe(-Errno.EISDIR);
    const long = 'n'.repeat(256);
    const e = (() => {
      try {
        vfs.open(`/lfs1/${long}`, W);
      } catch (err) {
        return err as FsError;
      }
    })();
    expect(e?.errno).toBe(-Errno.ENAMETOOLONG);
    expect(e?.message).toMatch(/256 bytes, at most 255/);
    writeFile(vfs, `/lfs1/${'n'.repeat(255)}`, text('ok'));
    const r = vfs.open('/lfs1/f', FS_O_READ);
    expect(errnoOf(() => r.write(text('no')))).toBe(-Errno.EBADF);
    r.close();
    expect(errnoOf(() => r.read(1))).toBe(-Errno.EBADF);
    const msg = (() => {
      try {
        vfs.open('/lfs1/missing', FS_O_READ);
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(msg).toBe('/lfs1/missing: no such file or directory (-ENOENT, -2)');
  });

  it('keeps everything across a remount, open files included once synced', () => {
    const area = storageArea('nrf52840dk');
    const vfs = vfsOn(area);
    const f = vfs.open('/lfs1/log', W);
    f.write(bytes(5000, 9));
    f.sync();
    f.write(bytes(100, 10));
    // Not synced: a remount now sees the synced 5000 bytes.
    const other = new Vfs();
    other.mount('/lfs1', mountLittlefs(area, '/lfs1'));
    expect(readFile(other, '/lfs1/log')).toEqual(bytes(5000, 9));
    f.close();
    const third = new Vfs();
    third.mount('/lfs1', mountLittlefs(area, '/lfs1'));
    expect(readFile(third, '/lfs1/log')).toEqual(new Uint8Array([...bytes(5000, 9), ...bytes(100, 10)]));
  });
});

describe('metadata pairs and space', () => {
  it('a commit whose CRC does not match is ignored: the pair reads as of the commit before', () => {
    const area = storageArea('nrf52840dk');
    const vfs = vfsOn(area);
    writeFile(vfs, '/lfs1/s', text('version one'), W | FS_O_TRUNC);
    const bd = mountLittlefs(area, '/lfs1').lfs.bd;
    const before = fetchPair(bd, [0, 1]);
    writeFile(vfs, '/lfs1/s', text('version two'), W | FS_O_TRUNC);
    const after = fetchPair(bd, [0, 1]);
    expect(after.pair[0]).toBe(before.pair[0]); // appended, not compacted
    // Flip a bit inside the new commit's data, as a failing cell would.
    const at = after.pair[0] * 4096 + before.off + 8;
    const byte = area.peek(at, 1)[0]!;
    area.flash.load(new Uint8Array([byte ^ 0x01]), area.offset + at);
    const again = new Vfs();
    again.mount('/lfs1', mountLittlefs(area, '/lfs1', { formatIfNeeded: false }));
    expect(new TextDecoder().decode(readFile(again, '/lfs1/s'))).toBe('version one');
  });

  it('compacts and splits the root pair when many files are made, and keeps them all', () => {
    const area = storageArea('nrf52840dk');
    const vfs = vfsOn(area);
    const names = Array.from({ length: 90 }, (_, i) => `settings-entry-${String(i).padStart(3, '0')}`);
    for (const [i, n] of names.entries()) writeFile(vfs, `/lfs1/${n}`, bytes(20, i));
    for (const n of names.slice(0, 30)) vfs.unlink(`/lfs1/${n}`);
    const root = fetchPair(mountLittlefs(area, '/lfs1').lfs.bd, [0, 1]);
    expect(root.split).toBe(true); // the root directory now spans more than one pair
    expect(root.rev).toBeGreaterThan(2); // and was compacted
    const again = new Vfs();
    again.mount('/lfs1', mountLittlefs(area, '/lfs1'));
    const listed = again.readdir('/lfs1').map((e) => e.name);
    expect(listed.sort()).toEqual(names.slice(30).sort());
    for (const [i, n] of names.entries())
      if (i >= 30) expect(readFile(again, `/lfs1/${n}`)).toEqual(bytes(20, i));
  });

  it('moves a worn pair to a fresh block every (block_cycles+1)|1 compactions, re-pointing its parent', () => {
    // 1 KiB blocks, so pairs fill and compact often.
    const flash = new Flash({ sectors: Array(16).fill(1024), writeAlign: 4 });
    const area = smallArea(flash);
    const vfs = vfsOn(area, { blockCycles: 4 });
    vfs.mkdir('/lfs1/cfg');
    const seen = new Set<string>();
    const lfs = mountLittlefs(area, '/lfs1', { blockCycles: 4 }).lfs;
    const pairOfCfg = () => {
      const root = fetchPair(lfs.bd, [0, 1]);
      const e = root.entries.find((x) => new TextDecoder().decode(x.name) === 'cfg')!;
      return [...e.struct!.data].join(',');
    };
    for (let i = 0; i < 300; i++) {
      writeFile(vfs, `/lfs1/cfg/v${i % 3}`, bytes(60, i), W | FS_O_TRUNC);
      seen.add(pairOfCfg());
    }
    expect(seen.size).toBeGreaterThan(3); // the directory's pair moved several times
    const again = new Vfs();
    again.mount('/lfs1', mountLittlefs(area, '/lfs1', { blockCycles: 4, formatIfNeeded: false }));
    for (let i = 297; i < 300; i++) expect(readFile(again, `/lfs1/cfg/v${i % 3}`)).toEqual(bytes(60, i));
    expect(again.readdir('/lfs1/cfg').map((e) => e.name)).toEqual(['v0', 'v1', 'v2']);
    expect(again.statvfs('/lfs1').bfree).toBe(16 - 4); // root and cfg pairs only: nothing leaked
  });

  it('a write cut short by -ENOSPC is not committed by close: the file keeps what it had', () => {
    const vfs = vfsOn(storageArea('nrf52840dk'));
    vfs.mkdir('/lfs1/d');
    writeFile(vfs, '/lfs1/a', bytes(4097, 1)); // 2 blocks; root and d take 4, 2 are left
    const f = vfs.open('/lfs1/a', W | FS_O_TRUNC);
    // 8189 bytes need 3 blocks: the last byte does not fit (lfs_file_rawwrite sets LFS_F_ERRED).
    expect(errnoOf(() => f.write(bytes(8189, 2)))).toBe(-Errno.ENOSPC);
    f.close();
    expect(readFile(vfs, '/lfs1/a')).toEqual(bytes(4097, 1));
  });

  it('says -ENOSPC when full, keeps what was there, and has room again after a delete', () => {
    const area = storageArea('nrf52840dk');
    const vfs = vfsOn(area);
    writeFile(vfs, '/lfs1/keep', bytes(3000, 1));
    const f = vfs.open('/lfs1/fill', W);
    let written = 0;
    const err = errnoOf(() => {
      for (;;) {
        f.write(bytes(1024, written));
        written += 1024;
      }
    });
    expect(err).toBe(-Errno.ENOSPC);
    expect(written).toBeGreaterThan(8000);
    const again = new Vfs();
    again.mount('/lfs1', mountLittlefs(area, '/lfs1'));
    expect(readFile(again, '/lfs1/keep')).toEqual(bytes(3000, 1));
    expect(again.stat('/lfs1/fill').size).toBe(0); // never synced
    again.unlink('/lfs1/keep');
    writeFile(again, '/lfs1/new', bytes(6000, 3));
    expect(readFile(again, '/lfs1/new')).toEqual(bytes(6000, 3));
  });
});
