/**
 * The file-system group (8) against the real peers that speak it: smpmgr (its `file` commands),
 * smpclient (its Python API, test/interop/py/smpclient_ops.py) and mcumgr-toolkit (its Python
 * API, test/interop/py/toolkit_ops.py), over the PTY and UDP of a virtual nrf52840dk (LittleFS
 * at /lfs1 on its storage partition). Each peer uploads a file, reads its size and hashes, and
 * downloads it again; the assertions are on the peer's own output.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InteropSim, smpclientOps, smpmgr, startInteropSim, toolkitOps } from './smp-harness.ts';

const LINKS = ['serial', 'udp'] as const;

function payload(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe.each(LINKS)('fs group with the peers over %s', (linkName) => {
  let sim: InteropSim;
  let dir: string;
  const link = () => sim[linkName];
  const data = payload(3000, linkName === 'udp' ? 5 : 9);
  const crc = crc32(data) >>> 0;
  const sha = createHash('sha256').update(data).digest('hex');

  beforeAll(async () => {
    sim = await startInteropSim(0, 'nrf52840dk');
    dir = mkdtempSync(join(tmpdir(), 'zdfu-interop-fs-'));
    writeFileSync(join(dir, 'local.bin'), data);
  });
  afterAll(async () => {
    await sim?.handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('smpmgr: file upload, read-size, get-hash, get-supported-hash-types, download', async () => {
    const local = join(dir, 'local.bin');
    await smpmgr(link(), ['file', 'upload', local, '/lfs1/smpmgr.bin']);
    expect(await smpmgr(link(), ['file', 'read-size', '/lfs1/smpmgr.bin'])).toMatch(/\b3000\s*$/);
    const hash = await smpmgr(link(), ['file', 'get-hash', '/lfs1/smpmgr.bin']);
    expect(hash).toContain("type='crc32'");
    expect(hash).toContain('len=3000');
    expect(hash).toContain(`output=${crc}`);
    const types = await smpmgr(link(), ['file', 'get-supported-hash-types']);
    expect(types).toMatch(
      /'crc32': HashChecksumType\(\s*format=<HashChecksumFormat\.NUMERICAL: 0>,\s*size=4/,
    );
    expect(types).toMatch(
      /'sha256': HashChecksumType\(\s*format=<HashChecksumFormat\.BYTE_ARRAY: 1>,\s*size=32/,
    );
    const back = join(dir, 'smpmgr.out');
    await smpmgr(link(), ['file', 'download', '/lfs1/smpmgr.bin', back]);
    expect(new Uint8Array(readFileSync(back))).toEqual(data);
  });

  it('smpclient: upload_file, status, crc32 and sha256, supported types, download_file, close', async () => {
    const back = join(dir, 'smpclient.out');
    const results = await smpclientOps(link(), [
      'fs-upload',
      join(dir, 'local.bin'),
      '/lfs1/smpclient.bin',
      'fs-status',
      '/lfs1/smpclient.bin',
      'fs-hash',
      '/lfs1/smpclient.bin',
      'crc32',
      'fs-hash',
      '/lfs1/smpclient.bin',
      'sha256',
      'fs-types',
      'fs-download',
      '/lfs1/smpclient.bin',
      back,
      'fs-close',
    ]);
    expect(results).toEqual([
      expect.objectContaining({ op: 'fs-upload', size: 3000, final_off: 3000 }),
      { op: 'fs-status', len: 3000 },
      { op: 'fs-hash', type: 'crc32', off: null, len: 3000, output: crc },
      { op: 'fs-hash', type: 'sha256', off: null, len: 3000, output: sha },
      { op: 'fs-types', types: { crc32: { format: 0, size: 4 }, sha256: { format: 1, size: 32 } } },
      expect.objectContaining({ op: 'fs-download', size: 3000 }),
      { op: 'fs-close' },
    ]);
    expect(new Uint8Array(readFileSync(back))).toEqual(data);
  });

  it('smpclient sees fs errors as v2 group errors: FILE_NOT_FOUND, FILE_IS_DIRECTORY', async () => {
    // (smpclient checks the hash type itself, so an unknown one never reaches the device.)
    const [missing] = await smpclientOps(link(), ['fs-status', '/lfs1/none']);
    expect(missing).toMatchObject({ op: 'fs-status', group: 8, rc: 3 });
    const [directory] = await smpclientOps(link(), ['fs-status', '/lfs1']);
    expect(directory).toMatchObject({ op: 'fs-status', group: 8, rc: 4 });
  });

  it('mcumgr-toolkit: fs_file_upload, status, checksum, supported types, download, close', async () => {
    const back = join(dir, 'toolkit.out');
    const results = await toolkitOps(link(), [
      'fs-upload',
      join(dir, 'local.bin'),
      '/lfs1/toolkit.bin',
      'fs-status',
      '/lfs1/toolkit.bin',
      'fs-hash',
      '/lfs1/toolkit.bin',
      'crc32',
      'fs-hash',
      '/lfs1/toolkit.bin',
      'sha256',
      'fs-types',
      'fs-download',
      '/lfs1/toolkit.bin',
      back,
      'fs-close',
    ]);
    const crcBytes = crc.toString(16).padStart(8, '0');
    expect(results).toEqual([
      expect.objectContaining({ op: 'fs-upload', size: 3000 }),
      { op: 'fs-status', len: 3000 },
      {
        op: 'fs-hash',
        type: 'crc32',
        off: 0,
        len: 3000,
        output: expect.stringMatching(
          new RegExp(`^(${crcBytes}|${Buffer.from(crcBytes, 'hex').reverse().toString('hex')})$`),
        ),
      },
      { op: 'fs-hash', type: 'sha256', off: 0, len: 3000, output: sha },
      {
        op: 'fs-types',
        types: {
          crc32: { format: 'FileChecksumDataFormat.Numerical', size: 4 },
          sha256: { format: 'FileChecksumDataFormat.ByteArray', size: 32 },
        },
      },
      expect.objectContaining({ op: 'fs-download', size: 3000 }),
      { op: 'fs-close' },
    ]);
    expect(new Uint8Array(readFileSync(back))).toEqual(data);
  });

  it("each peer downloads the app's log file, /lfs1/log.0000", async () => {
    const out = join(dir, 'log.txt');
    const [result] = await toolkitOps(link(), ['fs-download', '/lfs1/log.0000', out]);
    expect(result).toMatchObject({ op: 'fs-download' });
    expect(readFileSync(out, 'utf8')).toMatch(/<inf> app: blinky: LED0 at 1 Hz\r\n/);
    const viaSmpclient = join(dir, 'log-smpclient.txt');
    await smpclientOps(link(), ['fs-download', '/lfs1/log.0000', viaSmpclient]);
    expect(readFileSync(viaSmpclient, 'utf8')).toContain('<inf> littlefs: /lfs1 mounted\r\n');
  });
});
