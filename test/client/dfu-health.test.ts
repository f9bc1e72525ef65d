/** runDfu: an image is confirmed only when it stays up and passes the checks. */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../src/client/device.ts';
import { type DfuStep, runDfu } from '../../src/client/dfu.ts';
import { servesShellGroup } from '../../src/client/dfu-health.ts';
import type { VirtualDevice } from '../../src/device/device.ts';
import { GroupError } from '../../src/device/server/mgmt-error.ts';
import { SmpServer } from '../../src/device/server/smp-server.ts';
import { shellExec } from '../../src/groups/shell/models.ts';
import { SmpGroup } from '../../src/smp/group-ids.ts';
import { decodeRawHeader } from '../../src/smp/header.ts';
import { createMemoryLink } from '../../src/transport/memory.ts';
import { type BootedDevice, blinky, bootDevice } from '../device/server/fixtures.ts';
import { signedFixture } from '../helpers/signed-fixture.ts';
import { dfuError, fast, resetOnFatal, slot } from './dfu-helpers.ts';

let booted: BootedDevice | undefined;
const extraClients: DeviceClient[] = [];

afterEach(async () => {
  await Promise.all(extraClients.splice(0).map((c) => c.close()));
  await booted?.close();
  booted = undefined;
});

describe('runDfu: an image that answers SMP is not yet a healthy one', () => {
  it('a crash at start on a board that resets on fatal errors: MCUboot reverts, dfu says so', async () => {
    booted = await bootDevice({ board: resetOnFatal });
    const error = await dfuError(runDfu(booted.client, await signedFixture('crash-at-start', '3.0.0'), fast));
    expect(error.fault).toBe('device');
    expect(error.message).toMatch(/runs version 1\.0\.0, not the uploaded 3\.0\.0: MCUboot reverted it/);
    expect(booted.consoleLines.join('\n')).toContain('Resetting system');
    const state = await booted.client.imageList();
    expect(slot(state, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
    expect(slot(state, 1)).toMatchObject({ version: '3.0.0', confirmed: false, pending: false });
  });

  it('a crash a second after boot halts the board: not confirmed, and dfu says how to revert', async () => {
    booted = await bootDevice();
    const steps: DfuStep[] = [];
    const crash = await signedFixture('crash-after-a-second', '3.0.0');
    const error = await dfuError(
      runDfu(booted.client, crash, { ...fast, settleMs: 4000, onStep: (s) => steps.push(s) }),
    );
    expect(steps.map((s) => s.kind)).toEqual([
      'uploaded',
      'marked',
      'reset',
      'back',
      'watching',
      'unhealthy',
      'reverting',
    ]);
    expect(error.fault).toBe('device');
    expect(error.message).toMatch(
      /image 3\.0\.0 is not healthy: it stopped answering between \d+\.\d and \d+\.\d s after it booted/,
    );
    expect(error.message).toMatch(/took no reset .*MCUboot will then go back to version 1\.0\.0/);
    expect(booted.device.state).toBe('halted');
    // The reset button: MCUboot reverts the unconfirmed image.
    await booted.reset();
    const state = await booted.client.imageList();
    expect(slot(state, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
  }, 15_000);

  it('a crash a second after boot on a reset-on-fatal board: seen as a reboot back to the old image', async () => {
    booted = await bootDevice({ board: resetOnFatal });
    const crash = await signedFixture('crash-after-a-second', '3.0.0');
    const error = await dfuError(runDfu(booted.client, crash, { ...fast, settleMs: 4000 }));
    expect(error.message).toMatch(/is not healthy: .*runs version 1\.0\.0 again/);
    expect(error.message).toMatch(/MCUboot went back to 1\.0\.0/);
    expect(slot(await booted.client.imageList(), 0)).toMatchObject({ version: '1.0.0', confirmed: true });
  }, 15_000);

  it('a statistic that does not rise fails the check; the image is reset away and the old one runs', async () => {
    booted = await bootDevice();
    const steps: DfuStep[] = [];
    const stalls = await signedFixture('stat-stalls', '3.0.0');
    const error = await dfuError(
      runDfu(booted.client, stalls, {
        ...fast,
        checks: [{ kind: 'stat-rises', group: 'smp_server_stats', field: 'counter_stat' }],
        onStep: (s) => steps.push(s),
      }),
    );
    expect(error.fault).toBe('device');
    expect(error.message).toMatch(
      /statistic smp_server_stats\.counter_stat did not rise in 0\.3 s \(still 1\)/,
    );
    expect(error.message).toMatch(/MCUboot went back to 1\.0\.0, which runs again/);
    expect(steps.at(-1)).toEqual({ kind: 'reverted', version: '1.0.0' });
    const state = await booted.client.imageList();
    expect(slot(state, 0)).toMatchObject({ version: '1.0.0', active: true, confirmed: true });
  });

  it('a rising statistic passes, and a missing one fails', async () => {
    booted = await bootDevice();
    const steps: DfuStep[] = [];
    await runDfu(booted.client, await blinky('blinky-two'), {
      ...fast,
      checks: [{ kind: 'stat-rises', group: 'smp_server_stats', field: 'counter_stat' }],
      onStep: (s) => steps.push(s),
    });
    const healthy = steps.find((s) => s.kind === 'healthy');
    expect(healthy).toMatchObject({ passed: [expect.stringMatching(/counter_stat rose from \d+ to \d+/)] });

    await booted.close();
    booted = await bootDevice();
    const error = await dfuError(
      runDfu(booted.client, await blinky('blinky-two'), {
        ...fast,
        checks: [{ kind: 'stat-rises', group: 'app', field: 'loops' }],
      }),
    );
    expect(error.message).toMatch(/has no statistic app\.loops/);
  });

  it('--no-revert leaves the unhealthy image running unconfirmed', async () => {
    booted = await bootDevice();
    const stalls = await signedFixture('stat-stalls', '3.0.0');
    const error = await dfuError(
      runDfu(booted.client, stalls, {
        ...fast,
        revert: false,
        checks: [{ kind: 'stat-rises', group: 'smp_server_stats', field: 'counter_stat' }],
      }),
    );
    expect(error.message).toMatch(
      /not confirmed \(--no-revert\): the next reset makes MCUboot go back to version 1\.0\.0/,
    );
    expect(slot(await booted.client.imageList(), 0)).toMatchObject({ version: '3.0.0', confirmed: false });
  });
});

/**
 * The sim has no shell group yet, so a real SmpServer with a shell handler answers group 9 and the
 * virtual device everything else, on one in-memory link.
 */
function withShell(
  device: VirtualDevice,
  commands: Record<string, { o: string; ret: number }>,
): DeviceClient {
  const shell = new SmpServer({ netbufSize: 2048, verboseErrors: true });
  shell.register(shellExec, (request) => {
    if (request.argv.length === 0) throw new GroupError(SmpGroup.Shell, 3, 'empty command');
    return commands[request.argv.join(' ')] ?? { o: `${request.argv[0]}: command not found`, ret: -8 };
  });
  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
  deviceEnd.onPacket((packet) => {
    const server = decodeRawHeader(packet, 0).group === SmpGroup.Shell ? shell : undefined;
    const answer = server ? server.handlePacket(packet) : device.handleDatagram(packet);
    void answer.then(async (responses) => {
      for (const response of responses) await deviceEnd.send(response);
    });
  });
  const client = new DeviceClient(clientEnd, { timeoutMs: 2000, retries: 0 });
  extraClients.push(client);
  return client;
}

describe('shell checks (SMP shell group 9, command 0)', () => {
  it('DeviceClient.shellExec returns the output and the return value; an empty line is refused', async () => {
    booted = await bootDevice();
    const client = withShell(booted.device, { 'app status': { o: 'all good\n', ret: 0 } });
    expect(await client.shellExec(['app', 'status'])).toEqual({ output: 'all good\n', ret: 0 });
    expect(await client.shellExec(['app', 'nope'])).toEqual({ output: 'app: command not found', ret: -8 });
    await expect(client.shellExec([])).rejects.toThrow(/empty shell command \(EMPTY_COMMAND, group 9 rc 3\)/);
  });

  it('confirms when the command returns 0, reverts when it fails', async () => {
    booted = await bootDevice();
    const ok = withShell(booted.device, { 'app status': { o: 'ok', ret: 0 } });
    const steps: DfuStep[] = [];
    await runDfu(ok, await blinky('blinky-two'), {
      ...fast,
      checks: [{ kind: 'shell', argv: ['app', 'status'] }],
      onStep: (s) => steps.push(s),
    });
    expect(steps.find((s) => s.kind === 'healthy')).toMatchObject({
      passed: ['shell command "app status" returned 0'],
    });
    expect(steps.at(-1)?.kind).toBe('confirmed');

    await booted.close();
    booted = await bootDevice();
    const failing = withShell(booted.device, { 'app status': { o: 'sensor missing\n', ret: -5 } });
    const error = await dfuError(
      runDfu(failing, await blinky('blinky-two'), {
        ...fast,
        checks: [{ kind: 'shell', argv: ['app', 'status'] }],
      }),
    );
    expect(error.message).toMatch(/the shell command "app status" returned -5: sensor missing/);
    expect(error.message).toMatch(/MCUboot went back to 1\.0\.0, which runs again/);
  });

  it('a device without the shell group is refused before anything is uploaded', async () => {
    booted = await bootDevice();
    const steps: DfuStep['kind'][] = [];
    const error = await dfuError(
      runDfu(booted.client, await blinky('blinky-two'), {
        ...fast,
        checks: [{ kind: 'shell', argv: ['app'] }],
        onStep: (s) => steps.push(s.kind),
      }),
    );
    expect(error.message).toMatch(
      /^the device has no SMP shell group \(CONFIG_MCUMGR_GRP_SHELL\); --check-shell cannot run/,
    );
    expect(error.fault).toBe('local');
    expect(steps).toEqual([]);
    expect(slot(await booted.client.imageList(), 1)).toBeUndefined();
  });

  it('the probe (an empty argv) runs nothing on a device that has the shell group', async () => {
    booted = await bootDevice();
    const client = withShell(booted.device, {});
    expect(await servesShellGroup(client)).toBe(true);
    expect(await servesShellGroup(booted.client)).toBe(false);
  });
});
