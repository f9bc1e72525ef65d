/**
 * Property: whatever packets a network loses, delays or reorders, a transfer that completes holds
 * exactly the file's bytes. Image upload runs against the virtual device's real SMP server (a
 * board built with CONFIG_IMG_ENABLE_IMAGE_CHECK, so `match` proves the bytes); fs upload and
 * download against the fs_mgmt.c responder. Seeded, so a failure replays.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFile } from '../../../src/client/transfer/fs-download.ts';
import { uploadFile } from '../../../src/client/transfer/fs-upload.ts';
import type { UploadResult } from '../../../src/client/upload.ts';
import type { Board } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { VirtualDevice } from '../../../src/device/device.ts';
import { bootloaderKeysFor, factoryImages } from '../../../src/device/io/board-images.ts';
import { blinky } from '../../device/server/fixtures.ts';
import { imageHash } from '../../helpers/signed-fixture.ts';
import { FsResponder } from './fs-responder.ts';
import { type Fate, lossyLink } from './lossy-link.ts';

const SEED = 0x7a_d1_f0;

/**
 * Mostly delivered; some lost; some delayed long enough to overtake or be overtaken, but less
 * than a request's timeout (`patient`), as real networks are against zdfu's 5 s: a request that
 * arrives after its own resend is another matter (an fs first chunk would truncate the file
 * again, which the upload then reports as a conflict).
 */
const fate: fc.Arbitrary<Fate> = fc.oneof(
  { arbitrary: fc.constant<Fate>('deliver'), weight: 12 },
  { arbitrary: fc.constant<Fate>('drop'), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 25 }).map((delayMs): Fate => ({ delayMs })), weight: 3 },
);
const pattern = fc.record({
  requests: fc.array(fate, { minLength: 20, maxLength: 80 }),
  replies: fc.array(fate, { minLength: 20, maxLength: 80 }),
});
type Pattern = { requests: Fate[]; replies: Fate[] };

function faultsOf(p: Pattern) {
  return {
    request: (n: number) => p.requests[n % p.requests.length] ?? 'deliver',
    reply: (n: number) => p.replies[n % p.replies.length] ?? 'deliver',
  };
}

const patient = { timeoutMs: 80, retries: 12 };

describe('random loss and reordering never produce wrong bytes', () => {
  it('fs upload and fs download', async () => {
    await fc.assert(
      fc.asyncProperty(
        pattern,
        fc.uint8Array({ minLength: 0, maxLength: 5000, size: 'max' }),
        fc.integer({ min: 2, max: 6 }),
        async (p, data, bufCount) => {
          const responder = new FsResponder({
            params: { buf_size: 512, buf_count: bufCount },
            downloadChunk: 230,
          });
          const link = lossyLink(responder.serveFor(), faultsOf(p));
          try {
            const transfer = link.client.transferLink();
            await uploadFile(transfer, '/lfs/p', data, patient);
            expect(responder.files.get('/lfs/p')).toEqual(data);
            const back = await downloadFile(transfer, '/lfs/p', patient);
            expect(back.data).toEqual(data);
          } finally {
            await link.close();
          }
        },
      ),
      { seed: SEED, numRuns: 25, timeout: 20_000 },
    );
  }, 120_000);

  describe('image upload on the virtual device', () => {
    /** The user's board built with CONFIG_IMG_ENABLE_IMAGE_CHECK: `match` says the bytes are right. */
    const board: Board = { ...getBoard('stm32f4_disco'), smpServer: { imageCheck: true } };
    let device: VirtualDevice;
    let images: Uint8Array[];

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
    afterAll(async () => {
      await device.powerOff();
    });

    it('completes with match=true and the image listed, whatever the network does', async () => {
      let run = 0;
      await fc.assert(
        // Chunks of 0.5–1.8 KiB keep each run to a few dozen requests: the suite stays fast, and the
        // engine's behaviour does not depend on the chunk count.
        fc.asyncProperty(pattern, fc.integer({ min: 512, max: 1800 }), async (p, maxChunkSize) => {
          // Alternate the images, so a slot left by an earlier run cannot pass for this one.
          const image = images[run++ % 2]!;
          const link = lossyLink((packet) => device.handleDatagram(packet), faultsOf(p));
          try {
            const outcome = await link.client
              .imageUpload(image, { ...patient, firstChunkTimeoutMs: 500, maxChunkSize })
              .catch((error: unknown) => error);
            const listed = (await link.client.imageList()).images.find((row) => row.slot === 1);
            if (outcome instanceof Error) throw outcome;
            // A lost answer to the last chunk takes the device's verdict with it (match undefined).
            expect((outcome as UploadResult).match).not.toBe(false);
            expect(listed?.hash).toEqual(imageHash(image));
          } finally {
            await link.close();
          }
        }),
        { seed: SEED, numRuns: 6, timeout: 20_000 },
      );
    }, 60_000);
  });
});
