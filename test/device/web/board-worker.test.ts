/**
 * The browser board end to end in Node: the page's handle and the worker's handler talk over a
 * MessageChannel (./helpers.ts), the firmware runs on the browser host, the flash is kept in a
 * store; a "reload" is a new board over the same store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../../src/client/device.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { FLASH_BLOCK_SIZE, MemoryFlashStore } from '../../../src/device/web/flash-store.ts';
import { startVirtualBoard, type VirtualBoardHandle } from '../../../src/device/web/virtual-board.ts';
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
    const store = new SlowStore(15);
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
    expect(handle.state).toBe('off');
    expect(await uploading).toBeInstanceOf(Error);
    expect(cutAt).toBeLessThan(two.length);
    // What a reload right now would find: every acknowledged byte is in the store.
    const kept = store.read(SLOT1.device, SLOT1.offset, cutAt, FLASH_BLOCK_SIZE);
    expect(Buffer.from(kept).equals(Buffer.from(two.subarray(0, cutAt)))).toBe(true);

    // Power back on: Binary One still boots (slot 1 holds half an image, which MCUboot ignores).
    const boot = await handle.powerOn();
    expect(boot).toMatchObject({ booted: true, version: '1.0.0' });
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
