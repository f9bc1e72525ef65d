import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/run.ts';
import type { ConnTarget } from '../../src/transport/kinds/kind.ts';
import { buildTestImage, FakeSmpDevice, testImageHash } from '../client/fake-smp-device.ts';

interface Harness {
  io: CliIo;
  out: () => string;
  err: () => string;
  targets: ConnTarget[];
}

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zdfu-cli-'));
});

afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function harness(device?: FakeSmpDevice, env: Record<string, string> = {}): Harness {
  let out = '';
  let err = '';
  const targets: ConnTarget[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: { ZDFU_HOME: home, ...env },
    openTransport: async (target) => {
      targets.push(target);
      if (device === undefined) throw new Error('no device in this test');
      return device.connect();
    },
  };
  return { io, out: () => out, err: () => err, targets };
}

const udp = ['--conntype', 'udp', '--connstring', '127.0.0.1:1337'];

describe('conn profiles', () => {
  it('adds, lists and deletes profiles in $ZDFU_HOME', async () => {
    const h = harness();
    expect(
      await runCli(
        ['conn', 'add', 'board', 'type=serial', 'connstring=dev=/dev/ttyACM0,baud=115200,mtu=256'],
        h.io,
      ),
    ).toBe(0);
    expect(await runCli(['conn', 'add', 'sim', 'type=udp', 'connstring=127.0.0.1:1337'], h.io)).toBe(0);
    expect(h.out()).toContain('Connection profile board successfully added\n');
    const stored = JSON.parse(readFileSync(join(home, 'connections.json'), 'utf8'));
    expect(stored.profiles.map((p: { name: string }) => p.name)).toEqual(['board', 'sim']);

    const list = harness();
    expect(await runCli(['conn', 'list'], list.io)).toBe(0);
    expect(list.out()).toBe(
      "Connection profiles:\n  board: type=serial, connstring='dev=/dev/ttyACM0,baud=115200,mtu=256'\n" +
        "  sim: type=udp, connstring='127.0.0.1:1337'\n",
    );

    const del = harness();
    expect(await runCli(['conn', 'delete', 'board'], del.io)).toBe(0);
    expect(await runCli(['--json', 'conn', 'list'], del.io)).toBe(0);
    expect(JSON.parse(del.out().split('\n').slice(1).join('\n'))).toEqual({
      profiles: [{ name: 'sim', type: 'udp', connstring: '127.0.0.1:1337' }],
    });
  });

  it('refuses a bad connstring when adding, and stores nothing', async () => {
    const h = harness();
    const code = await runCli(
      ['conn', 'add', 'bad', 'type=serial', 'connstring=dev=/dev/x,speed=9600'],
      h.io,
    );
    expect(code).not.toBe(0);
    expect(h.err()).toBe(
      'Error: Serial connstring has unknown key "speed"; known keys are dev, baud, mtu.\n',
    );
    const list = harness();
    await runCli(['conn', 'list'], list.io);
    expect(list.out()).toBe('No connection profiles found!\n');
  });

  it('uses a profile for device commands', async () => {
    const device = new FakeSmpDevice();
    const h = harness(device);
    await runCli(['conn', 'add', 'sim', 'type=udp', 'connstring=[::1]:4000'], h.io);
    expect(await runCli(['-c', 'sim', 'echo', 'hello'], h.io)).toBe(0);
    expect(h.targets).toEqual([{ type: 'udp', host: '::1', port: 4000 }]);
    expect(h.out()).toMatch(/hello\n$/);
  });
});

describe('error paths: one line on stderr, non-zero exit, no stack', () => {
  it('unknown connection profile', async () => {
    const h = harness();
    const code = await runCli(['-c', 'nosuch', 'image', 'list'], h.io);
    expect(code).not.toBe(0);
    expect(h.err()).toBe(
      'Error: Unknown connection profile "nosuch"; add it with `zdfu conn add nosuch type=...`.\n',
    );
    expect(h.out()).toBe('');
  });

  it('no connection at all', async () => {
    const h = harness();
    expect(await runCli(['echo', 'hi'], h.io)).toBe(1);
    expect(h.err()).toMatch(/^Error: No connection given; use -c PROFILE.*\n$/);
  });

  it('bad connstring on the command line', async () => {
    const h = harness();
    expect(await runCli(['--conntype', 'udp', '--connstring', '1.2.3.4:0', 'echo', 'hi'], h.io)).toBe(1);
    expect(h.err()).toBe('Error: Connstring port 0 is out of range (1..65535).\n');
  });

  it('a device error is printed in words with its numbers, exit code 2', async () => {
    const device = new FakeSmpDevice();
    const h = harness(device);
    expect(await runCli([...udp, 'stat', 'nosuch'], h.io)).toBe(2);
    expect(h.err()).toBe(
      'Error: The device reported an error: stat show: no such statistics group name (INVALID_STAT_NAME, group 2 rc 3)\n',
    );
  });

  it('a silent device ends with exit code 3 and a hint', async () => {
    const device = new FakeSmpDevice();
    device.silent = true;
    const h = harness(device);
    expect(await runCli([...udp, '-t', '0.02', '-r', '2', 'echo', 'hi'], h.io)).toBe(3);
    expect(h.err()).toMatch(
      /^Error: os echo: no response from the device after 2 attempts of 20 ms .*\. Check that the device at UDP 127\.0\.0\.1:1337 is on.*\n$/,
    );
    expect(h.err().split('\n')).toHaveLength(2);
  });

  it('missing image file, and a file that is not an image', async () => {
    const h = harness(new FakeSmpDevice());
    expect(await runCli([...udp, 'image', 'upload', join(home, 'missing.bin')], h.io)).toBe(1);
    expect(h.err()).toBe(`Error: Cannot read image file ${join(home, 'missing.bin')}: no such file.\n`);

    const junk = join(home, 'junk.bin');
    writeFileSync(junk, new Uint8Array(300).fill(1));
    const h2 = harness(new FakeSmpDevice());
    expect(await runCli([...udp, 'image', 'upload', junk], h2.io)).toBe(1);
    expect(h2.err()).toMatch(
      new RegExp(
        `^Error: ${junk} is not a signed MCUboot image \\(.*\\)\\. Sign it first, e\\.g\\. \`zdfu sign -k KEY --header-size 0x200 --slot-size SLOT_SIZE --version 1\\.0\\.0 ${junk} signed\\.bin\` \\(see "Signing images" in the README\\)\\. Only for a payload that is not meant for MCUboot: --force uploads it as it is\\.\\n$`,
      ),
    );
  });

  it('a malformed hash for image test', async () => {
    const h = harness(new FakeSmpDevice());
    expect(await runCli([...udp, 'image', 'test', 'abcd'], h.io)).toBe(1);
    expect(h.err()).toMatch(/^Error: The image hash must be 32 bytes \(64 hex digits.*got 2\.\n$/);
  });

  it('shows a stack only with ZDFU_DEBUG=1', async () => {
    const h = harness(undefined, { ZDFU_DEBUG: '1' });
    await runCli(['-c', 'nosuch', 'image', 'list'], h.io);
    expect(h.err().split('\n').length).toBeGreaterThan(3);
    expect(h.err()).toContain('    at ');
  });

  it('usage errors come from commander on stderr with exit code 1', async () => {
    const h = harness();
    expect(await runCli(['frobnicate'], h.io)).toBe(1);
    expect(h.err()).toBe("Error: Unknown command 'frobnicate'.\n");
  });
});

describe('device commands through the CLI', () => {
  it('echo, stat list, stat NAME', async () => {
    const device = new FakeSmpDevice();
    const h = harness(device);
    expect(await runCli([...udp, 'echo', 'hello'], h.io)).toBe(0);
    expect(await runCli([...udp, 'stat', 'list'], h.io)).toBe(0);
    expect(await runCli([...udp, 'stat', 'smp_svr_stats'], h.io)).toBe(0);
    expect(h.out()).toBe(
      'hello\nstat groups:\n    smp_svr_stats\nstat group: smp_svr_stats\n         7 ticks\n',
    );
  });

  it('image upload, then image list and image test by hash; --json prints one document each', async () => {
    const device = new FakeSmpDevice({ mtu: 256, params: { buf_size: 384, buf_count: 4 }, imageCheck: true });
    const image = buildTestImage(3000);
    const file = join(home, 'two.bin');
    writeFileSync(file, image);
    const h = harness(device);
    expect(await runCli([...udp, '--json', 'image', 'upload', file], h.io)).toBe(0);
    const upload = JSON.parse(h.out());
    expect(upload).toMatchObject({ bytes: image.length, version: '1.2.3', match: true, window: 3 });
    expect(upload.hash).toBe(Buffer.from(testImageHash(image)).toString('hex'));
    expect(device.stored(image.length)).toEqual(image);

    const hash = testImageHash(image);
    device.images = [
      {
        slot: 0,
        version: '1.0.0',
        hash: new Uint8Array(32).fill(9),
        bootable: true,
        pending: false,
        confirmed: true,
        active: true,
        permanent: false,
      },
      {
        slot: 1,
        version: '1.2.3',
        hash,
        bootable: true,
        pending: false,
        confirmed: false,
        active: false,
        permanent: false,
      },
    ];
    const test = harness(device);
    expect(await runCli([...udp, 'image', 'test', upload.hash], test.io)).toBe(0);
    expect(test.out()).toContain(
      ' image=0 slot=1\n    version: 1.2.3\n    bootable: true\n    flags: pending\n',
    );

    const list = harness(device);
    expect(await runCli([...udp, '--json', 'image', 'list'], list.io)).toBe(0);
    const doc = JSON.parse(list.out());
    expect(doc.images[1]).toMatchObject({ slot: 1, pending: true, hash: upload.hash });
  });

  it('prints a text summary ending in Done after an upload', async () => {
    const device = new FakeSmpDevice({ mtu: 256 });
    const file = join(home, 'one.bin');
    writeFileSync(file, buildTestImage(1000));
    const h = harness(device);
    expect(await runCli([...udp, 'image', 'upload', file], h.io)).toBe(0);
    expect(h.out()).toMatch(
      /^Uploaded image 1\.2\.3: 1072 bytes in [\d.]+ s \(.*\), hash [0-9a-f]{64}\nDone\n$/,
    );
    expect(h.err()).toBe('');
  });

  it('reset prints Done and sends exactly one request', async () => {
    const device = new FakeSmpDevice();
    const h = harness(device);
    expect(await runCli([...udp, '-r', '5', 'reset'], h.io)).toBe(0);
    expect(h.out()).toBe('Done\n');
    expect(device.resets).toBe(1);
  });
});
