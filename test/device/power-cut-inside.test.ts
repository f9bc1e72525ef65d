// A power cut inside one of MCUboot's flash operations, on the whole virtual device: the write in
// flight is torn (or the erase partial), the board comes back, MCUboot resumes and the app runs.
import { describe, expect, it } from 'vitest';
import type { PowerCut } from '../../src/device/flash.ts';
import { parseImage } from '../../src/image/format.ts';
import { blinky, bootDevice } from './server/fixtures.ts';

describe('VirtualDevice: a power cut inside a flash operation of the test swap', () => {
  it.each([
    { operation: 200, what: 'torn-write' },
    { operation: 139, what: 'partial-erase' },
  ])('$what at op $operation: MCUboot resumes and boots the new image', async ({ operation, what }) => {
    const booted = await bootDevice();
    try {
      const two = await blinky('blinky-two');
      await booted.client.imageUpload(two);
      await booted.client.imageTest(parseImage(two).sha256Hash!);
      const cuts: PowerCut[] = [];
      booted.device.onPowerCut((cut) => cuts.push(cut));
      // On stm32f4_disco's swap, op 139 erases a slot 1 sector (after the first step's status byte)
      // and op 200 is a 1 KiB copy in the second step.
      booted.device.armPowerCut(operation, 10, { fraction: 0.5, seed: 7 });
      const result = await booted.reset();
      expect(cuts.map((c) => c.cut)).toEqual([what]);
      expect(cuts[0]!.message).toMatch(/^power cut inside flash operation/);
      expect(result).toMatchObject({ booted: true, resumed: true, version: { major: 2 } });
    } finally {
      await booted.close();
    }
  });

  it('refuses a cut position outside the operation', async () => {
    const booted = await bootDevice();
    try {
      expect(() => booted.device.armPowerCut(3, 10, { fraction: 1.5, seed: 0 })).toThrow(
        /fraction in \[0, 1\)/,
      );
    } finally {
      await booted.close();
    }
  });
});
