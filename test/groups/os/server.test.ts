import { afterEach, describe, expect, it } from 'vitest';
import type { BootResult } from '../../../src/device/mcuboot/boot.ts';
import {
  dateTimeRead,
  dateTimeWrite,
  memoryPoolStats,
  resetDevice,
  taskStats,
} from '../../../src/groups/os/client.ts';
import { bootloaderInfo, mpStat } from '../../../src/groups/os/models.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { type BootedDevice, bootDevice } from '../../device/server/fixtures.ts';

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

async function osError(call: Promise<unknown>): Promise<SmpError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

describe('os group (zephyr os_mgmt)', () => {
  it('echoes text back', async () => {
    booted = await bootDevice();
    expect(await booted.client.echo('hello')).toBe('hello');
    expect(await booted.client.echo('')).toBe('');
  });

  it('reports the board SMP buffers as mcumgr params', async () => {
    booted = await bootDevice();
    expect(await booted.client.params()).toEqual({
      buf_size: booted.device.smpBuild.netbufSize,
      buf_count: booted.device.smpBuild.netbufCount,
    });
  });

  it('formats os info like uname, fields in Zephyr order whatever the format order', async () => {
    booted = await bootDevice();
    const { client, device } = booted;
    expect(await client.osInfo()).toBe('Zephyr');
    expect(await client.osInfo('ps')).toBe(`Zephyr ${device.board.cpu.processor}`);
    expect(await client.osInfo('im')).toBe(`${device.board.cpu.arch} ${device.board.name}`);
    const all = await client.osInfo('a');
    expect(all.startsWith('Zephyr ')).toBe(true);
    expect(all).toContain(device.board.versions.zephyr);
    expect(all).toContain(device.board.name);
    const error = await osError(client.osInfo('q'));
    expect({ group: error.group, rc: error.rc, code: error.codeName }).toEqual({
      group: SmpGroup.Os,
      rc: 2,
      code: 'INVALID_FORMAT',
    });
  });

  it('reports the bootloader and its mode (swap using scratch = 1, overwrite-only = 2)', async () => {
    booted = await bootDevice();
    const { client } = booted;
    expect(await client.smp.request(bootloaderInfo, {})).toEqual({ bootloader: 'MCUboot' });
    expect(await client.smp.request(bootloaderInfo, { query: 'mode' })).toEqual({ mode: 1 });
    // v3.5.0 returns QUERY_YIELDS_NO_ANSWER as the SMP result: a bare rc 3, not a group error.
    const error = await osError(client.smp.request(bootloaderInfo, { query: 'colour' }));
    expect({ kind: error.detail.kind, group: error.group, rc: error.rc }).toEqual({
      kind: 'rc',
      group: undefined,
      rc: 3,
    });
    await booted.close();

    booted = await bootDevice({ board: 'esp32_devkitc_wroom' });
    expect(await booted.client.smp.request(bootloaderInfo, { query: 'mode' })).toEqual({ mode: 2 });
  });

  it('reset answers first, then reboots the device (onBoot fires, the app runs again)', async () => {
    booted = await bootDevice();
    const { client, device } = booted;
    const before = device.firmware;
    const nextBoot = new Promise<BootResult>((resolve) => {
      const off = device.onBoot((result) => {
        off();
        resolve(result);
      });
    });
    await client.reset();
    expect(device.state).toBe('running');
    const result = await nextBoot;
    expect(result.booted).toBe(true);
    expect(device.state).toBe('running');
    expect(device.firmware).not.toBe(before);
    expect(await client.echo('back')).toBe('back');
  });

  it('a reset still pending when the board loses power does not reboot the next run', async () => {
    // zephyr: subsys/mgmt/mcumgr/grp/os_mgmt/src/os_mgmt.c schedules the reboot as delayable work
    // in RAM; a power cycle within CONFIG_MCUMGR_GRP_OS_RESET_MS wipes it.
    booted = await bootDevice();
    const { client, device } = booted;
    await client.reset();
    await device.powerOff();
    await device.powerOn();
    const boots: BootResult[] = [];
    const off = device.onBoot((result) => boots.push(result));
    await new Promise((resolve) => setTimeout(resolve, 600));
    off();
    expect(boots).toEqual([]);
    expect(device.state).toBe('running');
  });

  it('keeps the RTC time across a warm reset and loses it when the board is powered off', async () => {
    booted = await bootDevice();
    const { client, device } = booted;
    await dateTimeWrite(client.smp, '2026-12-02T14:05:00');
    await booted.reset();
    const after = await dateTimeRead(client.smp);
    expect(after >= '2026-12-02T14:05:00' && after <= '2026-12-02T14:05:05').toBe(true);
    await device.powerOff();
    await device.powerOn();
    const error = await osError(dateTimeRead(client.smp));
    expect({ group: error.group, code: error.codeName }).toEqual({ group: SmpGroup.Os, code: 'RTC_NOT_SET' });
  });

  it('reset with boot_mode reboots into the app as usual (v3.5.0 does not read the key)', async () => {
    booted = await bootDevice();
    const { client, device } = booted;
    const nextBoot = new Promise<BootResult>((resolve) => {
      const off = device.onBoot((result) => {
        off();
        resolve(result);
      });
    });
    await resetDevice(client.smp, { bootMode: 1, force: true });
    expect((await nextBoot).booted).toBe(true);
    expect(device.state).toBe('running');
    await expect(resetDevice(client.smp, { bootMode: 256 })).rejects.toThrow(/boot mode 256 is not a byte/);
  });

  it('answers mpstat with ENOTSUP (no handler in v3.5.0), v1 and v2 alike', async () => {
    booted = await bootDevice();
    const error = await osError(memoryPoolStats(booted.client.smp));
    expect({ kind: error.detail.kind, rc: error.rc }).toEqual({ kind: 'rc', rc: 8 });
    expect(mpStat.id).toBe(3);
  });

  it('lists the threads in taskstat, main among them while it runs', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    const tasks = await taskStats(booted.client.smp);
    expect(Object.keys(tasks)).toEqual(['mcumgr smp', 'shell_dummy', 'logging', 'sysworkq', 'idle', 'main']);
    expect(tasks.main).toEqual({ prio: 0, tid: 5, state: 16 });
  });
});
