/**
 * The README's "Signing images" section runs as written: every `npx zdfu` line of its shell
 * blocks, in order, in a fresh folder holding a Zephyr-like zephyr.bin (the blinky's) and the
 * repository's keys/, with the `vdev` profile pointing at a virtual stm32f4_disco. The image signed
 * with the key the README says the virtual board trusts is then running and confirmed.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { createMemoryLink } from '../../src/transport/memory.ts';
import { type BootedDevice, blinky, bootDevice } from '../device/server/fixtures.ts';

const root = new URL('../../', import.meta.url);

/** The `npx zdfu ...` lines of the shell blocks in one README section, as argument lists. */
function sectionCommands(readme: string, heading: string): string[][] {
  const start = readme.indexOf(`## ${heading}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 3);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const commands: string[][] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const text = line.replace(/\s+#.*$/, '').trim();
      if (!text.startsWith('npx zdfu ')) continue;
      expect(text).not.toMatch(/["'`$\\]/); // plain words only, so splitting on spaces is exact
      commands.push(text.slice('npx zdfu '.length).split(/\s+/));
    }
  }
  return commands;
}

let dir: string;
let cwd: string;
let booted: BootedDevice;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-readme-'));
  mkdirSync(join(dir, 'keys'));
  copyFileSync(new URL('keys/dev-rsa-2048.pem', root), join(dir, 'keys', 'dev-rsa-2048.pem'));
  // A Zephyr build for MCUboot: the blinky's zephyr.bin, which starts with 0x200 bytes of header room.
  writeFileSync(join(dir, 'zephyr.bin'), await blinky('blinky-two', 'bin'));
  booted = await bootDevice();
  cwd = process.cwd();
  process.chdir(dir);
});

afterAll(async () => {
  process.chdir(cwd);
  await booted?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function zdfu(args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { ZDFU_HOME: join(dir, '.zdfu') },
    // Every command reaches the virtual board over its own in-memory link.
    openTransport: async () => {
      const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
      deviceEnd.onPacket((packet) => {
        void booted.device.handleDatagram(packet).then(async (responses) => {
          for (const response of responses) await deviceEnd.send(response);
        });
      });
      return clientEnd;
    },
  });
  return { code, out, err };
}

describe('README: Signing images', () => {
  it('runs as written, and the sim boots the image signed with the key the README names', async () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const commands = sectionCommands(readme, 'Signing images');
    expect(commands.length).toBeGreaterThanOrEqual(8);
    expect(readme).toMatch(/trusts[\s\S]*`keys\/dev-rsa-2048\.pem` \(RSA-2048/);
    expect((await zdfu(['conn', 'add', 'vdev', 'type=udp', 'connstring=127.0.0.1:1337'])).code).toBe(0);
    let last = { code: 0, out: '', err: '' };
    for (const args of commands) {
      if (args[0] === '-c' && args[2] === 'image' && args[3] === 'list') await booted.appStarted();
      last = await zdfu(args);
      expect({ args, code: last.code, err: last.err }).toEqual({ args, code: 0, err: '' });
      if (args[1] === 'reset' || args[2] === 'reset') {
        // The sim reboots a moment after answering (CONFIG_MCUMGR_GRP_OS_RESET_MS); once MCUboot
        // has run, no slot is pending any more.
        const deadline = Date.now() + 10_000;
        for (;;) {
          const state = await booted.client.imageList().catch(() => undefined);
          if (state !== undefined && !state.images.some((i) => i.pending)) break;
          if (Date.now() > deadline) throw new Error('the sim did not come back after the reset');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }
    for (const file of ['my.pem', 'zephyr.signed.bin', 'zephyr.signed.hex', 'zephyr.sim.bin']) {
      expect(existsSync(join(dir, file))).toBe(true);
    }
    // The last command is `image list`: the image signed with the dev key runs, confirmed.
    expect(last.out).toMatch(
      / image=0 slot=0\n {4}version: 2\.1\.0\n {4}bootable: true\n {4}flags: active confirmed\n/,
    );
  });
});
