/**
 * The settings group (3) on the virtual device: Zephyr's settings_mgmt.c over the settings
 * subsystem, with the blinky app's own handler (`blinky/rate`) and the file backend on LittleFS
 * (nrf52840dk), or no backend (stm32f4_disco, whose storage LittleFS cannot use).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getBoard } from '../../../src/device/boards/index.ts';
import {
  commitSettings,
  deleteSetting,
  loadSettings,
  readSetting,
  saveSettings,
  writeSetting,
} from '../../../src/groups/settings/client.ts';
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
const decode = (value: Uint8Array) => new TextDecoder().decode(value);

async function failure(promise: Promise<unknown>): Promise<SmpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

async function bootWithFs(): Promise<BootedDevice> {
  const device = await bootDevice({ board: getBoard('nrf52840dk') });
  await device.appStarted();
  return device;
}

/** The rate blinky logged at its last start. */
function loggedRate(device: BootedDevice): string | undefined {
  const lines = device.consoleLines.filter((line) => line.includes('blinky: LED0 at'));
  return /LED0 at (\S+) Hz/.exec(lines.at(-1) ?? '')?.[1];
}

async function restart(device: BootedDevice, how: 'reset' | 'power'): Promise<void> {
  const before = device.consoleLines.filter((line) => line.includes('blinky: LED0 at')).length;
  if (how === 'reset') await device.reset();
  else {
    await device.device.powerOff();
    await device.device.powerOn();
  }
  const deadline = Date.now() + 5000;
  while (device.consoleLines.filter((line) => line.includes('blinky: LED0 at')).length <= before) {
    if (Date.now() > deadline)
      throw new Error(`the app did not start again:\n${device.consoleLines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('settings on a board with LittleFS (file backend)', () => {
  it('nothing stored: blinky/rate is not found and Binary One blinks at 1 Hz', async () => {
    booted = await bootWithFs();
    expect(loggedRate(booted)).toBe('1');
    const error = await failure(readSetting(booted.client.smp, 'blinky/rate'));
    expect({ group: error.group, code: error.codeName }).toEqual({
      group: SmpGroup.Settings,
      code: 'KEY_NOT_FOUND',
    });
  });

  it.each(['reset', 'power'] as const)(
    'write + save, then %s: the app boots with the stored rate; after a delete, with the default again',
    async (how) => {
      booted = await bootWithFs();
      const smp = booted.client.smp;
      await writeSetting(smp, 'blinky/rate', text('4'));
      expect(decode((await readSetting(smp, 'blinky/rate')).value)).toBe('4');
      await saveSettings(smp);
      await restart(booted, how);
      expect(loggedRate(booted)).toBe('4');
      expect(decode((await readSetting(smp, 'blinky/rate')).value)).toBe('4');
      // The LED really blinks at 4 Hz (a full period every 250 ms).
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const rate = booted.device.firmware!.ledRateHz(1000);
      expect(rate).toBeGreaterThan(2.5);
      expect(rate).toBeLessThan(5.5);

      await deleteSetting(smp, 'blinky/rate');
      // The running app keeps its value until it restarts.
      expect(decode((await readSetting(smp, 'blinky/rate')).value)).toBe('4');
      await restart(booted, how);
      expect(loggedRate(booted)).toBe('1');
      expect((await failure(readSetting(smp, 'blinky/rate'))).codeName).toBe('KEY_NOT_FOUND');
    },
  );

  it('a written value that is not saved is gone after a reset; load brings back the stored one', async () => {
    booted = await bootWithFs();
    const smp = booted.client.smp;
    await writeSetting(smp, 'blinky/rate', text('7'));
    await saveSettings(smp);
    await writeSetting(smp, 'blinky/rate', text('9'));
    await loadSettings(smp);
    expect(decode((await readSetting(smp, 'blinky/rate')).value)).toBe('7');
    await writeSetting(smp, 'blinky/rate', text('9'));
    await commitSettings(smp);
    await restart(booted, 'reset');
    expect(loggedRate(booted)).toBe('7');
  });

  it('a stored rate the app cannot use is logged and the default kept', async () => {
    booted = await bootWithFs();
    await writeSetting(booted.client.smp, 'blinky/rate', text('999'));
    await saveSettings(booted.client.smp);
    await restart(booted, 'reset');
    expect(loggedRate(booted)).toBe('1');
    expect(booted.consoleLines.some((line) => line.includes('blinky/rate "999" is not 1 to 50 Hz'))).toBe(
      true,
    );
  });

  it('max_size: a read returns at most max_size bytes, and at most the device buffer (32) with "max_size" back', async () => {
    booted = await bootWithFs();
    const smp = booted.client.smp;
    await writeSetting(smp, 'blinky/rate', text('12345678'));
    expect(decode((await readSetting(smp, 'blinky/rate', 3)).value)).toBe('123');
    expect(decode((await readSetting(smp, 'blinky/rate', 0)).value)).toBe('');
    const capped = await readSetting(smp, 'blinky/rate', 100);
    expect({ value: decode(capped.value), deviceMaxSize: capped.deviceMaxSize }).toEqual({
      value: '12345678',
      deviceMaxSize: 32,
    });
    const raw = await rawRequest(booted.device, {
      version: 2,
      op: 'read',
      group: SmpGroup.Settings,
      command: 0,
      body: { name: 'blinky/rate', max_size: 2 ** 32 },
    });
    expect(raw).toEqual({ rc: 3 });
  });
});

describe('settings errors, v2 and v1', () => {
  const ask = (version: 1 | 2, op: 'read' | 'write', command: number, body: Record<string, unknown>) =>
    rawRequest(booted!.device, { version, op, group: SmpGroup.Settings, command, body: body as never });

  it('a key of 32 bytes or more is KEY_TOO_LONG (v1: EINVAL); 31 bytes is looked up', async () => {
    booted = await bootWithFs();
    const long = `blinky/${'x'.repeat(25)}`;
    expect(long.length).toBe(32);
    for (const [op, command, body] of [
      ['read', 0, { name: long }],
      ['write', 0, { name: long, val: text('1') }],
      ['write', 1, { name: long }],
    ] as const) {
      expect(await ask(2, op, command, body)).toEqual({ err: { group: 3, rc: 2 } });
      expect(await ask(1, op, command, body)).toEqual({ rc: 3 });
    }
    expect(await ask(2, 'read', 0, { name: long.slice(0, 31) })).toEqual({ err: { group: 3, rc: 3 } });
  });

  it('a key no handler owns is ROOT_KEY_NOT_FOUND (v1: EUNKNOWN); an unknown key under blinky is KEY_NOT_FOUND (v1: ENOENT)', async () => {
    booted = await bootWithFs();
    expect(await ask(2, 'read', 0, { name: 'nosuch/key' })).toEqual({ err: { group: 3, rc: 5 } });
    expect(await ask(1, 'read', 0, { name: 'nosuch/key' })).toEqual({ rc: 1 });
    expect(await ask(2, 'write', 0, { name: 'nosuch/key', val: text('1') })).toEqual({
      err: { group: 3, rc: 5 },
    });
    expect(await ask(2, 'read', 0, { name: 'blinky/nope' })).toEqual({ err: { group: 3, rc: 3 } });
    expect(await ask(1, 'read', 0, { name: 'blinky/nope' })).toEqual({ rc: 5 });
    // The subtree itself names no value.
    expect(await ask(2, 'read', 0, { name: 'blinky' })).toEqual({ err: { group: 3, rc: 3 } });
    // "blinkyx" is not under "blinky".
    expect(await ask(2, 'read', 0, { name: 'blinkyx/rate' })).toEqual({ err: { group: 3, rc: 5 } });
    const error = await failure(readSetting(booted.client.smp, 'nosuch/key'));
    expect(error.message).toContain('settings root key not found (ROOT_KEY_NOT_FOUND, group 3 rc 5)');
  });

  it("a value longer than the app's variable is refused by its h_set (-EINVAL: ROOT_KEY_NOT_FOUND)", async () => {
    booted = await bootWithFs();
    expect(await ask(2, 'write', 0, { name: 'blinky/rate', val: text('123456789') })).toEqual({
      err: { group: 3, rc: 5 },
    });
    expect(await ask(2, 'write', 0, { name: 'blinky/rate', val: text('12345678') })).toEqual({});
  });

  it('bad requests: empty key, missing or mistyped name/val/max_size are EINVAL; unknown commands ENOTSUP', async () => {
    booted = await bootWithFs();
    expect(await ask(2, 'read', 0, { name: '' })).toEqual({ rc: 3 });
    expect(await ask(2, 'read', 0, {})).toEqual({ rc: 3 });
    expect(await ask(2, 'read', 0, { name: 1 })).toEqual({ rc: 3 });
    expect(await ask(2, 'read', 0, { name: 'blinky/rate', max_size: -1 })).toEqual({ rc: 3 });
    expect(await ask(2, 'write', 0, { name: 'blinky/rate' })).toEqual({ rc: 3 });
    expect(await ask(2, 'write', 0, { name: 'blinky/rate', val: 'text, not bytes' })).toEqual({ rc: 3 });
    expect(await ask(2, 'write', 1, {})).toEqual({ rc: 3 });
    // Commands the group does not have: delete/commit have no read handler, id 4 nothing.
    expect(await ask(2, 'read', 1, { name: 'blinky/rate' })).toEqual({ rc: 8 });
    expect(await ask(2, 'read', 2, {})).toEqual({ rc: 8 });
    expect(await ask(2, 'write', 4, {})).toEqual({ rc: 8 });
    // commit, load, save ignore their payload.
    expect(await ask(2, 'write', 2, { anything: 1 })).toEqual({});
    expect(await ask(1, 'read', 3, {})).toEqual({});
    expect(await ask(1, 'write', 3, {})).toEqual({});
  });
});

describe('settings on a board without a file system (stm32f4_disco: no backend)', () => {
  it('runtime read/write work; delete has no destination (KEY_NOT_FOUND); save/load answer OK; nothing survives a reset', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    const smp = booted.client.smp;
    await writeSetting(smp, 'blinky/rate', text('5'));
    expect(decode((await readSetting(smp, 'blinky/rate')).value)).toBe('5');
    await saveSettings(smp);
    await loadSettings(smp);
    await commitSettings(smp);
    expect((await failure(deleteSetting(smp, 'blinky/rate'))).codeName).toBe('KEY_NOT_FOUND');
    await restart(booted, 'reset');
    expect(loggedRate(booted)).toBe('1');
    expect((await failure(readSetting(smp, 'blinky/rate'))).codeName).toBe('KEY_NOT_FOUND');
  });
});
