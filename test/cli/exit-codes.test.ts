/**
 * The documented exit-code scheme (0 ok, 1 local or usage problem, 2 the device said no, 3 no
 * answer; 130 after Ctrl-C), checked for error objects from every layer and for whole command
 * lines of every kind; and the JSON error document `--json` prints on stdout when one fails.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.ts';
import { errorDocument, exitCodeFor, faultFor } from '../../src/cli/program.ts';
import { runCli } from '../../src/cli/run.ts';
import { NotAnImageError, UploadError } from '../../src/client/upload.ts';
import { ImageFormatError, KeyError } from '../../src/image/errors.ts';
import { IntelHexError } from '../../src/image/hex.ts';
import { SmpError, SmpProtocolError, SmpTimeoutError } from '../../src/smp/errors.ts';
import { ConnStringError } from '../../src/transport/kinds/kind.ts';
import { buildTestImage, FakeSmpDevice } from '../client/fake-smp-device.ts';

const tooLarge = () => new SmpError({ kind: 'group', group: 1, groupRc: 30 }, { command: 'image upload' });
const timeout = () => new SmpTimeoutError('os echo', 20, 2, 7);
const abort = () => Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });

describe('exit codes of error objects', () => {
  const table: ReadonlyArray<readonly [string, () => unknown, number, string]> = [
    ['a CLI error (bad input)', () => new CliError('bad'), 1, 'local'],
    ['a CLI error that says it is a device fault', () => new CliError('x', { fault: 'device' }), 2, 'device'],
    ['a CLI error given exit code 3', () => new CliError('x', 3), 3, 'no-answer'],
    ['a bad connstring', () => new ConnStringError('bad', 'x'), 1, 'local'],
    [
      'a file that is not an image',
      () => new NotAnImageError(new ImageFormatError('magic', 'bad magic')),
      1,
      'local',
    ],
    ['a bad Intel HEX file', () => new IntelHexError('bad'), 1, 'local'],
    ['a bad key', () => new KeyError('bad'), 1, 'local'],
    ['an unclassified error', () => new Error('boom'), 1, 'local'],
    ['a thrown string', () => 'boom', 1, 'local'],
    ['a device error (rc)', () => new SmpError({ kind: 'rc', rc: 8 }), 2, 'device'],
    ['a device error (group rc)', tooLarge, 2, 'device'],
    ['a garbled answer', () => new SmpProtocolError('bad CBOR'), 2, 'device'],
    [
      'an upload failing on a device error',
      () => new UploadError('x', 0, { cause: tooLarge() }),
      2,
      'device',
    ],
    ['any error with fault device', () => Object.assign(new Error('x'), { fault: 'device' }), 2, 'device'],
    ['a timeout', timeout, 3, 'no-answer'],
    ['an upload failing on a timeout', () => new UploadError('x', 512, { cause: timeout() }), 3, 'no-answer'],
    [
      'any error with fault no-answer',
      () => Object.assign(new Error('x'), { fault: 'no-answer' }),
      3,
      'no-answer',
    ],
    ['Ctrl-C', abort, 130, 'local'],
  ];
  it.each(table)('%s', (_what, make, code, fault) => {
    const err = make();
    expect(exitCodeFor(err)).toBe(code);
    expect(faultFor(err)).toBe(fault);
    expect(errorDocument(err).error).toMatchObject({ exitCode: code, fault });
  });

  it('the JSON document carries the numbers an expert wants', () => {
    expect(errorDocument(new UploadError('Upload failed.', 512, { cause: tooLarge() }))).toEqual({
      error: {
        message: 'Upload failed.',
        exitCode: 2,
        fault: 'device',
        group: 1,
        groupName: 'image',
        groupRc: 30,
        name: 'INVALID_IMAGE_TOO_LARGE',
        command: 'image upload',
        offset: 512,
      },
    });
    expect(errorDocument(new SmpError({ kind: 'rc', rc: 8, reason: 'nope' })).error).toMatchObject({
      rc: 8,
      name: 'MGMT_ERR_ENOTSUP',
      reason: 'nope',
    });
    expect(errorDocument(timeout()).error).toMatchObject({ command: 'os echo', timeoutMs: 20, attempts: 2 });
  });
});

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zdfu-exit-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function zdfu(args: string[], device?: FakeSmpDevice): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { ZDFU_HOME: home },
    openTransport: async () => {
      if (device === undefined) throw new Error('no device in this test');
      return device.connect();
    },
  });
  return { code, out, err };
}

const udp = ['--conntype', 'udp', '--connstring', '127.0.0.1:1337'];

describe('exit codes of whole command lines', () => {
  const silent = () => Object.assign(new FakeSmpDevice(), { silent: true });
  interface Case {
    what: string;
    args: () => string[];
    code: number;
    device?: () => FakeSmpDevice;
  }
  const cases = (rows: ReadonlyArray<readonly [string, () => string[], number, (() => FakeSmpDevice)?]>) =>
    rows.map(
      ([what, args, code, device]): Case => (device ? { what, args, code, device } : { what, args, code }),
    );
  const table = cases([
    ['help', () => ['--help'], 0],
    ['version', () => ['--version'], 0],
    ['a command that works', () => [...udp, 'echo', 'hi'], 0, () => new FakeSmpDevice()],
    ['an unknown command', () => ['frobnicate'], 1],
    ['an unknown option', () => ['image', 'list', '--frob'], 1],
    ['a missing argument', () => ['image', 'test'], 1],
    ['a bad choice', () => ['--conntype', 'ble', 'echo', 'x'], 1],
    ['a bad global option value', () => ['-t', 'soon', 'echo', 'x'], 1],
    ['a command group without its command', () => ['image'], 1],
    ['no connection', () => ['echo', 'x'], 1],
    ['conn add without type', () => ['conn', 'add', 'x', 'connstring=h'], 1],
    ['conn delete of an unknown profile', () => ['conn', 'delete', 'nosuch'], 1],
    ['a malformed image hash', () => [...udp, 'image', 'test', 'zzzz'], 1, () => new FakeSmpDevice()],
    [
      'imgtool: sign a missing file',
      () => ['sign', '-H', '32', '-S', '4096', '-v', '1', join(home, 'no.bin'), join(home, 'o.bin')],
      1,
    ],
    ['imgtool: a missing required option', () => ['sign', join(home, 'a.bin'), join(home, 'o.bin')], 1],
    ['imgtool: verify a file that is not an image', () => ['verify', join(home, 'junk.bin')], 1],
    [
      'imgtool: keygen into a missing folder',
      () => ['keygen', '-k', join(home, 'no', 'k.pem'), '-t', 'ed25519'],
      1,
    ],
    ['the device says no', () => [...udp, 'stat', 'nosuch'], 2, () => new FakeSmpDevice()],
    [
      'the device refuses an upload',
      () => [...udp, 'image', 'upload', join(home, 'big.bin')],
      2,
      () => new FakeSmpDevice({ mtu: 256, slotSize: 1024 }),
    ],
    ['the device does not answer', () => [...udp, '-t', '0.02', '-r', '1', 'echo', 'hi'], 3, silent],
  ]);
  it.each(table)('$what → $code', async ({ args, code, device }) => {
    writeFileSync(join(home, 'junk.bin'), new Uint8Array(100).fill(7));
    writeFileSync(join(home, 'big.bin'), buildTestImage(2000));
    const run = await zdfu(args(), device?.());
    expect(run.code).toBe(code);
    if (code !== 0) {
      // One sentence on stderr (commander's own words for usage errors), no stack trace.
      expect(run.err).not.toContain('    at ');
      expect(run.err.trim()).not.toBe('');
    }
  });

  it('an unbuilt checkout exits 1 and says to build it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-unbuilt-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(new URL('../../bin/zdfu.mjs', import.meta.url), join(dir, 'bin', 'zdfu.mjs'));
      const run = spawnSync(process.execPath, [join(dir, 'bin', 'zdfu.mjs'), '--json', 'image', 'list'], {
        encoding: 'utf8',
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /^Error: The zdfu CLI is not built .*run `npm run build` \(or `npm install`/,
      );
      expect(JSON.parse(run.stdout)).toMatchObject({ error: { exitCode: 1, fault: 'local' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--json when a command fails: one JSON error document on stdout, the sentence on stderr', () => {
  it('a device error, with its numbers', async () => {
    const run = await zdfu(['--json', ...udp, 'stat', 'nosuch'], new FakeSmpDevice());
    expect(run.code).toBe(2);
    expect(run.err).toBe(
      'Error: The device reported an error: stat show: no such statistics group name (INVALID_STAT_NAME, group 2 rc 3)\n',
    );
    expect(JSON.parse(run.out)).toEqual({
      error: {
        message:
          'The device reported an error: stat show: no such statistics group name (INVALID_STAT_NAME, group 2 rc 3)',
        exitCode: 2,
        fault: 'device',
        group: 2,
        groupName: 'stat',
        groupRc: 3,
        name: 'INVALID_STAT_NAME',
        command: 'stat show',
      },
    });
  });

  it('no answer', async () => {
    const device = new FakeSmpDevice();
    device.silent = true;
    const run = await zdfu([...udp, '--json', '-t', '0.02', '-r', '2', 'echo', 'hi'], device);
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.out);
    expect(doc.error).toMatchObject({ exitCode: 3, fault: 'no-answer', timeoutMs: 20, attempts: 2 });
    expect(doc.error.message).toMatch(/^os echo: no response from the device after 2 attempts/);
  });

  it('a local problem, an imgtool command and a conn command', async () => {
    for (const args of [
      ['--json', 'echo', 'hi'],
      ['--json', 'verify', join(home, 'missing.bin')],
      ['--json', 'conn', 'delete', 'nosuch'],
    ]) {
      const run = await zdfu(args);
      expect(run.code).toBe(1);
      const doc = JSON.parse(run.out);
      expect(doc.error).toMatchObject({ exitCode: 1, fault: 'local' });
      expect(run.err).toBe(`Error: ${doc.error.message}\n`);
    }
  });

  it('usage errors from the argument parser', async () => {
    const run = await zdfu(['--json', 'frobnicate']);
    expect(run.code).toBe(1);
    expect(run.err).toBe("Error: Unknown command 'frobnicate'.\n");
    expect(JSON.parse(run.out)).toEqual({
      error: { message: "Unknown command 'frobnicate'.", exitCode: 1, fault: 'local' },
    });
    const missing = await zdfu(['image', 'test', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).error.message).toBe("Missing required argument 'hash'.");
  });

  it('prints nothing extra on success, and nothing on stdout without --json', async () => {
    const ok = await zdfu(['--json', ...udp, 'echo', 'hi'], new FakeSmpDevice());
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).not.toHaveProperty('error');
    const text = await zdfu(['echo', 'hi']);
    expect(text.code).toBe(1);
    expect(text.out).toBe('');
  });
});

describe('--json after an imgtool command word', () => {
  it('is the command’s own option: a document on success and on failure', async () => {
    const key = join(home, 'k.pem');
    const keygen = await zdfu(['keygen', '--json', '-k', key, '-t', 'ed25519']);
    expect(keygen.code).toBe(0);
    expect(JSON.parse(keygen.out)).toEqual({ key, type: 'ed25519', protected: false });
    const getpub = await zdfu(['getpub', '-k', key, '-e', 'raw', '--json']);
    expect(JSON.parse(getpub.out)).toMatchObject({
      encoding: 'raw',
      key: expect.stringMatching(/^302a300506032b6570032100[0-9a-f]{64}$/),
    });
    const sign = await zdfu([
      'sign',
      '--json',
      '-H',
      '32',
      '-S',
      '4096',
      '-v',
      '1',
      join(home, 'no.bin'),
      join(home, 'o.bin'),
    ]);
    expect(sign.code).toBe(1);
    expect(JSON.parse(sign.out).error.message).toBe(
      `Cannot read image file ${join(home, 'no.bin')}: no such file.`,
    );
    const verify = await zdfu(['verify', '--json', join(home, 'no.bin')]);
    expect(JSON.parse(verify.out).error).toMatchObject({ exitCode: 1, fault: 'local' });
  });
});
