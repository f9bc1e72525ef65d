// The image group on a two-image build (nrf5340dk: application + network core, overwrite-only),
// end to end over SMP, as Zephyr v3.5.0's img_mgmt serves it (grp/img_mgmt/src/img_mgmt.c,
// img_mgmt_state.c, zephyr_img_mgmt.c).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slotPartition } from '../../../src/device/boards/board.ts';
import { DEV_KEYS } from '../../../src/device/boards/bootloader-keys.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { builtFor } from '../../../src/device/server/build-config.ts';
import { parseImage } from '../../../src/image/format.ts';
import { loadSigningKey } from '../../../src/image/keys.ts';
import { type Dependency, signImage } from '../../../src/image/sign.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { SmpGroup } from '../../../src/smp/group-ids.ts';
import { type BootedDevice, bootDevice, ROOT } from '../../device/server/fixtures.ts';

const board = getBoard('nrf5340dk');
let one: Uint8Array;
let two: Uint8Array;
let oneHash: Uint8Array;
let twoHash: Uint8Array;

beforeAll(async () => {
  one = await blinkyImageFor(board, 'blinky-one');
  two = await blinkyImageFor(board, 'blinky-two');
  oneHash = parseImage(one).sha256Hash!;
  twoHash = parseImage(two).sha256Hash!;
});

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

/**
 * The tests talk datagrams to the board, so they run the UDP build (2048-byte netbufs). A
 * serial-only build's 384 bytes cannot hold four image entries: see the last test.
 */
async function start(target = builtFor(board, { udp: true })): Promise<BootedDevice> {
  booted = await bootDevice({ board: target });
  expect(booted.firstBoot.booted).toBe(true);
  return booted;
}

/** Binary One's zephyr.bin signed for the board with another version and dependency TLVs. */
async function signed(version: string, dependencies: Dependency[]): Promise<Uint8Array> {
  const key = await loadSigningKey(readFileSync(join(ROOT, DEV_KEYS[board.mcuboot.signature]!.file), 'utf8'));
  const bin = new Uint8Array(readFileSync(join(ROOT, 'build', 'firmware', 'blinky-one', 'zephyr.bin')));
  return signImage(bin, {
    key,
    headerSize: 0x200,
    slotSize: slotPartition(board, 0).size,
    version,
    dependencies,
  });
}

async function smpError(call: Promise<unknown>): Promise<SmpError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

const summary = (images: readonly { image?: number; slot: number; version: string }[]) =>
  images.map((i) => `${i.image}/${i.slot} ${i.version}`);

describe('image group on a two-image build (nrf5340dk)', () => {
  it('image list reports every image, each entry with its "image" (img_mgmt_state_read loops over the images)', async () => {
    const { client } = await start();
    const { images } = await client.imageList();
    // img_mgmt_state_encode_slot: "image" = slot >> 1 and "slot" = slot % 2 when
    // CONFIG_MCUMGR_GRP_IMG_UPDATABLE_IMAGE_NUMBER > 1; each image's active slot is reported
    // active and confirmed (flags_a = REPORT_SLOT_ACTIVE | REPORT_SLOT_CONFIRMED).
    expect(images).toEqual([
      expect.objectContaining({ image: 0, slot: 0, version: '1.0.0', active: true, confirmed: true }),
      expect.objectContaining({ image: 1, slot: 0, version: '1.0.0', active: true, confirmed: true }),
    ]);
  });

  it('upload with image 1 lands in image 1 secondary; test by hash, reset: MCUboot updates image 1 only', async () => {
    const b = await start();
    await b.client.imageUpload(two, { image: 1 });
    let { images } = await b.client.imageList();
    expect(summary(images)).toEqual(['0/0 1.0.0', '1/0 1.0.0', '1/1 2.0.0']);

    // img_mgmt_state_write: the hash is looked up over every slot of every image
    // (img_mgmt_find_by_hash), then img_mgmt_set_next_boot_slot marks that image pending
    // (boot_set_next on slot3_partition, as boot_set_pending_multi(1) does).
    ({ images } = await b.client.imageTest(twoHash));
    expect(images.find((i) => i.image === 1 && i.slot === 1)).toMatchObject({
      pending: true,
      confirmed: false,
    });
    expect(images.find((i) => i.image === 0 && i.slot === 0)).toMatchObject({ active: true, pending: false });

    const result = await b.reset();
    expect(result.images.map((i) => i.version?.major)).toEqual([1, 2]);
    ({ images } = await b.client.imageList());
    expect(images.find((i) => i.image === 1 && i.slot === 0)).toMatchObject({
      version: '2.0.0',
      active: true,
      confirmed: true,
    });
    expect(images.find((i) => i.image === 0 && i.slot === 0)?.version).toBe('1.0.0');
  });

  it('image 0 upload still goes to slot 1, and an image the build lacks has no slot (NO_FREE_SLOT)', async () => {
    const b = await start();
    await b.client.imageUpload(two);
    const { images } = await b.client.imageList();
    expect(summary(images)).toEqual(['0/0 1.0.0', '0/1 2.0.0', '1/0 1.0.0']);
    // img_mgmt_get_unused_slot_area_id(2): no slot4/5 partition -> "no slot" (NO_FREE_SLOT, 9).
    const error = await smpError(b.client.imageUpload(two, { image: 2 }));
    expect(error.group).toBe(SmpGroup.Image);
    expect(error.rc).toBe(9);
  });

  it('erase numbers slots absolutely: slot 3 is image 1 secondary; slot 2 (running) is refused', async () => {
    const b = await start();
    await b.client.imageUpload(two, { image: 1 });
    // img_mgmt_erase -> img_mgmt_erase_slot(3) -> img_mgmt_flash_area_id(3) = slot3_partition.
    await b.client.imageErase(3);
    expect(summary((await b.client.imageList()).images)).toEqual(['0/0 1.0.0', '1/0 1.0.0']);
    // img_mgmt_slot_in_use(2): image 1's active slot.
    const inUse = await smpError(b.client.imageErase(2));
    expect(inUse.rc).toBe(9);
    const missing = await smpError(b.client.imageErase(4));
    expect(missing.rc).toBe(14);
  });

  it("the running image's hash is found in image 0 (first match), testing it is refused", async () => {
    const b = await start();
    // Both images hold Binary One: img_mgmt_find_by_hash returns slot 0 first, the active slot.
    const error = await smpError(b.client.imageTest(oneHash));
    expect(error.rc).toBe(33); // IMAGE_SETTING_TEST_TO_ACTIVE_DENIED
  });

  it('dependency TLVs: image 0 needing image 1 >= 2.0.0 is held back until image 1 is upgraded too', async () => {
    const b = await start();
    const app3 = await signed('3.0.0', [{ imageId: 1, version: '2.0.0' }]);
    const app3Hash = parseImage(app3).sha256Hash!;
    await b.client.imageUpload(app3, { image: 0 });
    await b.client.imageTest(app3Hash);
    // boot_verify_dependencies: image 1 still runs 1.0.0, so the image 0 upgrade is cancelled.
    let result = await b.reset();
    expect(result.images.map((i) => i.version?.major)).toEqual([1, 1]);

    // MCUboot only skipped the upgrade for this boot: image 0's secondary trailer still asks for
    // a test, so img_mgmt still lists it pending (and would refuse an upload over it).
    const held = (await b.client.imageList()).images.find((i) => i.image === 0 && i.slot === 1);
    expect(held).toMatchObject({ version: '3.0.0', pending: true });
    await b.client.imageUpload(two, { image: 1 });
    await b.client.imageTest(twoHash);
    const { images } = await b.client.imageList();
    expect(images.filter((i) => i.pending).map((i) => `${i.image}/${i.slot}`)).toEqual(['0/1', '1/1']);
    result = await b.reset();
    expect(result.images.map((i) => i.version?.major)).toEqual([3, 2]);
  });

  it('a serial-only build (384-byte netbuf) lists three slots but not four: MGMT_ERR_EMSGSIZE', async () => {
    const b = await start(board);
    b.device.programSlot(1, two, 1);
    expect((await b.client.imageList()).images).toHaveLength(3);
    b.device.programSlot(1, two, 0);
    // img_mgmt_state_read: an entry that does not fit the response buffer fails the zcbor
    // encoding, and the handler returns MGMT_ERR_EMSGSIZE (7).
    const error = await smpError(b.client.imageList());
    expect(error.message).toContain('EMSGSIZE');
  });

  it('confirm of another image than the running one follows ALLOW_CONFIRM_NON_ACTIVE_IMAGE_* (img_mgmt_set_next_boot_slot)', async () => {
    // Default build: SECONDARY allows `image confirm HASH` of image 1's secondary (a permanent
    // upgrade), but image 1's active slot can never be confirmed (IMAGE_CONFIRMATION_DENIED, 32).
    let b = await start();
    b.device.programSlot(1, two, 1);
    const { images } = await b.client.imageConfirm(twoHash);
    expect(images.find((i) => i.image === 1 && i.slot === 1)).toMatchObject({
      pending: true,
      permanent: true,
    });
    await b.close();

    // SECONDARY off: confirming image 1's secondary is denied too.
    const strict = builtFor(
      { ...board, smpServer: { allowConfirmNonActiveImageSecondary: false } },
      { udp: true },
    );
    b = await start(strict);
    b.device.programSlot(1, two, 1);
    const denied = await smpError(b.client.imageConfirm(twoHash));
    expect(denied.group).toBe(SmpGroup.Image);
    expect(denied.rc).toBe(32);
    // Image 1's active slot (slot 2, here holding Binary Two) is denied as well (slot == active_slot).
    await b.client.imageErase(3);
    b.device.programSlot(0, two, 1);
    expect((await smpError(b.client.imageConfirm(twoHash))).rc).toBe(32);
  });
});
