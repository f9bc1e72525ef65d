// Many boards in one process (the fleet work needs 1,000): with the app inline on the host's event
// loop there is no thread per board, and the sparse flash holds only what was programmed.
// The memory figure itself is a benchmark (`npm run bench -- boards`), not a timed test.
import { describe, expect, it } from 'vitest';
import { getBoard } from '../../src/device/boards/index.ts';
import { VirtualDevice } from '../../src/device/device.ts';
import { blinky, devKeys } from './server/fixtures.ts';

describe('many virtual boards in one process', () => {
  it('boots 40 boards with their apps inline, all blinking, and powers them all off', async () => {
    const keys = await devKeys();
    const image = await blinky('blinky-two');
    const board = getBoard('stm32f4_disco');
    const devices = Array.from(
      { length: 40 },
      () => new VirtualDevice({ board, bootloaderKeys: keys, firmwareThread: 'inline' }),
    );
    try {
      for (const device of devices) {
        device.programSlot(0, image);
        expect((await device.powerOn()).booted).toBe(true);
      }
      const toggles = devices.map(() => 0);
      for (const [i, device] of devices.entries()) {
        device.firmware?.onLed(() => {
          toggles[i]!++;
        });
      }
      const deadline = Date.now() + 5000;
      while (toggles.some((n) => n < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(toggles.every((n) => n >= 3)).toBe(true);
      expect(devices.every((d) => d.state === 'running' && d.firmware?.thread === 'inline')).toBe(true);
      // A 4 KiB image: its two 4 KiB pages, nothing for the erased rest of the 1 MiB flash.
      expect(devices.every((d) => d.flash.storedPages === 2)).toBe(true);
    } finally {
      for (const device of devices) await device.powerOff();
    }
    const seen = devices.map((d) => d.firmware);
    expect(seen.every((f) => f === undefined)).toBe(true);
  });
});
