// `zdfu sim --flash FILE` on a file that is not this board's flash: refused, file untouched.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blinkyImagePath } from '../../../src/device/io/artifacts.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('zdfu sim --flash on a file that is not a flash file', () => {
  it('leaves a signed image given as --flash byte-identical and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-simflash-'));
    dirs.push(dir);
    const file = join(dir, 'x.bin');
    copyFileSync(blinkyImagePath('blinky-one'), file);
    const before = readFileSync(file);
    const run = await runZdfu(['sim', '--flash', file, '--no-udp', '--pty', join(dir, 'tty')], {});
    expect(run.code).toBe(1);
    expect(run.err).toContain(`${file} is ${before.length} bytes`);
    expect(run.err).toContain('stm32f4_disco flash is 1048576 bytes (1 MiB)');
    expect(run.err).toContain('--new-flash');
    expect(run.err).not.toMatch(/\n\s+at /);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('--new-flash needs --flash', async () => {
    const run = await runZdfu(['sim', '--new-flash', '--no-udp'], {});
    expect(run.code).toBe(1);
    expect(run.err).toContain('--flash FILE');
  });

  it('the refusal happens before any PTY link is made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-simflash-'));
    dirs.push(dir);
    const file = join(dir, 'x.bin');
    copyFileSync(blinkyImagePath('blinky-one'), file);
    await runZdfu(['sim', '--flash', file, '--no-udp', '--pty', join(dir, 'tty')], {});
    expect(() => statSync(join(dir, 'tty'))).toThrow();
  });
});
