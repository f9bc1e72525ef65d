// Many virtual boards in one process behind in-process SMP links (what `zdfu gateway --sim N`
// drives): distinct controller ids, each board its own flash, and the faults as a gateway meets
// them (a refused image, a power cut in the swap, a link that dies mid-upload).
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../src/client/device.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';
import { parseFaultPlan } from '../../src/fleet/faults.ts';
import { type FleetBoard, type FleetEvent, type SimFleet, startSimFleet } from '../../src/fleet/sim-fleet.ts';
import { formatVersion } from '../../src/image/version.ts';

let fleet: SimFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

async function clientOf(board: FleetBoard): Promise<DeviceClient> {
  return new DeviceClient(await board.openTransport(), { timeoutMs: 2000, retries: 0 });
}

/** Upload, test, reset as the dfu flow does; resolves with the version the board boots. */
async function update(board: FleetBoard, image: Uint8Array): Promise<string> {
  const client = await clientOf(board);
  try {
    const uploaded = await client.imageUpload(image);
    await client.imageTest(uploaded.imageHash!);
    const boot = await board.device.reset();
    return boot.version ? formatVersion(boot.version) : 'none';
  } finally {
    await client.close();
  }
}

describe('startSimFleet (boards behind a gateway)', () => {
  it('boots N boards inline, each with its own controller id, flash and SMP link', async () => {
    fleet = await startSimFleet({ count: 4, flashTimeScale: 0 });
    const ids = fleet.boards.map((b) => b.controllerId);
    expect(new Set(ids).size).toBe(4);
    expect(ids[3]).toBe('stm32f4_disco-7a64000000000003');
    expect(
      fleet.boards.every((b) => b.device.state === 'running' && b.device.firmware?.thread === 'inline'),
    ).toBe(true);
    const client = await clientOf(fleet.boards[2]!);
    const list = await client.imageList();
    expect(list.images[0]!.version).toBe('1.0.0');
    await client.close();
    expect(fleet.summary()).toMatchObject({ count: 4, versions: { '1.0.0': 4 }, outcomes: { none: 4 } });
  });

  it('names boards idPrefix + index when given, and refuses a bad count in words', async () => {
    fleet = await startSimFleet({ count: 2, idPrefix: 'sim-', flashTimeScale: 0 });
    expect(fleet.boards.map((b) => b.controllerId)).toEqual(['sim-0', 'sim-1']);
    await expect(startSimFleet({ count: 0 })).rejects.toThrow(
      /a fleet has 1 to 10000 boards \(asked for 0\)/,
    );
  });

  it('gives each fault its share and acts it out: refused image, power cut in the swap, lost link', async () => {
    const events: FleetEvent[] = [];
    fleet = await startSimFleet({
      count: 4,
      flashTimeScale: 0,
      faults: parseFaultPlan('image-refused=25%,power-cut-swap=25%,link-lost=25%,never-confirms=25%'),
      onEvent: (event) => events.push(event),
    });
    const byFault = new Map(fleet.boards.map((b) => [b.fault, b]));
    expect([...byFault.keys()].sort()).toEqual([
      'image-refused',
      'link-lost',
      'never-confirms',
      'power-cut-swap',
    ]);
    const two = await blinkyImageFor(getBoard('stm32f4_disco'), 'blinky-two');

    // MCUboot trusts another key: it refuses 2.0.0 and boots the 1.0.0 it has.
    expect(await update(byFault.get('image-refused')!, two)).toBe('1.0.0');
    // Power fails in the swap; MCUboot resumes it and boots 2.0.0.
    expect(await update(byFault.get('power-cut-swap')!, two)).toBe('2.0.0');
    expect(events.some((e) => e.kind === 'power-cut' && e.board.fault === 'power-cut-swap')).toBe(true);
    // The link dies mid-upload, every time a link is opened.
    const lossy = byFault.get('link-lost')!;
    for (let attempt = 0; attempt < 2; attempt++) {
      const client = await clientOf(lossy);
      await expect(client.imageUpload(two)).rejects.toSatisfy(
        (error: unknown) =>
          error instanceof Error &&
          /lost mid-upload/.test(`${error.message} ${(error as { cause?: Error }).cause?.message}`),
      );
      await client.close();
    }
    expect(events.filter((e) => e.kind === 'link-lost')).toHaveLength(2);
    // A healthy board behind the gateway (never-confirms acts only on boards that confirm themselves).
    expect(await update(byFault.get('never-confirms')!, two)).toBe('2.0.0');
  });
});
