/**
 * Image upload on the chunked-transfer engine against the virtual device's real SMP server (a
 * board built with CONFIG_IMG_ENABLE_IMAGE_CHECK, so `match` proves the bytes) over an in-memory
 * link that loses and reorders packets.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Board } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { VirtualDevice } from '../../../src/device/device.ts';
import { bootloaderKeysFor, factoryImages } from '../../../src/device/io/board-images.ts';
import { blinky } from '../../device/server/fixtures.ts';
import { imageHash } from '../../helpers/signed-fixture.ts';
import { type LinkFaults, type LossyLink, lossyLink } from './lossy-link.ts';

const board: Board = { ...getBoard('stm32f4_disco'), smpServer: { imageCheck: true } };
let device: VirtualDevice;
let images: Uint8Array[];
const links: LossyLink[] = [];

beforeAll(async () => {
  images = [await blinky('blinky-one'), await blinky('blinky-two')];
  device = new VirtualDevice({
    board,
    bootloaderKeys: await bootloaderKeysFor(board),
    baud: 0,
    flashTimeScale: 0,
  });
  device.programSlot(0, (await factoryImages(board))[0]!);
  await device.powerOn();
});
afterEach(async () => {
  for (const link of links.splice(0)) await link.close();
});
afterAll(async () => {
  await device.powerOff();
});

/** A link to the device, recording the offset of every upload chunk the device was sent. */
function connect(faults: LinkFaults = {}) {
  const link = lossyLink((packet) => device.handleDatagram(packet), faults);
  links.push(link);
  return link;
}

async function slotHash(link: LossyLink): Promise<Uint8Array | undefined> {
  return (await link.client.imageList()).images.find((row) => row.slot === 1)?.hash;
}

describe('image upload over a lossy link to the virtual device', () => {
  it('goes back to the offset the device names when a chunk is lost in the window, without waiting for a timeout', async () => {
    // Request 1 is os params; 2 the first chunk; 6 is lost in the middle of the window.
    const link = connect({ request: (n) => (n === 6 ? 'drop' : 'deliver') });
    const image = images[1]!;
    const result = await link.client.imageUpload(image, { maxChunkSize: 200, window: 4, timeoutMs: 1000 });
    expect(result.match).toBe(true);
    expect(result.timeouts).toBe(0);
    expect(result.requests).toBeGreaterThan(Math.ceil(image.length / 200));
    expect(await slotHash(link)).toEqual(imageHash(image));
  });

  it('takes late answers as late news, not as another client', async () => {
    // Every third answer arrives after the next ones.
    const link = connect({ reply: (n) => (n % 3 === 0 ? { delayMs: 20 } : 'deliver') });
    const image = images[0]!;
    const result = await link.client.imageUpload(image, { maxChunkSize: 150, window: 4 });
    expect(result.match).toBe(true);
    expect(await slotHash(link)).toEqual(imageHash(image));
  });

  it('resends after a lost answer when it waits for each one, and still stores every byte once', async () => {
    const link = connect({ reply: (n) => (n === 4 || n === 9 ? 'drop' : 'deliver') });
    const image = images[1]!;
    const result = await link.client.imageUpload(image, {
      maxChunkSize: 256,
      timeoutMs: 80,
      retries: 4,
      window: 1,
    });
    expect(result.match).toBe(true);
    expect(result.timeouts).toBe(2);
    expect(await slotHash(link)).toEqual(imageHash(image));
  });

  it('needs no timeout for a lost answer inside a window: the next answer carries the offset', async () => {
    const link = connect({ reply: (n) => (n === 4 || n === 9 ? 'drop' : 'deliver') });
    const image = images[0]!;
    const result = await link.client.imageUpload(image, { maxChunkSize: 256, timeoutMs: 1000, window: 3 });
    expect(result.match).toBe(true);
    expect(result.timeouts).toBe(0);
    expect(await slotHash(link)).toEqual(imageHash(image));
  });

  it('ends well when the answer to the last chunk is lost: the device, done, answers the resend 0', async () => {
    const image = images[0]!;
    const options = { maxChunkSize: 256, timeoutMs: 80, retries: 4, window: 1 } as const;
    // Another image in the slot before each run, or the device answers the first chunk "already
    // there" (CONFIG_IMG_ENABLE_IMAGE_CHECK).
    const other = connect();
    await other.client.imageUpload(images[1]!, options);
    // A clean run first, to count the replies: params, one per chunk, then the slot check's list.
    const dry = connect();
    await dry.client.imageUpload(image, options);
    const lastChunkReply = dry.counts.replies - 1;
    await other.client.imageUpload(images[1]!, options);
    const link = connect({ reply: (n) => (n === lastChunkReply ? 'drop' : 'deliver') });
    const result = await link.client.imageUpload(image, options);
    expect(link.counts.dropped).toBe(1);
    expect(result.timeouts).toBe(1);
    // The verdict went with the lost answer; the slot check found the image.
    expect(result.match).toBeUndefined();
    expect(await slotHash(link)).toEqual(imageHash(image));
  });
});
