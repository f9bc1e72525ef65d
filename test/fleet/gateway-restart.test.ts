import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway } from '../../src/fleet/gateway/gateway.ts';
import { JournalError } from '../../src/fleet/gateway/journal.ts';
import {
  binaryTwo,
  distribution,
  ended,
  GATEWAY_TOKEN,
  rejection,
  rigPerTest,
  runningImage,
  slowed,
  until,
} from './gateway-helpers.ts';

const newRig = rigPerTest();
const dirs: string[] = [];
let dir: string;
let stateFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zdfu-gateway-'));
  dirs.push(dir);
  stateFile = join(dir, 'gateway.json');
});

// Removed after all tests: each test's gateways (closed after the test) may still write there.
afterAll(() => {
  for (const made of dirs) rmSync(made, { recursive: true, force: true });
});

/** A state file as a stopped gateway leaves it, with one entry for sim-0. */
function writeJournal(entry: Record<string, unknown>): void {
  writeFileSync(
    stateFile,
    JSON.stringify({
      version: 1,
      devices: {
        'sim-0': { target: { name: 'blinky', version: '2.0.0' }, startedAt: 1, updatedAt: 2, ...entry },
      },
    }),
  );
}

function journal(): { version: number; devices: Record<string, { actionId: string; stage: string }> } {
  return JSON.parse(readFileSync(stateFile, 'utf8'));
}

const slowSettle = {
  settleMs: 1500,
  pollIntervalMs: 20,
  pollTimeoutMs: 200,
  rebootTimeoutMs: 3000,
  requestTimeoutMs: 1000,
};

describe('zdfu gateway: a restart mid-rollout loses nothing', () => {
  it('stopped mid-upload: the state file holds the stage; a new gateway resumes the upload where the device stopped and reports success', async () => {
    const rig = await newRig({ count: 1 });
    const first = await rig.start({ stateFile, devices: [slowed(rig.devices[0]!, 15)] });
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    await until(() => (first.status().devices[0]?.progress?.sent ?? 0) > 2000, 'the upload to be under way');
    await first.close();
    expect(journal().devices['sim-0']).toMatchObject({ actionId, stage: 'uploading' });
    expect(rig.ddi.actionStatus(actionId!)).toBe('running');
    expect(rig.ddi.feedback(actionId!).some((f) => f.execution === 'closed')).toBe(false);

    const second = await rig.start({ stateFile });
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'success' });
    expect(closing.details?.[1]).toMatch(/\(resumed at byte [1-9]\d* of \d+\)/);
    expect(rig.ddi.feedback(actionId!).map((f) => f.details?.[0])).toContain(
      'resuming on sim #0: the gateway was restarted while this update was at stage "uploading"',
    );
    expect(rig.logs).toContain('sim-0: the state file says action 1 was at stage "uploading"; resuming it');
    await second.close();
    expect(journal().devices).toEqual({});
    expect(await runningImage(rig.devices[0]!)).toMatchObject({ version: '2.0.0', confirmed: true });
  });

  it('stopped during the test boot: the new gateway finds the image running on trial, confirms it and reports success', async () => {
    const rig = await newRig({ count: 1 });
    const first = await rig.start({ stateFile, dfu: slowSettle });
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    await until(
      () => first.status().devices[0]?.phase === 'testing' && journal().devices['sim-0']?.stage === 'reset',
      'the test boot',
    );
    await first.close();
    expect(await runningImage(rig.devices[0]!)).toMatchObject({ version: '2.0.0', confirmed: false });

    await rig.start({ stateFile });
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'success' });
    expect(closing.details).toEqual([
      'installed: sim #0 runs image 2.0.0, confirmed',
      'it was already running on trial; steps: already-running, watching, healthy, confirmed',
    ]);
    expect(await runningImage(rig.devices[0]!)).toMatchObject({ version: '2.0.0', confirmed: true });
  });

  it('cancelled on the server while the gateway was down (before the test mark): the new gateway confirms the cancel', async () => {
    const rig = await newRig({ count: 1 });
    const first = await rig.start({ stateFile, devices: [slowed(rig.devices[0]!, 15)] });
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    await until(() => (first.status().devices[0]?.progress?.sent ?? 0) > 0, 'the upload to be under way');
    await first.close();
    rig.ddi.cancel(actionId!);
    const second = await rig.start({ stateFile });
    await until(() => rig.ddi.actionStatus(actionId!) === 'canceled', 'the cancel');
    expect(rig.ddi.cancelFeedback(actionId!)[0]?.details).toEqual([
      'cancelled while uploading; the image was not marked for a test boot, so nothing was installed',
    ]);
    await second.close();
    expect(journal().devices).toEqual({});
    expect((await runningImage(rig.devices[0]!)).version).toBe('1.0.0');
  });

  it('a result hawkBit did not take before the stop is delivered by the next gateway', async () => {
    const rig = await newRig({ count: 1 });
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    const pending = {
      execution: 'closed',
      finished: 'failure',
      details: ['device gone: sim #0 stopped answering'],
    };
    writeJournal({ actionId, stage: 'finishing', pending });
    const gateway = await rig.start({ stateFile });
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toEqual(pending);
    // Delivered as it was: no second try at the update.
    expect(rig.ddi.feedback(actionId!)).toEqual([pending]);
    await gateway.close();
    expect(journal().devices).toEqual({});
  });

  it('a cancel for an update that ended before the stop: refused when the image is installed, and the result delivered', async () => {
    const rig = await newRig({ count: 1 });
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    const pending = {
      execution: 'closed',
      finished: 'success',
      details: ['installed: sim #0 runs image 2.0.0, confirmed'],
    };
    writeJournal({ actionId, stage: 'finishing', pending });
    rig.ddi.cancel(actionId!);
    await rig.start({ stateFile });
    expect(await ended(rig.ddi, actionId!)).toEqual(pending);
    expect(rig.ddi.cancelFeedback(actionId!)).toEqual([
      {
        execution: 'rejected',
        finished: 'none',
        details: [
          'too late to cancel: the update already ended: installed: sim #0 runs image 2.0.0, confirmed',
        ],
      },
    ]);
  });

  it('a state file that is not a journal: a clear error, and the file is left as it was', async () => {
    const rig = await newRig({ count: 1 });
    writeFileSync(stateFile, '{"devices": [1, 2]');
    const error = await rejection(
      startGateway({
        ddi: { baseUrl: rig.ddi.url, auth: { kind: 'gateway', token: GATEWAY_TOKEN } },
        devices: rig.devices,
        stateFile,
      }),
    );
    expect(error).toBeInstanceOf(JournalError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the gateway state file ${stateFile} is not JSON \\(.*\\); move ${stateFile} away to start afresh`,
      ),
    );
    expect(readFileSync(stateFile, 'utf8')).toBe('{"devices": [1, 2]');
    expect(rig.ddi.requests()).toEqual([]);
  });
});

describe('zdfu gateway: journal entries whose action hawkBit no longer offers', () => {
  it('an update cut off mid-upload whose action was closed meanwhile is reported as failed, in words, not dropped silently', async () => {
    const rig = await newRig({ count: 1 });
    writeJournal({ actionId: '77', stage: 'uploading' });
    const gateway = await rig.start({ stateFile });
    await until(() => gateway.status().devices[0]?.phase === 'failed', 'the report');
    const text =
      'the gateway stopped while action 77 (blinky 2.0.0) was at stage "uploading", and hawkBit no longer offers it (it was closed or cancelled on the server)';
    expect(gateway.status().devices[0]).toMatchObject({ actionId: '77', error: text });
    expect(rig.logs).toContain(`sim-0: ${text}`);
    await gateway.close();
    expect(journal().devices).toEqual({});
  });

  it('a result sent before the stop, for an action hawkBit has closed, counts as delivered', async () => {
    const rig = await newRig({ count: 1 });
    const pending = {
      execution: 'closed',
      finished: 'success',
      details: ['installed: sim #0 runs image 2.0.0, confirmed'],
    };
    writeJournal({ actionId: '78', stage: 'finishing', pending });
    const gateway = await rig.start({ stateFile });
    await until(() => gateway.status().devices[0]?.phase === 'done', 'the report');
    expect(gateway.status().devices[0]).toMatchObject({ actionId: '78', lastFeedback: pending });
    expect(gateway.status().devices[0]?.error).toBeUndefined();
    await gateway.close();
    expect(journal().devices).toEqual({});
  });
});
