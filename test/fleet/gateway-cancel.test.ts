import { describe, expect, it } from 'vitest';
import {
  binaryTwo,
  distribution,
  ended,
  GATEWAY_TOKEN,
  rigPerTest,
  runningImage,
  slowed,
  until,
} from './gateway-helpers.ts';

const newRig = rigPerTest();

describe('zdfu gateway: cancel', () => {
  it('before the image is marked for test: the upload stops, the cancel is confirmed (closed/success), nothing is installed', async () => {
    const rig = await newRig({ count: 1 });
    const gateway = await rig.start({ devices: [slowed(rig.devices[0]!, 15)] });
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    await until(() => (gateway.status().devices[0]?.progress?.sent ?? 0) > 0, 'the upload to start');
    rig.ddi.cancel(actionId!);
    await until(() => gateway.status().devices[0]?.phase === 'cancelled', 'the cancel to be confirmed');
    expect(rig.ddi.actionStatus(actionId!)).toBe('canceled');
    expect(rig.ddi.cancelFeedback(actionId!)).toEqual([
      {
        execution: 'closed',
        finished: 'success',
        details: [
          'cancelled while uploading; the image was not marked for a test boot, so nothing was installed',
        ],
      },
    ]);
    expect(rig.ddi.feedback(actionId!).some((f) => f.execution === 'closed')).toBe(false);
    expect(gateway.status().devices[0]?.progress).toBeUndefined();
    const running = await runningImage(rig.devices[0]!);
    expect(running).toMatchObject({ version: '1.0.0', confirmed: true });
    expect(running.slots.some((s) => s.endsWith(':pending'))).toBe(false);
  });

  it('while queued for a slot (--parallel 1): confirmed at once, nothing sent to that device', async () => {
    const rig = await newRig({ count: 2 });
    const gateway = await rig.start({ parallel: 1, devices: rig.devices.map((d) => slowed(d, 10)) });
    const actions = rig.ddi.assign(['sim-0', 'sim-1'], distribution(await binaryTwo()));
    await until(
      () =>
        gateway.status().devices.some((d) => d.phase === 'queued') &&
        gateway.status().devices.some((d) => d.phase === 'uploading'),
      'one device uploading and one queued',
    );
    const queued = gateway.status().devices.find((d) => d.phase === 'queued')!;
    const busy = gateway.status().devices.find((d) => d.phase === 'uploading')!;
    rig.ddi.cancel(actions.get(queued.controllerId)!);
    await until(() => rig.ddi.actionStatus(actions.get(queued.controllerId)!) === 'canceled', 'the cancel');
    expect(rig.ddi.cancelFeedback(actions.get(queued.controllerId)!)[0]?.details).toEqual([
      'cancelled before anything was sent to the device; nothing was installed',
    ]);
    expect((await ended(rig.ddi, actions.get(busy.controllerId)!)).finished).toBe('success');
    const index = rig.devices.findIndex((d) => d.controllerId === queued.controllerId);
    expect((await runningImage(rig.devices[index]!)).version).toBe('1.0.0');
  });

  it('after the image is marked for test: the cancel is refused (rejected) and the update finishes', async () => {
    const rig = await newRig({ count: 1 });
    const gateway = await rig.start({
      dfu: {
        settleMs: 1500,
        pollIntervalMs: 20,
        pollTimeoutMs: 200,
        rebootTimeoutMs: 3000,
        requestTimeoutMs: 1000,
      },
    });
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    await until(() => gateway.status().devices[0]?.phase === 'testing', 'the test boot');
    rig.ddi.cancel(actionId!);
    await until(() => rig.ddi.cancelFeedback(actionId!).length > 0, 'the answer to the cancel');
    const [answer] = rig.ddi.cancelFeedback(actionId!);
    expect(answer).toMatchObject({ execution: 'rejected', finished: 'none' });
    expect(answer?.details?.[0]).toMatch(
      /^too late to cancel: the image is already marked for a test boot on sim #0/,
    );
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'success' });
    expect(rig.ddi.cancelFeedback(actionId!)).toHaveLength(1);
    expect(await runningImage(rig.devices[0]!)).toMatchObject({ version: '2.0.0', confirmed: true });
  });
});

describe('zdfu gateway: cancel and the shared download', () => {
  it('cancelling the device whose request fetches the artifact does not fail the other devices waiting for it', async () => {
    const rig = await newRig({ count: 2 });
    const fetched: string[] = [];
    // Artifact downloads take a second (answered at once, then held), so both devices wait on one.
    const slowDownloads: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('/softwaremodules/')) {
        fetched.push(String(input));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 1000);
          init?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(init.signal?.reason);
          });
        });
      }
      return response;
    };
    const gateway = await rig.start({
      ddi: { baseUrl: rig.ddi.url, auth: { kind: 'gateway', token: GATEWAY_TOKEN }, fetch: slowDownloads },
    });
    const image = await binaryTwo();
    const [first] = rig.ddi.assign(['sim-0'], distribution(image)).values();
    await until(() => fetched.length === 1, 'sim-0 to start the download');
    expect(fetched[0]).toContain('/sim-0/');
    const [second] = rig.ddi.assign(['sim-1'], distribution(image)).values();
    await until(
      () => gateway.status().devices[1]?.phase === 'downloading',
      'sim-1 to wait for the same download',
    );
    rig.ddi.cancel(first!);
    await until(() => gateway.status().devices[0]?.phase === 'cancelled', 'sim-0 cancelled');
    const closing = await ended(rig.ddi, second!);
    expect(closing.details?.[0]).toBe('installed: sim #1 runs image 2.0.0, confirmed');
  });
});
