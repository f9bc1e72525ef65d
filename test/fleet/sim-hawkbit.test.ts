// Zephyr's hawkBit client on virtual boards against the fake DDI server: controller id, config
// data, poll sleep, the install sequence (no proceeding feedback; closed/success only after the
// reboot), bad deployments and downloads refused with failure feedback in words and nothing
// installed, a wrong token in words, cancel, and the faults as boards that poll hawkBit meet them.
import { afterEach, describe, expect, it } from 'vitest';
import { getBoard } from '../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../src/device/io/board-images.ts';
import { parseFaultPlan } from '../../src/fleet/faults.ts';
import {
  type FleetBoard,
  type FleetEvent,
  type SimFleet,
  type SimFleetOptions,
  startSimFleet,
} from '../../src/fleet/sim-fleet.ts';
import { formatVersion } from '../../src/image/version.ts';
import { type FakeDdi, type FakeDistribution, startFakeDdi } from '../helpers/fake-ddi.ts';

/** The client's sleeps at 1/100: hawkBit's "00:00:01" is 10 ms. */
const TIME_SCALE = 0.01;

let fake: FakeDdi | undefined;
let fleet: SimFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
  await fake?.close();
  fake = undefined;
});

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function startBoards(
  server: FakeDdi,
  options: Partial<SimFleetOptions> & { count: number },
  events: FleetEvent[],
): Promise<SimFleet> {
  return startSimFleet({
    flashTimeScale: 0,
    startSpreadMs: 0,
    hawkbit: { url: server.url, auth: { kind: 'none' }, pollIntervalMs: 1000, timeScale: TIME_SCALE },
    onEvent: (event) => events.push(event),
    ...options,
  });
}

function running(board: FleetBoard): string {
  const boot = board.device.lastBoot;
  return board.device.state === 'running' && boot?.version ? formatVersion(boot.version) : board.device.state;
}

function slot1Erased(board: FleetBoard): boolean {
  const slot1 = board.device.board.partitions.find((p) => p.label === 'slot1_partition')!;
  return board.device.flashes.get(slot1.device)!.isErased(slot1.offset, slot1.size);
}

let two: Uint8Array | undefined;
async function binaryTwo(): Promise<Uint8Array> {
  two ??= await blinkyImageFor(getBoard('nrf52840dk'), 'blinky-two');
  return two;
}

async function app(chunks?: FakeDistribution['chunks']): Promise<FakeDistribution> {
  return {
    name: 'blinky',
    version: '2.0.0',
    chunks: chunks ?? [
      {
        part: 'bApp',
        name: 'blinky',
        version: '2.0.0',
        artifacts: [{ filename: 'blinky-two.bin', data: await binaryTwo() }],
      },
    ],
  };
}

describe("Zephyr's hawkBit client on a virtual board", () => {
  it('polls as BOARD-<hwinfo id>, sends config data, installs: no proceeding, closed/success after the reboot', async () => {
    fake = await startFakeDdi({ pollSleep: '00:00:01' });
    const events: FleetEvent[] = [];
    fleet = await startBoards(fake, { count: 2 }, events);
    const ids = fleet.boards.map((b) => b.controllerId);
    expect(ids).toEqual(['nrf52840dk-7a64000000000000', 'nrf52840dk-7a64000000000001']);
    await until('both boards registered', () => fake!.targetIds().length === 2);
    await until('config data', () => ids.every((id) => fake!.configData(id).VIN !== undefined));
    expect(fake.configData(ids[1]!)).toEqual({ VIN: '7a64000000000001', hwRevision: '3' });

    const actions = fake.assign(ids, await app());
    await until(
      'both boards reported success',
      () => events.filter((e) => e.kind === 'success').length === 2,
    );
    for (const board of fleet.boards) {
      const action = actions.get(board.controllerId)!;
      // Zephyr's client sends no proceeding feedback: one closed/success, once the new app runs.
      expect(fake.feedback(action)).toMatchObject([{ execution: 'closed', finished: 'success' }]);
      expect(running(board)).toBe('2.0.0');
      const mine = events.filter((e) => e.board === board).map((e) => e.kind);
      expect(mine.indexOf('installed')).toBeLessThan(mine.indexOf('boot'));
      // The action id came through the reboot in settings: the new app reported, did not download again.
      expect(mine.indexOf('boot')).toBeLessThan(mine.indexOf('success'));
      expect(mine.filter((k) => k === 'download')).toHaveLength(1);
    }
    expect(fleet.summary()).toMatchObject({ versions: { '2.0.0': 2 }, outcomes: { success: 2 } });
  });

  it("waits config.polling.sleep between polls (the server's, not the built-in 5 minutes)", async () => {
    fake = await startFakeDdi({ pollSleep: '00:00:05' });
    fleet = await startBoards(
      fake,
      { count: 1, hawkbit: { url: fake.url, auth: { kind: 'none' }, timeScale: TIME_SCALE } },
      [],
    );
    const polls = () =>
      fake!.requests().filter((r) => r.method === 'GET' && r.path.endsWith(fleet!.boards[0]!.controllerId));
    await until('four polls', () => polls().length >= 4);
    const at = polls().map((r) => r.at);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // "00:00:05" at 1/100 is 50 ms; the built-in 5 min would be 3 s.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45);
    expect(Math.max(...gaps)).toBeLessThan(1000);
  });

  it.each([
    [
      'two artifacts',
      async () => [
        {
          part: 'bApp',
          name: 'blinky',
          version: '2.0.0',
          artifacts: [
            { filename: 'blinky-two.bin', data: await binaryTwo() },
            { filename: 'notes.txt', data: new TextEncoder().encode('hello') },
          ],
        },
      ],
      /has 2 artifacts; Zephyr's hawkBit client takes exactly 1.*nothing was written/,
    ],
    [
      'two chunks',
      async () => [
        {
          part: 'bApp',
          name: 'blinky',
          version: '2.0.0',
          artifacts: [{ filename: 'a.bin', data: await binaryTwo() }],
        },
        {
          part: 'bApp',
          name: 'other',
          version: '1.0.0',
          artifacts: [{ filename: 'b.bin', data: await binaryTwo() }],
        },
      ],
      /has 2 software modules \(chunks\); Zephyr's hawkBit client takes exactly 1/,
    ],
    [
      'a part other than bApp',
      async () => [
        {
          part: 'os',
          name: 'zephyr',
          version: '2.0.0',
          artifacts: [{ filename: 'a.bin', data: await binaryTwo() }],
        },
      ],
      /is of part "os"; Zephyr's hawkBit client takes only part "bApp"/,
    ],
    [
      'an artifact whose hash does not match',
      async () => [
        {
          part: 'bApp',
          name: 'blinky',
          version: '2.0.0',
          artifacts: [
            {
              filename: 'blinky-two.bin',
              data: await binaryTwo(),
              serveData: (await binaryTwo()).map((b, i) => (i === 600 ? b ^ 1 : b)),
            },
          ],
        },
      ],
      /blinky-two\.bin does not match its sha256.*nothing was installed/,
    ],
  ])('refuses %s: failure feedback in words, nothing installed', async (_, chunks, words) => {
    fake = await startFakeDdi({ pollSleep: '00:00:01' });
    const events: FleetEvent[] = [];
    fleet = await startBoards(fake, { count: 1 }, events);
    const board = fleet.boards[0]!;
    await until('registered', () => fake!.targetIds().length === 1);
    const action = fake.assign([board.controllerId], await app(await chunks())).get(board.controllerId)!;
    await until('the failure reported', () => fleet!.summary().outcomes.failure === 1);
    const [feedback] = fake.feedback(action);
    expect(feedback).toMatchObject({ execution: 'closed', finished: 'failure' });
    expect(feedback?.details?.join(' ')).toMatch(words);
    expect(running(board)).toBe('1.0.0');
    expect(slot1Erased(board)).toBe(true);
    expect(events.filter((e) => e.kind === 'installed')).toHaveLength(0);
    expect(fleet.summary().failures).toEqual([
      { controllerId: board.controllerId, message: expect.stringMatching(words) },
    ]);
  });

  it('says in words that the server refused a wrong token, and installs nothing', async () => {
    fake = await startFakeDdi({ auth: 'target', pollSleep: '00:00:01' });
    const events: FleetEvent[] = [];
    fleet = await startBoards(
      fake,
      {
        count: 1,
        hawkbit: {
          url: fake.url,
          auth: { kind: 'target', token: 'not-the-token' },
          pollIntervalMs: 1000,
          timeScale: TIME_SCALE,
        },
      },
      events,
    );
    fake.addTarget(fleet.boards[0]!.controllerId, 'the-real-token');
    await until('an error', () => events.some((e) => e.kind === 'error'));
    expect(events.find((e) => e.kind === 'error')?.message).toMatch(
      /target token was not accepted for controller "nrf52840dk-7a64000000000000"/,
    );
    expect(running(fleet.boards[0]!)).toBe('1.0.0');
  });

  it('answers a cancel with closed/success and installs nothing', async () => {
    fake = await startFakeDdi({ pollSleep: '00:00:01' });
    const events: FleetEvent[] = [];
    fleet = await startBoards(fake, { count: 1 }, events);
    const board = fleet.boards[0]!;
    await until('registered', () => fake!.targetIds().length === 1);
    // Assigned and cancelled before the next poll: the board sees only the cancelAction.
    const action = fake.assign([board.controllerId], await app()).get(board.controllerId)!;
    fake.cancel(action);
    await until('cancelled', () => events.some((e) => e.kind === 'cancelled'));
    expect(fake.actionStatus(action)).toBe('canceled');
    expect(fake.cancelFeedback(action)).toMatchObject([{ execution: 'closed', finished: 'success' }]);
    expect(events.some((e) => e.kind === 'cancelled' && e.actionId === action)).toBe(true);
    expect(running(board)).toBe('1.0.0');
    expect(slot1Erased(board)).toBe(true);
  });
});

describe('fleet faults on boards that poll hawkBit themselves', () => {
  it('reports each faulty board in words; a power cut in the swap is resumed and succeeds', async () => {
    fake = await startFakeDdi({ pollSleep: '00:00:01' });
    const events: FleetEvent[] = [];
    fleet = await startBoards(
      fake,
      {
        count: 5,
        faults: parseFaultPlan('power-cut-swap=20%,image-refused=20%,link-lost=20%,never-confirms=20%'),
      },
      events,
    );
    const byFault = new Map(fleet.boards.map((b) => [b.fault ?? 'healthy', b]));
    expect(byFault.size).toBe(5);
    await until('registered', () => fake!.targetIds().length === 5);
    const actions = fake.assign(
      fleet.boards.map((b) => b.controllerId),
      await app(),
    );
    const status = (fault: string) => fake!.actionStatus(actions.get(byFault.get(fault)!.controllerId)!);
    // Each board's outcome is in once its feedback was answered.
    await until('every board reported', () => fleet!.summary().outcomes.none === 0);
    const words = (fault: string) =>
      fake!
        .feedback(actions.get(byFault.get(fault)!.controllerId)!)
        .at(-1)
        ?.details?.join(' ');

    expect(status('healthy')).toBe('finished');
    expect(running(byFault.get('healthy')!)).toBe('2.0.0');
    // MCUboot resumed the interrupted swap: the board runs the new image and says so.
    expect(status('power-cut-swap')).toBe('finished');
    expect(running(byFault.get('power-cut-swap')!)).toBe('2.0.0');
    expect(events.some((e) => e.kind === 'power-cut' && e.board.fault === 'power-cut-swap')).toBe(true);

    expect(status('image-refused')).toBe('error');
    expect(words('image-refused')).toMatch(
      /still runs 1\.0\.0: MCUboot did not boot blinky-two\.bin and erased slot 1/,
    );
    expect(running(byFault.get('image-refused')!)).toBe('1.0.0');

    expect(status('link-lost')).toBe('error');
    expect(words('link-lost')).toMatch(/download of blinky-two\.bin broke off.*nothing was installed/);
    expect(running(byFault.get('link-lost')!)).toBe('1.0.0');

    expect(status('never-confirms')).toBe('error');
    expect(words('never-confirms')).toMatch(
      /MCUboot reverted to 1\.0\.0: the new image blinky-two\.bin ran as a test but was never confirmed/,
    );
    expect(running(byFault.get('never-confirms')!)).toBe('1.0.0');
    // While the unconfirmed 2.0.0 ran, the client did not poll: it rebooted at once.
    const mine = events
      .filter((e) => e.board.fault === 'never-confirms')
      .map((e) => `${e.kind} ${e.message}`);
    const bootedTwo = mine.findIndex((line) => line === 'boot booted 2.0.0');
    expect(mine[bootedTwo + 1]).toMatch(/^unconfirmed 2\.0\.0 is not confirmed: no poll/);

    const summary = fleet.summary();
    expect(summary.outcomes).toEqual({ success: 2, failure: 3, cancelled: 0, none: 0 });
    expect(summary.failures.map((f) => f.fault).sort()).toEqual([
      'image-refused',
      'link-lost',
      'never-confirms',
    ]);
  });

  it("with failureFeedback off does as Zephyr's client: closed/success on the stored action id even after a revert", async () => {
    fake = await startFakeDdi({ pollSleep: '00:00:01' });
    fleet = await startBoards(
      fake,
      {
        count: 1,
        faults: parseFaultPlan('never-confirms=100%'),
        hawkbit: {
          url: fake.url,
          auth: { kind: 'none' },
          pollIntervalMs: 1000,
          timeScale: TIME_SCALE,
          failureFeedback: false,
        },
      },
      [],
    );
    const board = fleet.boards[0]!;
    await until('registered', () => fake!.targetIds().length === 1);
    const action = fake.assign([board.controllerId], await app()).get(board.controllerId)!;
    await until('finished', () => fake!.actionStatus(action) === 'finished');
    expect(fake.feedback(action)).toMatchObject([{ execution: 'closed', finished: 'success' }]);
    expect(running(board)).toBe('1.0.0');
  });
});
