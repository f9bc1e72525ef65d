/**
 * The virtual board's SMP work queue: requests from every transport are handled one at a time,
 * each answer waits for the flash erases and writes its request caused (with flashTimeScale), and
 * requests that find every SMP buffer taken are dropped without an answer, as Zephyr's
 * smp_packet_alloc (subsys/mgmt/mcumgr/transport/src/smp.c) drops them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/client/upload.ts';
import type { FlashOperation } from '../../../src/device/flash.ts';
import { imageUpload } from '../../../src/groups/image/models.ts';
import { echo } from '../../../src/groups/os/models.ts';
import { type CborMap, encodePacket } from '../../../src/smp/codec.ts';
import { encodeRequest } from '../../../src/smp/command.ts';
import { type BootedDevice, blinky, bootDevice } from './fixtures.ts';

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

function packet(sequence: number, group: number, command: number, op: number, body: CborMap): Uint8Array {
  return encodePacket({ version: 1, op, flags: 0, group, sequence, command }, body);
}

describe('the virtual board spends its flash time', () => {
  it("answers an upload only after the board's flash erased and programmed what it carries", async () => {
    booted = await bootDevice({ flashTimeScale: 1 });
    const { device, client } = booted;
    await booted.appStarted();
    // Old data in slot 1, as after an earlier update: the upload must erase it first.
    device.programSlot(1, await blinky('blinky-one'));
    const work: FlashOperation[] = [];
    device.flash.onOperation((op) => {
      if (op.kind !== 'read') work.push(op);
    });
    const image = await blinky('blinky-two');
    const started = performance.now();
    await client.imageUpload(image);
    const elapsedMs = performance.now() - started;
    const flashMs = work.reduce((sum, op) => sum + op.durationUs, 0) / 1000;
    // stm32f4_disco: slot 1's first 128 KiB sector takes 1 s to erase (RM0090 / DS8626 typical).
    expect(work.some((op) => op.kind === 'erase')).toBe(true);
    expect(flashMs).toBeGreaterThanOrEqual(1000);
    expect(elapsedMs).toBeGreaterThanOrEqual(flashMs);
  });

  it('takes no flash time with flashTimeScale 0', async () => {
    booted = await bootDevice();
    await booted.appStarted();
    const started = performance.now();
    await booted.client.imageUpload(await blinky('blinky-two'));
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('drops requests that find every SMP buffer taken while the work queue is busy', async () => {
    booted = await bootDevice({ flashTimeScale: 1 });
    const { device } = booted;
    await booted.appStarted();
    device.programSlot(1, await blinky('blinky-one'));
    const image = await blinky('blinky-two');
    // The first chunk erases slot 1 (about a second): meanwhile it holds a buffer, and its
    // response being built another, of the board's 4.
    const first = encodeRequest(imageUpload, {
      off: 0,
      len: image.length,
      sha: await sha256(image),
      image: 0,
      data: image.subarray(0, 200),
    });
    const answers = [device.handleDatagram(packet(1, 1, 1, 2, first))];
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(device.smpBuffers.inUse).toBe(2);
    for (let sequence = 2; sequence <= 6; sequence++) {
      answers.push(
        device.handleDatagram(packet(sequence, 0, 0, 2, encodeRequest(echo, { d: `e${sequence}` }))),
      );
    }
    // Two echoes wait in the last two buffers; the other three are dropped.
    expect(device.smpBuffers.inUse).toBe(4);
    expect(device.smpBuffers.refused).toBe(3);
    const responses = await Promise.all(answers);
    expect(responses.map((r) => r.length)).toEqual([1, 1, 1, 0, 0, 0]);
    expect(device.smpBuffers.inUse).toBe(0);
  });
});
