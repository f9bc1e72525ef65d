/**
 * The rollout behaviour the fleet rehearsals rely on, seen on the real hawkBit: a rollout builds
 * its groups, starts the first, and an error threshold exceeded in a group pauses the rollout so
 * the next group never gets the update; under the threshold the next group starts. Devices here are
 * plain DDI calls with the gateway token (the 1,000-board test drives virtual boards instead).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/fleet/mgmt/schema.ts';
import { type HawkbitServer, startHawkbit } from './support/hawkbit.ts';
import { actionIdOf, feedback, poll } from './support/plain-ddi.ts';

let hb: HawkbitServer;
const run = randomBytes(3).toString('hex');

beforeAll(async () => {
  hb = await startHawkbit();
});
afterAll(async () => {
  await hb?.stop();
});

/** 8 targets `<prefix>-0…7`, a release, and a rollout of 2 groups over them, ready to start. */
async function stage(prefix: string, rollout: { successThreshold: number; errorThreshold: number }) {
  const module = await hb.mgmt.createSoftwareModule({ name: prefix, version: '2.0.0' });
  await hb.mgmt.uploadArtifact(module.id, {
    filename: `${prefix}.bin`,
    data: new Uint8Array(randomBytes(1024)),
  });
  const set = await hb.mgmt.createDistributionSet({ name: prefix, version: '2.0.0', moduleIds: [module.id] });
  await hb.mgmt.createTargets(Array.from({ length: 8 }, (_, i) => ({ controllerId: `${prefix}-${i}` })));
  const created = await hb.mgmt.createRollout({
    name: prefix,
    distributionSetId: set.id,
    targetFilterQuery: `controllerId==${prefix}-*`,
    amountGroups: 2,
    ...rollout,
  });
  const ready = await hb.mgmt.waitRolloutReady(created.id, { timeoutMs: 30_000 });
  expect(ready.totalTargets).toBe(8);
  const groups = await hb.mgmt.rolloutGroups(created.id);
  expect(groups.map((g) => g.totalTargets)).toEqual([4, 4]);
  const members = await Promise.all(
    groups.map(async (g) => (await hb.mgmt.rolloutGroupTargets(created.id, g.id)).map((t) => t.controllerId)),
  );
  return { rolloutId: created.id, groupIds: groups.map((g) => g.id), members };
}

/** Polls until each device is offered a deploymentBase (bounded); returns their action ids. */
async function waitForOffers(ids: readonly string[], timeoutMs = 30_000): Promise<Map<string, string>> {
  const auth = { gatewayToken: hb.gatewayToken };
  const offers = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  while (offers.size < ids.length) {
    for (const id of ids) {
      if (offers.has(id)) continue;
      const href = (await poll(hb, id, auth)).body._links?.deploymentBase?.href;
      if (href) offers.set(id, actionIdOf(href));
    }
    if (offers.size < ids.length) {
      if (Date.now() > deadline)
        throw new Error(`only ${offers.size} of ${ids.length} devices were offered the update`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return offers;
}

async function report(offers: Map<string, string>, failing: ReadonlySet<string>): Promise<void> {
  const auth = { gatewayToken: hb.gatewayToken };
  for (const [id, actionId] of offers) {
    const fails = failing.has(id);
    const status = await feedback(hb, id, 'deploymentBase', actionId, auth, {
      execution: 'closed',
      finished: fails ? 'failure' : 'success',
      details: [fails ? 'zdfu test: image refused (signature)' : 'zdfu test: confirmed'],
    });
    expect(status).toBe(200);
  }
}

/** Waits until the rollout satisfies `done` (bounded), then returns it. */
async function waitFor(rolloutId: number, done: (r: Rollout) => boolean, what: string): Promise<Rollout> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const rollout = await hb.mgmt.getRollout(rolloutId);
    if (done(rollout)) return rollout;
    if (Date.now() > deadline) {
      throw new Error(
        `rollout ${rolloutId} never ${what}: ${rollout.status} ${JSON.stringify(rollout.totalTargetsPerStatus)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('hawkBit rollouts with an error threshold', () => {
  it('pauses when failures in the first group pass the threshold: the second group never gets the update', async () => {
    const prefix = `pause-${run}`;
    const { rolloutId, groupIds, members } = await stage(prefix, {
      successThreshold: 100,
      errorThreshold: 30,
    });
    const [first, second] = members;
    if (!first || !second) throw new Error('two groups expected');
    await hb.mgmt.startRollout(rolloutId);
    const offers = await waitForOffers(first);
    // 2 of 4 fail: 50 % > 30 %.
    await report(offers, new Set(first.slice(0, 2)));

    const paused = await waitFor(rolloutId, (r) => r.status === 'paused', 'paused');
    expect(paused.totalTargetsPerStatus).toMatchObject({ error: 2, finished: 2 });
    const groups = await hb.mgmt.rolloutGroups(rolloutId);
    expect(groups.map((g) => g.id)).toEqual(groupIds);
    expect(groups[0]?.status).toBe('error');
    expect(groups[1]?.status).toBe('scheduled');
    // Paused stays paused (give the scheduler, ticking every ≈ 2 s, a few ticks), and no device of
    // the second group is offered anything.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect((await hb.mgmt.getRollout(rolloutId)).status).toBe('paused');
    for (const id of second) {
      const polled = await poll(hb, id, { gatewayToken: hb.gatewayToken });
      expect(polled.status).toBe(200);
      expect(polled.body._links?.deploymentBase).toBeUndefined();
    }
    const failed = await hb.mgmt.targetActions(first[0] ?? '');
    const history = await hb.mgmt.actionStatus(first[0] ?? '', failed[0]?.id ?? 0);
    expect(history.at(-1)).toMatchObject({
      type: 'error',
      messages: ['zdfu test: image refused (signature)'],
    });
    expect((await hb.mgmt.getTarget(first[0] ?? '')).updateStatus).toBe('error');
  });

  it('goes on to the next group when failures stay under the threshold, and finishes', async () => {
    const prefix = `pass-${run}`;
    const { rolloutId, members } = await stage(prefix, { successThreshold: 75, errorThreshold: 30 });
    const [first, second] = members;
    if (!first || !second) throw new Error('two groups expected');
    await hb.mgmt.startRollout(rolloutId);
    // 1 of 4 fails: 25 % ≤ 30 %, and 75 % finished meets the success threshold.
    await report(await waitForOffers(first), new Set(first.slice(0, 1)));
    await report(await waitForOffers(second), new Set());

    const finished = await waitFor(rolloutId, (r) => r.status === 'finished', 'finished');
    expect(finished.totalTargetsPerStatus).toMatchObject({ error: 1, finished: 7 });
    expect((await hb.mgmt.rolloutGroups(rolloutId)).map((g) => g.status)).toEqual(['finished', 'finished']);
  });
});
