/**
 * `zdfu fs …` against the virtual device (`zdfu sim --fast`, nrf52840dk: LittleFS on its 32 KiB
 * storage partition at /lfs1) over serial (the PTY) and UDP: every command's text and --json
 * output, the local-file rules of download, and the errors users meet.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../../src/device/io/sim-host.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';
import { useSimWorkspace } from '../../helpers/sim-workspace.ts';

const ws = useSimWorkspace('zdfu-fs-cli-');

type Link = 'serial' | 'udp';

function connection(link: Link): string[] {
  const sim = ws.sim;
  if (!sim) throw new Error('no sim');
  return link === 'udp'
    ? ['--conntype', 'udp', '--connstring', `127.0.0.1:${sim.udp?.port}`]
    : ['--conntype', 'serial', '--connstring', `dev=${sim.ptyPath},baud=115200`];
}

function zdfu(link: Link, ...args: string[]) {
  return runZdfu([...connection(link), ...args], { ZDFU_HOME: ws.dir });
}

async function sim(): Promise<void> {
  ws.sim = await startSim({ board: 'nrf52840dk', udp: '127.0.0.1:0', baud: 0, flashTimeScale: 0 });
}

function randomish(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe.each<Link>(['serial', 'udp'])('zdfu fs over %s', (link) => {
  it('uploads, shows status and hashes, downloads the same bytes, lists the types, closes', async () => {
    await sim();
    const data = randomish(6000, link === 'udp' ? 7 : 11);
    const local = join(ws.dir, 'data.bin');
    writeFileSync(local, data);

    const up = await zdfu(link, 'fs', 'upload', local, '/lfs1/data.bin');
    expect(up).toMatchObject({ code: 0 });
    expect(up.out).toMatch(
      /^Uploaded .*data\.bin to \/lfs1\/data\.bin: 6000 bytes in [\d.]+ s \(.+\)\nDone\n$/,
    );

    expect((await zdfu(link, 'fs', 'status', '/lfs1/data.bin')).out).toBe('/lfs1/data.bin: 6000 bytes\n');
    const crc = (crc32(data) >>> 0).toString(16).padStart(8, '0');
    expect((await zdfu(link, 'fs', 'hash', '/lfs1/data.bin')).out).toBe(
      `crc32 of /lfs1/data.bin (6000 bytes): 0x${crc}\n`,
    );
    const sha = createHash('sha256').update(data).digest('hex');
    expect((await zdfu(link, 'fs', 'hash', '/lfs1/data.bin', '--type', 'sha256')).out).toBe(
      `sha256 of /lfs1/data.bin (6000 bytes): ${sha}\n`,
    );
    const part = createHash('sha256').update(data.subarray(1000, 1500)).digest('hex');
    const ranged = await zdfu(
      link,
      '--json',
      'fs',
      'hash',
      '/lfs1/data.bin',
      '--type',
      'sha256',
      '--offset',
      '1000',
      '--length',
      '500',
    );
    expect(JSON.parse(ranged.out)).toEqual({
      name: '/lfs1/data.bin',
      type: 'sha256',
      off: 1000,
      len: 500,
      output: part,
    });

    const back = join(ws.dir, 'back.bin');
    const down = await zdfu(link, 'fs', 'download', '/lfs1/data.bin', back);
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/^Downloaded \/lfs1\/data\.bin to .*back\.bin: 6000 bytes in /);
    expect(new Uint8Array(readFileSync(back))).toEqual(data);

    const types = await zdfu(link, 'fs', 'types');
    expect(types.out).toBe(
      'Hash/checksum types:\n  crc32    checksum (number), 4 bytes\n  sha256   hash (byte string), 32 bytes\n',
    );
    expect(JSON.parse((await zdfu(link, '--json', 'fs', 'types')).out)).toEqual({
      types: { crc32: { format: 0, size: 4 }, sha256: { format: 1, size: 32 } },
    });
    expect(await zdfu(link, 'fs', 'close')).toMatchObject({ code: 0, out: 'Done\n' });
    expect(JSON.parse((await zdfu(link, '--json', 'fs', 'status', '/lfs1/data.bin')).out)).toEqual({
      name: '/lfs1/data.bin',
      len: 6000,
    });
  }, 60_000);

  it('download never replaces a local file unless --force, and a failed one leaves nothing behind', async () => {
    await sim();
    const local = join(ws.dir, 'up.txt');
    writeFileSync(local, 'from the device\n');
    expect((await zdfu(link, 'fs', 'upload', local, '/lfs1/up.txt')).code).toBe(0);

    const kept = join(ws.dir, 'kept.txt');
    writeFileSync(kept, 'mine\n');
    const refused = await zdfu(link, 'fs', 'download', '/lfs1/up.txt', kept);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${kept} already exists; pass --force to replace it.`);
    expect(readFileSync(kept, 'utf8')).toBe('mine\n');
    expect((await zdfu(link, 'fs', 'download', '--force', '/lfs1/up.txt', kept)).code).toBe(0);
    expect(readFileSync(kept, 'utf8')).toBe('from the device\n');

    // Into a directory: saved under the device file's name.
    const dir = join(ws.dir, 'into');
    mkdirSync(dir);
    expect((await zdfu(link, 'fs', 'download', '/lfs1/up.txt', dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'up.txt'), 'utf8')).toBe('from the device\n');

    const missing = await zdfu(link, 'fs', 'download', '/lfs1/none.txt', join(dir, 'none.txt'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('file not found (FILE_NOT_FOUND, group 8 rc 3)');
    expect(readdirSync(dir)).toEqual(['up.txt']);
  }, 60_000);

  it('says what is wrong: paths outside the file system, too long, relative; missing files, directories, offsets past the end, unknown types', async () => {
    await sim();
    const local = join(ws.dir, 'small.bin');
    writeFileSync(local, randomish(100, 3));
    expect((await zdfu(link, 'fs', 'upload', local, '/lfs1/small.bin')).code).toBe(0);

    const outside = await zdfu(link, 'fs', 'upload', local, '/sd/small.bin');
    expect(outside.code).toBe(2);
    expect(outside.err).toContain('mount point not found (MOUNT_POINT_NOT_FOUND, group 8 rc 14)');
    expect(outside.err).toContain('smp_svr mounts LittleFS at /lfs1');

    const long = `/lfs1/${'n'.repeat(70)}`;
    const tooLong = await zdfu(link, 'fs', 'status', long);
    expect(tooLong.code).toBe(2);
    expect(tooLong.err).toContain('(MGMT_ERR_EINVAL, rc 3)');
    expect(tooLong.err).toContain(
      "The path is 76 bytes; Zephyr's fs_mgmt takes at most CONFIG_MCUMGR_GRP_FS_PATH_LEN bytes (64",
    );

    const relative = await zdfu(link, 'fs', 'status', 'lfs1/small.bin');
    expect(relative.code).toBe(1);
    expect(relative.err).toContain('is not absolute');

    const cases: Array<[string[], string]> = [
      [['fs', 'status', '/lfs1/nothing'], 'file not found (FILE_NOT_FOUND, group 8 rc 3)'],
      [['fs', 'status', '/lfs1'], 'path is a directory (FILE_IS_DIRECTORY, group 8 rc 4)'],
      [['fs', 'hash', '/lfs1/small.bin', '--offset', '100'], '(FILE_OFFSET_LARGER_THAN_FILE, group 8 rc 12)'],
      [['fs', 'hash', '/lfs1/small.bin', '--type', 'md5'], '(CHECKSUM_HASH_NOT_FOUND, group 8 rc 13)'],
    ];
    for (const [args, words] of cases) {
      const run = await zdfu(link, ...args);
      expect({ args, code: run.code, has: run.err.includes(words) }).toEqual({ args, code: 2, has: true });
    }
    const json = JSON.parse((await zdfu(link, '--json', 'fs', 'status', '/lfs1/nothing')).out) as {
      error: { name: string; groupRc: number };
    };
    expect(json.error).toMatchObject({ name: 'FILE_NOT_FOUND', groupRc: 3 });

    const badLength = await zdfu(link, 'fs', 'hash', '/lfs1/small.bin', '--length', '0');
    expect(badLength.code).toBe(1);
    expect(badLength.err).toContain('The length must be at least 1');
  }, 60_000);
});

describe('zdfu fs on the virtual device', () => {
  it('a full file system fails the upload with FILE_WRITE_FAILED', async () => {
    await sim();
    const local = join(ws.dir, 'big.bin');
    writeFileSync(local, randomish(48 * 1024, 5));
    const run = await zdfu('udp', 'fs', 'upload', local, '/lfs1/big.bin');
    expect(run.code).toBe(2);
    expect(run.err).toContain('file write failed (FILE_WRITE_FAILED, group 8 rc 10)');
  }, 60_000);

  it("downloads the app's log file /lfs1/log.0000", async () => {
    await sim();
    const local = join(ws.dir, 'log.txt');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const run = await zdfu('udp', 'fs', 'download', '--force', '/lfs1/log.0000', local);
      if (run.code === 0 && readFileSync(local, 'utf8').includes('/lfs1 mounted')) break;
      if (Date.now() > deadline) throw new Error(`no log file: ${run.err}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const text = readFileSync(local, 'utf8');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3},\d{3}\] <inf> app: blinky: LED0 at 1 Hz\r\n/m);
    expect(text).toContain('<inf> littlefs: /lfs1 mounted\r\n');
    expect(existsSync(local)).toBe(true);
  }, 60_000);
});
