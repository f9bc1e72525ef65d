/**
 * The OS group's zdfu commands against `zdfu sim` (fast flash), over the PTY (serial framing) and
 * over UDP, in text and --json: taskstat, mpstat, datetime, os info, bootloader, reset --boot-mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../../src/device/io/sim-host.ts';
import { runZdfu } from '../../helpers/run-zdfu.ts';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSim({ udp: '127.0.0.1:0', baud: 0, flashTimeScale: 0 });
});
afterAll(async () => {
  await sim?.close();
});

const links = {
  serial: () => ['--conntype', 'serial', '--connstring', `dev=${sim.ptyPath}`],
  udp: () => ['--conntype', 'udp', '--connstring', `127.0.0.1:${sim.udp?.port}`],
};

describe.each(['serial', 'udp'] as const)('os commands over %s', (kind) => {
  const zdfu = (...args: string[]) => runZdfu([...links[kind](), ...args], {});

  it('taskstat prints a row per thread; --json gives the map', async () => {
    const text = await zdfu('taskstat');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^ +task +pri +tid +state\n/);
    expect(text.out).toMatch(/\n +main +0 +\d+ +16\n/);
    const json = JSON.parse((await zdfu('--json', 'taskstat')).out) as {
      tasks: Record<string, { prio: number }>;
    };
    expect(json.tasks.idle?.prio).toBe(15);
  });

  it('mpstat says the device does not support it (v3.5.0 has no handler)', async () => {
    const run = await zdfu('mpstat');
    expect(run.code).toBe(2);
    expect(run.err).toContain('command not supported by the device (MGMT_ERR_ENOTSUP, rc 8)');
  });

  it('datetime: not set, set, read back; bad text refused before sending, naming the problem', async () => {
    await sim.device.powerOff();
    await sim.device.powerOn();
    const unset = await zdfu('datetime');
    expect(unset.code).toBe(2);
    expect(unset.err).toContain('the real-time clock is not set (RTC_NOT_SET, group 0 rc 4)');
    const set = await zdfu('datetime', '2026-12-02T14:05:00');
    expect(set).toMatchObject({ code: 0, out: 'datetime set to 2026-12-02T14:05:00\n' });
    const read = await zdfu('--json', 'datetime');
    expect(JSON.parse(read.out).datetime).toMatch(/^2026-12-02T14:05:0\d$/);
    const bad = await zdfu('datetime', '2026-13-02T14:05:00');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('month 13 is out of range 1-12');
    const impossible = await zdfu('datetime', '2026-02-30T00:00:00');
    expect(impossible.code).toBe(2);
    expect(impossible.err).toContain('RTC_COMMAND_FAILED');
    const now = await zdfu('datetime', 'now');
    expect(now.out).toMatch(/^datetime set to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\n$/);
  });

  it('os info prints the fields; a bad letter is INVALID_FORMAT', async () => {
    expect((await zdfu('os', 'info')).out).toBe('Zephyr\n');
    expect((await zdfu('os', 'info', 'a')).out).toBe(
      'Zephyr unknown zephyr-v3.5.0 3.5.0 arm cortex-m4 stm32f4_disco Zephyr\n',
    );
    expect(JSON.parse((await zdfu('--json', 'os', 'info', 'v')).out)).toEqual({ output: '3.5.0' });
    const bad = await zdfu('os', 'info', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('invalid format string (INVALID_FORMAT, group 0 rc 2)');
  });

  it('bootloader names MCUboot and its mode; an unknown query is explained', async () => {
    expect((await zdfu('bootloader')).out).toBe('bootloader: MCUboot\n');
    expect((await zdfu('bootloader', 'mode')).out).toBe('mode: 1 (swap using scratch)\n');
    expect(JSON.parse((await zdfu('--json', 'bootloader', 'mode')).out)).toEqual({ mode: 1 });
    const unknown = await zdfu('bootloader', 'colour');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('The bootloader has no answer to query "colour"');
  });

  it('reset --boot-mode 1 reboots the board (v3.5.0 ignores the mode); a bad mode is refused', async () => {
    const booted = new Promise<void>((resolve) => {
      const off = sim.device.onBoot(() => {
        off();
        resolve();
      });
    });
    expect(await zdfu('reset', '--boot-mode', '1')).toMatchObject({ code: 0, out: 'Done\n' });
    await booted;
    const bad = await zdfu('reset', '--boot-mode', 'fast');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('"fast" is not a boot mode');
  });
});
