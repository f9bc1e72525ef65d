/**
 * The file-system log backend model (Zephyr subsys/logging/backends/log_backend_fs.c) on LittleFS
 * over the nrf52840dk's 32 KiB storage partition: file names, appending to the newest file after
 * a restart, rotation at CONFIG_LOG_BACKEND_FS_FILE_SIZE, deleting the oldest at
 * CONFIG_LOG_BACKEND_FS_FILES_LIMIT or when space runs short, nothing written with nothing mounted.
 */
import { describe, expect, it } from 'vitest';
import { createBoardFlash, getBoard } from '../../../src/device/boards/index.ts';
import type { Flash } from '../../../src/device/flash.ts';
import { Vfs } from '../../../src/device/fs/vfs.ts';
import { LogBackendFs } from '../../../src/device/server/log-backend-fs.ts';
import { readFile, storageArea, vfsOn } from '../../device/fs/helpers.ts';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function line(n: number, width = 60): string {
  return `[00:00:${String(n % 60).padStart(2, '0')}.000,000] <inf> app: ${'x'.repeat(width)} ${n}\r\n`;
}

function names(vfs: Vfs): string[] {
  return vfs
    .readdir('/lfs1')
    .map((entry) => entry.name)
    .filter((name) => name.startsWith('log.'))
    .sort();
}

function fresh(): { flash: Flash; vfs: Vfs } {
  const flash = createBoardFlash(getBoard('nrf52840dk'));
  return { flash, vfs: vfsOn(storageArea('nrf52840dk', flash)) };
}

describe('log_backend_fs model', () => {
  it('writes messages to /lfs1/log.0000 and syncs after each batch', async () => {
    const { vfs } = fresh();
    const backend = new LogBackendFs(vfs);
    backend.message(line(1));
    backend.message(line(2));
    await flush();
    expect(names(vfs)).toEqual(['log.0000']);
    expect(new TextDecoder().decode(readFile(vfs, '/lfs1/log.0000'))).toBe(line(1) + line(2));
  });

  it('starts log.0001 when a message would take log.0000 past the file size, and appends to the newest after a restart', async () => {
    const { flash, vfs } = fresh();
    const backend = new LogBackendFs(vfs, { fileSize: 512 });
    for (let i = 0; i < 10; i++) backend.message(line(i));
    await flush();
    expect(names(vfs)).toEqual(['log.0000', 'log.0001']);
    const first = readFile(vfs, '/lfs1/log.0000').length;
    expect(first).toBeLessThanOrEqual(512);
    expect(first + line(0).length).toBeGreaterThan(512);
    backend.stop();

    // A reset: the file system mounts again, a new backend finds log.0001 and appends there.
    const again = vfsOn(storageArea('nrf52840dk', flash));
    const before = readFile(again, '/lfs1/log.0001').length;
    const next = new LogBackendFs(again, { fileSize: 512 });
    next.message(line(99, 10));
    await flush();
    expect(names(again)).toEqual(['log.0000', 'log.0001']);
    expect(readFile(again, '/lfs1/log.0001').length).toBe(before + line(99, 10).length);
  });

  it('keeps at most CONFIG_LOG_BACKEND_FS_FILES_LIMIT files, deleting the oldest', async () => {
    const { vfs } = fresh();
    const backend = new LogBackendFs(vfs, { fileSize: 256, filesLimit: 3 });
    for (let i = 0; i < 40; i++) backend.message(line(i));
    await flush();
    const files = names(vfs);
    expect(files).toHaveLength(3);
    const numbers = files.map((name) => Number(name.slice(4)));
    expect(numbers[2]! - numbers[0]!).toBe(2);
    // The newest file holds the last message.
    expect(new TextDecoder().decode(readFile(vfs, `/lfs1/${files[2]}`))).toContain(line(39));
  });

  it('deletes the oldest file when no more than a file of space is free', async () => {
    const { vfs } = fresh();
    // 4 KiB files on a 32 KiB (8-block) partition: space runs out before 10 files.
    const backend = new LogBackendFs(vfs);
    for (let i = 0; i < 400; i++) backend.message(line(i));
    await flush();
    const files = names(vfs);
    expect(files.length).toBeLessThan(10);
    expect(files[0]).not.toBe('log.0000');
    const stat = vfs.statvfs('/lfs1');
    expect(stat.bfree).toBeGreaterThanOrEqual(1);
  });

  it('writes nothing while no file system is mounted at the log directory', async () => {
    const vfs = new Vfs();
    const backend = new LogBackendFs(vfs);
    backend.message(line(1));
    await flush();
    expect(vfs.readdir('/')).toEqual([]);
  });
});
