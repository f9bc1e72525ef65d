import { afterEach, describe, expect, it } from 'vitest';
import { parseFaultPlan } from '../../src/fleet/faults.ts';
import { startGateway } from '../../src/fleet/gateway/gateway.ts';
import { GatewayError } from '../../src/fleet/gateway/types.ts';
import { resetOnFatal } from '../client/dfu-helpers.ts';
import { signedFixture } from '../helpers/signed-fixture.ts';
import {
  binaryTwo,
  distribution,
  ended,
  GATEWAY_TOKEN,
  type Rig,
  runningImage,
  startRig,
} from './gateway-helpers.ts';

let rig: Rig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** What the board runs and holds: nothing new installed, nothing pending. */
async function untouched(index = 0): Promise<void> {
  const running = await runningImage(rig!.devices[index]!);
  expect(running).toMatchObject({ version: '1.0.0', confirmed: true });
  expect(running.slots.some((s) => s.endsWith(':pending'))).toBe(false);
}

describe('zdfu gateway: updates that fail, with the reason in words', () => {
  it('refused signature: a board whose MCUboot trusts another key keeps its image; closed/failure says why', async () => {
    rig = await startRig({ count: 1, faults: parseFaultPlan('image-refused=100%') });
    const gateway = await rig.start();
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'failure' });
    expect(closing.details?.[0]).toMatch(
      /^refused signature: MCUboot on sim #0 refused image 2\.0\.0 at boot/,
    );
    expect(closing.details?.[1]).toMatch(/MCUboot refused it/);
    expect(gateway.status().devices[0]).toMatchObject({ phase: 'failed', error: closing.details?.[0] });
    expect((await runningImage(rig.devices[0]!)).version).toBe('1.0.0');
  });

  it('reverted after reset: an image that crashes at start is reverted by MCUboot; closed/failure says so', async () => {
    rig = await startRig({ count: 1, board: resetOnFatal });
    await rig.start();
    const crash = await signedFixture('crash-at-start', '3.0.0');
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(crash, '3.0.0')).values();
    const closing = await ended(rig.ddi, actionId!, 15_000);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'failure' });
    expect(closing.details?.[0]).toMatch(/^reverted after reset: sim #0 booted image 3\.0\.0 but went back/);
    await untouched();
  });

  it('device gone: a board whose link dies mid-upload is reported gone, with where it stopped; nothing installed', async () => {
    rig = await startRig({ count: 1, faults: parseFaultPlan('link-lost=100%') });
    const gateway = await rig.start();
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'failure' });
    expect(closing.details?.[0]).toMatch(
      /^device gone: sim #0 stopped answering during the upload, after \d+ of \d+ bytes; nothing was installed/,
    );
    expect(gateway.status().devices[0]?.phase).toBe('gone');
  });
});

describe('zdfu gateway: bad input is refused in words and nothing is installed', () => {
  it('a distribution with two artifacts', async () => {
    rig = await startRig({ count: 1 });
    await rig.start();
    const image = await binaryTwo();
    const dist = distribution(image);
    dist.chunks[0]!.artifacts.push({ filename: 'extra.bin', data: image });
    const [actionId] = rig.ddi.assign(['sim-0'], dist).values();
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'failure' });
    expect(closing.details?.[0]).toBe(
      'rejected: the software module "blinky" 2.0.0 has 2 artifacts (zephyr.signed.bin, extra.bin); the gateway installs one MCUboot image per device: one chunk (part bApp or os) with one artifact; nothing was installed',
    );
    expect(rig.ddi.requests().some((r) => r.path.includes('/softwaremodules/'))).toBe(false);
    await untouched();
  });

  it('two software modules, and a module of another part', async () => {
    rig = await startRig({ count: 2 });
    await rig.start();
    const image = await binaryTwo();
    const two = distribution(image);
    two.chunks.push({ ...two.chunks[0]!, name: 'other' });
    const firmware = distribution(image);
    firmware.chunks[0]!.part = 'jvm';
    const [a] = rig.ddi.assign(['sim-0'], two).values();
    const [b] = rig.ddi.assign(['sim-1'], firmware).values();
    expect((await ended(rig.ddi, a!)).details?.[0]).toMatch(
      /^rejected: the distribution has 2 software modules \(bApp "blinky", bApp "other"\)/,
    );
    expect((await ended(rig.ddi, b!)).details?.[0]).toMatch(
      /^rejected: the software module "blinky" is of part "jvm"/,
    );
    await untouched(0);
    await untouched(1);
  });

  it('an artifact whose bytes do not match the announced sha256', async () => {
    rig = await startRig({ count: 1 });
    await rig.start();
    const image = await binaryTwo();
    const corrupt = image.slice();
    corrupt[1000] = (corrupt[1000] ?? 0) ^ 0xff;
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(image, '2.0.0', corrupt)).values();
    const closing = await ended(rig.ddi, actionId!);
    expect(closing).toMatchObject({ execution: 'closed', finished: 'failure' });
    expect(closing.details?.[0]).toMatch(/^download failed: .*sha256.*; nothing was installed$/i);
    await untouched();
  });

  it('an artifact that is not a signed MCUboot image', async () => {
    rig = await startRig({ count: 1 });
    await rig.start();
    const text = new TextEncoder().encode('#!/bin/sh\necho this is not firmware\n'.repeat(20));
    const [actionId] = rig.ddi.assign(['sim-0'], distribution(text)).values();
    const closing = await ended(rig.ddi, actionId!);
    expect(closing.details?.[0]).toMatch(
      /^rejected: the artifact zephyr\.signed\.bin \(\d+ bytes\) is not a signed MCUboot image: .*; nothing was installed$/,
    );
    await untouched();
  });

  it('a wrong gateway token: startGateway fails with one clear error and polls no further', async () => {
    rig = await startRig({ count: 2 });
    const error = await startGateway({
      ddi: {
        baseUrl: rig.ddi.url,
        auth: { kind: 'gateway', token: `${GATEWAY_TOKEN}-wrong` },
        timeoutMs: 2000,
      },
      devices: rig.devices,
      pollFloorMs: 30,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^hawkBit at ${rig.ddi.url} refused every device's poll \\(HTTP 401\\): check the gateway token`,
      ),
    );
    const polls = rig.ddi.requests().length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(rig.ddi.requests().length).toBe(polls);
    await untouched(0);
  });

  it('a target token file with one wrong token: that device shows the refusal, the others go on', async () => {
    rig = await startRig({ count: 2 });
    const { startFakeDdi } = await import('../helpers/fake-ddi.ts');
    const ddi = await startFakeDdi({ auth: 'target', pollSleep: '00:00:00' });
    try {
      const good = ddi.addTarget('sim-0');
      ddi.addTarget('sim-1', 'the-right-token');
      const logs: string[] = [];
      const gateway = await startGateway({
        ddi: { baseUrl: ddi.url, auth: { kind: 'none' }, timeoutMs: 2000 },
        devices: [
          { ...rig.devices[0]!, token: good },
          { ...rig.devices[1]!, token: 'a-wrong-token' },
        ],
        pollFloorMs: 30,
        dfu: { settleMs: 100, pollIntervalMs: 20, pollTimeoutMs: 200, rebootTimeoutMs: 3000 },
        log: (line) => logs.push(line),
      });
      try {
        const [actionId] = ddi.assign(['sim-0'], distribution(await binaryTwo())).values();
        expect((await ended(ddi, actionId!)).finished).toBe('success');
        expect(gateway.status().devices[1]?.error).toMatch(/^hawkBit: .*401/);
        expect(logs.filter((l) => l.startsWith('sim-1: hawkBit:'))).toHaveLength(1);
      } finally {
        await gateway.close();
      }
    } finally {
      await ddi.close();
    }
  });
});
