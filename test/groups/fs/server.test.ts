/**
 * The fs group (8) of the virtual device against Zephyr v3.5.0's fs_mgmt.c, over the in-memory
 * link: each command's answers, its error paths (v2 group errors and their v1 translation) and
 * bad input, on LittleFS mounted at /lfs1 from the board's storage partition.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { closeFile, fileHash, fileSize, formatHashOutput, hashTypes } from '../../../src/groups/fs/client.ts';
import { downloadChunkSize } from '../../../src/groups/fs/config.ts';
import { fileDownload, fileUpload } from '../../../src/groups/fs/models.ts';
import { MgmtErr, SmpError } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { createMemoryLink } from '../../../src/transport/memory.ts';
import { crc32 } from '../../../src/util/crc32.ts';
import { type BootedDevice, bootDevice } from '../../device/server/fixtures.ts';

let booted: BootedDevice | undefined;
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

const BOARD = 'nrf52840dk';

function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

async function failure(promise: Promise<unknown>): Promise<SmpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

/** Uploads with raw fs upload requests, as mcumgr does: chunk after chunk at the device's offset. */
async function rawUpload(client: DeviceClient, name: string, data: Uint8Array, chunk = 200): Promise<void> {
  let off = 0;
  do {
    const piece = data.subarray(off, off + chunk);
    const body = off === 0 ? { name, off, data: piece, len: data.length } : { name, off, data: piece };
    off = (await client.smp.request(fileUpload, body)).off;
  } while (off < data.length);
}

async function rawDownload(
  client: DeviceClient,
  name: string,
): Promise<{ data: Uint8Array; chunks: number[] }> {
  const first = await client.smp.request(fileDownload, { name, off: 0 });
  const total = first.len ?? 0;
  const parts = [first.data];
  const chunks = [first.data.length];
  let off = first.data.length;
  while (off < total) {
    const next = await client.smp.request(fileDownload, { name, off });
    parts.push(next.data);
    chunks.push(next.data.length);
    off += next.data.length;
  }
  const data = new Uint8Array(off);
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return { data, chunks };
}

/** A second client on the same device speaking SMP v1 only. */
function v1Client(device: BootedDevice): DeviceClient {
  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
  deviceEnd.onPacket((packet) => {
    void device.device.handleDatagram(packet).then(async (responses) => {
      for (const response of responses) await deviceEnd.send(response);
    });
  });
  return new DeviceClient(clientEnd, { timeoutMs: 2000, retries: 0, version: 1 });
}

describe('fs group (Zephyr fs_mgmt) on LittleFS at /lfs1', () => {
  it('uploads a file, then reports its status, crc32 and sha256, and downloads it in buffer-sized chunks', async () => {
    booted = await bootDevice({ board: BOARD });
    const { client } = booted;
    const data = pattern(1500);
    await rawUpload(client, '/lfs1/data.bin', data);
    expect(await fileSize(client.smp, '/lfs1/data.bin')).toBe(1500);

    const crc = await fileHash(client.smp, '/lfs1/data.bin');
    expect(crc).toEqual({ name: '/lfs1/data.bin', type: 'crc32', off: 0, len: 1500, output: crc32(data) });
    const sha = await fileHash(client.smp, '/lfs1/data.bin', { type: 'sha256' });
    expect(formatHashOutput(sha.output)).toBe(createHash('sha256').update(data).digest('hex'));

    const { data: back, chunks } = await rawDownload(client, '/lfs1/data.bin');
    expect(back).toEqual(data);
    // smp_svr's serial build: 384-byte buffers, so 340-byte chunks (fs_mgmt_config.h).
    const chunk = downloadChunkSize(384);
    expect(chunk).toBe(340);
    expect(chunks).toEqual([340, 340, 340, 340, 140]);
  });

  it('hashes a range: off and len, with off echoed only when not 0', async () => {
    booted = await bootDevice({ board: BOARD });
    const data = pattern(1000, 3);
    await rawUpload(booted.client, '/lfs1/r.bin', data);
    const part = await fileHash(booted.client.smp, '/lfs1/r.bin', { off: 100, len: 300 });
    expect(part).toMatchObject({ type: 'crc32', off: 100, len: 300, output: crc32(data.subarray(100, 400)) });
    // A len past the end covers the rest.
    const rest = await fileHash(booted.client.smp, '/lfs1/r.bin', { type: 'sha256', off: 900, len: 5000 });
    expect(rest.len).toBe(100);
    expect(formatHashOutput(rest.output)).toBe(createHash('sha256').update(data.subarray(900)).digest('hex'));
  });

  it('lists crc32 and sha256 as the supported types, in registration order', async () => {
    booted = await bootDevice({ board: BOARD });
    const types = await hashTypes(booted.client.smp);
    expect(Object.entries(types)).toEqual([
      ['crc32', { format: 0, size: 4 }],
      ['sha256', { format: 1, size: 32 }],
    ]);
  });

  it('answers the errors of fs_mgmt.c in v2 form and their translation in v1', async () => {
    booted = await bootDevice({ board: BOARD });
    const { client } = booted;
    await rawUpload(client, '/lfs1/f.bin', pattern(10));
    const empty = new Uint8Array(0);
    // The upload opens the file with FS_O_CREATE, so an empty one needs a zero-length upload.
    await client.smp.request(fileUpload, { name: '/lfs1/empty', off: 0, data: empty, len: 0 });
    await closeFile(client.smp);
    const cases: Array<[string, () => Promise<unknown>, string, number]> = [
      ['missing file (status)', () => fileSize(client.smp, '/lfs1/nope'), 'FILE_NOT_FOUND', MgmtErr.ENOENT],
      [
        'outside every mount point (status)',
        () => fileSize(client.smp, '/data/x'),
        'FILE_NOT_FOUND',
        MgmtErr.ENOENT,
      ],
      ['a directory (status)', () => fileSize(client.smp, '/lfs1'), 'FILE_IS_DIRECTORY', MgmtErr.EUNKNOWN],
      [
        'not absolute (status)',
        () => fileSize(client.smp, 'lfs1/f.bin'),
        'FILE_INVALID_NAME',
        MgmtErr.EINVAL,
      ],
      [
        'outside every mount point (upload)',
        () => client.smp.request(fileUpload, { name: '/data/x', off: 0, data: pattern(4), len: 4 }),
        'MOUNT_POINT_NOT_FOUND',
        MgmtErr.ENOENT,
      ],
      [
        'missing file (download)',
        () => client.smp.request(fileDownload, { name: '/lfs1/nope', off: 0 }),
        'FILE_NOT_FOUND',
        MgmtErr.ENOENT,
      ],
      [
        'unsupported hash type',
        () => fileHash(client.smp, '/lfs1/f.bin', { type: 'md5' }),
        'CHECKSUM_HASH_NOT_FOUND',
        MgmtErr.EINVAL,
      ],
      [
        'hash past the end',
        () => fileHash(client.smp, '/lfs1/f.bin', { off: 10 }),
        'FILE_OFFSET_LARGER_THAN_FILE',
        MgmtErr.EUNKNOWN,
      ],
      ['hash of an empty file', () => fileHash(client.smp, '/lfs1/empty'), 'FILE_EMPTY', MgmtErr.EUNKNOWN],
    ];
    for (const [what, promise, code] of cases) {
      const error = await failure(promise());
      expect({ what, group: error.group, code: error.codeName }).toEqual({ what, group: SmpGroup.Fs, code });
    }
    const v1 = v1Client(booted);
    try {
      const v1Cases: Array<[string, () => Promise<unknown>, number]> = [
        ['missing file', () => fileSize(v1.smp, '/lfs1/nope'), MgmtErr.ENOENT],
        ['directory', () => fileSize(v1.smp, '/lfs1'), MgmtErr.EUNKNOWN],
        [
          'mount point',
          () => v1.smp.request(fileUpload, { name: '/x/y', off: 0, data: empty, len: 0 }),
          MgmtErr.ENOENT,
        ],
        ['hash type', () => fileHash(v1.smp, '/lfs1/f.bin', { type: 'md5' }), MgmtErr.EINVAL],
        ['name', () => fileSize(v1.smp, 'f.bin'), MgmtErr.EINVAL],
      ];
      for (const [what, promise, rc] of v1Cases) {
        const error = await failure(promise());
        expect({ what, group: error.group, rc: error.rc }).toEqual({ what, group: undefined, rc });
      }
    } finally {
      await v1.close();
    }
  });

  it('refuses bad input with EINVAL: names over CONFIG_MCUMGR_GRP_FS_PATH_LEN, empty names, no len at off 0, len 0, long types', async () => {
    booted = await bootDevice({ board: BOARD });
    const { smp } = booted.client;
    const long = `/lfs1/${'a'.repeat(59)}`; // 65 bytes
    const fits = `/lfs1/${'a'.repeat(58)}`; // 64 bytes
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['65-byte name (status)', () => fileSize(smp, long)],
      [
        '65-byte name (upload)',
        () => smp.request(fileUpload, { name: long, off: 0, data: pattern(1), len: 1 }),
      ],
      ['65-byte name (download)', () => smp.request(fileDownload, { name: long, off: 0 })],
      ['65-byte name (hash)', () => fileHash(smp, long)],
      ['empty name', () => fileSize(smp, '')],
      ['upload at 0 without len', () => smp.request(fileUpload, { name: fits, off: 0, data: pattern(1) })],
      ['hash over 0 bytes', () => fileHash(smp, fits, { len: 0 })],
      ['9-byte type', () => fileHash(smp, fits, { type: 'sha256xyz' })],
    ];
    for (const [what, promise] of cases) {
      const error = await failure(promise());
      expect({ what, group: error.group, rc: error.rc }).toEqual({
        what,
        group: undefined,
        rc: MgmtErr.EINVAL,
      });
    }
    // 64 bytes is allowed (and LittleFS takes the name).
    await smp.request(fileUpload, { name: fits, off: 0, data: pattern(3), len: 3 });
    expect(await fileSize(smp, fits)).toBe(3);
  });

  it('answers an upload chunk at the wrong offset with FILE_OFFSET_NOT_VALID and the expected offset as len', async () => {
    booted = await bootDevice({ board: BOARD });
    const { smp } = booted.client;
    await smp.request(fileUpload, { name: '/lfs1/o.bin', off: 0, data: pattern(100), len: 300 });
    const error = await failure(
      smp.request(fileUpload, { name: '/lfs1/o.bin', off: 150, data: pattern(50) }),
    );
    expect(error.codeName).toBe('FILE_OFFSET_NOT_VALID');
    expect(error.detail).toMatchObject({ kind: 'group', group: SmpGroup.Fs, groupRc: 11 });
    // The state is dropped and the file closed; a chunk at the file's size continues it.
    expect(await fileSize(smp, '/lfs1/o.bin')).toBe(100);
    expect((await smp.request(fileUpload, { name: '/lfs1/o.bin', off: 100, data: pattern(200) })).off).toBe(
      300,
    );
  });

  it('truncates an existing file when an upload starts over at offset 0', async () => {
    booted = await bootDevice({ board: BOARD });
    const { client } = booted;
    await rawUpload(client, '/lfs1/t.bin', pattern(900));
    await rawUpload(client, '/lfs1/t.bin', pattern(50, 9));
    expect((await rawDownload(client, '/lfs1/t.bin')).data).toEqual(pattern(50, 9));
  });

  it('downloads from an offset past the end as an empty chunk', async () => {
    booted = await bootDevice({ board: BOARD });
    const { smp } = booted.client;
    await rawUpload(booted.client, '/lfs1/p.bin', pattern(20));
    const answer = await smp.request(fileDownload, { name: '/lfs1/p.bin', off: 100 });
    expect(answer).toEqual({ off: 100, data: new Uint8Array(0) });
  });

  it('fails an upload that does not fit the file system with FILE_WRITE_FAILED', async () => {
    booted = await bootDevice({ board: BOARD });
    const { smp } = booted.client;
    // storage_partition is 32 KiB (8 blocks of 4 KiB): 40 KiB cannot fit.
    const total = 40 * 1024;
    const data = pattern(total);
    let off = 0;
    const error = await failure(
      (async () => {
        while (off < total) {
          const piece = data.subarray(off, off + 200);
          const body =
            off === 0
              ? { name: '/lfs1/big', off, data: piece, len: total }
              : { name: '/lfs1/big', off, data: piece };
          off = (await smp.request(fileUpload, body)).off;
        }
      })(),
    );
    expect(error.codeName).toBe('FILE_WRITE_FAILED');
    expect(off).toBeGreaterThan(8 * 1024);
  });

  it('keeps the file open between chunks and closes it on fs close, after the idle time, or at the end', async () => {
    booted = await bootDevice({ board: BOARD });
    const { smp } = booted.client;
    await smp.request(fileUpload, { name: '/lfs1/c.bin', off: 0, data: pattern(100), len: 1000 });
    // Not synced yet: another reader sees the file as created, empty.
    expect(await fileSize(smp, '/lfs1/c.bin')).toBe(0);
    await closeFile(smp);
    expect(await fileSize(smp, '/lfs1/c.bin')).toBe(100);
    // Without state, the next chunk must come at the file's size.
    expect((await smp.request(fileUpload, { name: '/lfs1/c.bin', off: 100, data: pattern(100) })).off).toBe(
      200,
    );
    await closeFile(smp);
    expect(await fileSize(smp, '/lfs1/c.bin')).toBe(200);
  });

  it('files survive a reset and a power cycle', async () => {
    booted = await bootDevice({ board: BOARD });
    const data = pattern(2500, 5);
    await rawUpload(booted.client, '/lfs1/keep.bin', data);
    await booted.reset();
    expect((await rawDownload(booted.client, '/lfs1/keep.bin')).data).toEqual(data);
    await booted.device.powerOff();
    await booted.device.powerOn();
    expect((await rawDownload(booted.client, '/lfs1/keep.bin')).data).toEqual(data);
  });

  it('a file left open by an upload is not committed by a reset (RAM only), and the file system still mounts', async () => {
    booted = await bootDevice({ board: BOARD });
    const { smp } = booted.client;
    await until(() => booted!.consoleLines.some((line) => line.includes('/lfs1 mounted')), 'the first mount');
    await smp.request(fileUpload, { name: '/lfs1/half.bin', off: 0, data: pattern(300), len: 3000 });
    await booted.reset();
    expect(await fileSize(smp, '/lfs1/half.bin')).toBe(0);
    // The mount found its file system: the second boot mounts without formatting.
    await until(
      () => booted!.consoleLines.filter((line) => line.includes('/lfs1 mounted')).length === 2,
      'the second mount',
    );
    const formats = booted.consoleLines.filter((line) => line.includes("can't mount"));
    expect(formats).toHaveLength(1);
  });

  it('a board whose storage cannot hold LittleFS runs without a file system: Zephyr logs the failed mount and fs answers from no mount point', async () => {
    booted = await bootDevice({ board: 'stm32f4_disco' });
    await booted.appStarted();
    await until(
      () => booted!.consoleLines.some((line) => line.includes('Error mounting littlefs')),
      'the mount error',
    );
    expect(booted.consoleLines.find((line) => line.includes('Error mounting littlefs'))).toMatch(
      /<err> smp_sample: Error mounting littlefs \[-22\]$/,
    );
    const { smp } = booted.client;
    expect((await failure(fileSize(smp, '/lfs1/log.0000'))).codeName).toBe('FILE_NOT_FOUND');
    const upload = smp.request(fileUpload, { name: '/lfs1/x', off: 0, data: pattern(1), len: 1 });
    expect((await failure(upload)).codeName).toBe('MOUNT_POINT_NOT_FOUND');
  });

  it('the app writes its log into /lfs1/log.0000 as it runs', async () => {
    booted = await bootDevice({ board: BOARD });
    await booted.appStarted();
    // The littlefs lines come through the deferred log thread (about a second).
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes('/lfs1 mounted')) {
      if (Date.now() > deadline) throw new Error(`no mount line in the log file:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      text = new TextDecoder().decode((await rawDownload(booted.client, '/lfs1/log.0000')).data);
    }
    expect(text).toMatch(/\] <inf> littlefs: \/lfs1 mounted\r\n/);
    expect(text).toMatch(/\] <inf> app: blinky: LED0 at \S+ Hz\r\n/);
    // printk lines are not log messages.
    expect(text).not.toContain('toggling');
  });

  it('download of a directory answers FILE_IS_DIRECTORY', async () => {
    booted = await bootDevice({ board: BOARD });
    const error = await failure(booted.client.smp.request(fileDownload, { name: '/lfs1', off: 0 }));
    expect(error.codeName).toBe('FILE_IS_DIRECTORY');
  });
});
