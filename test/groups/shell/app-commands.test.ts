/**
 * The app's own shell commands (firmware/zephyr/shell/shell.ts SHELL_CMD_REGISTER): registered
 * with the host as data, run on the firmware's thread, bounded in time, in a worker and inline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stm32f4_disco } from '../../../src/device/boards/stm32f4_disco.ts';
import { devicetreeOf } from '../../../src/device/firmware/devicetree.ts';
import {
  FirmwareShellError,
  type FirmwareThread,
  type RunningFirmware,
  startFirmware,
} from '../../../src/device/firmware/runner.ts';
import { bundle, fixture, waitFor } from '../../firmware/helpers.ts';

const running: RunningFirmware[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((firmware) => firmware.stop()));
});

async function start(thread: FirmwareThread): Promise<{ firmware: RunningFirmware; console: () => string }> {
  const code = await bundle(fixture('shell-commands'));
  let output = '';
  const firmware = startFirmware(code, {
    onConsole: (text) => {
      output += text;
    },
    devicetree: devicetreeOf(stm32f4_disco),
    thread,
  });
  running.push(firmware);
  await waitFor(() => firmware.shellCommands().length > 0, 5000);
  return { firmware, console: () => output };
}

describe.each(['worker', 'inline'] as const)('app shell commands, app %s', (thread) => {
  it('registers its table as data: names, help, argument counts, which entries have handlers', async () => {
    const { firmware } = await start(thread);
    expect(firmware.shellCommands()).toEqual([
      {
        syntax: 'probe',
        help: 'Probe commands',
        mandatory: 0,
        optional: 0,
        hasHandler: false,
        subcommands: [
          {
            syntax: 'hang',
            help: 'never returns',
            mandatory: 1,
            optional: 0,
            hasHandler: true,
            subcommands: [],
          },
          { syntax: 'crash', help: 'throws', mandatory: 1, optional: 0, hasHandler: true, subcommands: [] },
          {
            syntax: 'args',
            help: 'prints its argv',
            mandatory: 1,
            optional: 2,
            hasHandler: true,
            subcommands: [],
          },
        ],
      },
    ]);
  });

  it('runs a command with its argv and hands back what it printed and returned', async () => {
    const { firmware } = await start(thread);
    expect(await firmware.runShell(['probe', 'args'], ['args', 'a b', 'c'], 1000)).toEqual({
      output: '3: args|a b|c\n',
      ret: 3,
    });
  });

  it('gives up on a command that does not return in time, and the app keeps running', async () => {
    const { firmware } = await start(thread);
    const error = await firmware.runShell(['probe', 'hang'], ['hang'], 150).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FirmwareShellError);
    expect((error as FirmwareShellError).reason).toBe('timeout');
    expect((error as Error).message).toMatch(/did not return within 150 ms/);
    expect(firmware.status()).toBe('running');
    expect((await firmware.runShell(['probe', 'args'], ['args'], 1000)).ret).toBe(1);
  });

  it('halts the app on a command that throws (a fault), failing the call', async () => {
    const { firmware, console } = await start(thread);
    const error = await firmware.runShell(['probe', 'crash'], ['crash'], 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FirmwareShellError);
    expect(firmware.status()).toBe('halted');
    expect(console()).toContain('Unhandled exception: Error: probe crashed');
    await expect(firmware.runShell(['probe', 'args'], ['args'], 1000)).rejects.toThrow(/halted/);
  });

  it('fails a pending command when the device resets', async () => {
    const { firmware } = await start(thread);
    const pending = firmware.runShell(['probe', 'hang'], ['hang'], 5000).catch((e: unknown) => e);
    await firmware.stop();
    const error = await pending;
    expect(error).toBeInstanceOf(FirmwareShellError);
    expect((error as FirmwareShellError).reason).toBe('stopped');
  });
});
