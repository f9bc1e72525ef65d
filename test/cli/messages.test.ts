/** Messages a person acts on: each names the problem and what to do, in words that fit the case. */
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { SerialPort } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/run.ts';
import type { TransportOpener } from '../../src/client/device.ts';
import { UdpSocket } from '../../src/device/transport/udp-socket.ts';
import { FakeSmpDevice } from '../client/fake-smp-device.ts';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zdfu-msg-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

async function zdfu(args: string[], openTransport?: TransportOpener) {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { ZDFU_HOME: home },
    ...(openTransport ? { openTransport } : {}),
  };
  const code = await runCli(args, io);
  return { code, out, err };
}

const silentDevice = (): TransportOpener => {
  const device = new FakeSmpDevice();
  device.silent = true;
  return async () => device.connect();
};

describe('image hashes', () => {
  it('says a non-hex hash is not hex, and shows what an image hash looks like', async () => {
    const run = await zdfu(['--conntype', 'udp', '--connstring', 'h', 'image', 'test', 'zzzz']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      'Error: The image hash "zzzz" is not hexadecimal ("z" is not a hex digit); an image hash is the 64 hex ' +
        'digits (0-9, a-f) that `zdfu image list` shows after "hash:", e.g. 9f2c4b1a…d07e.\n',
    );
    const odd = await zdfu(['--conntype', 'udp', '--connstring', 'h', 'image', 'confirm', 'abc']);
    expect(odd.err).toMatch(
      /^Error: The image hash "abc" has an odd number of hex digits \(3\); an image hash is/,
    );
  });
});

describe('no answer: advice that fits the link', () => {
  it('UDP: address and port, the device running, a firewall; no baud rate', async () => {
    const run = await zdfu(
      ['--conntype', 'udp', '--connstring', '127.0.0.1:4711', '-t', '0.02', '-r', '1', 'echo', 'hi'],
      silentDevice(),
    );
    expect(run.code).toBe(3);
    expect(run.err).toBe(
      'Error: os echo: no response from the device after 1 attempt of 20 ms (seq 0). Check that the device at ' +
        'UDP 127.0.0.1:4711 is on and running its SMP server (for the virtual device: that `zdfu sim --udp ' +
        '127.0.0.1:4711` is running), that the address and port are right, and that no firewall drops UDP port 4711.\n',
    );
    expect(run.err).not.toMatch(/baud/);
  });

  it('serial: the port, its baud rate, the SMP server', async () => {
    const path = join(home, 'ttyFAKE');
    const run = await zdfu(
      [
        '--conntype',
        'serial',
        '--connstring',
        `dev=${path},baud=9600`,
        '-t',
        '0.02',
        '-r',
        '1',
        'echo',
        'hi',
      ],
      silentDevice(),
    );
    expect(run.code).toBe(3);
    expect(run.err).toContain(
      `Check that ${path} is the device's serial port, that the device's UART runs at 9600 baud as the ` +
        'connstring says, and that its firmware runs an SMP server on that UART.',
    );
    expect(run.err).not.toMatch(/firewall|address/);
  });
});

describe('serial ports', () => {
  it('a PTY link whose target is gone: says so, and that the sim is probably not running', async () => {
    const link = join(home, 'zdfu-tty');
    symlinkSync('/dev/pts/4242424', link);
    const run = await zdfu(['--conntype', 'serial', '--connstring', `dev=${link}`, 'echo', 'hi']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `Error: The serial port ${link} is a link to /dev/pts/4242424, which no longer exists: the virtual device ` +
        `that made it is probably not running. Start it again (\`zdfu sim --pty ${link}\`), or fix the path in the connstring.\n`,
    );
  });

  it('a missing port: says there is none and where to look', async () => {
    const path = join(home, 'ttyNONE');
    const run = await zdfu(['--conntype', 'serial', '--connstring', `dev=${path}`, 'echo', 'hi']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      new RegExp(`^Error: There is no serial port ${path} \\(no such file\\)\\. Check the path`),
    );
  });

  it('a port another program holds: says it is in use and what to close', async () => {
    const native = (pty as unknown as { native: { open(c: number, r: number): { pty: string } } }).native;
    const { pty: path } = native.open(80, 24);
    const holder = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())));
    try {
      const run = await zdfu(['--conntype', 'serial', '--connstring', `dev=${path}`, 'echo', 'hi']);
      expect(run.code).toBe(1);
      expect(run.err).toBe(
        `Error: The serial port ${path} is in use by another program (another zdfu or mcumgr, or a terminal ` +
          'such as screen, minicom or picocom); close it and try again.\n',
      );
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});

describe('the virtual device’s UDP port already in use', () => {
  it('names the port and what to do', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
    const { port } = taken.address();
    try {
      await expect(UdpSocket.open('127.0.0.1', port, async () => [])).rejects.toThrow(
        `cannot listen for SMP on UDP 127.0.0.1:${port}: the port is already in use (another \`zdfu sim\` or ` +
          'SMP server is probably running there); stop it, or give this one another port with --udp HOST:PORT',
      );
    } finally {
      taken.close();
    }
  });
});

describe('output folders', () => {
  it('keygen and sign into a folder that does not exist: name it and say to create it', async () => {
    const folder = join(home, 'out', 'keys');
    const keygen = await zdfu(['keygen', '-k', join(folder, 'k.pem'), '-t', 'ed25519']);
    expect(keygen.code).toBe(1);
    expect(keygen.err).toBe(
      `Error: Cannot write key file ${join(folder, 'k.pem')}: the folder ${folder} does not exist; create it first (mkdir -p ${folder}).\n`,
    );
    // Checked before asking for a password (here there is no terminal to ask on).
    const protectedKey = await zdfu(['keygen', '-k', join(folder, 'k.pem'), '-t', 'ed25519', '-p']);
    expect(protectedKey.err).toBe(keygen.err);
    mkdirSync(join(home, 'keys'));
    expect((await zdfu(['keygen', '-k', join(home, 'keys', 'k.pem'), '-t', 'ed25519'])).code).toBe(0);
    writeFileSync(join(home, 'app.bin'), new Uint8Array(64));
    const sign = await zdfu([
      'sign',
      ...['-k', join(home, 'keys', 'k.pem'), '-H', '32', '-S', '4096', '-v', '1.0.0'],
      join(home, 'app.bin'),
      join(home, 'nowhere', 'app.signed.bin'),
    ]);
    expect(sign.code).toBe(1);
    expect(sign.err).toBe(
      `Error: Cannot write output file ${join(home, 'nowhere', 'app.signed.bin')}: the folder ${join(home, 'nowhere')} does not exist; create it first (mkdir -p ${join(home, 'nowhere')}).\n`,
    );
  });
});

describe('a malformed profile in $ZDFU_HOME', () => {
  const file = () => join(home, 'connections.json');

  it('says which profile, which field, and how to repair it; conn add repairs it', async () => {
    writeFileSync(
      file(),
      JSON.stringify({ profiles: [{ name: 'board', type: 'usb', connstring: 'dev=/dev/ttyACM0' }] }),
    );
    const run = await zdfu(['-c', 'board', 'image', 'list']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `Error: Connection profile "board" in ${file()} has a bad type: "usb" is not "serial", "udp" or "ble". ` +
        `Repair it with \`zdfu conn add board type=serial|udp|ble connstring=...\`, or edit ${file()}.\n`,
    );
    const list = await zdfu(['conn', 'list']);
    expect(list.code).toBe(0);
    expect(list.err).toContain('Warning: Connection profile "board"');
    expect((await zdfu(['conn', 'add', 'board', 'type=udp', 'connstring=127.0.0.1:1337'])).code).toBe(0);
    expect((await zdfu(['conn', 'list'])).out).toBe(
      "Connection profiles:\n  board: type=udp, connstring='127.0.0.1:1337'\n",
    );
  });

  it('a connstring that does not parse names the profile too', async () => {
    writeFileSync(
      file(),
      JSON.stringify({ profiles: [{ name: 'sim', type: 'serial', connstring: 'dev=/tmp/x,speed=9600' }] }),
    );
    const run = await zdfu(['-c', 'sim', 'echo', 'hi']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `Error: Connection profile "sim" in ${file()} has a bad connstring: Serial connstring has unknown key ` +
        `"speed"; known keys are dev, baud, mtu. Repair it with \`zdfu conn add sim type=serial|udp|ble connstring=...\`, or edit ${file()}.\n`,
    );
  });
});
