// The mount table (Zephyr subsys/fs/fs.c): the longest mount point that is a whole-component
// prefix of a path gets it, paths under no mount point are -ENOENT, rename across file systems is
// -EINVAL, '/' lists the mount points, and unmounting closes the file system's open files.
import { describe, expect, it } from 'vitest';
import { Flash } from '../../../src/device/flash.ts';
import { Errno, FS_O_CREATE, FS_O_READ, FS_O_WRITE } from '../../../src/device/fs/fs-api.ts';
import { mountLittlefs } from '../../../src/device/fs/littlefs-mount.ts';
import { Vfs } from '../../../src/device/fs/vfs.ts';
import { errnoOf, readFile, smallArea, storageArea, writeFile } from './helpers.ts';

const text = (s: string) => new TextEncoder().encode(s);

function twoMounts(): Vfs {
  const vfs = new Vfs();
  vfs.mount('/lfs', mountLittlefs(storageArea('nrf52840dk'), '/lfs'));
  vfs.mount(
    '/lfs1',
    mountLittlefs(smallArea(new Flash({ sectors: Array(4).fill(4096), writeAlign: 4 })), '/lfs1'),
  );
  return vfs;
}

describe('Vfs (fs_get_mnt_point and friends)', () => {
  it('sends each path to the mount whose point is a whole-component prefix', () => {
    const vfs = twoMounts();
    writeFile(vfs, '/lfs/a', text('on lfs'));
    writeFile(vfs, '/lfs1/a', text('on lfs1'));
    expect(new TextDecoder().decode(readFile(vfs, '/lfs/a'))).toBe('on lfs');
    expect(new TextDecoder().decode(readFile(vfs, '/lfs1/a'))).toBe('on lfs1');
    expect(vfs.statvfs('/lfs').blocks).toBe(8);
    expect(vfs.statvfs('/lfs1/a').blocks).toBe(4);
    expect(vfs.readdir('/')).toEqual([
      { type: 'dir', name: 'lfs', size: 0 },
      { type: 'dir', name: 'lfs1', size: 0 },
    ]);
    expect(vfs.mounts()).toEqual([
      { point: '/lfs', type: 'littlefs' },
      { point: '/lfs1', type: 'littlefs' },
    ]);
  });

  it('answers as Zephyr does outside mounts, across mounts and for bad mount points', () => {
    const vfs = twoMounts();
    writeFile(vfs, '/lfs/a', text('x'));
    expect(errnoOf(() => vfs.stat('/lfs2/a'))).toBe(-Errno.ENOENT);
    expect(errnoOf(() => vfs.stat('/lf'))).toBe(-Errno.ENOENT);
    expect(errnoOf(() => vfs.open('/', FS_O_READ))).toBe(-Errno.EINVAL);
    expect(errnoOf(() => vfs.rename('/lfs/a', '/lfs1/a'))).toBe(-Errno.EINVAL);
    expect(errnoOf(() => vfs.mount('/lfs', mountLittlefs(storageArea('nrf52840dk'), '/lfs')))).toBe(
      -Errno.EBUSY,
    );
    expect(errnoOf(() => vfs.mount('lfs3', mountLittlefs(storageArea('nrf52840dk'), '/lfs3')))).toBe(
      -Errno.EINVAL,
    );
    expect(errnoOf(() => vfs.unmount('/nope'))).toBe(-Errno.EINVAL);
  });

  it('unmounting ends the mount and its open files', () => {
    const vfs = twoMounts();
    const f = vfs.open('/lfs1/open', FS_O_CREATE | FS_O_WRITE);
    vfs.unmount('/lfs1');
    expect(errnoOf(() => f.write(text('late')))).toBe(-Errno.EBADF);
    expect(errnoOf(() => vfs.stat('/lfs1/open'))).toBe(-Errno.ENOENT);
    expect(vfs.mounts().map((m) => m.point)).toEqual(['/lfs']);
  });
});
