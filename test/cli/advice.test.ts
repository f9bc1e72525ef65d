/** Messages that say what to do next: a busy slot, an unsigned file, a key file that exists, help text. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../src/device/io/sim-host.ts';
import { ROOT } from '../device/server/fixtures.ts';
import { runZdfu } from '../helpers/run-zdfu.ts';
import { signedFixture } from '../helpers/signed-fixture.ts';
import { useSimWorkspace } from '../helpers/sim-workspace.ts';

const ws = useSimWorkspace('zdfu-advice-');

function zdfu(...args: string[]) {
  const udp = ws.sim?.udp ? ['--conntype', 'udp', '--connstring', `127.0.0.1:${ws.sim.udp.port}`] : [];
  return runZdfu([...udp, ...args], { ZDFU_HOME: ws.dir });
}

describe('advice in messages', () => {
  it('an upload while a test image runs unconfirmed: NO_FREE_SLOT with its numbers, and what to do', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const two = join(ROOT, 'build', 'firmware', 'blinky-two', 'zephyr.signed.bin');
    expect((await zdfu('image', 'upload', two)).code).toBe(0);
    const list = await zdfu('--json', 'image', 'list');
    const hash = (JSON.parse(list.out) as { images: { slot: number; hash: string }[] }).images.find(
      (i) => i.slot === 1,
    )!.hash;
    expect((await zdfu('image', 'test', hash)).code).toBe(0);
    await ws.sim.device.reset(); // the test boot: 2.0.0 runs unconfirmed, slot 1 holds 1.0.0 to revert to

    const three = join(ws.dir, 'three.bin');
    writeFileSync(three, await signedFixture('stat-stalls', '3.0.0'));
    const run = await zdfu('image', 'upload', three);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/no free slot \(the slot is in use\) \(NO_FREE_SLOT, group 1 rc 9\)/);
    expect(run.err).toContain(
      'confirm the running image (`zdfu image confirm`), or reset the device to finish the test, then try again.',
    );
    const json = await zdfu('--json', 'image', 'upload', three);
    const doc = JSON.parse(json.out) as { error: { name: string; groupRc: number; message: string } };
    expect(doc.error).toMatchObject({ name: 'NO_FREE_SLOT', groupRc: 9 });
    expect(doc.error.message).toContain('`zdfu image confirm`');
  }, 30_000);

  it('an unsigned file for image upload and dfu: sign it first; --force only for non-MCUboot payloads', async () => {
    const plain = join(ws.dir, 'zephyr.bin');
    writeFileSync(plain, new Uint8Array(4096).fill(0x20));
    const upload = await runZdfu(
      ['--conntype', 'udp', '--connstring', '127.0.0.1:9', 'image', 'upload', plain],
      { ZDFU_HOME: ws.dir },
    );
    expect(upload.code).toBe(1);
    expect(upload.err).toContain(`${plain} is not a signed MCUboot image`);
    expect(upload.err).toContain('Sign it first, e.g. `zdfu sign -k KEY --header-size 0x200 --slot-size');
    expect(upload.err).toContain('"Signing images" in the README');
    expect(upload.err.indexOf('Sign it first')).toBeLessThan(upload.err.indexOf('--force'));

    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const dfu = await zdfu('dfu', plain);
    expect(dfu.code).toBe(1);
    expect(dfu.err).toContain('Sign it first');
    expect(dfu.err).not.toContain('--force');
  }, 30_000);

  it('keygen refuses to replace an existing key file unless --force', async () => {
    const key = join(ws.dir, 'dev.pem');
    writeFileSync(key, 'the key devices trust\n');
    const run = await runZdfu(['keygen', '-k', key, '-t', 'ed25519'], {});
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${key} already exists and was left untouched`);
    expect(run.err).toContain('--force');
    expect(readFileSync(key, 'utf8')).toBe('the key devices trust\n');

    const forced = await runZdfu(['keygen', '-k', key, '-t', 'ed25519', '--force'], {});
    expect(forced.code).toBe(0);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('dfu --help says a .hex file works too', async () => {
    const run = await runZdfu(['dfu', '--help'], {});
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/signed MCUboot image \(\.bin, or \.hex/);
  });
});
