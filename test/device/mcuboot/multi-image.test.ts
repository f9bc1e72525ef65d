// Two images as on the nRF5340 (0 = application core, 1 = network core), each with its own pair
// of slots, and IMAGE_TLV_DEPENDENCY entries written by the signer (imgtool sign --dependencies).
import { describe, expect, it } from 'vitest';
import type { McubootMode } from '../../../src/device/boards/board.ts';
import { type Flash, PowerCut } from '../../../src/device/flash.ts';
import { SwapType } from '../../../src/image/trailer.ts';
import {
  confirm,
  type ImageSpec,
  makeSigned,
  pending,
  program,
  type Rig,
  rig,
  startsWith,
  upload,
  ver,
} from './fixtures.ts';

async function twoImages(
  mode: McubootMode,
  app: ImageSpec | undefined,
  net: ImageSpec | undefined,
): Promise<{ r: Rig; app1: Uint8Array; net1: Uint8Array; app2?: Uint8Array; net2?: Uint8Array }> {
  const r = rig(mode, { images: 2, sectors: 10 });
  const app1 = await makeSigned(r, { version: '1.0.0', seed: 1, size: 12_000 });
  const net1 = await makeSigned(r, { version: '1.0.0', seed: 2, size: 9_000 });
  program(r.image(0).primary, app1);
  program(r.image(1).primary, net1);
  const out: { r: Rig; app1: Uint8Array; net1: Uint8Array; app2?: Uint8Array; net2?: Uint8Array } = {
    r,
    app1,
    net1,
  };
  if (app) {
    out.app2 = await makeSigned(r, { seed: 3, size: 14_000, ...app });
    upload(r, out.app2, 0);
    pending(r, false, 0);
  }
  if (net) {
    out.net2 = await makeSigned(r, { seed: 4, size: 10_000, ...net });
    upload(r, out.net2, 1);
    pending(r, false, 1);
  }
  return out;
}

describe.each(['swap-move', 'swap-offset', 'swap-scratch'] as const)('two images, %s', (mode) => {
  it('both upgraded when the app depends on the new network core and both are pending', async () => {
    const { r, app2, net2 } = await twoImages(
      mode,
      { version: '2.0.0', dependencies: [{ imageId: 1, version: '2.0.0' }] },
      { version: '2.0.0' },
    );
    const b = await r.boot();
    expect(b.booted).toBe(true);
    expect(b.log).toContain('I: Image index: 0, Swap type: test');
    expect(b.log).toContain('I: Image index: 1, Swap type: test');
    expect(b.images.map((i) => i.swapType)).toEqual([SwapType.TEST, SwapType.TEST]);
    expect([ver(b, 0), ver(b, 1)]).toEqual(['2.0.0', '2.0.0']);
    expect(startsWith(r.image(0).primary, app2!)).toBe(true);
    expect(startsWith(r.image(1).primary, net2!)).toBe(true);

    // Neither confirmed: both revert together.
    const back = await r.boot();
    expect(back.images.map((i) => i.swapType)).toEqual([SwapType.REVERT, SwapType.REVERT]);
    expect([ver(back, 0), ver(back, 1)]).toEqual(['1.0.0', '1.0.0']);
  });

  it('an unsatisfied dependency cancels every upgrade (boot_verify_dependencies)', async () => {
    const { r, app1, net1 } = await twoImages(
      mode,
      { version: '2.0.0', dependencies: [{ imageId: 1, version: '2.0.0' }] },
      undefined,
    );
    const b = await r.boot();
    expect(b.booted).toBe(true);
    expect(b.images.map((i) => i.swapType)).toEqual([SwapType.NONE, SwapType.NONE]);
    expect(b.flashOps).toBe(0);
    expect(b.reason).toBe('image 0 needs image 1 ≥ 2.0.0+0, which would be 1.0.0+0: no image is upgraded');
    expect(startsWith(r.image(0).primary, app1)).toBe(true);
    expect(startsWith(r.image(1).primary, net1)).toBe(true);
    // The request stays: MCUboot tries again at every boot until the network core update arrives.
    expect((await r.boot()).log).toContain('I: Image index: 0, Swap type: test');
  });

  it('a dependency the running image already satisfies lets the upgrade through', async () => {
    const { r, app2 } = await twoImages(
      mode,
      { version: '2.0.0', dependencies: [{ imageId: 1, version: '1.0.0' }] },
      undefined,
    );
    const b = await r.boot();
    expect(b.images.map((i) => i.swapType)).toEqual([SwapType.TEST, SwapType.NONE]);
    expect(startsWith(r.image(0).primary, app2!)).toBe(true);
    confirm(r, 0);
    expect((await r.boot()).flashOps).toBe(0);
  });

  it('a network core update needing a newer app than the one pending cancels both', async () => {
    const { r } = await twoImages(
      mode,
      { version: '2.0.0' },
      { version: '2.0.0', dependencies: [{ imageId: 0, version: '3.0.0' }] },
    );
    const b = await r.boot();
    expect(b.images.map((i) => i.swapType)).toEqual([SwapType.NONE, SwapType.NONE]);
    expect(b.reason).toMatch(/^image 1 needs image 0 ≥ 3\.0\.0\+0, which would be 2\.0\.0\+0/);
  });
});

function devices(r: Rig): Flash[] {
  return r.external ? [r.flash, r.external] : [r.flash];
}

describe('two images, power cut anywhere in the two swaps', () => {
  it.each(['swap-move', 'swap-offset'] as const)('%s: both images end upgraded', async (mode) => {
    const { r, app2, net2, app1, net1 } = await twoImages(
      mode,
      { version: '2.0.0', dependencies: [{ imageId: 1, version: '2.0.0' }] },
      { version: '2.0.0' },
    );
    const start = devices(r).map((f) => f.snapshot());
    const ref = await r.boot();
    const N = ref.flashOps;
    const failures: string[] = [];
    for (let i = 1; i < N; i += 3) {
      r.flash.restore(start[0]!);
      r.flash.powerOn();
      r.flash.cutPowerBefore(i);
      await expect(r.boot()).rejects.toBeInstanceOf(PowerCut);
      r.flash.powerOn();
      const b = await r.boot();
      const ok =
        b.booted &&
        startsWith(r.image(0).primary, app2!) &&
        startsWith(r.image(1).primary, net2!) &&
        startsWith(r.image(0).secondary, app1) &&
        startsWith(r.image(1).secondary, net1);
      if (!ok) failures.push(`cut before op ${i}: booted=${b.booted} ${b.images.map((x) => x.swapType)}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('two images, direct-XIP', () => {
  it('an unsatisfied dependency drops that slot and the image runs from the other one', async () => {
    const r = rig('direct-xip', { images: 2, sectors: 10 });
    program(r.image(0).primary, await makeSigned(r, { version: '1.0.0', seed: 1 }));
    program(r.image(1).primary, await makeSigned(r, { version: '1.0.0', seed: 2 }));
    upload(
      r,
      await makeSigned(r, { version: '2.0.0', seed: 3, dependencies: [{ imageId: 1, version: '2.0.0' }] }),
      0,
    );
    const b = await r.boot();
    expect(b.booted).toBe(true);
    expect(b.images.map((i) => i.slot)).toEqual(['primary', 'primary']);
    expect(b.reason).toMatch(/image 0 in the secondary slot needs image 1 ≥ 2\.0\.0\+0, which is 1\.0\.0\+0/);

    upload(r, await makeSigned(r, { version: '2.0.0', seed: 4 }), 1);
    const c = await r.boot();
    expect(c.images.map((i) => i.slot)).toEqual(['secondary', 'secondary']);
    expect(c.log).toContain('I: Image 1 loaded from the secondary slot');
  });
});

describe('two images, overwrite-only', () => {
  it('copies both when the dependency is met, and neither when it is not', async () => {
    const met = await twoImages(
      'overwrite-only',
      { version: '2.0.0', dependencies: [{ imageId: 1, version: '1.5.0' }] },
      { version: '1.5.0' },
    );
    const b = await met.r.boot();
    expect(b.images.map((i) => i.swapType)).toEqual([SwapType.TEST, SwapType.TEST]);
    expect(b.log).toContain('I: Image 1 upgrade secondary slot -> primary slot');
    expect([ver(b, 0), ver(b, 1)]).toEqual(['2.0.0', '1.5.0']);

    const unmet = await twoImages(
      'overwrite-only',
      { version: '2.0.0', dependencies: [{ imageId: 1, version: '1.6.0' }] },
      { version: '1.5.0' },
    );
    const c = await unmet.r.boot();
    expect(c.images.map((i) => i.swapType)).toEqual([SwapType.NONE, SwapType.NONE]);
    expect(c.flashOps).toBe(0);
    expect([ver(c, 0), ver(c, 1)]).toEqual(['1.0.0', '1.0.0']);
  });
});
