/** runDfu: "already uploaded" is the device's word, never the slot list's. */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceClient } from '../../src/client/device.ts';
import { type DfuStep, runDfu } from '../../src/client/dfu.ts';
import { sha256 } from '../../src/client/upload.ts';
import type { Board } from '../../src/device/boards/board.ts';
import { getBoard } from '../../src/device/boards/index.ts';
import { imageUpload } from '../../src/groups/image/models.ts';
import { generateKey, loadSigningKey } from '../../src/image/keys.ts';
import { signImage } from '../../src/image/sign.ts';
import { type BootedDevice, blinky, bootDevice } from '../device/server/fixtures.ts';
import { imageHash } from '../helpers/signed-fixture.ts';
import { dfuError, fast, slot } from './dfu-helpers.ts';

/** The user's board built with CONFIG_IMG_ENABLE_IMAGE_CHECK: it can say a slot holds the file. */
const imageCheckBoard: Board = { ...getBoard('stm32f4_disco'), smpServer: { imageCheck: true } };

let booted: BootedDevice | undefined;

afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

/** Sends the first `cut` bytes of `image` as an upload and stops, as a dropped link would. */
async function partialUpload(client: DeviceClient, image: Uint8Array, cut: number): Promise<void> {
  const sha = await sha256(image);
  for (let off = 0; off < cut; ) {
    const data = image.subarray(off, Math.min(off + 256, cut));
    const first = off === 0 ? { len: image.length, sha, image: 0 } : {}; // fits a 384-byte netbuf
    const answer = await client.smp.request(imageUpload, { off, data, ...first });
    off = answer.off;
  }
}

describe('runDfu: "already uploaded" only when the device proves it', () => {
  it('an upload that stopped inside the TLV area lists with the right hash, yet dfu resumes it', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    // The RSA-2048 signature TLV is the last 260 bytes: stop 100 bytes short, inside it.
    await partialUpload(booted.client, two, two.length - 100);
    const listed = slot(await booted.client.imageList(), 1);
    expect(listed?.version).toBe('2.0.0');
    expect(listed?.hash).toEqual(imageHash(two));

    const steps: DfuStep[] = [];
    const result = await runDfu(booted.client, two, { ...fast, onStep: (s) => steps.push(s) });
    const uploaded = steps[0];
    expect(uploaded?.kind).toBe('uploaded');
    // The device still held the session: the engine sent the first chunk and then only the rest.
    expect(uploaded?.kind === 'uploaded' && uploaded.result.requests).toBeLessThanOrEqual(3);
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
  });

  it('the same cut slot after a reboot (session gone) is uploaded again in full', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    await partialUpload(booted.client, two, two.length - 100);
    await booted.reset();
    expect(slot(await booted.client.imageList(), 1)).toMatchObject({ version: '2.0.0' });

    const steps: DfuStep[] = [];
    const result = await runDfu(booted.client, two, { ...fast, onStep: (s) => steps.push(s) });
    expect(steps.map((s) => s.kind).slice(0, 2)).toEqual(['uploaded', 'marked']);
    expect(booted.device.lastBoot?.log.join('\n')).toContain('Swap type: test');
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
  });

  it('a slot the device hashes as this very file is not sent again (CONFIG_IMG_ENABLE_IMAGE_CHECK)', async () => {
    booted = await bootDevice({ board: imageCheckBoard });
    const two = await blinky('blinky-two');
    await booted.client.imageUpload(two);
    const steps: DfuStep['kind'][] = [];
    const result = await runDfu(booted.client, two, { ...fast, onStep: (s) => steps.push(s.kind) });
    expect(steps.slice(0, 2)).toEqual(['already-uploaded', 'marked']);
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', confirmed: true });
  });

  it('smp_svr (no image check) cannot vouch for a slot: the same file is uploaded again', async () => {
    booted = await bootDevice();
    const two = await blinky('blinky-two');
    await booted.client.imageUpload(two);
    const steps: DfuStep['kind'][] = [];
    const result = await runDfu(booted.client, two, { ...fast, onStep: (s) => steps.push(s.kind) });
    expect(steps.slice(0, 2)).toEqual(['uploaded', 'marked']);
    expect(slot(result.state, 0)).toMatchObject({ version: '2.0.0', confirmed: true });
  });

  it('MCUboot refusing an image the device vouched for: one fresh upload and retry, then the error', async () => {
    booted = await bootDevice({ board: imageCheckBoard });
    const stranger = await loadSigningKey((await generateKey('rsa-2048')).privatePem);
    const foreign = await signImage(await blinky('blinky-two', 'bin'), {
      key: stranger,
      headerSize: 0x200,
      slotSize: 0x60000,
      version: '3.0.0',
    });
    await booted.client.imageUpload(foreign);
    const steps: DfuStep['kind'][] = [];
    const error = await dfuError(
      runDfu(booted.client, foreign, { ...fast, onStep: (s) => steps.push(s.kind) }),
    );
    expect(steps).toEqual([
      'already-uploaded',
      'marked',
      'reset',
      'back',
      'retry',
      'uploaded',
      'marked',
      'reset',
      'back',
    ]);
    expect(error.message).toMatch(/MCUboot refused it/);
  });
});
