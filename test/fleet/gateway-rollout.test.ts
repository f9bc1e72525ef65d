import { afterEach, describe, expect, it } from 'vitest';
import {
  binaryTwo,
  distribution,
  ended,
  type Rig,
  runningImage,
  startRig,
  until,
} from './gateway-helpers.ts';

let rig: Rig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('zdfu gateway: a rollout through the fake DDI server to in-process virtual boards', () => {
  it('installs on every assigned board (at most --parallel at once), downloads once, reports proceeding then closed/success', async () => {
    rig = await startRig({ count: 3 });
    const image = await binaryTwo();
    const gateway = await rig.start({ parallel: 2 });
    const ids = rig.devices.map((d) => d.controllerId);
    let mostAtOnce = 0;
    gateway.onStatus((status) => {
      const busy = status.devices.filter((d) =>
        ['downloading', 'uploading', 'testing', 'resetting', 'confirming'].includes(d.phase),
      );
      mostAtOnce = Math.max(mostAtOnce, busy.length);
    });
    const actions = rig.ddi.assign(ids, distribution(image));

    for (const [id, actionId] of actions) {
      const closing = await ended(rig.ddi, actionId);
      expect(closing).toMatchObject({ execution: 'closed', finished: 'success' });
      expect(closing.details?.[0]).toBe(
        `installed: ${rig.devices.find((d) => d.controllerId === id)!.describe} runs image 2.0.0, confirmed`,
      );
      const proceeding = rig.ddi.feedback(actionId).filter((f) => f.execution === 'proceeding');
      expect(proceeding.map((f) => f.details?.[0])).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^downloading zephyr\.signed\.bin|^zephyr\.signed\.bin \(\d+ bytes\) is in the gateway.s cache/,
          ),
          expect.stringMatching(/^uploading image 2\.0\.0/),
        ]),
      );
      expect(proceeding.some((f) => f.progress !== undefined && f.progress.of === 100)).toBe(true);
    }
    for (const device of rig.devices) {
      expect(await runningImage(device)).toMatchObject({ version: '2.0.0', confirmed: true });
    }
    expect(gateway.downloads).toBe(1);
    const downloads = rig.ddi.requests().filter((r) => r.path.includes('/softwaremodules/'));
    expect(downloads).toHaveLength(1);
    expect(mostAtOnce).toBeLessThanOrEqual(2);
    expect(mostAtOnce).toBeGreaterThan(0);

    const status = gateway.status();
    expect(status.server).toBe(rig.ddi.url);
    expect(status.devices.map((d) => [d.controllerId, d.phase, d.version, d.confirmed])).toEqual(
      ids.map((id) => [id, 'done', '2.0.0', true]),
    );
    // configData after the update: the facts of the device, its slots with the new image.
    await until(
      () => rig!.ddi.configData(ids[0]!).slot0?.includes('2.0.0') === true,
      'configData with the new slot 0',
    );
    expect(rig.ddi.configData(ids[0]!)).toMatchObject({
      link: 'sim #0',
      board: 'stm32f4_disco',
      os: expect.stringMatching(/^Zephyr \d/),
      bootloader: expect.stringMatching(/^MCUboot, /),
      version: '2.0.0',
      slot0: 'slot 0: 2.0.0 active confirmed',
    });
  });

  it('reports a board that already runs the image as closed/success "already installed", sending nothing', async () => {
    rig = await startRig({ count: 1 });
    const gateway = await rig.start();
    const [first] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    await ended(rig.ddi, first!);
    const [second] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo(), '2.0.0-again')).values();
    const closing = await ended(rig.ddi, second!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'success' });
    expect(closing.details?.[0]).toBe(
      'already installed: sim #0 already runs image 2.0.0 (confirmed); nothing was sent',
    );
    // Nothing uploaded: no progress feedback, and no step past the check.
    expect(rig.ddi.feedback(second!).some((f) => f.progress !== undefined)).toBe(false);
    expect(gateway.status().devices[0]).toMatchObject({ phase: 'done', version: '2.0.0' });
  });

  it('sends configData when hawkBit asks for it, before any update', async () => {
    rig = await startRig({ count: 1 });
    await rig.start();
    await until(() => rig!.ddi.configData('sim-0').version !== undefined, 'configData');
    expect(rig.ddi.configData('sim-0')).toMatchObject({
      gateway: 'zdfu gateway',
      link: 'sim #0',
      board: 'stm32f4_disco',
      version: '1.0.0',
      slot0: 'slot 0: 1.0.0 active confirmed',
    });
  });
});
