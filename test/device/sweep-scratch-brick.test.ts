// A brick the sweep finds by following MCUboot faithfully. After the swap step that carried the
// primary slot's trailer through scratch (the first step: the slot's last sector), swap_scratch.c
// (boot_swap_sectors) writes the step's status and then clears the scratch area, trailer first
// since v2.2.0 (f76fba70 "Fix issue with bricking device", 800868a9 scrambling backwards). On
// stm32f4_disco the scratch is ONE 128 KiB sector, so there is no order to choose: if an
// interrupted erase leaves the sector's end intact (erased by address up to the cut, or
// pre-programmed up to it as NOR embedded erase algorithms do first), the scratch trailer still
// reads good, the next boot takes its status from scratch ("Boot source: scratch") and copies the
// half-erased scratch into the primary slot: the image no longer validates and nothing boots.
// An erase that leaves every cell part-way (bits partly erased) breaks the scratch magic too, and
// MCUboot recovers.
import { describe, expect, it } from 'vitest';
import { findPartition } from '../../src/device/boards/board.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { type PartialEraseMode, PowerCut } from '../../src/device/flash.ts';
import { pickEraseMode, seededRandom } from '../../src/device/flash-tear.ts';
import { bootGo } from '../../src/device/mcuboot/boot.ts';
import { SweepFlashes } from '../../src/device/sweep/flashes.ts';
import { prepare } from '../../src/device/sweep/run.ts';
import { SCENARIOS } from '../../src/device/sweep/scenarios.ts';

function seedFor(mode: PartialEraseMode): number {
  for (let seed = 0; ; seed++) if (pickEraseMode(seededRandom(seed)) === mode) return seed;
}

describe('power-cut sweep: the single-sector scratch erase after the trailer step', () => {
  it('bricks when the erase leaves the sector end intact, and not when cut before or erasing evenly', async () => {
    const p = await prepare(
      { board: stm32f4_disco, strategy: 'swap-scratch' },
      { name: 'fills slot', bodySize: 'fill' },
    );
    const scratch = findPartition(p.board, 'scratch_partition')!;
    const sweepFlash = new SweepFlashes(p.board);
    const flash = sweepFlash.devices.get('flash0')!;
    const ctx = {
      flash: sweepFlash,
      board: p.board,
      images: p.images,
      perImage: [p.images],
      validate: p.validate,
    };
    const test = SCENARIOS.find((s) => s.name === 'test')!;
    await test.setup(ctx);
    const start = flash.snapshot();
    // Numbered from the start state, as cutPower counts (the setup's upload wrote flash too).
    const base = flash.mutations;
    const scratchErases: number[] = [];
    const off = flash.onOperation((op) => {
      if (op.kind === 'erase' && op.offset === scratch.offset) scratchErases.push(op.mutationNumber! - base);
    });
    await test.run(ctx);
    off();
    // Scratch is erased before the trailer step, cleared after it, then erased before each step.
    expect(scratchErases.length).toBeGreaterThanOrEqual(3);
    const clearing = scratchErases[1]!;

    const boot = async (inside?: { fraction: number; seed: number }) => {
      flash.restore(start);
      flash.powerOn();
      flash.cutPower({ mutation: clearing, ...(inside ? { inside } : {}) });
      await expect(test.run(ctx)).rejects.toBeInstanceOf(PowerCut);
      flash.powerOn();
      return bootGo({ flash, board: p.board, validate: p.validate });
    };
    expect((await boot()).booted).toBe(true);
    expect((await boot({ fraction: 0.5, seed: seedFor('bits-partly-erased') })).booted).toBe(true);
    for (const mode of ['prefix-erased', 'pre-programmed'] as const) {
      const result = await boot({ fraction: 0.5, seed: seedFor(mode) });
      expect(flash.lastCut?.message).toContain(`sector 0xc0000 ${mode} up to byte 65536`);
      expect(result.booted).toBe(false);
      expect(result.log).toContain('I: Boot source: scratch');
      expect(result.log).toContain('E: Unable to find bootable image');
    }
  }, 30_000);
});
