// A second sim must not take over (and on exit delete) the --pty link of a running sim; a stale
// link left by a dead sim may be replaced.
import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSim } from '../../../src/device/io/sim-host.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';
import { ROOT } from '../server/fixtures.ts';
import { Children, TempDirs, until } from './helpers.ts';

const temp = new TempDirs();
const children = new Children();
afterEach(() => {
  children.killAll();
  temp.cleanup();
});

describe('zdfu sim --pty PATH held by a running sim', () => {
  it('refuses the path, names the process, and leaves the first sim its link', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const first = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'sim', '--no-udp', '--pty', link, '--baud', '0'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.track(first);
    let out = '';
    first.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => /zdfu sim: \S+ running/.test(out), 'the first sim');
    const target = readlinkSync(link);

    const second = await runZdfu(['sim', '--no-udp', '--pty', link, '--baud', '0'], {});
    expect(second.code).toBe(1);
    expect(second.err).toContain(`${link} is in use`);
    expect(second.err).toContain(`pid ${first.pid}`);
    expect(second.err).toContain('sim');
    // Untouched: still the first sim's PTY.
    expect(readlinkSync(link)).toBe(target);

    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGTERM');
    await exited;
    expect(() => lstatSync(link)).toThrow();
  }, 30_000);

  it('refuses a link held by another sim in this very process', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const first = await startSim({ ptyLink: link, udp: false, baud: 0 });
    try {
      await expect(startSim({ ptyLink: link, udp: false, baud: 0 })).rejects.toThrow(
        new RegExp(`pid ${process.pid}`),
      );
      expect(readlinkSync(link)).toBe(first.ptyPath);
    } finally {
      await first.close();
    }
    expect(() => lstatSync(link)).toThrow();
  });

  it('replaces a stale link whose PTY nobody holds any more', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    const dead = await startSim({ udp: false, baud: 0 });
    const deadPty = dead.ptyPath;
    await dead.close();
    symlinkSync(deadPty, link);
    const sim = await startSim({ ptyLink: link, udp: false, baud: 0 });
    try {
      expect(readlinkSync(link)).toBe(sim.ptyPath);
    } finally {
      await sim.close();
    }
  });

  it('replaces a dangling link', async () => {
    const dir = temp.make();
    const link = join(dir, 'tty');
    symlinkSync(join(dir, 'nothing-here'), link);
    const sim = await startSim({ ptyLink: link, udp: false, baud: 0 });
    try {
      expect(readlinkSync(link)).toBe(sim.ptyPath);
    } finally {
      await sim.close();
    }
  });
});
