/**
 * The settings subsystem with Zephyr's file backend on a real LittleFS (the model of
 * settings_file.c + settings_line.c on the board's storage partition): the record format, duplicate
 * suppression, deletion records, compression at CONFIG_SETTINGS_FS_MAX_LINES, and what survives a
 * remount.
 */
import { describe, expect, it } from 'vitest';
import { createBoardFlashes, getBoard } from '../../../src/device/boards/index.ts';
import { FS_O_READ } from '../../../src/device/fs/fs-api.ts';
import { mountLittlefs } from '../../../src/device/fs/littlefs-mount.ts';
import { Vfs } from '../../../src/device/fs/vfs.ts';
import { partitionArea } from '../../../src/device/mcuboot/layout.ts';
import { SettingsFileStore } from '../../../src/device/settings/file-store.ts';
import { decodeRecords, encodeRecord } from '../../../src/device/settings/line.ts';
import { type SettingsHandler, SettingsSubsystem } from '../../../src/device/settings/settings.ts';

const text = (value: string) => new TextEncoder().encode(value);
const FILE = '/lfs1/settings/run';

function storage() {
  const board = getBoard('nrf52840dk');
  const area = partitionArea(board, createBoardFlashes(board), 'storage_partition');
  if (!area) throw new Error('nrf52840dk has no storage_partition');
  return area;
}

function mount(area: ReturnType<typeof storage>): Vfs {
  const vfs = new Vfs();
  vfs.mount('/lfs1', mountLittlefs(area, '/lfs1'));
  return vfs;
}

function fileBytes(vfs: Vfs): Uint8Array {
  const file = vfs.open(FILE, FS_O_READ);
  try {
    return file.read(1 << 16);
  } finally {
    file.close();
  }
}

/** A handler over a Map, as an app's variables. */
function mapHandler(
  name: string,
  values: Map<string, Uint8Array>,
  commits: { count: number },
): SettingsHandler {
  return {
    name,
    get: (key, maxLen) => (key !== undefined && values.has(key) ? values.get(key)!.subarray(0, maxLen) : -2),
    set: (key, value) => {
      if (key === undefined) return -2;
      values.set(key, value.slice());
      return 0;
    },
    commit: () => {
      commits.count++;
      return 0;
    },
    export: (save) => {
      for (const [key, value] of values) {
        const rc = save(`${name}/${key}`, value);
        if (rc !== 0) return rc;
      }
      return 0;
    },
  };
}

describe('settings records (settings_line.c with CONFIG_SETTINGS_ENCODE_LEN)', () => {
  it('a record is a little-endian 16-bit length, then name=value', () => {
    expect([...encodeRecord('a/b', text('xy'))]).toEqual([6, 0, 0x61, 0x2f, 0x62, 0x3d, 0x78, 0x79]);
    const both = new Uint8Array([...encodeRecord('a', text('1')), ...encodeRecord('a', new Uint8Array())]);
    expect(decodeRecords(both).map((r) => [r.name, r.value.length, r.offset])).toEqual([
      ['a', 1, 0],
      ['a', 0, 5],
    ]);
  });

  it('reading stops at erased bytes, a cut record or a record without a name', () => {
    const good = encodeRecord('k', text('v'));
    expect(decodeRecords(new Uint8Array([...good, 0, 0, 9]))).toHaveLength(1);
    expect(decodeRecords(new Uint8Array([...good, ...good.subarray(0, 4)]))).toHaveLength(1);
    expect(decodeRecords(new Uint8Array([...good, 2, 0, 0x3d, 0x31]))).toHaveLength(1);
  });
});

describe('settings file backend on LittleFS', () => {
  it('init makes the directory; save appends records; an unchanged value writes nothing', () => {
    const vfs = mount(storage());
    const store = new SettingsFileStore(vfs, { dir: '/lfs1/settings', file: FILE });
    expect(store.init()).toBe(0);
    expect(vfs.stat('/lfs1/settings').type).toBe('dir');
    expect(store.init()).toBe(0);
    expect(store.save('blinky/rate', text('4'))).toBe(0);
    expect(store.save('blinky/rate', text('4'))).toBe(0);
    expect(store.save('blinky/rate', text('5'))).toBe(0);
    expect(store.save('other', text('x'))).toBe(0);
    expect(store.save('other', new Uint8Array())).toBe(0);
    expect(store.save('other', new Uint8Array())).toBe(0);
    const records = decodeRecords(fileBytes(vfs)).map(
      (r) => `${r.name}=${new TextDecoder().decode(r.value)}`,
    );
    expect(records).toEqual(['blinky/rate=4', 'blinky/rate=5', 'other=x', 'other=']);
    const loaded: string[] = [];
    expect(store.load((name, value) => loaded.push(`${name}=${new TextDecoder().decode(value)}`))).toBe(0);
    expect(loaded).toEqual(['blinky/rate=5']);
  });

  it('at CONFIG_SETTINGS_FS_MAX_LINES the file is compressed to the live values plus the new one', () => {
    const vfs = mount(storage());
    const store = new SettingsFileStore(vfs, { dir: '/lfs1/settings', file: FILE, maxLines: 8 });
    store.init();
    for (let i = 0; i < 5; i++) expect(store.save('a', text(String(i)))).toBe(0);
    expect(store.save('c', text('gone'))).toBe(0);
    expect(store.save('c', new Uint8Array())).toBe(0);
    // 7 records: the next save (cf_lines + 1 >= cf_maxlines) compresses.
    expect(decodeRecords(fileBytes(vfs))).toHaveLength(7);
    expect(store.save('b', text('keep'))).toBe(0);
    const after = decodeRecords(fileBytes(vfs)).map((r) => `${r.name}=${new TextDecoder().decode(r.value)}`);
    expect(after).toEqual(['a=4', 'b=keep']);
    expect(vfs.readdir('/lfs1/settings').map((e) => e.name)).toEqual(['run']);
  });

  it('the subsystem saves through h_export, loads through h_set + h_commit, and a remount keeps the values', () => {
    const area = storage();
    const values = new Map<string, Uint8Array>();
    const commits = { count: 0 };
    const first = new SettingsFileStore(mount(area), { dir: '/lfs1/settings', file: FILE });
    // Without settings_subsys_init the directory is missing and nothing can be stored.
    const settings = new SettingsSubsystem(first);
    expect(settings.register(mapHandler('app', values, commits))).toBe(0);
    expect(settings.register(mapHandler('app', new Map(), commits))).toBe(-17);
    expect(settings.runtimeSet('app/x', text('1'))).toBe(0);
    expect(settings.runtimeSet('app/y', text('22'))).toBe(0);
    expect(settings.save()).toBe(-2);
    expect(first.init()).toBe(0);
    expect(settings.save()).toBe(0);
    expect(settings.delete('app/y')).toBe(0);

    // A fresh boot: new RAM, the same flash.
    const values2 = new Map<string, Uint8Array>();
    const commits2 = { count: 0 };
    const vfs = mount(area);
    const store = new SettingsFileStore(vfs, { dir: '/lfs1/settings', file: FILE });
    expect(store.init()).toBe(0);
    const rebooted = new SettingsSubsystem(store);
    rebooted.register(mapHandler('app', values2, commits2));
    expect(rebooted.load()).toBe(0);
    expect(commits2.count).toBe(1);
    expect([...values2.keys()]).toEqual(['x']);
    expect(rebooted.runtimeGet('app/x', 32)).toEqual(text('1'));
    expect(rebooted.runtimeGet('app/y', 32)).toBe(-2);
    expect(rebooted.runtimeGet('nope/y', 32)).toBe(-22);
  });

  it('without a backend: save and delete have no destination (-ENOENT); load only commits', () => {
    const commits = { count: 0 };
    const settings = new SettingsSubsystem(undefined);
    settings.register(mapHandler('app', new Map(), commits));
    expect(settings.save()).toBe(-2);
    expect(settings.delete('app/x')).toBe(-2);
    expect(settings.load()).toBe(0);
    expect(commits.count).toBe(1);
  });

  it('the longest registered subtree owns a key', () => {
    const settings = new SettingsSubsystem(undefined);
    const outer = new Map<string, Uint8Array>();
    const inner = new Map<string, Uint8Array>();
    settings.register(mapHandler('a', outer, { count: 0 }));
    settings.register(mapHandler('a/b', inner, { count: 0 }));
    expect(settings.runtimeSet('a/b/c', text('1'))).toBe(0);
    expect(settings.runtimeSet('a/x', text('2'))).toBe(0);
    expect([...inner.keys()]).toEqual(['c']);
    expect([...outer.keys()]).toEqual(['x']);
  });
});
