/**
 * The OS group (0) and shell group (9) of the virtual board, driven by the real peer tools over
 * its PTY and over UDP, each asserting on the peer's own output: smpmgr's CLI (`shell`, `os
 * reset`: the OS commands it has), intercreate smpclient's API (test/interop/py/
 * os_shell_smpclient.py) and Finomnis' mcumgr-toolkit (test/interop/py/os_shell_toolkit.py).
 *
 * Peer findings recorded here (Zephyr v3.5.0 answers, the peers' reading of them):
 * - smpclient (smp 4.x) cannot parse the "mode" answer of bootloader info: its response model
 *   requires "bootloader" and forbids "mode", and Zephyr sends only {"mode": n}.
 * - smpclient reads mpstat's {"rc": 8} as a success with a pool named "rc" (its response model
 *   allows any key), so ENOTSUP goes unnoticed.
 * - smpmgr names shell group error 2 INVALID_FORMAT; Zephyr's shell_mgmt calls it COMMAND_TOO_LONG,
 *   and smp's enum stops there, so smpclient cannot parse EMPTY_COMMAND (group 9 rc 3) at all.
 * - Over serial, smpmgr refuses requests over 169 bytes itself (128-byte lines, 2 buffers), so an
 *   over-long shell line is only sent over UDP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerTool } from './peers.ts';
import {
  type InteropSim,
  nextBoot,
  runProcess,
  SMP_UDP_PORT,
  smpmgr,
  startInteropSim,
} from './smp-harness.ts';

const LINKS = ['serial', 'udp'] as const;
const SMPCLIENT = `${import.meta.dirname}/py/os_shell_smpclient.py`;
const TOOLKIT = `${import.meta.dirname}/py/os_shell_toolkit.py`;

type PeerLine = Record<string, unknown> & { op: string };

async function peerLines(script: string, linkArgs: string[], ops: string[][]): Promise<PeerLine[]> {
  const result = await runProcess(peerTool('python'), [script, ...linkArgs, JSON.stringify(ops)]);
  const lines = result.stdout.split('\n').filter((line) => line.startsWith('{'));
  if (lines.length !== ops.length) {
    throw new Error(
      `${script} answered ${lines.length} of ${ops.length} ops (exit ${result.code}):\n${result.stdout}${result.stderr}`,
    );
  }
  return lines.map((line) => JSON.parse(line) as PeerLine);
}

describe.each(LINKS)('os and shell groups with the peers over %s', (linkName) => {
  let sim: InteropSim;
  const link = () => sim[linkName];
  const smpclient = (ops: string[][]) => {
    const target = link();
    return peerLines(
      SMPCLIENT,
      'serial' in target ? ['--serial', target.serial] : ['--udp', target.udp],
      ops,
    );
  };
  const toolkit = (ops: string[][]) => {
    const target = link();
    const args =
      'serial' in target ? ['--serial', target.serial] : ['--udp', `${target.udp}:${SMP_UDP_PORT}`];
    return peerLines(TOOLKIT, args, ops);
  };

  beforeAll(async () => {
    sim = await startInteropSim(0);
  });
  afterAll(async () => {
    await sim?.handle.close();
  });

  it('smpmgr runs shell commands and prints their output', async () => {
    expect(await smpmgr(link(), ['shell', 'kernel version'])).toContain('Zephyr version 3.5.0');
    expect(await smpmgr(link(), ['shell', 'led rate 4'])).toContain('LED0: 4.0 Hz (toggles every 125 ms)');
    expect(await smpmgr(link(), ['shell', 'led rate'])).toContain('LED0: 4.0 Hz');
    expect(await smpmgr(link(), ['shell', 'nope x'])).toContain('nope: command not found');
    expect(await smpmgr(link(), ['shell', 'device list'])).toContain('- gpiod (READY)');
    if (linkName === 'udp') {
      const tooLong = await smpmgr(link(), ['shell', `led rate ${'1'.repeat(260)}`]);
      expect(tooLong).toContain(
        'group=<GroupId.SHELL_MANAGEMENT: 9>, rc=<SHELL_MGMT_RET_RC.INVALID_FORMAT: 2>',
      );
    }
  });

  it('smpmgr resets the board (os reset)', async () => {
    const booted = nextBoot(sim.handle);
    expect(await smpmgr(link(), ['os', 'reset'])).toContain('ResetWriteResponse(');
    expect((await booted).booted).toBe(true);
  });

  it('smpclient reads taskstat, datetime, os info, bootloader info and runs shell commands', async () => {
    await sim.handle.device.powerOff();
    await sim.handle.device.powerOn();
    const lines = await smpclient([
      ['taskstat'],
      ['mpstat'],
      ['datetime-get'],
      ['datetime-set', '2026-12-02T14:05:00'],
      ['datetime-get'],
      ['datetime-set', '2026-02-30T00:00:00'],
      ['info'],
      ['info', 'a'],
      ['info', 'x'],
      ['bootloader'],
      ['bootloader', 'mode'],
      ['bootloader', 'colour'],
      ['shell', 'kernel', 'version'],
      ['shell', 'led', 'rate', '3'],
      ['shell', 'nope'],
      ['shell'],
      ['reset-boot-mode', '1'],
    ]);
    const byIndex = (i: number) => lines[i] as PeerLine;
    const tasks = byIndex(0).tasks as Record<string, { prio: number; state: number }>;
    expect(tasks.main).toMatchObject({ prio: 0, state: 16 });
    expect(tasks['mcumgr smp']).toMatchObject({ prio: 3, state: 128 });
    expect(tasks.shell_dummy).toMatchObject({ prio: 14, state: 2 });
    expect(byIndex(1)).toEqual({ op: 'mpstat', pools: { rc: 8 } });
    expect(byIndex(2)).toMatchObject({ op: 'datetime-get', group: 0, rc: 4 });
    expect(byIndex(3)).toEqual({ op: 'datetime-set' });
    expect(byIndex(4).datetime).toMatch(/^2026-12-02T14:05:0\d$/);
    expect(byIndex(5)).toMatchObject({ op: 'datetime-set', group: 0, rc: 5 });
    expect(byIndex(6)).toEqual({ op: 'info', output: 'Zephyr' });
    expect(byIndex(7)).toEqual({
      op: 'info',
      output: 'Zephyr unknown zephyr-v3.5.0 3.5.0 arm cortex-m4 stm32f4_disco Zephyr',
    });
    expect(byIndex(8)).toMatchObject({ op: 'info', group: 0, rc: 2 });
    expect(byIndex(9)).toEqual({ op: 'bootloader', bootloader: 'MCUboot', response: 'None' });
    expect(String(byIndex(10).exception)).toMatch(
      /Frame could not be parsed as any of:[\s\S]*BootloaderInformationReadResponse/,
    );
    expect(byIndex(11)).toMatchObject({ op: 'bootloader', rc: 3 });
    expect(byIndex(12)).toEqual({ op: 'shell', o: '\r\nZephyr version 3.5.0\r\n', ret: 0 });
    expect(byIndex(13)).toEqual({ op: 'shell', o: '\r\nLED0: 3.0 Hz (toggles every 167 ms)\r\n', ret: 0 });
    expect(byIndex(14)).toEqual({ op: 'shell', o: '\r\nnope: command not found\r\n', ret: -8 });
    // EMPTY_COMMAND (group 9 rc 3): smp's SHELL_MGMT_RET_RC knows only 0-2, so smpclient cannot parse it.
    expect(String(byIndex(15).exception)).toMatch(
      /Frame could not be parsed as any of:[\s\S]*ExecuteResponse/,
    );
    expect(byIndex(16)).toEqual({ op: 'reset-boot-mode' });
  });

  it('mcumgr-toolkit reads taskstat, datetime, os info, bootloader info, runs shell commands, resets with a boot mode', async () => {
    await sim.handle.device.powerOff();
    await sim.handle.device.powerOn();
    const lines = await toolkit([
      ['taskstat'],
      ['mpstat'],
      ['datetime-get'],
      ['datetime-set', '2026-12-02T14:05:00'],
      ['datetime-get'],
      ['info', 'a'],
      ['info', 'x'],
      ['bootloader'],
      ['shell', 'kernel', 'uptime'],
      ['shell', 'led', 'rate', '5'],
      ['shell', 'nope'],
      ['shell', 'mcuboot'],
    ]);
    const byIndex = (i: number) => lines[i] as PeerLine;
    expect((byIndex(0).tasks as Record<string, { state: number }>).idle).toMatchObject({
      prio: 15,
      state: 0,
    });
    expect(byIndex(1).error).toContain('MGMT_ERR_ENOTSUP');
    expect(String(byIndex(2).error)).toMatch(/RTC_NOT_SET/);
    expect(byIndex(3)).toEqual({ op: 'datetime-set' });
    expect(byIndex(4).datetime).toMatch(/^2026-12-02T14:05:0\d$/);
    expect(byIndex(5).output).toBe('Zephyr unknown zephyr-v3.5.0 3.5.0 arm cortex-m4 stm32f4_disco Zephyr');
    expect(byIndex(6).error).toContain('OS_MGMT_ERR_INVALID_FORMAT');
    expect(byIndex(7)).toEqual({ op: 'bootloader', info: { name: 'MCUboot', mode: 1, no_downgrade: false } });
    expect(byIndex(8)).toEqual({ op: 'shell', o: expect.stringMatching(/^\r\nUptime: \d+ ms\r\n$/) });
    expect(byIndex(9)).toEqual({ op: 'shell', o: '\r\nLED0: 5.0 Hz (toggles every 100 ms)\r\n' });
    expect(byIndex(10).error).toContain('ENOEXEC');
    expect(byIndex(10).error).toContain('nope: command not found');
    expect(byIndex(11).o).toContain('primary area (2):\r\n  version: 1.0.0+0\r\n');

    const booted = nextBoot(sim.handle);
    expect(await toolkit([['reset-boot-mode', '1']])).toEqual([{ op: 'reset-boot-mode' }]);
    expect((await booted).booted).toBe(true);
  });
});
