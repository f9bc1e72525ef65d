import { afterEach, describe, expect, it } from 'vitest';
import { SmpError } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { type BootedDevice, blinky, bootDevice } from '../../device/server/fixtures.ts';

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

/** Polls (no fixed sleep) until `read` gives a value above `floor`. */
async function risesAbove(read: () => Promise<number>, floor: number, timeoutMs = 3000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value > floor || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('stat group (zephyr stat_mgmt) on the running blinky', () => {
  it('lists the groups the firmware registered', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    expect(await booted.client.statList()).toEqual(['smp_server_stats']);
  });

  it('shows smp_server_stats with a counter_stat that keeps rising between reads', async () => {
    // Binary Two bumps the counter every 50 ms, so the test needs no long wait.
    booted = await bootDevice({ slot0: await blinky('blinky-two') });
    await booted.appStarted();
    const first = await booted.client.statShow('smp_server_stats');
    expect(first.name).toBe('smp_server_stats');
    expect(Object.keys(first.fields)).toEqual(['counter_stat']);
    const start = first.fields.counter_stat!;
    const client = booted.client;
    const later = await risesAbove(
      async () => (await client.statShow('smp_server_stats')).fields.counter_stat!,
      start,
    );
    expect(later).toBeGreaterThan(start);
  });

  it('answers an unknown stat group with a stat group error in words', async () => {
    booted = await bootDevice();
    const error = await booted.client.statShow('no_such_group').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmpError);
    const smp = error as SmpError;
    expect({ group: smp.group, rc: smp.rc, code: smp.codeName }).toEqual({
      group: SmpGroup.Stat,
      rc: 3,
      code: 'INVALID_STAT_NAME',
    });
    expect(smp.message).toContain('no such statistics group name');
  });
});
