/**
 * Zephyr basic group (63) on the virtual device: erase storage erases the whole storage_partition
 * as basic_mgmt.c does; the mounted LittleFS is not told, so the stored settings and files are gone
 * once the next boot finds the partition blank and formats it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Board } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { partitionArea } from '../../../src/device/mcuboot/layout.ts';
import { readSetting, saveSettings, writeSetting } from '../../../src/groups/settings/client.ts';
import { eraseStoragePartition } from '../../../src/groups/zephyr-basic/client.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { type BootedDevice, bootDevice } from '../../device/server/fixtures.ts';
import { rawRequest } from '../raw.ts';

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

const text = (value: string) => new TextEncoder().encode(value);

async function appRestarted(device: BootedDevice, before: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (device.consoleLines.filter((line) => line.includes('blinky: LED0 at')).length <= before) {
    if (Date.now() > deadline)
      throw new Error(`the app did not start again:\n${device.consoleLines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('zephyr basic erase storage', () => {
  it('erases the whole storage_partition; the next boot formats it and the stored settings are gone', async () => {
    booted = await bootDevice({ board: getBoard('nrf52840dk') });
    await booted.appStarted();
    const smp = booted.client.smp;
    await writeSetting(smp, 'blinky/rate', text('4'));
    await saveSettings(smp);
    const board = booted.device.board;
    const area = partitionArea(board, booted.device.flashes, 'storage_partition')!;
    expect(area.peek().some((byte) => byte !== area.eraseValue)).toBe(true);

    await eraseStoragePartition(smp);
    expect(area.peek().every((byte) => byte === area.eraseValue)).toBe(true);
    // The running app still holds its value in RAM.
    expect(new TextDecoder().decode((await readSetting(smp, 'blinky/rate')).value)).toBe('4');

    const formatsBefore = booted.consoleLines.filter((line) => line.includes("can't mount")).length;
    const startsBefore = booted.consoleLines.filter((line) => line.includes('blinky: LED0 at')).length;
    await booted.reset();
    await appRestarted(booted, startsBefore);
    // LittleFS's lines come through the deferred log thread, after the app's first ones.
    const formats = () => booted!.consoleLines.filter((line) => line.includes("can't mount")).length;
    const deadline = Date.now() + 3000;
    while (formats() === formatsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(formats()).toBe(formatsBefore + 1);
    expect(booted.consoleLines.filter((line) => line.includes('blinky: LED0 at')).at(-1)).toContain(
      'LED0 at 1 Hz',
    );
    const error = await readSetting(smp, 'blinky/rate').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmpError);
    expect((error as SmpError).codeName).toBe('KEY_NOT_FOUND');
  });

  it('answers {} to v1 and v2 and never reads its payload; no read handler and no command 1', async () => {
    booted = await bootDevice();
    const ask = (version: 1 | 2, op: 'read' | 'write', command: number) =>
      rawRequest(booted!.device, { version, op, group: SmpGroup.ZephyrBasic, command, body: { junk: 'x' } });
    expect(await ask(2, 'write', 0)).toEqual({});
    expect(await ask(1, 'write', 0)).toEqual({});
    expect(await ask(2, 'read', 0)).toEqual({ rc: 8 });
    expect(await ask(2, 'write', 1)).toEqual({ rc: 8 });
  });

  it('a board without storage_partition: FLASH_OPEN_FAILED (v2), MGMT_ERR_ENOENT (v1)', async () => {
    const base = getBoard('stm32f4_disco');
    const board: Board = {
      ...base,
      partitions: base.partitions.filter((p) => p.label !== 'storage_partition'),
    };
    booted = await bootDevice({ board });
    const ask = (version: 1 | 2) =>
      rawRequest(booted!.device, { version, op: 'write', group: SmpGroup.ZephyrBasic, command: 0, body: {} });
    expect(await ask(2)).toEqual({ err: { group: 63, rc: 2 } });
    expect(await ask(1)).toEqual({ rc: 5 });
    const error = await eraseStoragePartition(booted.client.smp).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as SmpError).message).toContain(
      'could not open the storage flash area (FLASH_OPEN_FAILED, group 63 rc 2)',
    );
  });
});
