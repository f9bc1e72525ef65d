import { beforeAll, describe, expect, it } from 'vitest';
import { startSim } from '../../src/device/io/sim-host.ts';
import type { BootResult } from '../../src/device/mcuboot/boot.ts';
import { parseImage } from '../../src/image/format.ts';
import { blinky, ensureBlinkyFirmware } from '../device/server/fixtures.ts';
import { slotRows, udpClient } from './helpers.ts';

beforeAll(async () => {
  await ensureBlinkyFirmware();
}, 120_000);

describe('esp32_devkitc_wroom: MCUboot overwrite-only', () => {
  it('upload Two, test, reset: one image left (slot 0 = Two), and the boot log explains why', async () => {
    const sim = await startSim({ board: 'esp32_devkitc_wroom', udp: '127.0.0.1:0', baud: 0 });
    const client = await udpClient(sim);
    try {
      expect(sim.firstBoot.booted).toBe(true);
      expect(await slotRows(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
      const two = await blinky('blinky-two');
      expect((await client.imageUpload(two)).total).toBe(two.length);
      const tested = await client.imageTest(parseImage(two).sha256Hash!);
      expect(tested.images.find((i) => i.slot === 1)).toMatchObject({ version: '2.0.0', pending: true });

      const lines: string[] = [];
      const stop = sim.device.onConsoleLine((line) => lines.push(line));
      const boot: BootResult = await sim.device.reset();
      stop();
      expect(boot.booted).toBe(true);
      expect(boot.version).toMatchObject({ major: 2 });

      expect(await slotRows(client)).toEqual([{ slot: 0, version: '2.0.0', flags: 'active confirmed' }]);
      // Why only one image: MCUboot copied the secondary over the primary and wiped the secondary.
      // Espressif's MCUboot port prints through its own log macros: "[esp32] [INF] ...".
      expect(lines).toContain('[esp32] [INF] Image index: 0, Swap type: test');
      expect(lines).toContain('[esp32] [INF] Image 0 upgrade secondary slot -> primary slot');
      expect(lines).toContain('[esp32] [INF] Erasing the primary slot');
      expect(
        lines.some((l) =>
          /^\[esp32\] \[INF\] Image 0 copying the secondary slot to the primary slot/.test(l),
        ),
      ).toBe(true);
      expect(lines.indexOf('[esp32] [INF] Loading image 0 - slot 0 from flash, area id: 1')).toBeGreaterThan(
        lines.indexOf('[esp32] [INF] Image 0 upgrade secondary slot -> primary slot'),
      );

      // Nothing to revert to: a further reset keeps Two.
      expect((await sim.device.reset()).version).toMatchObject({ major: 2 });
      expect(await slotRows(client)).toEqual([{ slot: 0, version: '2.0.0', flags: 'active confirmed' }]);
    } finally {
      await client.close();
      await sim.close();
    }
  }, 30_000);
});
