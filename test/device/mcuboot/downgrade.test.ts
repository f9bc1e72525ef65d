// MCUBOOT_DOWNGRADE_PREVENTION: check_downgrade_prevention (swap builds) erases a lower version in
// slot 1 before a TEST/PERM swap; boot_validate_slot does it for overwrite-only.
import { describe, expect, it } from 'vitest';
import type { McubootMode } from '../../../src/device/boards/board.ts';
import { SwapType } from '../../../src/image/trailer.ts';
import { confirm, makeSigned, pending, program, rig, startsWith, upload, ver } from './fixtures.ts';

async function setup(mode: McubootMode, running: string, candidate: string, prevention: boolean) {
  const r = rig(mode, { extra: { downgradePrevention: prevention } });
  const one = await makeSigned(r, { version: running, seed: 1 });
  const two = await makeSigned(r, { version: candidate, seed: 2 });
  program(r.image().primary, one);
  upload(r, two);
  return { r, one, two };
}

describe.each(['swap-scratch', 'swap-move', 'swap-offset'] as const)(
  '%s with downgrade prevention',
  (mode) => {
    it('refuses a lower version: slot 1 erased, the running image stays', async () => {
      const { r, one } = await setup(mode, '1.2.0', '1.1.9', true);
      pending(r, true);
      const b = await r.boot();
      expect(b.booted).toBe(true);
      expect(b.swapType).toBe(SwapType.NONE);
      expect(b.log).toContain('I: Image 0 in slot 1 erased due to downgrade prevention');
      expect(b.reason).toBe('downgrade refused: image 0 version 1.1.9+0 is lower than the running 1.2.0+0');
      expect(r.image().secondary.isErased(0, r.image().secondary.size)).toBe(true);
      expect(startsWith(r.image().primary, one)).toBe(true);
    });

    it('lets the same version and a higher one through, and a revert is never refused', async () => {
      const same = await setup(mode, '1.2.0', '1.2.0', true);
      pending(same.r, false);
      expect((await same.r.boot()).swapType).toBe(SwapType.TEST);

      const { r, one } = await setup(mode, '1.2.0', '1.3.0', true);
      pending(r, false);
      expect(ver(await r.boot())).toBe('1.3.0');
      const back = await r.boot();
      expect(back.swapType).toBe(SwapType.REVERT);
      expect(startsWith(r.image().primary, one)).toBe(true);
    });

    it('without the option a downgrade is an ordinary upgrade', async () => {
      const { r, two } = await setup(mode, '1.2.0', '1.1.9', false);
      pending(r, false);
      expect((await r.boot()).swapType).toBe(SwapType.TEST);
      confirm(r);
      expect(startsWith(r.image().primary, two)).toBe(true);
    });
  },
);

describe('overwrite-only with downgrade prevention', () => {
  it('boot_validate_slot refuses the lower version and erases slot 1', async () => {
    const { r, one } = await setup('overwrite-only', '2.0.0', '1.9.0', true);
    pending(r, false);
    const b = await r.boot();
    expect(b.swapType).toBe(SwapType.NONE);
    expect(b.log).toContain('E: Insufficient version in secondary slot');
    expect(b.reason).toMatch(
      /^downgrade refused: image 0 version 1\.9\.0 in the secondary slot is lower than 2\.0\.0/,
    );
    expect(r.image().secondary.isErased(0, r.image().secondary.size)).toBe(true);
    expect(startsWith(r.image().primary, one)).toBe(true);
  });

  it('copies a higher version', async () => {
    const { r, two } = await setup('overwrite-only', '2.0.0', '2.0.1', true);
    pending(r, false);
    expect((await r.boot()).swapType).toBe(SwapType.TEST);
    expect(startsWith(r.image().primary, two)).toBe(true);
  });
});
