// The image group on builds whose slots are not "primary runs, secondary receives": swap using
// offset (the update sits one sector into the secondary slot) and direct-XIP / RAM-load (the image
// runs from whichever slot MCUboot chose). End to end over SMP with the user's story: upload, test
// or raise the version, reset, confirm.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Board, McubootMode, Partition } from '../../../src/device/boards/board.ts';
import { DEV_KEYS } from '../../../src/device/boards/bootloader-keys.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { imageUpload } from '../../../src/groups/image/models.ts';
import { parseImage } from '../../../src/image/format.ts';
import { loadSigningKey } from '../../../src/image/keys.ts';
import { signImage } from '../../../src/image/sign.ts';
import { SmpError } from '../../../src/smp/errors.ts';
import { type BootedDevice, bootDevice, ROOT } from '../../device/server/fixtures.ts';

const SECTOR = 0x1000;
const nrf = getBoard('nrf52840dk');

/**
 * nrf52840dk built for another MCUboot mode. Swap using offset needs the secondary slot one
 * sector larger than the primary (boot_slots_compatible); the others take equal slots.
 */
function nrfBuiltFor(mode: McubootMode): Board {
  const primarySize = mode === 'swap-offset' ? 0x75000 : 0x76000;
  const partitions: Partition[] = nrf.partitions.map((p) => {
    if (p.label === 'slot0_partition') return { ...p, offset: 0xc000, size: primarySize };
    if (p.label === 'slot1_partition') return { ...p, offset: 0xc000 + primarySize, size: 0x76000 };
    return p;
  });
  return { ...nrf, name: `nrf52840dk_${mode}`, partitions, mcuboot: { ...nrf.mcuboot, mode } };
}

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

async function start(board: Board): Promise<BootedDevice> {
  booted = await bootDevice({ board });
  expect(booted.firstBoot.booted).toBe(true);
  return booted;
}

async function smpError(call: Promise<unknown>): Promise<SmpError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmpError);
  return error as SmpError;
}

const summary = (images: readonly { slot: number; version: string; active: boolean }[]) =>
  images.map((i) => `${i.slot} ${i.version}${i.active ? ' active' : ''}`);

describe('swap using offset (nrf52840dk built with mcuboot.mode swap-offset)', () => {
  const board = nrfBuiltFor('swap-offset');
  let two: Uint8Array;
  let twoHash: Uint8Array;
  beforeAll(async () => {
    two = await blinkyImageFor(board, 'blinky-two');
    twoHash = parseImage(two).sha256Hash!;
  });

  it('upload lands one sector into slot 1 and is listed from there; test, reset, swap, confirm', async () => {
    const b = await start(board);
    await b.client.imageUpload(two);
    // flash_img_init_id writes at boot_get_image_start_offset (subsys/dfu/boot/mcuboot.c): the
    // secondary slot's first sector stays blank, the header is one sector in.
    const slot1 = b.device.board.partitions.find((p) => p.label === 'slot1_partition')!;
    expect(b.device.flashes.get('flash0')!.peek(slot1.offset, 4)).toEqual(new Uint8Array(4).fill(0xff));
    expect(b.device.flashes.get('flash0')!.peek(slot1.offset + SECTOR, 32)).toEqual(two.subarray(0, 32));
    let { images } = await b.client.imageList();
    expect(summary(images)).toEqual(['0 1.0.0 active', '1 2.0.0']);

    ({ images } = await b.client.imageTest(twoHash));
    expect(images[1]).toMatchObject({ version: '2.0.0', pending: true });
    const result = await b.reset();
    expect(result.images[0]?.version?.major).toBe(2);
    ({ images } = await b.client.imageList());
    // After the swap the old image sits at the start of slot 1 and MCUboot's swap type is REVERT:
    // dfu_boot_get_image_offset reads it at offset 0 then, so it is listed, confirmed (to revert to).
    expect(images).toEqual([
      expect.objectContaining({ slot: 0, version: '2.0.0', active: true, confirmed: false }),
      expect.objectContaining({ slot: 1, version: '1.0.0', confirmed: true }),
    ]);
    ({ images } = await b.client.imageConfirm());
    expect(images[0]).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
    const again = await b.reset();
    expect(again.images[0]?.version?.major).toBe(2);
  });

  it('the size check leaves out the sector before the image (slot size - one sector)', async () => {
    const b = await start(board);
    const room = 0x76000 - SECTOR;
    const first = two.subarray(0, 64);
    const tooLarge = await smpError(
      b.client.smp.request(imageUpload, { off: 0, data: first, len: room + 1, image: 0 }),
    );
    expect(tooLarge.rc).toBe(30); // IMG_MGMT_ERR_INVALID_IMAGE_TOO_LARGE
    const fits = await b.client.smp.request(imageUpload, { off: 0, data: first, len: room, image: 0 });
    expect(fits.off).toBe(64);
  });
});

/** Binary One's zephyr.bin signed for `board` with another version (imgtool sign -v). */
async function signedOne(
  board: Board,
  version: string,
  extra: { confirm?: boolean; loadAddr?: number } = {},
): Promise<Uint8Array> {
  const key = await loadSigningKey(readFileSync(join(ROOT, DEV_KEYS[board.mcuboot.signature]!.file), 'utf8'));
  const bin = new Uint8Array(readFileSync(join(ROOT, 'build', 'firmware', 'blinky-one', 'zephyr.bin')));
  return signImage(bin, { key, headerSize: 0x200, slotSize: 0x76000, version, ...extra });
}

describe('direct-XIP (nrf52840dk built with mcuboot.mode direct-xip)', () => {
  const board = nrfBuiltFor('direct-xip');

  it('uploads go to the slot not running; the higher version is listed pending and boots next', async () => {
    const b = await start(board);
    const two = await blinkyImageFor(board, 'blinky-two');
    await b.client.imageUpload(two);
    let { images } = await b.client.imageList();
    // img_mgmt_get_next_boot_slot (direct-XIP): the other slot boots next when its version is
    // higher, reported as pending + permanent (flags_o for NEXT_BOOT_TYPE_NORMAL).
    expect(images[1]).toMatchObject({ slot: 1, version: '2.0.0', pending: true, permanent: true });

    let result = await b.reset();
    expect(result.images[0]).toMatchObject({ slot: 'secondary', version: { major: 2 } });
    ({ images } = await b.client.imageList());
    // img_mgmt_active_slot: the image linked for slot 1 runs from slot 1.
    expect(images).toEqual([
      expect.objectContaining({ slot: 0, version: '1.0.0', active: false, pending: false }),
      expect.objectContaining({ slot: 1, version: '2.0.0', active: true, confirmed: true }),
    ]);

    // img_mgmt_get_unused_slot_area_id: slot 0 is the first slot not in use now.
    await b.client.imageUpload(await signedOne(board, '3.0.0'));
    ({ images } = await b.client.imageList());
    expect(images[0]).toMatchObject({ slot: 0, version: '3.0.0', pending: true, permanent: true });
    result = await b.reset();
    expect(result.images[0]).toMatchObject({ slot: 'primary', version: { major: 3 } });
    expect((await b.client.imageList()).images[0]).toMatchObject({ slot: 0, active: true });
  });
});

describe('direct-XIP with revert (nrf52840dk built with mcuboot.mode direct-xip-revert)', () => {
  const board = nrfBuiltFor('direct-xip-revert');
  let two: Uint8Array;
  let twoHash: Uint8Array;
  beforeAll(async () => {
    two = await blinkyImageFor(board, 'blinky-two');
    twoHash = parseImage(two).sha256Hash!;
  });

  /** The factory image must be flashed confirmed (imgtool --confirm), or MCUboot erases it. */
  async function startConfirmed(): Promise<BootedDevice> {
    booted = await bootDevice({ board, slot0: await signedOne(board, '1.0.0', { confirm: true }) });
    expect(booted.firstBoot.booted).toBe(true);
    return booted;
  }

  it('upload, test, reset runs the other slot under test; confirm keeps it', async () => {
    const b = await startConfirmed();
    await b.client.imageUpload(two);
    // read_directxip_state: the new slot has no trailer yet, so nothing changes on reset.
    expect((await b.client.imageList()).images[1]).toMatchObject({ slot: 1, pending: false });
    let { images } = await b.client.imageTest(twoHash);
    expect(images[1]).toMatchObject({ slot: 1, version: '2.0.0', pending: true, permanent: false });

    const result = await b.reset();
    expect(result.images[0]).toMatchObject({ slot: 'secondary', version: { major: 2 } });
    ({ images } = await b.client.imageList());
    // Booted once (copy_done) and not confirmed: the next boot reverts to slot 0.
    expect(images).toEqual([
      expect.objectContaining({ slot: 0, version: '1.0.0', confirmed: true, active: false }),
      expect.objectContaining({ slot: 1, version: '2.0.0', confirmed: false, active: true }),
    ]);
    ({ images } = await b.client.imageConfirm());
    expect(images[1]).toMatchObject({ slot: 1, active: true, confirmed: true });
    const again = await b.reset();
    expect(again.images[0]).toMatchObject({ slot: 'secondary', version: { major: 2 } });
  });

  it('not confirmed: the next reset reverts to slot 0', async () => {
    const b = await startConfirmed();
    await b.client.imageUpload(two);
    await b.client.imageTest(twoHash);
    expect((await b.reset()).images[0]?.slot).toBe('secondary');
    const reverted = await b.reset();
    expect(reverted.images[0]).toMatchObject({ slot: 'primary', version: { major: 1 } });
    const { images } = await b.client.imageList();
    expect(images).toEqual([expect.objectContaining({ slot: 0, version: '1.0.0', active: true })]);
  });
});

describe('RAM-load (nrf52840dk built with mcuboot.mode ram-load)', () => {
  const RAM = { start: 0x20000000, size: 0x40000 };
  const base = nrfBuiltFor('ram-load');
  const board: Board = { ...base, mcuboot: { ...base.mcuboot, executableRam: RAM } };
  /** Images for RAM-load carry their RAM address (imgtool sign -L, IMAGE_F_RAM_LOAD). */
  const forRam = (version: string) => signedOne(board, version, { loadAddr: RAM.start });

  it('runs from the slot MCUboot loaded; uploads go to the other slot; the higher version runs next', async () => {
    booted = await bootDevice({ board, slot0: await forRam('1.0.0') });
    const b = booted;
    expect(b.firstBoot.images[0]?.slot).toBe('primary');
    await b.client.imageUpload(await forRam('2.0.0'));
    let result = await b.reset();
    expect(result.images[0]).toMatchObject({ slot: 'secondary', version: { major: 2 } });
    // dfu_boot_get_active_slot (RAM-load): the running slot is the one MCUboot reports
    // (BLINFO_RUNNING_SLOT), slot 1 here; only that slot is in use (dfu_boot_slot_in_use).
    let { images } = await b.client.imageList();
    expect(images.find((i) => i.active)).toMatchObject({ slot: 1, version: '2.0.0' });
    await b.client.imageUpload(await forRam('3.0.0'));
    ({ images } = await b.client.imageList());
    expect(images.find((i) => i.slot === 0)?.version).toBe('3.0.0');
    result = await b.reset();
    expect(result.images[0]).toMatchObject({ slot: 'primary', version: { major: 3 } });
  });
});
