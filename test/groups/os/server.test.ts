import { afterEach, describe, expect, it } from 'vitest';
import type { BootResult } from '../../../src/device/mcuboot/boot.ts';
import { bootloaderInfo } from '../../../src/groups/os/models.ts';
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
    const error = await osError(client.smp.request(bootloaderInfo, { query: 'colour' }));
    expect({ group: error.group, rc: error.rc }).toEqual({ group: SmpGroup.Os, rc: 3 });
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
});
