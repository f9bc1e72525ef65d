// A sim that fails half way through start-up lets go of its PTY link, UDP port and flash file.
import { createSocket } from 'node:dgram';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSim } from '../../../src/device/io/sim-host.ts';
import { TempDirs } from './helpers.ts';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const probe = createSocket('udp4');
  return new Promise<number>((resolve) =>
    probe.bind(0, '127.0.0.1', () => {
      const p = probe.address().port;
      probe.close(() => resolve(p));
    }),
  );
}

describe('startSim failing half way', () => {
  it('releases the PTY link and the UDP port when power-on fails', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const port = await freePort();
    const failing = startSim({
      ptyLink: link,
      udp: `127.0.0.1:${port}`,
      baud: 0,
      flashFile: join(dir, 'flash.bin'),
      beforePowerOn: () => {
        // Everything is open by now; power-on is the next step.
        throw new Error('power-on failed');
      },
    });
    await expect(failing).rejects.toThrow('power-on failed');
    expect(() => lstatSync(link)).toThrow();
    expect(await canBindUdp(port)).toBe(true);
  });

  it('releases them when the start is aborted (Ctrl-C) during power-on', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const abort = new AbortController();
    const port = await freePort();
    const starting = startSim({
      ptyLink: link,
      udp: `127.0.0.1:${port}`,
      baud: 0,
      signal: abort.signal,
      beforePowerOn: () => {
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        abort.abort();
      },
    });
    await expect(starting).rejects.toThrow(/abort/i);
    expect(() => lstatSync(link)).toThrow();
    expect(await canBindUdp(port)).toBe(true);
  });
});
