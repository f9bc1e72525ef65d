/**
 * Virtual boards running Zephyr's hawkBit client against the real hawkBit: a 1,000-board rollout
 * in 10 groups with faults finishes, each faulty board's failure in words in its action history;
 * an error threshold exceeded in the first group pauses the rollout and the second group is never
 * offered the update; a cancel is answered and nothing is installed. The boards auto-register with
 * the gateway token (any controller id) and poll every 10 s, as the target asks.
 */
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBoard } from '../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';
import { parseFaultPlan } from '../../src/fleet/faults.ts';
import { publishRelease } from '../../src/fleet/mgmt/release.ts';
import type { Rollout } from '../../src/fleet/mgmt/schema.ts';
import {
  type FleetEvent,
  type SimFleet,
  type SimFleetOptions,
  startSimFleet,
} from '../../src/fleet/sim-fleet.ts';
import { summaryLines } from '../../src/fleet/sim-report.ts';
import { formatVersion } from '../../src/image/version.ts';
import { type HawkbitServer, startHawkbit } from './support/hawkbit.ts';

const BOARD = 'nrf52840dk';
let hb: HawkbitServer;
const fleets: SimFleet[] = [];
let image: Uint8Array;

beforeAll(async () => {
  hb = await startHawkbit({ pollingTime: '00:00:10' });
  image = await blinkyImageFor(getBoard(BOARD), 'blinky-two');
});
afterAll(async () => {
  for (const fleet of fleets) await fleet.close();
  await hb?.stop();
});

/** A fleet of its own (a random fleet tag keeps its controller ids apart on the shared server). */
async function fleetOf(
  count: number,
  options: Partial<SimFleetOptions> = {},
): Promise<{ fleet: SimFleet; filter: string; events: FleetEvent[] }> {
  const tag = randomInt(0x10000);
  const events: FleetEvent[] = [];
  const fleet = await startSimFleet({
    count,
    board: BOARD,
    fleetTag: tag,
    // Built with CONFIG_HAWKBIT_POLL_INTERVAL=1 (minute, the least): a poll that fails right after
    // a reboot, before the server's 10 s is known, is tried again within a minute, not five.
    hawkbit: { url: hb.url, auth: { kind: 'gateway', token: hb.gatewayToken }, pollIntervalMs: 60_000 },
    // Flash time is the benchmark's business (bench/fleet.ts); here the rollout logic is.
    flashTimeScale: 0,
    startSpreadMs: Math.min(10_000, count * 10),
    onEvent: (event) => {
      if (event.kind !== 'poll' && event.kind !== 'no-update') events.push(event);
    },
    ...options,
  });
  fleets.push(fleet);
  const filter = `controllerId==${BOARD}-7a64${tag.toString(16).padStart(4, '0')}*`;
  await until(
    `all ${count} boards registered`,
    300_000,
    async () => (await hb.mgmt.allTargets(filter)).length === count,
  );
  return { fleet, filter, events };
}

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function release(name: string) {
  return (
    await publishRelease(hb.mgmt, {
      name,
      version: '2.0.0',
      artifacts: [{ filename: `${name}.bin`, data: image }],
    })
  ).distributionSet;
}

async function rolloutTo(
  filter: string,
  name: string,
  groups: number,
  thresholds: { successThreshold: number; errorThreshold: number },
) {
  const set = await release(name);
  const created = await hb.mgmt.createRollout({
    name,
    distributionSetId: set.id,
    targetFilterQuery: filter,
    amountGroups: groups,
    ...thresholds,
  });
  await hb.mgmt.waitRolloutReady(created.id, { timeoutMs: 120_000 });
  await hb.mgmt.startRollout(created.id);
  return created.id;
}

async function waitRolloutStatus(id: number, statuses: readonly string[], ms: number): Promise<Rollout> {
  let rollout = await hb.mgmt.getRollout(id);
  await until(`rollout ${id} to be ${statuses.join(' or ')}`, ms, async () => {
    rollout = await hb.mgmt.getRollout(id);
    return statuses.includes(rollout.status);
  });
  return rollout;
}

/** The words the device posted last on its last action. */
async function lastWords(controllerId: string): Promise<string> {
  const actions = await hb.mgmt.targetActions(controllerId);
  const history = await hb.mgmt.actionStatus(controllerId, actions.at(-1)!.id);
  return history.flatMap((entry) => entry.messages).join(' | ');
}

describe('virtual boards polling the real hawkBit themselves', () => {
  it('a 1,000-board rollout in 10 groups with faults finishes; the faulty boards are reported in words', async () => {
    const started = Date.now();
    const { fleet, filter } = await fleetOf(1000, {
      faults: parseFaultPlan('power-cut-swap=2%,image-refused=1%,link-lost=1%,never-confirms=1%'),
    });
    const registered = Date.now();
    // 3% of every group fails (the faults are spread evenly over the boards, registered in order):
    // under the 5% error threshold, and the 95% that finish meet the 90% success threshold.
    const id = await rolloutTo(filter, `fleet-${fleet.boards[0]!.controllerId}`, 10, {
      successThreshold: 90,
      errorThreshold: 5,
    });
    const done = await waitRolloutStatus(id, ['finished', 'paused'], 900_000);
    const summary = fleet.summary();
    process.stdout.write(
      `1,000 boards: registered in ${((registered - started) / 1000).toFixed(0)} s, rollout ${done.status} after ` +
        `${((Date.now() - registered) / 1000).toFixed(0)} s more; ${JSON.stringify(done.totalTargetsPerStatus)}\n` +
        `${summaryLines(summary).slice(0, 6).join('\n')}\n`,
    );
    expect(done.status).toBe('finished');
    expect(done.totalTargetsPerStatus).toMatchObject({ finished: 970, error: 30 });
    expect((await hb.mgmt.rolloutGroups(id)).every((g) => g.status === 'finished')).toBe(true);
    // Power cuts in the swap were resumed by MCUboot: those boards run 2.0.0 and reported success.
    const cut = fleet.boards.filter((b) => b.fault === 'power-cut-swap');
    expect(cut).toHaveLength(20);
    expect(
      cut.every((b) => b.device.lastBoot?.version && formatVersion(b.device.lastBoot.version) === '2.0.0'),
    ).toBe(true);
    expect(summary.failures.map((f) => f.fault).sort()).toEqual([
      ...Array(10).fill('image-refused'),
      ...Array(10).fill('link-lost'),
      ...Array(10).fill('never-confirms'),
    ]);
    const words = new Map<string, RegExp>([
      ['image-refused', /MCUboot did not boot .* and erased slot 1/],
      ['link-lost', /broke off 3 times/],
      ['never-confirms', /MCUboot reverted to 1\.0\.0: the new image .* was never confirmed/],
    ]);
    for (const [fault, pattern] of words) {
      const board = fleet.boards.find((b) => b.fault === fault)!;
      expect(await lastWords(board.controllerId)).toMatch(pattern);
      expect((await hb.mgmt.getTarget(board.controllerId)).updateStatus).toBe('error');
    }
    await fleet.close();
  }, 1_500_000);

  it('an error threshold exceeded in the first group pauses the rollout: the second group is never offered', async () => {
    const { fleet, filter, events } = await fleetOf(40, { faults: parseFaultPlan('image-refused=50%') });
    const id = await rolloutTo(filter, `pause-${fleet.boards[0]!.controllerId}`, 2, {
      successThreshold: 100,
      errorThreshold: 20,
    });
    const paused = await waitRolloutStatus(id, ['paused', 'finished'], 300_000);
    expect(paused.status).toBe('paused');
    const groups = await hb.mgmt.rolloutGroups(id);
    expect(groups.map((g) => g.status)).toEqual(['error', 'scheduled']);
    const second = new Set((await hb.mgmt.rolloutGroupTargets(id, groups[1]!.id)).map((t) => t.controllerId));
    // Some scheduler ticks later, still no board of the second group downloaded anything.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    expect((await hb.mgmt.getRollout(id)).status).toBe('paused');
    expect(events.filter((e) => second.has(e.board.controllerId) && e.kind === 'download')).toEqual([]);
    for (const board of fleet.boards.filter((b) => second.has(b.controllerId))) {
      expect(formatVersion(board.device.lastBoot!.version!)).toBe('1.0.0');
    }
    const refused = fleet.boards.find((b) => b.fault === 'image-refused' && !second.has(b.controllerId))!;
    expect(await lastWords(refused.controllerId)).toMatch(/still runs 1\.0\.0: MCUboot did not boot/);
    await fleet.close();
  }, 600_000);

  it('a cancelled action is answered closed/success: the action ends cancelled', async () => {
    const { fleet, events } = await fleetOf(2);
    const board = fleet.boards[0]!;
    const set = await release(`cancel-${board.controllerId}`);
    const assigned = await hb.mgmt.assign(set.id, [board.controllerId]);
    const actionId = assigned.assignedActions?.[0]?.id;
    if (actionId === undefined) throw new Error(`hawkBit assigned no action: ${JSON.stringify(assigned)}`);
    await hb.mgmt.cancelAction(board.controllerId, actionId);
    await until('the board to answer the cancel', 120_000, () =>
      events.some((e) => e.board === board && e.kind === 'cancelled'),
    );
    await until('hawkBit took the cancel', 60_000, async () => {
      const history = await hb.mgmt.actionStatus(board.controllerId, actionId);
      return history.some((entry) => entry.type === 'canceled');
    });
    expect(
      events.some((e) => e.board === board && e.kind === 'cancelled' && e.actionId === String(actionId)),
    ).toBe(true);
    // Cancelled before its next poll, the board never downloaded: it still runs 1.0.0.
    if (!events.some((e) => e.board === board && e.kind === 'download')) {
      expect(formatVersion(board.device.lastBoot!.version!)).toBe('1.0.0');
    }
    await fleet.close();
  }, 300_000);
});
