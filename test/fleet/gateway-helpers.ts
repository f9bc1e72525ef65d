/**
 * What the gateway's unit tests share: a fake DDI server with a gateway token, in-process virtual
 * boards (H2's sim fleet, no flash time), a gateway with quick polling and a short settle time, and
 * ways to wait for an action to end.
 */
import { expect } from 'vitest';
import type { Board } from '../../src/device/boards/board.ts';
import type { DdiFeedback } from '../../src/fleet/ddi/client.ts';
import type { FaultPlan } from '../../src/fleet/faults.ts';
import { simDevice } from '../../src/fleet/gateway/devices.ts';
import { startGateway } from '../../src/fleet/gateway/gateway.ts';
import type { Gateway, GatewayDevice, GatewayOptions } from '../../src/fleet/gateway/types.ts';
import { type SimFleet, startSimFleet } from '../../src/fleet/sim-fleet.ts';
import { blinky } from '../device/server/fixtures.ts';
import {
  type FakeActionStatus,
  type FakeDdi,
  type FakeDistribution,
  startFakeDdi,
} from '../helpers/fake-ddi.ts';

export const GATEWAY_TOKEN = 'gateway-key-for-tests';

export interface Rig {
  ddi: FakeDdi;
  fleet: SimFleet;
  devices: GatewayDevice[];
  logs: string[];
  start(extra?: Partial<GatewayOptions>): Promise<Gateway>;
  close(): Promise<void>;
}

export async function startRig(options: {
  count: number;
  faults?: FaultPlan;
  board?: string | Board;
}): Promise<Rig> {
  const ddi = await startFakeDdi({ auth: 'gateway', gatewayToken: GATEWAY_TOKEN, pollSleep: '00:00:00' });
  const fleet = await startSimFleet({
    count: options.count,
    idPrefix: 'sim-',
    flashTimeScale: 0,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.board ? { board: options.board } : {}),
  });
  const devices = fleet.boards.map(simDevice);
  const logs: string[] = [];
  const gateways: Gateway[] = [];
  return {
    ddi,
    fleet,
    devices,
    logs,
    async start(extra = {}) {
      const gateway = await startGateway({
        ddi: { baseUrl: ddi.url, auth: { kind: 'gateway', token: GATEWAY_TOKEN }, timeoutMs: 2000 },
        devices,
        pollFloorMs: 30,
        progressIntervalMs: 0,
        notifyIntervalMs: 0,
        dfu: {
          settleMs: 100,
          pollIntervalMs: 20,
          pollTimeoutMs: 200,
          rebootTimeoutMs: 3000,
          requestTimeoutMs: 1000,
        },
        log: (line) => logs.push(line),
        ...extra,
      });
      gateways.push(gateway);
      return gateway;
    },
    async close() {
      for (const gateway of gateways) await gateway.close();
      await fleet.close();
      await ddi.close();
    },
  };
}

/** A distribution of one bApp module holding one image. */
export function distribution(image: Uint8Array, version = '2.0.0', serveData?: Uint8Array): FakeDistribution {
  return {
    name: 'blinky',
    version,
    chunks: [
      {
        part: 'bApp',
        name: 'blinky',
        version,
        artifacts: [{ filename: 'zephyr.signed.bin', data: image, ...(serveData ? { serveData } : {}) }],
      },
    ],
  };
}

export function binaryTwo(): Promise<Uint8Array> {
  return blinky('blinky-two');
}

const ENDED: ReadonlySet<FakeActionStatus> = new Set(['finished', 'error', 'canceled']);

/** Waits until `condition` holds (polling), at most `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits for the action to end on the server; returns its closing feedback. */
export async function ended(ddi: FakeDdi, actionId: string, timeoutMs = 8000): Promise<DdiFeedback> {
  await until(() => ENDED.has(ddi.actionStatus(actionId)), `action ${actionId} to end`, timeoutMs);
  const closing = ddi.feedback(actionId).filter((f) => f.execution === 'closed');
  expect(closing).toHaveLength(ddi.actionStatus(actionId) === 'canceled' ? 0 : 1);
  return closing[0] ?? ddi.cancelFeedback(actionId).at(-1)!;
}

/** The version in slot 0 of image 0 and whether it is confirmed, asked over a fresh link. */
export async function runningImage(
  device: GatewayDevice,
): Promise<{ version: string; confirmed: boolean; slots: string[] }> {
  const { DeviceClient } = await import('../../src/client/device.ts');
  const client = new DeviceClient(await device.open(), { timeoutMs: 1000, retries: 1 });
  try {
    const state = await client.imageList();
    const active = state.images.find((i) => (i.image ?? 0) === 0 && i.active)!;
    return {
      version: active.version,
      confirmed: active.confirmed,
      slots: state.images.map((i) => `${i.slot}:${i.version}${i.pending ? ':pending' : ''}`),
    };
  } finally {
    await client.close();
  }
}
