// The sampled power-cut sweep (the full one is `npm run sweep`): every board × strategy ×
// scenario, a seeded sample of cuts before, torn inside writes and partial inside erases.
import { describe, expect, it } from 'vitest';
import { deviceOf, slotPartition } from '../../src/device/boards/board.ts';
import { esp32_devkitc_wroom } from '../../src/device/boards/esp32_devkitc_wroom.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { bootAreas } from '../../src/device/mcuboot/boot.ts';
import { buildReport, formatReport } from '../../src/device/sweep/report.ts';
import { runSweep, type SweepTarget } from '../../src/device/sweep/run.ts';
import type { Scenario } from '../../src/device/sweep/scenarios.ts';
import { sweepTargets } from '../../src/device/sweep/targets.ts';

/**
 * Bricks the model finds with small images while following MCUboot faithfully (none for
 * swap-scratch and overwrite-only; the slot-filling images' scratch brick has its own test,
 * sweep-scratch-brick.test.ts). A brick that appears here is a model bug, or a real MCUboot
 * weakness to list with its upstream issue (as swap-using-move had, mcu-tools/mcuboot#1966).
 */
const KNOWN_BRICKS: readonly string[] = [];

describe('power-cut sweep (sampled)', () => {
  it('boots the old or the new image intact after every sampled cut, on every board and strategy', async () => {
    const targets: SweepTarget[] = sweepTargets();
    expect(new Set(targets.map((t) => t.board.name))).toEqual(
      new Set(['stm32f4_disco', 'esp32_devkitc_wroom', 'nrf52840dk']),
    );
    const images = [{ name: 'small', bodySize: 8 * 1024 }];
    const runs = await runSweep({ targets, seed: 20261202, samplePerKind: 6, images });
    const report = buildReport(runs, { seed: 20261202, sampled: true, images: 'small', ms: 0 });
    const results = runs.flatMap((run) => run.results);
    expect(results.length).toBeGreaterThan(250);
    // Every board × strategy got cuts of all three kinds, and the inside cuts really were inside.
    for (const { board: b, strategy } of targets) {
      const board = b.name;
      {
        const mine = results.filter((r) => r.board === board && r.strategy === strategy);
        for (const cut of ['before', 'torn-write', 'partial-erase'] as const) {
          expect(mine.filter((r) => r.cut === cut).length, `${board}/${strategy}/${cut}`).toBeGreaterThan(5);
        }
      }
    }
    for (const r of results.filter((x) => x.cut === 'torn-write'))
      expect(r.cutMessage).toMatch(/inside .*write/);
    for (const r of results.filter((x) => x.cut === 'partial-erase'))
      expect(r.cutMessage).toMatch(/inside .*erase/);
    // Both ends are reached: cuts early in a swap end on the old image, later ones on the new.
    const permanent = results.filter((r) => r.scenario === 'permanent');
    expect(permanent.some((r) => r.outcome === 'new')).toBe(true);
    expect(report.totals.halfImages).toBe(0);
    expect(report.totals.notSettled).toBe(0);
    expect(report.totals.missed).toBe(0);
    const bricks = report.failures.map((f) => `${f.board}/${f.strategy}/${f.scenario}#${f.op}/${f.cut}`);
    expect(bricks).toEqual(KNOWN_BRICKS);
    expect(formatReport(report)).toMatch(
      /\| stm32f4_disco \| swap-scratch \| small \(\d+ B\) \| test \| \d+ \| \d+ \| \d+ ok/,
    );
  }, 60_000);

  /** An app that rewrites its own running image in place: safe uncut, fatal when cut. */
  const rewriteOwnImage: Scenario = {
    name: 'rewrite-own-image',
    summary: 'erase the primary slot and write the old image back',
    appliesTo: () => true,
    expect: 'old',
    setup: async (ctx) => ctx.flash.load(slotPartition(ctx.board, 0), ctx.images.old),
    run: async (ctx) => {
      const primary = bootAreas(ctx.flash.devices, ctx.board).primary;
      const first = primary.sectors[0]!;
      primary.erase(first.offset, first.size);
      const align = deviceOf(ctx.board, slotPartition(ctx.board, 0)).writeBlockSize;
      const image = ctx.images.old;
      const padded = new Uint8Array(Math.ceil(image.length / align) * align).fill(0xff);
      padded.set(image);
      primary.write(0, padded);
    },
  };

  it('reports a brick with its operation, cut kind and boot log when the state does not boot', async () => {
    const runs = await runSweep({
      targets: [{ board: stm32f4_disco, strategy: 'swap-scratch' }],
      scenarios: [rewriteOwnImage],
      images: [{ name: 'tiny', bodySize: 1024 }],
    });
    const report = buildReport(runs, { seed: 1, sampled: false, images: 'tiny', ms: 0 });
    // stm32f4_disco validates the primary slot: a torn image does not boot (brick), never runs.
    expect(report.totals.halfImages).toBe(0);
    // Only the cut before the first erase leaves the image whole (and, by the seed's draw, maybe a
    // torn last byte that got its new value); every other cut bricks the board.
    expect(report.failures.every((f) => f.outcome === 'brick')).toBe(true);
    expect(report.totals.bricks).toBeGreaterThanOrEqual(report.totals.cuts - 2);
    const brick = report.failures.find((f) => f.cut === 'torn-write')!;
    expect(brick).toMatchObject({ op: 2, opKind: 'write', outcome: 'brick', boots: 1 });
    expect(brick.log).toContain('E: Unable to find bootable image');
    expect(formatReport(report)).toMatch(
      /- \*\*brick\*\* stm32f4_disco\/swap-scratch\/tiny\/rewrite-own-image: torn-write at 50% of op #2 \(write\)/,
    );
  });

  it('catches a half image booting where MCUboot does not check the primary slot', async () => {
    const runs = await runSweep({
      targets: [{ board: esp32_devkitc_wroom, strategy: 'overwrite-only' }],
      scenarios: [rewriteOwnImage],
      images: [{ name: 'tiny', bodySize: 1024 }],
    });
    const report = buildReport(runs, { seed: 1, sampled: false, images: 'tiny', ms: 0 });
    // esp32 (CONFIG_BOOT_VALIDATE_SLOT0=n) jumps to whatever header is there.
    expect(report.totals.halfImages).toBeGreaterThan(0);
    expect(report.failures.find((f) => f.outcome === 'half-image')?.reason).toMatch(/neither image intact/);
  });
});
