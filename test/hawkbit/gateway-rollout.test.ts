/**
 * zdfu gateway against the real hawkBit: a rollout to virtual boards reached over a real PTY and
 * over real UDP, a gateway restarted mid-upload that resumes, and a cancel during an upload. The
 * boards are `zdfu sim`'s (startSim); the gateway speaks DDI with the gateway token.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openNodeTransport } from '../../src/cli/transports.ts';
import { type SimHandle, startSim } from '../../src/device/io/sim-host.ts';
import { targetDevice } from '../../src/fleet/gateway/devices.ts';
import { startGateway } from '../../src/fleet/gateway/gateway.ts';
import type { Gateway, GatewayDevice, GatewayOptions } from '../../src/fleet/gateway/types.ts';
import { parseConnString } from '../../src/transport/kinds/registry.ts';
import { blinky } from '../device/server/fixtures.ts';
import { runningImage, slowed, until } from '../fleet/gateway-helpers.ts';
import { type HawkbitServer, startHawkbit } from './support/hawkbit.ts';

let hb: HawkbitServer;
let image: Uint8Array;
const run = randomBytes(3).toString('hex');
const sims: SimHandle[] = [];
const gateways: Gateway[] = [];
const logs: string[] = [];

beforeAll(async () => {
  hb = await startHawkbit();
  image = await blinky('blinky-two');
});
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
  for (const sim of sims.splice(0)) await sim.close();
});
afterAll(async () => {
  await hb?.stop();
});

/** A module with Binary Two in a distribution set, as a firmware release sits in hawkBit. */
async function release(name: string): Promise<number> {
  const module = await hb.mgmt.createSoftwareModule({ name, version: '2.0.0', vendor: 'zdfu tests' });
  await hb.mgmt.uploadArtifact(module.id, { filename: 'zephyr.signed.bin', data: image });
  const set = await hb.mgmt.createDistributionSet({ name, version: '2.0.0', moduleIds: [module.id] });
  return set.id;
}

async function udpBoard(controllerId: string): Promise<GatewayDevice> {
  const sim = await startSim({ udp: '127.0.0.1:0', flashTimeScale: 0 });
  sims.push(sim);
  return targetDevice(controllerId, parseConnString('udp', `127.0.0.1:${sim.udp!.port}`), openNodeTransport);
}

async function ptyBoard(controllerId: string): Promise<GatewayDevice> {
  const sim = await startSim({ udp: false, flashTimeScale: 0 });
  sims.push(sim);
  return targetDevice(controllerId, parseConnString('serial', `dev=${sim.ptyPath}`), openNodeTransport);
}

async function gateway(devices: GatewayDevice[], extra: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const started = await startGateway({
    ddi: { baseUrl: hb.url, auth: { kind: 'gateway', token: hb.gatewayToken } },
    devices,
    pollFloorMs: 200,
    progressIntervalMs: 500,
    dfu: { settleMs: 500, pollIntervalMs: 100, rebootTimeoutMs: 20_000 },
    log: (line) => logs.push(line),
    ...extra,
  });
  gateways.push(started);
  return started;
}

/** The action's status history (types and messages) once it is no longer pending. */
async function closedAction(controllerId: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [action] = (await hb.mgmt.targetActions(controllerId)).slice(-1);
    if (action && action.status !== 'pending') {
      return { action, history: await hb.mgmt.actionStatus(controllerId, action.id) };
    }
    if (Date.now() > deadline)
      throw new Error(`the action of ${controllerId} is still open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function messages(history: Array<{ messages: string[] }>): string[] {
  return history.flatMap((entry) => entry.messages);
}

describe('zdfu gateway with a real hawkBit', () => {
  it('a rollout to two virtual boards, one on a real PTY and one on real UDP: both install, report success in words, send configData', async () => {
    const prefix = `gw-${run}-roll`;
    const ids = [`${prefix}-pty`, `${prefix}-udp`];
    const devices = [await ptyBoard(ids[0]!), await udpBoard(ids[1]!)];
    await hb.mgmt.createTargets(ids.map((controllerId) => ({ controllerId })));
    const setId = await release(prefix);
    const rollout = await hb.mgmt.createRollout({
      name: prefix,
      distributionSetId: setId,
      targetFilterQuery: `controllerId==${prefix}-*`,
      amountGroups: 1,
    });
    await hb.mgmt.waitRolloutReady(rollout.id, { timeoutMs: 30_000 });
    await gateway(devices);
    await hb.mgmt.startRollout(rollout.id);
    await hb.mgmt.waitRollout(rollout.id, ['finished'], { timeoutMs: 90_000 });

    for (const [index, id] of ids.entries()) {
      const { history } = await closedAction(id);
      expect(history.at(-1)?.type).toBe('finished');
      const said = messages(history);
      expect(said).toContain(`installed: ${devices[index]!.describe} runs image 2.0.0, confirmed`);
      expect(said.some((m) => m.startsWith('uploading image 2.0.0 to '))).toBe(true);
      expect((await hb.mgmt.getTarget(id)).updateStatus).toBe('in_sync');
      const attributes = await hb.mgmt.targetAttributes(id);
      expect(attributes).toMatchObject({
        board: 'stm32f4_disco',
        version: '2.0.0',
        slot0: 'slot 0: 2.0.0 active confirmed',
      });
      expect(await runningImage(devices[index]!)).toMatchObject({ version: '2.0.0', confirmed: true });
    }
  });

  it('a gateway stopped mid-upload and started again with the same state file resumes and reports success', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-gw-hb-'));
    try {
      const stateFile = join(dir, 'gateway.json');
      const id = `gw-${run}-restart`;
      const board = await udpBoard(id);
      await hb.mgmt.createTarget({ controllerId: id });
      const setId = await release(id);
      const first = await gateway([slowed(board, 25)], { stateFile });
      await hb.mgmt.assign(setId, [id]);
      await until(
        () => (first.status().devices[0]?.progress?.sent ?? 0) > 1500,
        'the upload to be under way',
        30_000,
      );
      await first.close();
      await gateway([board], { stateFile });
      const { history } = await closedAction(id);
      expect(history.at(-1)?.type).toBe('finished');
      const said = messages(history);
      expect(said).toContain(
        `resuming on ${board.describe}: the gateway was restarted while this update was at stage "uploading"`,
      );
      expect(said.find((m) => /\(resumed at byte [1-9]\d* of \d+\)/.test(m))).toBeDefined();
      expect(await runningImage(board)).toMatchObject({ version: '2.0.0', confirmed: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cancel during the upload stops it and is confirmed; the board keeps its image', async () => {
    const id = `gw-${run}-cancel`;
    const board = await udpBoard(id);
    await hb.mgmt.createTarget({ controllerId: id });
    const setId = await release(id);
    // Slow enough that the upload outlasts a poll interval (hawkBit's 1 s): the cancel lands mid-upload.
    const gw = await gateway([slowed(board, 400)]);
    const assigned = await hb.mgmt.assign(setId, [id]);
    const actionId = assigned.assignedActions?.[0]?.id;
    await until(() => (gw.status().devices[0]?.progress?.sent ?? 0) > 0, 'the upload to start', 30_000);
    await hb.mgmt.cancelAction(id, actionId!);
    await until(
      () => gw.status().devices[0]?.phase === 'cancelled',
      'the gateway to confirm the cancel',
      30_000,
    );
    const { history } = await closedAction(id);
    expect(history.at(-1)?.type).toBe('canceled');
    expect(messages(history)).toContain(
      'cancelled while uploading; the image was not marked for a test boot, so nothing was installed',
    );
    // hawkBit took the throttled progress feedback (status.result.progress) along the way.
    expect(messages(history).some((m) => /^uploaded \d+ of \d+ bytes to /.test(m))).toBe(true);
    const running = await runningImage(board);
    expect(running).toMatchObject({ version: '1.0.0', confirmed: true });
    expect(running.slots.some((s) => s.endsWith(':pending'))).toBe(false);
  });
});

describe('zdfu gateway with a real hawkBit: a cancel that comes too late', () => {
  it('after the test mark the cancel is rejected, hawkBit keeps the action, and the update finishes', async () => {
    const id = `gw-${run}-late`;
    const board = await udpBoard(id);
    await hb.mgmt.createTarget({ controllerId: id });
    const setId = await release(id);
    const gw = await gateway([board], {
      dfu: { settleMs: 4000, pollIntervalMs: 100, rebootTimeoutMs: 20_000 },
    });
    const assigned = await hb.mgmt.assign(setId, [id]);
    const actionId = assigned.assignedActions?.[0]?.id;
    await until(() => gw.status().devices[0]?.phase === 'testing', 'the test boot', 30_000);
    await hb.mgmt.cancelAction(id, actionId!);
    const { history } = await closedAction(id);
    const said = messages(history);
    expect(
      said.find((m) => m.startsWith('too late to cancel: the image is already marked for a test boot')),
    ).toBeDefined();
    expect(history.at(-1)?.type).toBe('finished');
    expect(said).toContain(`installed: ${board.describe} runs image 2.0.0, confirmed`);
    expect(await runningImage(board)).toMatchObject({ version: '2.0.0', confirmed: true });
  });
});
