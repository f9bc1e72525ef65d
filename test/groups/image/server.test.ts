import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { type Board, slotPartition } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { ROM_START_OFFSET } from '../../../src/device/firmware/app-image.ts';
import { FlashArea } from '../../../src/device/flash.ts';
import { imageStateWrite, imageUpload } from '../../../src/groups/image/models.ts';
import { parseImage } from '../../../src/image/format.ts';
import { generateKey, loadSigningKey } from '../../../src/image/keys.ts';
import { signImage } from '../../../src/image/sign.ts';
import type { RequestOf } from '../../../src/smp/command.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { type BootedDevice, blinky, bootDevice, ensureBlinkyFirmware } from '../../device/server/fixtures.ts';

let one: Uint8Array;
let two: Uint8Array;
let twoHash: Uint8Array;
let oneHash: Uint8Array;

beforeAll(async () => {
  await ensureBlinkyFirmware();
  one = await blinky('blinky-one');
  two = await blinky('blinky-two');
  oneHash = parseImage(one).sha256Hash!;
  twoHash = parseImage(two).sha256Hash!;
});

/** The user's board built with CONFIG_IMG_ENABLE_IMAGE_CHECK (smp_svr leaves it off). */
const imageCheckBoard: Board = { ...getBoard('stm32f4_disco'), smpServer: { imageCheck: true } };

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

async function start(board?: string | Board): Promise<BootedDevice> {
  booted = await bootDevice(board === undefined ? {} : { board });
  expect(booted.firstBoot.booted).toBe(true);
  return booted;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
}

function upload(client: DeviceClient, body: RequestOf<typeof imageUpload>) {
  return client.smp.request(imageUpload, body);
}

/** The SmpError a rejected call carries (fails the test if the call succeeded). */
async function smpError(call: Promise<unknown>): Promise<SmpError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

async function expectImageErr(call: Promise<unknown>, rc: number): Promise<SmpError> {
  const error = await smpError(call);
  expect({ group: error.group, rc: error.rc }).toEqual({ group: SmpGroup.Image, rc });
  return error;
}

/** Sends `image` from offset 0 in 256-byte chunks until at least `upTo` bytes are stored. */
async function sendChunks(client: DeviceClient, image: Uint8Array, upTo: number, sha?: Uint8Array) {
  let off = 0;
  while (off < upTo) {
    const data = image.subarray(off, Math.min(off + 256, upTo, image.length));
    const body = off === 0 ? { off, len: image.length, data, ...(sha ? { sha } : {}) } : { off, data };
    const response = await client.smp.request(imageUpload, body);
    off = response.off;
    if (response.match !== undefined) return response;
  }
  return { off };
}

function slotBytes(device: BootedDevice['device'], slot: 0 | 1): Uint8Array {
  const partition = slot === 0 ? slotPartition(device.board, 0) : slotPartition(device.board, 1);
  const area = new FlashArea(device.flash, partition);
  return area.read(0, area.size);
}

async function listed(client: DeviceClient) {
  const { images } = await client.imageList();
  return images.map((i) => ({
    slot: i.slot,
    version: i.version,
    flags: ['active', 'confirmed', 'pending', 'permanent'].filter((f) => i[f as 'active']).join(' '),
  }));
}

describe('image upload state machine (zephyr img_mgmt)', () => {
  it('uploads a whole image (no match: image check is off); slot 1 is listed without flags', async () => {
    const { client } = await start();
    const result = await client.imageUpload(two);
    expect(result.match).toBeUndefined();
    expect(result.total).toBe(two.length);
    expect(await listed(client)).toEqual([
      { slot: 0, version: '1.0.0', flags: 'active confirmed' },
      { slot: 1, version: '2.0.0', flags: '' },
    ]);
  });

  it('with image check, reports match: false when the announced sha is not the data sent', async () => {
    const { client } = await start(imageCheckBoard);
    const response = await sendChunks(client, two, two.length, new Uint8Array(32));
    expect(response).toEqual({ off: two.length, match: false });
  });

  it('resumes by sha: a new first chunk with the same sha returns the current offset', async () => {
    const { client } = await start(imageCheckBoard);
    const sha = await sha256(two);
    expect((await sendChunks(client, two, 512, sha)).off).toBe(512);
    const resumed = await upload(client, { off: 0, len: two.length, sha, data: two.subarray(0, 256) });
    expect(resumed).toEqual({ off: 512 });
    let off = 512;
    let match: boolean | undefined;
    while (off < two.length) {
      const r = await upload(client, { off, data: two.subarray(off, off + 256) });
      off = r.off;
      match = r.match;
    }
    expect(match).toBe(true);
  });

  it('answers a chunk at the wrong offset with the expected offset, not an error', async () => {
    const { client } = await start();
    // Nothing in progress: the expected offset is 0.
    expect(await upload(client, { off: 100, data: two.subarray(100, 200) })).toEqual({ off: 0 });
    await sendChunks(client, two, 256);
    expect(await upload(client, { off: 300, data: two.subarray(300, 400) })).toEqual({ off: 256 });
    expect(await upload(client, { off: 256, data: two.subarray(256, 300) })).toEqual({ off: 300 });
  });

  it('rejects a first chunk shorter than an image header with err 22', async () => {
    const { client } = await start();
    await expectImageErr(upload(client, { off: 0, len: two.length, data: two.subarray(0, 31) }), 22);
  });

  it('rejects a first chunk without len with err 21', async () => {
    const { client } = await start();
    await expectImageErr(upload(client, { off: 0, data: two.subarray(0, 64) }), 21);
  });

  it('rejects a first chunk without an MCUboot magic with err 23', async () => {
    const { client } = await start();
    const data = two.slice(0, 64);
    data[0] = 0;
    const error = await expectImageErr(upload(client, { off: 0, len: two.length, data }), 23);
    expect(error.message).toMatch(/bad header magic/);
  });

  it('rejects an image larger than the slot with err 30 and says so in words', async () => {
    const { client, device } = await start();
    const slotSize = slotPartition(device.board, 1).size;
    const error = await expectImageErr(
      upload(client, { off: 0, len: slotSize + 1, data: two.subarray(0, 256) }),
      30,
    );
    expect(error.words).toBe('image too large for the slot');
    // A v2 group error carries no "rsn" in Zephyr; the words come from the code.
    expect(error.reason).toBeUndefined();
  });

  it('rejects data running past the announced length with err 31, and forgets the upload', async () => {
    const { client } = await start();
    expect(await upload(client, { off: 0, len: 100, data: two.subarray(0, 64) })).toEqual({ off: 64 });
    await expectImageErr(upload(client, { off: 64, data: two.subarray(64, 128) }), 31);
    // Any error resets the upload: the expected offset is 0 again.
    expect(await upload(client, { off: 64, data: two.subarray(64, 100) })).toEqual({ off: 0 });
  });

  it('with upgrade: true refuses a version not newer than the running one (err 27)', async () => {
    const { client } = await start();
    const error = await expectImageErr(
      upload(client, { off: 0, len: one.length, data: one.subarray(0, 256), upgrade: true }),
      27,
    );
    expect(error.reason).toBeUndefined();
    expect(
      (await upload(client, { off: 0, len: two.length, data: two.subarray(0, 256), upgrade: true })).off,
    ).toBe(256);
  });

  it('with image check, finishes at once (match: true) when slot 1 already holds the same file', async () => {
    const { client } = await start(imageCheckBoard);
    await client.imageUpload(two);
    const sha = await sha256(two);
    expect(await upload(client, { off: 0, len: two.length, sha, data: two.subarray(0, 256) })).toEqual({
      off: two.length,
      match: true,
    });
  });
});

describe('a --pad image exactly the size of the slot', () => {
  // Zephyr's img_mgmt_upload_inspect (zephyr_img_mgmt.c) refuses only len > the slot's size with
  // the default MCUMGR_GRP_IMG_TOO_LARGE_DISABLED; its Kconfig notes that the other choices would
  // prevent uploading padded and confirmed images. So a padded, confirmed image uploads whole and
  // its trailer (magic, image_ok) makes MCUboot swap it in permanently on the next reset.
  it('uploads, is listed, and MCUboot swaps it in for good', async () => {
    const { client, device, reset } = await start();
    const slotSize = slotPartition(device.board, 1).size;
    const padded = await signImage(await blinky('blinky-two', 'bin'), {
      key: await loadSigningKey(
        readFileSync(new URL('../../../keys/dev-rsa-2048.pem', import.meta.url), 'utf8'),
      ),
      headerSize: ROM_START_OFFSET,
      slotSize,
      version: '2.0.0',
      align: 1,
      pad: true,
      confirm: true,
    });
    expect(padded.length).toBe(slotSize);
    expect((await client.imageUpload(padded)).total).toBe(slotSize);
    expect(await listed(client)).toEqual([
      { slot: 0, version: '1.0.0', flags: 'active confirmed' },
      { slot: 1, version: '2.0.0', flags: 'pending permanent' },
    ]);
    const boot = await reset();
    expect(boot.version).toMatchObject({ major: 2 });
    expect(await listed(client)).toEqual([
      { slot: 0, version: '2.0.0', flags: 'active confirmed' },
      { slot: 1, version: '1.0.0', flags: '' },
    ]);
  });
});

describe('what drops an upload in progress', () => {
  it('an erase forgets the upload: the next chunk is answered with off 0', async () => {
    const { client } = await start();
    expect((await sendChunks(client, two, 512)).off).toBe(512);
    await client.imageErase();
    expect(await upload(client, { off: 512, data: two.subarray(512, 768) })).toEqual({ off: 0 });
  });

  it('a reset forgets the upload (Zephyr keeps it in RAM only)', async () => {
    const { client, reset } = await start();
    const sha = await sha256(two);
    expect((await sendChunks(client, two, 512, sha)).off).toBe(512);
    await reset();
    expect(await upload(client, { off: 512, data: two.subarray(512, 768) })).toEqual({ off: 0 });
    // The same sha no longer resumes: the upload starts again from 0.
    expect(await upload(client, { off: 0, len: two.length, sha, data: two.subarray(0, 256) })).toEqual({
      off: 256,
    });
  });

  it('with ALLOW_ERASE_PENDING a pending test image may be erased; then nothing is swapped in', async () => {
    const { client, reset } = await start({
      ...getBoard('stm32f4_disco'),
      smpServer: { allowErasePending: true },
    });
    await client.imageUpload(two);
    await client.imageTest(twoHash);
    await client.imageErase();
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
    const boot = await reset();
    expect(boot.version).toMatchObject({ major: 1 });
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
  });
});

describe('bad input: nothing booted or half-written reported good', () => {
  it('(a) a truncated upload is not listed, cannot be tested, and One still boots', async () => {
    const { client, device, reset } = await start();
    await sendChunks(client, two, Math.floor(two.length / 2));
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
    await expectImageErr(client.imageTest(twoHash), 8);
    const boot = await reset();
    expect(boot.booted).toBe(true);
    expect(boot.version).toMatchObject({ major: 1, minor: 0, revision: 0 });
    expect(device.state).toBe('running');
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
  });

  it('(b) an image signed with another RSA key uploads and tests, but MCUboot refuses it', async () => {
    const { client, device, reset, consoleLines } = await start();
    const { privatePem } = await generateKey('rsa-2048');
    const foreign = await signImage(await blinky('blinky-two', 'bin'), {
      key: await loadSigningKey(privatePem),
      headerSize: ROM_START_OFFSET,
      slotSize: slotPartition(device.board, 1).size,
      version: '2.0.0',
      align: 1,
    });
    expect((await client.imageUpload(foreign)).total).toBe(foreign.length);
    const state = await client.imageTest(parseImage(foreign).sha256Hash!);
    expect(state.images.find((i) => i.slot === 1)).toMatchObject({ version: '2.0.0', pending: true });

    consoleLines.length = 0;
    const boot = await reset();
    expect(boot.booted).toBe(true);
    expect(boot.version).toMatchObject({ major: 1 });
    expect(boot.reason).toMatch(/signature|key/i);
    expect(consoleLines).toContain('E: Image in the secondary slot is not valid!');
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
    // MCUboot erased the refused image: a second reset has nothing to try.
    const again = await reset();
    expect(again.version).toMatchObject({ major: 1 });
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
  });

  it('(c) a payload tampered with after signing is refused by MCUboot the same way', async () => {
    const { client, reset, consoleLines } = await start();
    const tampered = two.slice();
    const at = ROM_START_OFFSET + 100;
    tampered[at] = (tampered[at] ?? 0) ^ 0x01;
    expect((await client.imageUpload(tampered)).total).toBe(tampered.length);
    await client.imageTest(twoHash);
    consoleLines.length = 0;
    const boot = await reset();
    expect(boot.booted).toBe(true);
    expect(boot.version).toMatchObject({ major: 1 });
    expect(boot.reason).toMatch(/hash/i);
    expect(consoleLines).toContain('E: Image in the secondary slot is not valid!');
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
  });

  it('(d) a file larger than the slot is refused before anything is written', async () => {
    const { client, device } = await start();
    await client.imageUpload(two);
    const before = Buffer.from(slotBytes(device, 1));
    const big = new Uint8Array(slotPartition(device.board, 1).size + 4096);
    big.set(two);
    const error = await client.imageUpload(big, { force: true }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/too large/);
    // (Buffer.equals: a deep equal of 384 KiB element by element would take seconds.)
    expect(Buffer.from(slotBytes(device, 1)).equals(before)).toBe(true);
    expect(await listed(client)).toEqual([
      { slot: 0, version: '1.0.0', flags: 'active confirmed' },
      { slot: 1, version: '2.0.0', flags: '' },
    ]);
  });

  it('(e) erase: the active slot and a slot scheduled for revert are refused; slot 1 can go', async () => {
    const { client, reset } = await start();
    await expectImageErr(client.imageErase(0), 9);

    await client.imageUpload(two);
    expect(await listed(client)).toHaveLength(2);
    await client.imageErase();
    expect(await listed(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);

    await client.imageUpload(two);
    await client.imageTest(twoHash);
    await reset();
    expect(await listed(client)).toEqual([
      { slot: 0, version: '2.0.0', flags: 'active' },
      { slot: 1, version: '1.0.0', flags: 'confirmed' },
    ]);
    await expectImageErr(client.imageErase(1), 9);
    // An upload would overwrite the image to revert to: also refused.
    await expectImageErr(upload(client, { off: 0, len: two.length, data: two.subarray(0, 256) }), 9);
  });

  it('(f) test/confirm rules: active slot, already pending, permanent, revert', async () => {
    const { client } = await start();
    await expectImageErr(client.imageTest(oneHash), 33);
    await expectImageErr(client.imageTest(new Uint8Array(31)), 24);
    await expectImageErr(client.smp.request(imageStateWrite, { confirm: false }), 24);
    await expectImageErr(client.imageTest(twoHash), 8);

    await client.imageUpload(two);
    await client.imageTest(twoHash);
    // Testing the same slot again is a no-op; anything else while a test is pending is err 28.
    expect((await client.imageTest(twoHash)).images[1]).toMatchObject({ pending: true, permanent: false });
    await expectImageErr(client.imageConfirm(twoHash), 28);
    await expectImageErr(client.imageConfirm(), 28);
  });

  it('(f) a permanent (confirmed) pending image cannot be re-tested, nor the active one confirmed', async () => {
    const { client } = await start();
    await client.imageUpload(two);
    const state = await client.imageConfirm(twoHash);
    expect(state.images[1]).toMatchObject({ pending: true, permanent: true });
    await expectImageErr(client.imageTest(twoHash), 28);
    await expectImageErr(client.imageConfirm(), 28);
    expect((await client.imageConfirm(twoHash)).images[1]).toMatchObject({ permanent: true });
  });

  it('(f) under test after a swap: test is refused, confirm makes it permanent', async () => {
    const { client, reset } = await start();
    await client.imageUpload(two);
    await client.imageTest(twoHash);
    await reset();
    await expectImageErr(client.imageTest(oneHash), 28);
    await expectImageErr(client.imageTest(twoHash), 33);
    await client.imageConfirm();
    expect(await listed(client)).toEqual([
      { slot: 0, version: '2.0.0', flags: 'active confirmed' },
      { slot: 1, version: '1.0.0', flags: '' },
    ]);
    const boot = await reset();
    expect(boot.version).toMatchObject({ major: 2 });
  });

  it('answers v1 clients with the legacy rc of an image error (NO_FREE_SLOT → EBADSTATE)', async () => {
    booted = await bootDevice();
    const v1 = new DeviceClient(booted.client.transport, { version: 1, retries: 0, timeoutMs: 2000 });
    const error = await smpError(v1.imageErase(0));
    expect({ group: error.group, rc: error.rc }).toEqual({ group: undefined, rc: 6 });
  });
});
