/**
 * `zdfu image upload -n 1`, `image list` and `image test` against the virtual nRF5340 (two images,
 * Zephyr's img_mgmt multi-image answers), through the CLI as a user runs them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.ts';
import { runCli } from '../../src/cli/run.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';
import { builtFor } from '../../src/device/server/build-config.ts';
import { parseImage } from '../../src/image/format.ts';
import { createMemoryLink } from '../../src/transport/memory.ts';
import { type BootedDevice, bootDevice } from '../device/server/fixtures.ts';

let home: string;
let booted: BootedDevice | undefined;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zdfu-multi-'));
});
afterEach(async () => {
  await booted?.close();
  booted = undefined;
  rmSync(home, { recursive: true, force: true });
});

/** Runs one zdfu command line against the device over a fresh in-memory datagram link. */
async function zdfu(b: BootedDevice, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: { ZDFU_HOME: home },
    openTransport: async () => {
      const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
      deviceEnd.onPacket((packet) => {
        void b.device.handleDatagram(packet).then(async (responses) => {
          for (const response of responses) await deviceEnd.send(response);
        });
      });
      return clientEnd;
    },
  };
  const code = await runCli(['--conntype', 'udp', '--connstring', '127.0.0.1:1337', ...args], io);
  return { code, out, err };
}

describe('zdfu on a two-image device (nrf5340dk)', () => {
  it('image upload -n 1, image list shows image=1, image test, reset: image 1 runs the new version', async () => {
    const board = builtFor(getBoard('nrf5340dk'), { udp: true });
    booted = await bootDevice({ board });
    const two = await blinkyImageFor(board, 'blinky-two');
    const file = join(home, 'net.signed.bin');
    writeFileSync(file, two);

    const upload = await zdfu(booted, ['image', 'upload', '-n', '1', file]);
    expect(upload.err).toBe('');
    expect(upload.code).toBe(0);
    const list = await zdfu(booted, ['image', 'list']);
    expect(list.code).toBe(0);
    expect(list.out.match(/image=\d slot=\d/g)).toEqual([
      'image=0 slot=0',
      'image=1 slot=0',
      'image=1 slot=1',
    ]);
    expect(list.out).toMatch(/image=1 slot=1\n\s+version: 2\.0\.0/);

    const hash = Buffer.from(parseImage(two).sha256Hash!).toString('hex');
    const test = await zdfu(booted, ['image', 'test', hash]);
    expect(test.code).toBe(0);
    expect(test.out).toMatch(/image=1 slot=1\n\s+version: 2\.0\.0\n\s+bootable: true\n\s+flags: pending/);
    await booted.reset();
    const after = await zdfu(booted, ['--json', 'image', 'list']);
    const images = JSON.parse(after.out).images as { image: number; slot: number; version: string }[];
    expect(images.find((i) => i.image === 1 && i.slot === 0)?.version).toBe('2.0.0');
  });

  it('dfu -n 1 updates image 1 (overwrite-only: confirmed once copied) and leaves image 0 alone', async () => {
    const board = builtFor(getBoard('nrf5340dk'), { udp: true });
    booted = await bootDevice({ board });
    const file = join(home, 'net.signed.bin');
    writeFileSync(file, await blinkyImageFor(board, 'blinky-two'));
    const dfu = await zdfu(booted, ['--json', 'dfu', '-n', '1', '--settle', '0', file]);
    expect(dfu.err).not.toMatch(/Error/);
    expect(dfu.code).toBe(0);
    const images = JSON.parse(dfu.out).images as { image: number; slot: number; version: string }[];
    expect(images.filter((i) => i.slot === 0).map((i) => `${i.image}:${i.version}`)).toEqual([
      '0:1.0.0',
      '1:2.0.0',
    ]);
  });

  it('dfu -n 1 on a swap build: the trial of image 1 cannot be confirmed over SMP, --permanent works', async () => {
    // nrf5340dk with swap using scratch (a scratch partition in the free 0xf0000 region).
    const base = getBoard('nrf5340dk');
    const board = builtFor(
      {
        ...base,
        name: 'nrf5340dk_swap_scratch',
        partitions: [
          ...base.partitions,
          { label: 'scratch_partition', device: 'flash0', offset: 0xf0000, size: 0x8000 },
        ],
        mcuboot: { ...base.mcuboot, mode: 'swap-scratch' },
      },
      { udp: true },
    );
    booted = await bootDevice({ board });
    const file = join(home, 'net.signed.bin');
    writeFileSync(file, await blinkyImageFor(board, 'blinky-two'));
    const trial = await zdfu(booted, ['dfu', '-n', '1', '--settle', '0', file]);
    expect(trial.code).not.toBe(0);
    expect(trial.err).toMatch(/image 1 runs 2\.0\.0 on trial.*IMAGE_CONFIRMATION_DENIED.*--permanent/s);

    await booted.reset(); // not confirmed: MCUboot swaps image 1 back
    const permanent = await zdfu(booted, ['--json', 'dfu', '-n', '1', '--permanent', '--settle', '0', file]);
    expect(permanent.err).not.toMatch(/Error/);
    expect(permanent.code).toBe(0);
    const images = JSON.parse(permanent.out).images as { image: number; slot: number; version: string }[];
    expect(images.find((i) => i.image === 1 && i.slot === 0)).toMatchObject({
      version: '2.0.0',
      confirmed: true,
    });
  });
});
