// What `zdfu sim` says when it cannot start, or starts halted: words a user acts on, no file made
// that was not asked for.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { esp32_devkitc_wroom } from '../../../src/device/boards/esp32_devkitc_wroom.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';
import { blinkyFlash, runSimUntil, TempDirs, writeFlashFile } from './helpers.ts';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

describe('zdfu sim start-up messages', () => {
  it("a flash file of another board's size: names that board and suggests --board first", async () => {
    const dir = temp.make();
    const file = join(dir, 'esp.bin');
    writeFlashFile(file, blinkyFlash(false, esp32_devkitc_wroom));
    const before = readFileSync(file);
    const run = await runZdfu(['sim', '--flash', file, '--no-udp', '--pty', join(dir, 'tty')], {});
    expect(run.code).toBe(1);
    expect(run.err).toContain('4 MiB is the size of the esp32_devkitc_wroom flash');
    expect(run.err).toContain('Add --board esp32_devkitc_wroom');
    expect(run.err).not.toMatch(/--new-flash|a signed image or a copy cut short/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a missing --image leaves no new flash file behind', async () => {
    const dir = temp.make();
    const flash = join(dir, 'new.bin');
    const run = await runZdfu(
      ['sim', '--image', join(dir, 'nofile.bin'), '--flash', flash, '--no-udp', '--pty', join(dir, 'tty')],
      {},
    );
    expect(run.code).toBe(1);
    expect(run.err).toContain('nofile.bin does not exist');
    expect(existsSync(flash)).toBe(false);
  });

  it('a --flash or --pty path in a folder that does not exist says so', async () => {
    const dir = temp.make();
    const flashRun = await runZdfu(['sim', '--flash', join(dir, 'nodir', 'f.bin'), '--no-udp'], {});
    expect(flashRun.code).toBe(1);
    expect(flashRun.err).toContain(`the folder ${join(dir, 'nodir')} does not exist`);
    const ptyRun = await runZdfu(['sim', '--no-udp', '--pty', join(dir, 'nodir', 'tty')], {});
    expect(ptyRun.code).toBe(1);
    expect(ptyRun.err).toContain(`the folder ${join(dir, 'nodir')} does not exist`);
  });

  it('a --udp address that is not one of this machine says so (no packet is sent)', async () => {
    const run = await runZdfu(['sim', '--udp', '10.255.255.1:0', '--baud', '0'], {});
    expect(run.code).toBe(1);
    expect(run.err).toContain('10.255.255.1 is not an address of this machine');
    expect(run.err).toContain('use 127.0.0.1 or an address of a local interface');
  });

  it('halted by MCUboot at start: the ready line says the flash is kept and what --new-flash does', async () => {
    const dir = temp.make();
    const flash = blinkyFlash(false);
    flash.load(Uint8Array.of(0), 0x7ff89); // corrupt swap status: MCUboot stops
    const file = join(dir, 'flash.bin');
    writeFlashFile(file, flash);
    const run = await runSimUntil(['--flash', file, '--no-udp', '--baud', '0'], /halted.*\n/);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/zdfu sim: stm32f4_disco halted \(MCUboot stopped: /);
    expect(run.out).toContain(`The flash file ${file} is kept as it is`);
    expect(run.out).toContain(`\`--new-flash\` starts over with an erased flash, losing what ${file} holds`);
  });
});
