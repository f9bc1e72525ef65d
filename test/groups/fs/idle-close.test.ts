/**
 * fs_mgmt's automatic close (CONFIG_MCUMGR_GRP_FS_FILE_AUTOMATIC_IDLE_CLOSE_TIME, 4000 ms): an
 * upload left idle has its file closed (committed) after the idle time and not before; each chunk
 * restarts the wait; stopping the app drops the state without writing.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FsMgmt } from '../../../src/groups/fs/server.ts';
import { storageArea, vfsOn } from '../../device/fs/helpers.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setUp() {
  const vfs = vfsOn(storageArea('nrf52840dk'));
  return { vfs, mgmt: new FsMgmt({ fs: vfs, netbufSize: 384 }) };
}

const chunk = (n: number) => new Uint8Array(n).fill(0x5a);

describe('fs_mgmt idle close', () => {
  it('closes an idle upload after 4000 ms, and each chunk restarts the wait', () => {
    const { vfs, mgmt } = setUp();
    mgmt.upload({ name: '/lfs1/a.bin', off: 0, data: chunk(100), len: 1000 });
    vi.advanceTimersByTime(3000);
    mgmt.upload({ name: '/lfs1/a.bin', off: 100, data: chunk(100), len: undefined });
    vi.advanceTimersByTime(3999);
    expect(mgmt.openFile).toEqual({ path: '/lfs1/a.bin', direction: 'upload', off: 200 });
    expect(vfs.stat('/lfs1/a.bin').size).toBe(0);
    vi.advanceTimersByTime(1);
    expect(mgmt.openFile).toBeUndefined();
    expect(vfs.stat('/lfs1/a.bin').size).toBe(200);
  });

  it('closes at once when the upload reaches its length, and a download at the end of the file', () => {
    const { vfs, mgmt } = setUp();
    mgmt.upload({ name: '/lfs1/b.bin', off: 0, data: chunk(50), len: 50 });
    expect(mgmt.openFile).toBeUndefined();
    expect(vfs.stat('/lfs1/b.bin').size).toBe(50);
    const answer = mgmt.download({ name: '/lfs1/b.bin', off: 0 });
    expect(answer).toMatchObject({ off: 0, len: 50 });
    expect(mgmt.openFile).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stopping the app (a reset) drops the open upload without committing it', () => {
    const { vfs, mgmt } = setUp();
    mgmt.upload({ name: '/lfs1/c.bin', off: 0, data: chunk(100), len: 1000 });
    mgmt.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(mgmt.openFile).toBeUndefined();
    expect(vfs.stat('/lfs1/c.bin').size).toBe(0);
  });
});
