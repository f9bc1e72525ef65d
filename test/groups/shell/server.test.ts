/**
 * `shell exec` on a booted virtual board (Binary One running in its worker): the built-in
 * commands, the blinky's own `led rate`, and shell_mgmt's errors with SMP v1 and v2 headers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import type { VirtualDevice } from '../../../src/device/device.ts';
import { FirmwareShellError } from '../../../src/device/firmware/runner.ts';
import type { DeviceServices } from '../../../src/device/server/services.ts';
import { shellExecute } from '../../../src/groups/shell/client.ts';
import { deviceShell } from '../../../src/groups/shell/device-shell.ts';
import { shellExec } from '../../../src/groups/shell/models.ts';
import { defineCommand } from '../../../src/smp/command.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { arrayOf, int } from '../../../src/smp/schema.ts';
import { createMemoryLink } from '../../../src/transport/memory.ts';
import { type BootedDevice, blinky, bootDevice } from '../../device/server/fixtures.ts';
import { rejection } from '../server-link.ts';

let booted: BootedDevice | undefined;
const clients: DeviceClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await booted?.close();
  booted = undefined;
});

/** A second client on the same device with the given SMP version. */
function clientFor(device: VirtualDevice, version: 1 | 2): DeviceClient {
  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
  deviceEnd.onPacket((packet) => {
    void device.handleDatagram(packet).then(async (responses) => {
      for (const response of responses) await deviceEnd.send(response);
    });
  });
  const client = new DeviceClient(clientEnd, { version, timeoutMs: 3000, retries: 0 });
  clients.push(client);
  return client;
}

async function started(): Promise<BootedDevice> {
  booted = await bootDevice();
  await booted.appStarted();
  return booted;
}

async function smpError(call: Promise<unknown>): Promise<SmpError> {
  const error = await rejection(call);
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

describe('shell exec on the virtual board', () => {
  it('prints the kernel version and uptime as Zephyr v3.5.0 does', async () => {
    const { client, device } = await started();
    expect(await shellExecute(client.smp, ['kernel', 'version'])).toEqual({
      output: '\r\nZephyr version 3.5.0\r\n',
      ret: 0,
    });
    const uptime = await shellExecute(client.smp, ['kernel', 'uptime']);
    const ms = Number(/^\r\nUptime: (\d+) ms\r\n$/.exec(uptime.output)?.[1]);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(device.firmware?.uptimeMs() ?? 0);
  });

  it("lists the board's devices, ready", async () => {
    const { client } = await started();
    expect((await shellExecute(client.smp, ['device', 'list'])).output).toBe(
      '\r\ndevices:\r\n- flash0 (READY)\r\n- gpioa (READY)\r\n- gpiod (READY)\r\n- usart2 (READY)\r\n',
    );
  });

  it("shows MCUboot's view of both slots, cut at the dummy backend's 299 bytes", async () => {
    const { client } = await started();
    const empty = await shellExecute(client.smp, ['mcuboot']);
    expect(empty.output).toBe(
      '\r\nswap type: none\r\nconfirmed: 1\r\n\r\nprimary area (2):\r\n  version: 1.0.0+0\r\n' +
        `  image size: ${/image size: (\d+)/.exec(empty.output)?.[1]}\r\n  magic: unset\r\n  swap type: none\r\n` +
        '  copy done: unset\r\n  image ok: unset\r\n\r\nfailed to read secondary area (3) header: -5\r\n',
    );
    await client.imageUpload(await blinky('blinky-two'));
    const { images } = await client.imageList();
    await client.imageTest(images[1]!.hash);
    const pending = await shellExecute(client.smp, ['mcuboot']);
    expect(pending.output.startsWith('\r\nswap type: test\r\nconfirmed: 1\r\n')).toBe(true);
    expect(pending.output).toContain('secondary area (3):\r\n  version: 2.0.0+0\r\n');
    expect(pending.output.length).toBe(299);
  });

  it('lists the commands in help, the app\'s "led" among them', async () => {
    const { client } = await started();
    const help = await shellExecute(client.smp, ['help']);
    expect(help.output).toBe(
      '\r\nAvailable commands:\r\n  device   :Device commands\r\n  help     :Prints the help message.\r\n' +
        '  kernel   :Kernel commands\r\n  led      :LED commands\r\n  mcuboot  :MCUboot commands\r\n',
    );
  });

  it("runs the blinky's own `led rate` in the firmware: reads and sets LED0's rate", async () => {
    const { client, device } = await started();
    expect(await shellExecute(client.smp, ['led', 'rate'])).toEqual({
      output: '\r\nLED0: 1.0 Hz (toggles every 500 ms)\r\n',
      ret: 0,
    });
    expect(await shellExecute(client.smp, ['led', 'rate', '10'])).toEqual({
      output: '\r\nLED0: 10.0 Hz (toggles every 50 ms)\r\n',
      ret: 0,
    });
    // The app's next toggles follow the new period (the first one still ends the old sleep).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(device.firmware?.ledRateHz(400)).toBeGreaterThan(8);
    expect((await shellExecute(client.smp, ['led', 'rate'])).output).toContain('LED0: 10.0 Hz');
    expect(booted?.consoleLines.some((line) => line.includes('<inf> app: LED0 rate set to 10.0 Hz'))).toBe(
      true,
    );
  });

  it("finds the app's `led rate` from the first request after boot, as SHELL_CMD_REGISTER is static", async () => {
    // zephyr: include/zephyr/shell/shell.h, SHELL_CMD_REGISTER puts the command in an iterable
    // section at build time, so it exists before main() runs (no appStarted() wait here).
    booted = await bootDevice();
    expect(await shellExecute(booted.client.smp, ['led', 'rate', '5'])).toEqual({
      output: '\r\nLED0: 5.0 Hz (toggles every 100 ms)\r\n',
      ret: 0,
    });
  });

  it('answers a bad rate, an unknown command and a missing subcommand with the output and ret', async () => {
    const { client } = await started();
    expect(await shellExecute(client.smp, ['led', 'rate', 'fast'])).toEqual({
      output: '\r\ninvalid rate: fast (expected 0.1 to 100 Hz)\r\n',
      ret: -22,
    });
    expect(await shellExecute(client.smp, ['led', 'rate', '1', '2'])).toEqual({
      output: '\r\nrate: wrong parameter count\r\n',
      ret: -22,
    });
    expect(await shellExecute(client.smp, ['reboot'])).toEqual({
      output: '\r\nreboot: command not found\r\n',
      ret: -8,
    });
    expect(await shellExecute(client.smp, ['kernel'])).toEqual({
      output: '\r\nPlease specify a subcommand.\r\n',
      ret: -8,
    });
  });

  it('refuses an empty argv (EMPTY_COMMAND) and a line over 255 bytes (COMMAND_TOO_LONG): v2 group 9, v1 EINVAL', async () => {
    const { device } = await started();
    const v2 = clientFor(device, 2);
    const v1 = clientFor(device, 1);
    const empty = await smpError(shellExecute(v2.smp, []));
    expect({ group: empty.group, rc: empty.rc, code: empty.codeName }).toEqual({
      group: 9,
      rc: 3,
      code: 'EMPTY_COMMAND',
    });
    const longest = ['led', 'rate', '1'.padStart(255 - 'led rate '.length, '0')];
    expect((await shellExecute(v2.smp, longest)).ret).toBe(0);
    const tooLong = ['led', 'rate', '1'.padStart(256 - 'led rate '.length, '0')];
    const long = await smpError(shellExecute(v2.smp, tooLong));
    expect({ group: long.group, rc: long.rc, code: long.codeName }).toEqual({
      group: 9,
      rc: 2,
      code: 'COMMAND_TOO_LONG',
    });
    for (const argv of [[], tooLong]) {
      const error = await smpError(shellExecute(v1.smp, argv));
      expect({ kind: error.detail.kind, rc: error.rc }).toEqual({ kind: 'rc', rc: 3 });
    }
  });

  it('ends argv at its first item that is not text, and refuses a request without an argv array (EINVAL)', async () => {
    const { client } = await started();
    const mixed = defineCommand({
      ...shellExec,
      request: { argv: arrayOf(int()) },
      response: shellExec.response.shape,
    });
    const allNumbers = await smpError(client.smp.request(mixed, { argv: [1, 2] }));
    expect({ group: allNumbers.group, rc: allNumbers.rc }).toEqual({ group: 9, rc: 3 });
    const noArgv = defineCommand({ ...shellExec, request: {}, response: shellExec.response.shape });
    const missing = await smpError(client.smp.request(noArgv, {}));
    expect({ kind: missing.detail.kind, rc: missing.rc }).toEqual({ kind: 'rc', rc: 3 });
  });

  it('answers -ETIMEDOUT with a line naming the command when the app does not answer in time', async () => {
    const services = {
      board: getBoard('stm32f4_disco'),
      slots: { images: [] },
      uptimeMs: () => 0,
      shell: {
        commands: () => [
          { syntax: 'probe', help: 'p', mandatory: 1, optional: 0, hasHandler: true, subcommands: [] },
        ],
        run: () =>
          Promise.reject(
            new FirmwareShellError('the app\'s "probe" did not return within 2000 ms', 'timeout'),
          ),
      },
    } as unknown as DeviceServices;
    expect(await deviceShell(services).execute('probe')).toEqual({
      output: '\r\nprobe: the app\'s "probe" did not return within 2000 ms\r\n',
      ret: -116,
    });
  });
});
