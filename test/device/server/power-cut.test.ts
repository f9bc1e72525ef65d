import { describe, expect, it } from 'vitest';
import type { PowerCut } from '../../../src/device/flash.ts';
import { parseImage } from '../../../src/image/format.ts';
import { blinky, bootDevice } from './fixtures.ts';

describe('VirtualDevice: a power cut in the middle of the test swap', () => {
  it('loses power at the chosen flash operation, comes back, and MCUboot finishes the swap', async () => {
    const booted = await bootDevice();
    try {
      const two = await blinky('blinky-two');
      await booted.client.imageUpload(two);
      await booted.client.imageTest(parseImage(two).sha256Hash!);
      const cuts: PowerCut[] = [];
      booted.device.onPowerCut((cut) => cuts.push(cut));
      // A test swap on stm32f4_disco takes 400 writes and erases; cut in the middle of it.
      booted.device.armPowerCut(150, 20);
      booted.consoleLines.length = 0;
      const result = await booted.reset();
      expect(cuts).toHaveLength(1);
      expect(cuts[0]!.mutationNumber).toBeGreaterThan(0);
      // The second, uninterrupted boot found the swap half done and completed it.
      expect(result.resumed).toBe(true);
      expect(result.booted).toBe(true);
      const starts = booted.consoleLines.filter((line) => line === 'I: Starting bootloader');
      expect(starts).toHaveLength(2);
      const state = await booted.client.imageList();
      expect(state.images.map((i) => [i.slot, i.version, i.active, i.confirmed])).toEqual([
        [0, '2.0.0', true, false],
        [1, '1.0.0', false, true],
      ]);
    } finally {
      await booted.close();
    }
  });

  it('stays armed through boots that write nothing, and is gone after the boot it fires in', async () => {
    const booted = await bootDevice();
    try {
      const cuts: PowerCut[] = [];
      booted.device.onPowerCut((cut) => cuts.push(cut));
      booted.device.armPowerCut(5, 10);
      await booted.reset(); // nothing scheduled: MCUboot writes no flash, so no cut
      expect(cuts).toHaveLength(0);
      // The app's own writes (an upload) are never cut.
      const two = await blinky('blinky-two');
      await booted.client.imageUpload(two);
      await booted.client.imageTest(parseImage(two).sha256Hash!);
      await booted.reset();
      expect(cuts).toHaveLength(1);
      await booted.reset(); // the revert runs uninterrupted
      expect(cuts).toHaveLength(1);
      expect(booted.device.lastBoot?.log).toContain('I: Image index: 0, Swap type: revert');
    } finally {
      await booted.close();
    }
  });

  it('refuses a cut point that is not a positive whole number', async () => {
    const booted = await bootDevice();
    try {
      expect(() => booted.device.armPowerCut(0)).toThrow(/≥ 1/);
    } finally {
      await booted.close();
    }
  });
});
