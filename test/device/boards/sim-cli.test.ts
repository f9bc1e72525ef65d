/** `zdfu sim --list-boards` and `zdfu sim --board FILE`, through the CLI. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtinBoardDir } from '../../../src/device/boards/load.ts';
import { ensureBlinkyFirmware } from '../server/fixtures.ts';
import { runSimUntil, TempDirs } from '../sim/helpers.ts';

beforeAll(async () => {
  await ensureBlinkyFirmware();
}, 120_000);

const temp = new TempDirs();
afterEach(() => temp.cleanup());

describe('zdfu sim --list-boards', () => {
  it('lists every board with its flash devices, MCUboot strategy and radio', async () => {
    const run = await runSimUntil(['--list-boards'], /$^/);
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      'stm32f4_disco: ST STM32F4DISCOVERY (STM32F407VG, 1 MiB flash), MCUboot swap using scratch\n' +
        '  flash: flash0 1 MiB internal (boot, storage, slot0, slot1, scratch)\n' +
        '  MCUboot: swap-using-scratch, signature rsa-2048; radio: no radio\n',
    );
    expect(run.out).toContain(
      '  flash: flash0 1 MiB internal (boot, slot0, storage); mx25r64 8 MiB qspi-nor (slot1)\n' +
        '  MCUboot: overwrite-only, signature rsa-2048; radio: BLE\n',
    );
    expect(run.out).toContain('  MCUboot: swap-using-move, signature ecdsa-p256; radio: BLE\n');
    expect(run.out).toContain('  MCUboot: overwrite-only, 2 images, signature rsa-2048; radio: BLE\n');
  });

  it('checks and lists a board file given with --board', async () => {
    const file = join(temp.make(), 'mine.yaml');
    writeFileSync(
      file,
      readFileSync(join(builtinBoardDir(), 'stm32f4_disco.yaml'), 'utf8').replace(
        'name: stm32f4_disco',
        'name: my_disco',
      ),
    );
    const run = await runSimUntil(['--list-boards', '--board', file, '--json'], /$^/);
    expect(run.code).toBe(0);
    const names = (JSON.parse(run.out) as { boards: { name: string }[] }).boards.map((b) => b.name);
    expect(names.at(-1)).toBe('my_disco');
  });
});

describe('zdfu sim --board FILE', () => {
  it("runs the user's own board file", async () => {
    const file = join(temp.make(), 'my_disco.yaml');
    writeFileSync(
      file,
      readFileSync(join(builtinBoardDir(), 'stm32f4_disco.yaml'), 'utf8').replace(
        'name: stm32f4_disco',
        'name: my_disco',
      ),
    );
    const run = await runSimUntil(['--board', file, '--udp', '127.0.0.1:0', '--baud', '0'], /running/);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/^zdfu sim: my_disco running; serial /);
  });

  it('refuses a bad board file in words, naming the field', async () => {
    const file = join(temp.make(), 'bad.yaml');
    writeFileSync(
      file,
      readFileSync(join(builtinBoardDir(), 'stm32f4_disco.yaml'), 'utf8').replace(
        '{ label: slot1_partition, device: flash0,',
        '{ label: slot1_partition, device: flash1,',
      ),
    );
    const run = await runSimUntil(['--board', file, '--udp', '127.0.0.1:0'], /running/);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      `partitions[3] (slot1_partition).device: flash device "flash1" is not one of this board's flash devices (flash0)`,
    );
    expect(run.err).not.toMatch(/\n\s+at /);
  });

  it('runs a board with swap using move and ECDSA-P256 images (nrf52840dk)', async () => {
    const run = await runSimUntil(['--board', 'nrf52840dk', '--udp', '127.0.0.1:0', '--fast'], /running/);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/zdfu sim: nrf52840dk running/);
  });
});
