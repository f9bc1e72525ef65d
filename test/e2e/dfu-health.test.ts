/**
 * `zdfu dfu` against a sim on UDP, in-process: a firmware that dies at start is never confirmed and
 * MCUboot brings the old image back; a stalled statistic fails the check; a healthy image completes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSim } from '../../src/device/io/sim-host.ts';
import { bootAreas } from '../../src/device/mcuboot/boot.ts';
import { ImageSlots } from '../../src/groups/image/slots.ts';
import { ROOT } from '../device/server/fixtures.ts';
import { runZdfu } from '../helpers/run-zdfu.ts';
import { signedFixture } from '../helpers/signed-fixture.ts';
import { useSimWorkspace } from '../helpers/sim-workspace.ts';
import { slotRows, udpClient } from './helpers.ts';

const ws = useSimWorkspace('zdfu-dfu-');

async function writeFixture(name: string, version: string): Promise<string> {
  const file = join(ws.dir, `${name}.bin`);
  writeFileSync(file, await signedFixture(name, version));
  return file;
}

function dfu(file: string, ...extra: string[]) {
  if (!ws.sim?.udp) throw new Error('no sim');
  const udp = ['--conntype', 'udp', '--connstring', `127.0.0.1:${ws.sim.udp.port}`];
  return runZdfu([...udp, '-t', '1', 'dfu', file, ...extra], { ZDFU_HOME: ws.dir });
}

describe('zdfu dfu: health before confirming', () => {
  it('never confirms a firmware that crashes at start; a reset brings the old image back', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const lines: string[] = [];
    ws.sim.device.onConsoleLine((line) => lines.push(line));
    const run = await dfu(
      await writeFixture('crash-at-start', '3.0.0'),
      '--reboot-timeout',
      '3',
      '--settle',
      '1',
    );
    // The board halts (upstream Zephyr): no SMP answer ever comes back.
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/^Error: the device did not answer within 3 s after the reset/);
    expect(run.err).toMatch(/3\.0\.0 probably halted at start/);
    expect(run.err).toMatch(/--reboot-timeout/);
    expect(run.err).toMatch(
      /It is not confirmed: a reset or power-cycle makes MCUboot revert it and go back to version 1\.0\.0\.$/m,
    );
    // The device answered seconds before: no advice about the link (address, firewall, baud rate).
    expect(run.err).not.toMatch(/Check that|firewall|baud/);
    expect(run.out).not.toMatch(/Confirmed/);
    expect(lines.some((l) => l.endsWith('Halting system'))).toBe(true);
    expect(ws.sim.device.state).toBe('halted');
    // Slot 0 holds 3.0.0 unconfirmed: MCUboot's trailer says the next boot reverts.
    const areas = bootAreas(ws.sim.device.flash, ws.sim.device.board);
    const slots = new ImageSlots(ws.sim.device.board, [areas.primary, areas.secondary]);
    expect(slots.readInfo(0)?.version).toMatchObject({ major: 3 });
    expect(slots.flags()[0]).toMatchObject({ active: true, confirmed: false });

    // The reset button: MCUboot reverts, Binary One runs again.
    await ws.sim.device.reset();
    expect(lines).toContain('I: Image index: 0, Swap type: revert');
    const client = await udpClient(ws.sim);
    try {
      expect((await slotRows(client))[0]).toEqual({ slot: 0, version: '1.0.0', flags: 'active confirmed' });
    } finally {
      await client.close();
    }
  }, 30_000);

  it('a statistic that does not rise: exit 2, not confirmed, and dfu resets back to the old image', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const file = await writeFixture('stat-stalls', '3.0.0');
    const run = await dfu(file, '--settle', '1', '--check-stat', 'smp_server_stats.counter_stat');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(
      /image 3\.0\.0 is not healthy: statistic smp_server_stats\.counter_stat did not rise in 1\.0 s \(still 1\)/,
    );
    expect(run.err).toMatch(/MCUboot went back to 1\.0\.0, which runs again/);
    expect(run.out).toContain('Resetting so MCUboot goes back to the previous image');
    expect(run.out).toContain('The device runs 1.0.0 again.');
    const client = await udpClient(ws.sim);
    try {
      const rows = await slotRows(client);
      expect(rows).toEqual([
        { slot: 0, version: '1.0.0', flags: 'active confirmed' },
        { slot: 1, version: '3.0.0', flags: '' },
      ]);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('a healthy image still completes, with its checks passed', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const two = join(ROOT, 'build', 'firmware', 'blinky-two', 'zephyr.signed.bin');
    const run = await dfu(two, '--settle', '1', '--check-stat', 'smp_server_stats.counter_stat');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /It kept running for 1\.0 s\. Check passed: statistic smp_server_stats\.counter_stat rose from \d+ to \d+\./,
    );
    expect(run.out).toContain('Confirmed the running image.');
  }, 30_000);

  it('--check-shell on a device without the shell group: refused before anything is uploaded', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const two = join(ROOT, 'build', 'firmware', 'blinky-two', 'zephyr.signed.bin');
    const run = await dfu(two, '--settle', '1', '--check-shell', 'app status');
    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /the device has no SMP shell group \(CONFIG_MCUMGR_GRP_SHELL\); --check-shell cannot run/,
    );
    expect(run.out).toBe('');
    const client = await udpClient(ws.sim);
    try {
      expect(await slotRows(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('refuses a malformed --check-stat before touching the device', async () => {
    ws.sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    const two = join(ROOT, 'build', 'firmware', 'blinky-two', 'zephyr.signed.bin');
    const run = await dfu(two, '--check-stat', 'counter_stat');
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/--check-stat "counter_stat" is not GROUP\.FIELD/);
  });
});
