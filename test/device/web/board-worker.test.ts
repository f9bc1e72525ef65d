/**
 * The browser board end to end in Node: the page's handle and the worker's handler talk over a
 * MessageChannel (./helpers.ts), the firmware runs on the browser host, the flash is kept in a
 * store; a "reload" is a new board over the same store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { browserFirmwareHost } from '../../../src/device/web/firmware-host.ts';
import { FLASH_BLOCK_SIZE, MemoryFlashStore } from '../../../src/device/web/flash-store.ts';
import { startVirtualBoard, type VirtualBoardHandle } from '../../../src/device/web/virtual-board.ts';
import { saveSettings, writeSetting } from '../../../src/groups/settings/client.ts';
import { boardAssets, boardChannel, SlowStore, startBoard, until } from './helpers.ts';

const open: VirtualBoardHandle[] = [];
afterEach(async () => {
  for (const board of open.splice(0)) await board.close().catch(() => undefined);
});

async function board(...args: Parameters<typeof startBoard>): Promise<VirtualBoardHandle> {
  const handle = await startBoard(...args);
  open.push(handle);
  return handle;
}

function client(handle: VirtualBoardHandle): DeviceClient {
  return new DeviceClient(handle.transport, { timeoutMs: 5000, retries: 0 });
}

/** Binary Two signed for nrf52840dk's MCUboot. */
const blinkyTwo = () => blinkyImageFor(getBoard('nrf52840dk'), 'blinky-two');

/** nrf52840dk's slot 1 (slot1_partition) on flash0. */
const SLOT1 = { device: 'flash0', offset: 0x82000 };

describe('virtual board in a worker (over a MessageChannel)', () => {
  it('boots Binary One from the factory image, prints MCUboot and Zephyr lines, blinks LED0 at 1 Hz', async () => {
    const lines: string[] = [];
    const handle = await board(new MemoryFlashStore());
    handle.onConsole((line) => lines.push(line));
    expect(handle.lastBoot).toMatchObject({ booted: true, version: '1.0.0', swapType: 'none' });
    expect(handle.state).toBe('running');
    const history = handle.consoleHistory().join('\n');
    expect(history).toMatch(/Starting bootloader/);
    expect(history).toMatch(/Booting Zephyr/);
    // Two full periods of the blinky's 500 ms toggles.
    let toggles = 0;
    handle.onLed(() => {
      toggles++;
    });
    await until(() => toggles >= 6, 'LED0 toggles', 6000);
    expect(handle.ledRateHz(5000)).toBeGreaterThan(0.8);
    expect(handle.ledRateHz(5000)).toBeLessThan(1.25);
  }, 15_000);

  it('answers SMP on its UART like a serial port, and a reload boots the image that was confirmed', async () => {
    const store = new MemoryFlashStore();
    const first = await board(store);
    const smp = client(first);
    expect(await smp.echo('in a tab')).toBe('in a tab');
    const two = await blinkyTwo();
    const upload = await smp.imageUpload(two);
    expect(upload.total).toBe(two.length);
    await smp.imageTest(upload.imageHash as Uint8Array);
    const booted = new Promise((resolve) => first.onBoot(resolve));
    await smp.reset();
    expect(await booted).toMatchObject({ booted: true, version: '2.0.0', swapType: 'test' });
    await until(() => first.state === 'running', 'the app running');
    const fresh = client(first);
    await fresh.imageConfirm();
    await first.close();
    expect(first.state).toBe('closed');

    // A reload: a new worker over the same store. MCUboot finds 2.0.0 confirmed: no revert.
    const second = await board(store);
    expect(second.lastBoot).toMatchObject({ booted: true, version: '2.0.0', swapType: 'none' });
    const list = await client(second).imageList();
    expect(list.images.find((slot) => slot.slot === 0)).toMatchObject({ version: '2.0.0', confirmed: true });
  }, 30_000);

  it('a power cut mid-upload loses nothing the board acknowledged, even when storage is slow', async () => {
    const store = new SlowStore(200);
    const handle = await board(store);
    const smp = client(handle);
    const two = await blinkyTwo();
    let acked = 0;
    const uploading = smp
      .imageUpload(two, {
        onProgress: (progress) => {
          acked = progress.bytes;
        },
        timeoutMs: 2000,
        retries: 0,
      })
      .catch((error: Error) => error);
    await until(() => acked >= 2048, 'the upload past 2 KiB', 10_000);
    await handle.powerCut();
    const cutAt = acked;
    // What a reload right now would find (read before anything else can finish a save): every
    // acknowledged byte the board had written is in the store. The board itself keeps the last
    // partial write block in RAM until more data completes it (img_mgmt's
    // flash_img_buffered_write, as on Zephyr), so that much may be missing.
    const writeBlock = getBoard('nrf52840dk').flashDevices[0]!.writeBlockSize;
    const written = cutAt - (cutAt % writeBlock);
    const kept = store.read(SLOT1.device, SLOT1.offset, written, FLASH_BLOCK_SIZE);
    expect(Buffer.from(kept).equals(Buffer.from(two.subarray(0, written)))).toBe(true);
    expect(handle.state).toBe('off');
    expect(cutAt).toBeLessThan(two.length);
    expect(await uploading).toBeInstanceOf(Error);

    // Power back on: Binary One still boots (slot 1 holds half an image, which MCUboot ignores).
    const boot = await handle.powerOn();
    expect(boot).toMatchObject({ booted: true, version: '1.0.0' });
  }, 30_000);

  it('a power cut during MCUboot’s swap (real flash time) stops it part-way; at power-on MCUboot resumes it', async () => {
    const store = new MemoryFlashStore();
    const handle = await board(store, { flashTimeScale: 1 });
    const smp = client(handle);
    const upload = await smp.imageUpload(await blinkyTwo());
    await smp.imageTest(upload.imageHash as Uint8Array);
    const booting = new Promise<void>((resolve) =>
      handle.onState((state) => {
        if (state === 'booting') resolve();
      }),
    );
    await smp.reset();
    await booting;
    // nrf52840dk: 85 ms per 4 KiB sector erase; swapping a 7 KiB image by move takes about a
    // second of flash time. Half a second in, some of its steps are done.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(handle.state).toBe('booting');
    await handle.powerCut();
    expect(handle.state).toBe('off');
    const boot = await handle.powerOn();
    expect(boot).toMatchObject({ booted: true, version: '2.0.0', swapType: 'test', resumed: true });
    // MCUboot found the swap's status in the primary slot's trailer, written before the cut, and
    // finished the swap from the last step recorded there (resumed).
    const lines = handle.consoleHistory();
    const lastStart = lines.lastIndexOf('I: Starting bootloader');
    expect(lines.slice(lastStart)).toContain(
      'I: Primary image: magic=good, swap_type=0x2, copy_done=0x3, image_ok=0x3',
    );
  }, 30_000);

  it('eraseFlash goes back to the factory image and keeps that in the store', async () => {
    const store = new MemoryFlashStore();
    const handle = await board(store);
    const smp = client(handle);
    await smp.imageUpload(await blinkyTwo());
    expect((await smp.imageList()).images.some((slot) => slot.slot === 1)).toBe(true);
    const boot = await handle.eraseFlash();
    expect(boot).toMatchObject({ booted: true, version: '1.0.0' });
    await until(() => handle.state === 'running', 'the app running');
    expect((await client(handle).imageList()).images.map((slot) => slot.slot)).toEqual([0]);
    await handle.close();
    const again = await board(store);
    expect((await client(again).imageList()).images.map((slot) => slot.slot)).toEqual([0]);
  }, 30_000);

  it('without cross-origin isolation (no shared memory) a saved setting changes the blink rate after a reset', async () => {
    const handle = await board(
      new MemoryFlashStore(),
      {},
      { firmwareHost: browserFirmwareHost({ sharedMemory: false }) },
    );
    const smp = client(handle).smp;
    await writeSetting(smp, 'blinky/rate', new TextEncoder().encode('4'));
    await saveSettings(smp);
    const booted = new Promise((resolve) => handle.onBoot(resolve));
    await client(handle).reset();
    await booted;
    let toggles = 0;
    handle.onLed(() => {
      toggles++;
    });
    await until(() => toggles >= 6, 'LED0 toggles at the new rate', 4000);
    expect(handle.ledRateHz(2000)).toBeGreaterThan(3.2);
    expect(handle.ledRateHz(2000)).toBeLessThan(5);
    expect(handle.consoleHistory().join('\n')).toContain('blinky: LED0 at 4 Hz');
  }, 20_000);

  it('plugs in a new transport after the dashboard closed the last one', async () => {
    const handle = await board(new MemoryFlashStore());
    const first = handle.transport;
    expect(handle.transport).toBe(first);
    expect(await client(handle).echo('one')).toBe('one');
    await first.close();
    const second = handle.transport;
    expect(second).not.toBe(first);
    expect(await new DeviceClient(second, { timeoutMs: 3000, retries: 0 }).echo('two')).toBe('two');
    await handle.close();
    expect(() => handle.transport).toThrow(/is closed/);
  });

  it('starts from the factory image when the store holds another geometry', async () => {
    const store = new MemoryFlashStore();
    await store.save(
      'nrf52840dk',
      '{"another":"geometry"}',
      [{ device: 'flash0', index: 3, bytes: new Uint8Array(4096) }],
      true,
    );
    const handle = await board(store);
    expect(handle.lastBoot).toMatchObject({ booted: true, version: '1.0.0' });
    await handle.close();
    const stored = await store.load('nrf52840dk');
    expect(stored?.geometry).toContain('"board":"nrf52840dk"');
    // The stale block (all zeros at 0x3000, inside MCUboot) is gone: only this board's bytes are kept.
    expect(
      stored?.blocks.find((block) => block.index === 3 && block.bytes?.every((byte) => byte === 0)),
    ).toBeUndefined();
  });

  it('refuses a board file of another board and bad options, in words', async () => {
    const assets = await boardAssets('stm32f4_disco');
    await expect(
      startVirtualBoard({ board: 'nrf52840dk', storage: 'memory', assets, worker: boardChannel() }),
    ).rejects.toThrow(/board file given is stm32f4_disco's, not nrf52840dk's/);
    await expect(
      startVirtualBoard({ board: 'nrf52840dk', storage: 'memory', assets, baud: -1, worker: boardChannel() }),
    ).rejects.toThrow(/baud must be a whole number ≥ 0/);
    const noKey = { ...(await boardAssets()), bootloaderKeyPem: undefined };
    await expect(
      startVirtualBoard({ board: 'nrf52840dk', storage: 'memory', assets: noKey, worker: boardChannel() }),
    ).rejects.toThrow(/the assets need bootloaderKeyPem/);
  });
});
