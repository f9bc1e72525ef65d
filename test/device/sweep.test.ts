// The sampled power-cut sweep (the full one is `npm run sweep`): every board × strategy ×
// scenario, a seeded sample of cuts before, torn inside writes and partial inside erases.
import { describe, expect, it } from 'vitest';
import { deviceOf, slotPartition } from '../../src/device/boards/board.ts';
import { esp32_devkitc_wroom } from '../../src/device/boards/esp32_devkitc_wroom.ts';
import { boards } from '../../src/device/boards/index.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { bootAreas } from '../../src/device/mcuboot/boot.ts';
import { explain } from '../../src/device/sweep/known-bricks.ts';
import { buildReport, formatReport } from '../../src/device/sweep/report.ts';
import { runSweep, runSweepWithSkips, type SweepTarget } from '../../src/device/sweep/run.ts';
import { SCENARIOS, type Scenario } from '../../src/device/sweep/scenarios.ts';
import { sweepTargets } from '../../src/device/sweep/targets.ts';

/**
 * Failures the model finds with small images while following MCUboot faithfully, by the known
 * weakness that explains them (src/device/sweep/known-bricks.ts): swap-move's revert lost to a
 * torn secondary magic (mcu-tools/mcuboot#1966, MCUboot v2.0.0) may be drawn by the sample. Any
 * failure no known weakness explains is a model bug (or a new finding) and fails the test.
 */
const ALLOWED_KNOWN: readonly string[] = ['swap-move-revert-magic'];

const nrf52840dk = boards().get('nrf52840dk')!;
const nrf52840dk_ext_flash = boards().get('nrf52840dk_ext_flash')!;

describe('power-cut sweep (sampled)', () => {
  it('boots the old or the new image intact after every sampled cut, on every board and strategy', async () => {
    const targets: SweepTarget[] = sweepTargets();
    expect(new Set(targets.map((t) => t.board.name))).toEqual(
      new Set(['stm32f4_disco', 'esp32_devkitc_wroom', 'nrf52840dk', 'nrf52840dk_ext_flash', 'nrf5340dk']),
    );
    const images = [{ name: 'small', bodySize: 8 * 1024 }];
    const { runs, skips } = await runSweepWithSkips({ targets, seed: 20261202, samplePerKind: 5, images });
    const report = buildReport(runs, { seed: 20261202, sampled: true, images: 'small', ms: 0 }, skips);
    const results = runs.flatMap((run) => run.results);
    expect(results.length).toBeGreaterThan(500);
    // Every board × strategy is either swept with cuts of all three kinds, or reported as not
    // buildable with the reason.
    for (const { board: b, strategy } of targets) {
      const board = b.name;
      const skipped = skips.find((s) => s.board === board && s.strategy === strategy && !s.scenario);
      if (skipped) {
        expect(skipped.reason).toMatch(/^not buildable: /);
        continue;
      }
      const mine = results.filter((r) => r.board === board && r.strategy === strategy);
      for (const cut of ['before', 'torn-write', 'partial-erase'] as const) {
        expect(mine.filter((r) => r.cut === cut).length, `${board}/${strategy}/${cut}`).toBeGreaterThan(2);
      }
    }
    const swept = (board: string) => new Set(runs.filter((r) => r.board === board).map((r) => r.strategy));
    expect(swept('nrf52840dk')).toEqual(
      new Set(['swap-move', 'swap-offset', 'overwrite-only', 'direct-xip', 'direct-xip-revert']),
    );
    expect(swept('nrf52840dk_ext_flash')).toEqual(new Set(['swap-move', 'swap-offset', 'overwrite-only']));
    expect(swept('nrf5340dk')).toEqual(new Set(['overwrite-only']));
    expect(skips).toContainEqual({
      board: 'nrf5340dk',
      strategy: 'swap-move',
      reason: expect.stringMatching(/not buildable: image 1: .*2 KiB.*4 KiB/),
    });
    expect(skips.some((s) => s.board === 'stm32f4_disco' && s.strategy === 'ram-load')).toBe(true);
    for (const r of results.filter((x) => x.cut === 'torn-write'))
      expect(r.cutMessage).toMatch(/inside .*write/);
    for (const r of results.filter((x) => x.cut === 'partial-erase'))
      expect(r.cutMessage).toMatch(/inside .*erase/);
    // Both ends are reached: cuts early in a swap end on the old image, later ones on the new.
    const permanent = results.filter((r) => r.scenario === 'permanent');
    expect(permanent.some((r) => r.outcome === 'new')).toBe(true);
    // Two images: updating image 1 alone ends with image 0 old and image 1 new (mixed).
    expect(results.filter((r) => r.scenario === 'image-1').every((r) => r.outcome !== 'new')).toBe(true);
    expect(results.some((r) => r.scenario === 'image-1' && r.outcome === 'mixed')).toBe(true);
    expect(report.totals.halfImages).toBe(0);
    expect(report.totals.dependencyBroken).toBe(0);
    expect(report.totals.notSettled).toBe(0);
    expect(report.totals.missed).toBe(0);
    expect(report.totals.unexplained).toBe(0);
    for (const f of report.failures) expect(ALLOWED_KNOWN).toContain(explain(f)?.id);
    const text = formatReport(report);
    expect(text).toMatch(
      /\| stm32f4_disco \| swap-scratch \| small \(\d+ B\) \| test \| \d+ \| \d+ \| \d+ ok/,
    );
    expect(text).toMatch(/\| nrf5340dk \| swap-move \| – \| all \|.*\| not buildable: /);
  }, 60_000);

  it('counts cuts over every flash device: a swap with slot 1 on QSPI NOR is cut on both', async () => {
    const runs = await runSweep({
      targets: [{ board: nrf52840dk_ext_flash, strategy: 'swap-move' }],
      scenarios: SCENARIOS.filter((s) => s.name === 'permanent'),
      images: [{ name: 'small', bodySize: 8 * 1024 }],
    });
    const results = runs.flatMap((r) => r.results);
    // The external NOR's Flash is named board/device (boards/index.ts createDeviceFlash).
    const onNor = results.filter((r) => r.device === 'nrf52840dk_ext_flash/mx25r64');
    const onInternal = results.filter((r) => r.device === 'nrf52840dk_ext_flash');
    expect(onNor.length).toBeGreaterThan(10);
    expect(onInternal.length).toBeGreaterThan(10);
    // Every operation of the run got its cuts: one before and three inside each.
    expect(results.length).toBe(4 * (runs[0]!.writes + runs[0]!.erases));
    expect(results.every((r) => r.outcome === 'old' || r.outcome === 'new')).toBe(true);
  }, 30_000);

  it("finds MCUboot #1966 in swap-move's revert on MCUboot v2.0.0, and not on v2.2.0 (PR #2100)", async () => {
    const sweepRevert = async (mcuboot: string) => {
      const board = { ...nrf52840dk, versions: { ...nrf52840dk.versions, mcuboot } };
      const runs = await runSweep({
        targets: [{ board, strategy: 'swap-move' }],
        scenarios: SCENARIOS.filter((s) => s.name === 'revert'),
        images: [{ name: 'small', bodySize: 4 * 1024 }],
      });
      return runs.flatMap((r) => r.results).filter((r) => r.outcome !== 'old');
    };
    const lost = await sweepRevert('v2.0.0');
    expect(lost.length).toBeGreaterThan(0);
    for (const r of lost) {
      expect(r).toMatchObject({ outcome: 'revert-lost', cut: 'torn-write', opKind: 'write' });
      // The secondary slot's magic: the last 16 bytes of slot1 (0x82000 + 0x76000).
      expect(r.cutMessage).toContain('(write at 0xf7ff0)');
      expect(explain(r)?.upstream).toMatch(/mcuboot#1966/);
    }
    expect(await sweepRevert('v2.2.0')).toEqual([]);
  }, 30_000);

  it('checks the slot direct-XIP booted, not the primary slot', async () => {
    const runs = await runSweep({
      targets: [{ board: nrf52840dk, strategy: 'direct-xip' }],
      scenarios: SCENARIOS.filter((s) => s.name === 'permanent'),
      images: [{ name: 'small', bodySize: 4 * 1024 }],
    });
    // The new image runs from the secondary slot while the primary still holds the old one.
    expect(runs[0]!.results.some((r) => r.outcome === 'new')).toBe(true);
    expect(runs[0]!.results.every((r) => r.outcome === 'old' || r.outcome === 'new')).toBe(true);
  });

  it('checks the copy in RAM for RAM-load (a board given an executable RAM region)', async () => {
    // STM32F407 SRAM1+SRAM2 (RM0090 §2.3.1): 128 KiB at 0x20000000. No built-in board names its
    // executable RAM, so the full sweep reports RAM-load as not buildable; this board does.
    const board = {
      ...stm32f4_disco,
      mcuboot: { ...stm32f4_disco.mcuboot, executableRam: { start: 0x20000000, size: 0x20000 } },
    };
    const runs = await runSweep({
      targets: [{ board, strategy: 'ram-load' }],
      scenarios: SCENARIOS.filter((s) => s.name === 'permanent' || s.name === 'upload'),
      images: [{ name: 'small', bodySize: 4 * 1024 }],
    });
    const results = runs.flatMap((r) => r.results);
    expect(results.length).toBeGreaterThan(20);
    expect(results.some((r) => r.outcome === 'new')).toBe(true);
    expect(results.every((r) => r.outcome === 'old' || r.outcome === 'new')).toBe(true);
  });

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
