// `zdfu sim` as a real process: SIGTERM / SIGINT always stop it and release the PTY link and the
// UDP port, whether it runs, halted, or is still starting up.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../server/fixtures.ts';
import { blinkyFlash, Children, TempDirs, until, writeFlashFile } from './helpers.ts';

const temp = new TempDirs();
const children = new Children();
afterEach(() => {
  children.killAll();
  temp.cleanup();
});

interface Sim {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function startSimProcess(args: string[]): Sim {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.track(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { child, output: () => out, exited };
}

function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function linkExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function stopsAndReleases(sim: Sim, signal: NodeJS.Signals, port: number, link: string) {
  const sent = performance.now();
  sim.child.kill(signal);
  const exit = await Promise.race([
    sim.exited,
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 10000)),
  ]);
  expect(exit, `no exit 10 s after ${signal}; output:\n${sim.output()}`).toBeDefined();
  // Generous bound (the machine is shared); a healthy stop takes well under a second.
  expect(exit!.at - sent).toBeLessThan(5000);
  expect(await canBindUdp(port)).toBe(true);
  expect(linkExists(link)).toBe(false);
}

describe('zdfu sim stops on signals and releases what it holds', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`a running sim exits on ${signal}`, async () => {
      const dir = temp.make();
      const link = join(dir, 'tty');
      const sim = startSimProcess(['--udp', '127.0.0.1:0', '--pty', link, '--baud', '0']);
      await until(() => /zdfu sim: \S+ running/.test(sim.output()), 'the ready line');
      const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(sim.output())![1]);
      expect(await canBindUdp(port)).toBe(false);
      await stopsAndReleases(sim, signal, port, link);
    }, 30_000);
  }

  it('a halted sim (corrupt flash) exits on SIGTERM', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const flash = blinkyFlash(false);
    flash.load(Uint8Array.of(0), 0x7ff89);
    const file = join(dir, 'flash.bin');
    writeFlashFile(file, flash);
    const sim = startSimProcess(['--flash', file, '--udp', '127.0.0.1:0', '--pty', link, '--baud', '0']);
    await until(() => /zdfu sim: \S+ halted/.test(sim.output()), 'the ready line');
    expect(sim.output()).toContain('MCUboot stopped');
    const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(sim.output())![1]);
    await stopsAndReleases(sim, 'SIGTERM', port, link);
  }, 30_000);

  it('a sim still starting up (a swap with real flash timing) exits on SIGTERM', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const file = join(dir, 'flash.bin');
    writeFlashFile(file, blinkyFlash(true));
    const port = await freeUdpPort();
    const sim = startSimProcess([
      '--flash',
      file,
      '--udp',
      `127.0.0.1:${port}`,
      '--pty',
      link,
      '--baud',
      '0',
    ]);
    // The link and the port exist before MCUboot runs; the swap then takes seconds of flash time.
    await until(() => linkExists(link), 'the PTY link');
    await until(() => existsSync(file), 'the flash file');
    expect(sim.output()).not.toMatch(/zdfu sim: \S+ (running|halted)/);
    await stopsAndReleases(sim, 'SIGTERM', port, link);
  }, 30_000);
});
