// A host flooding the sim's UART: the wire carries at most the baud rate, the sim's queue stays
// small (the writer is held back in the kernel, as by a real tty), and SMP works once it stops.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BaudPacer } from '../../../src/device/io/baud-pacer.ts';
import { startSim } from '../../../src/device/io/sim-host.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';
import { TempDirs } from './helpers.ts';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const MB = 1024 * 1024;

describe('BaudPacer bounds', () => {
  it('tells the sender to wait past the high-water mark and drops past capacity', async () => {
    let delivered = 0;
    const pacer = new BaudPacer(115200, (b) => (delivered += b.length), { highWater: 1024, capacity: 8192 });
    expect(pacer.push(new Uint8Array(512))).toBe(true);
    expect(pacer.push(new Uint8Array(512))).toBe(false);
    let drained = 0;
    pacer.onDrain(() => drained++);
    // A sender that ignores "wait": 20 MB, all but the capacity lost and counted.
    const chunk = new Uint8Array(64 * 1024);
    for (let sent = 0; sent < 20 * MB; sent += chunk.length) pacer.push(chunk);
    expect(pacer.stats.backlog).toBeLessThanOrEqual(8192);
    expect(pacer.stats.peakBacklog).toBeLessThanOrEqual(8192);
    expect(pacer.stats.overrun).toBe(20 * MB + 1024 - 8192);
    pacer.clear();
    expect(drained).toBe(1);
    expect(pacer.stats.backlog).toBe(0);
    expect(delivered).toBeLessThan(8192);
  });
});

describe('zdfu sim under a serial flood', () => {
  it('keeps its UART queue small while 20 MB are thrown at the PTY, and answers echo after', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const sim = await startSim({ ptyLink: link, udp: false, baud: 115200 });
    try {
      // The flood: a writer that never waits (O_NONBLOCK), offering 20 MB as fast as it can.
      const fd = openSync(link, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      const chunk = new Uint8Array(64 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919) & 0xff;
      let offered = 0;
      let accepted = 0;
      let peak = 0;
      try {
        while (offered < 20 * MB) {
          try {
            accepted += writeSync(fd, chunk);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
          }
          offered += chunk.length;
          peak = Math.max(peak, sim.device.uartRxStats.backlog);
          // Let the sim read (it runs in this process).
          await new Promise((r) => setImmediate(r));
        }
      } finally {
        closeSync(fd);
      }
      const stats = sim.device.uartRxStats;
      // Bounded: the RX high-water mark plus at most one PTY read, whatever was offered.
      expect(stats.peakBacklog).toBeLessThanOrEqual(32 * 1024);
      expect(peak).toBeLessThanOrEqual(32 * 1024);
      // Most of the flood never got past the kernel: the writer was told to wait.
      expect(accepted).toBeLessThan(2 * MB);

      const started = performance.now();
      const echo = await runZdfu(
        [
          '--conntype',
          'serial',
          '--connstring',
          `dev=${link},baud=115200,mtu=256`,
          '-t',
          '3',
          '-r',
          '4',
          'echo',
          'hello',
        ],
        {},
      );
      const tookMs = performance.now() - started;
      expect(echo.err).toBe('');
      expect(echo.out).toContain('hello');
      expect(echo.code).toBe(0);
      // Before the CLI's own retries run out; the backlog at 115200 drains in about 2 s.
      expect(tookMs).toBeLessThan(15000);
    } finally {
      await sim.close();
    }
  }, 40_000);
});
