import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runStory } from '../../src/demo/story.ts';
import { startSim } from '../../src/device/io/sim-host.ts';
import { parseImage } from '../../src/image/format.ts';
import { blinky, ensureBlinkyFirmware } from '../device/server/fixtures.ts';
import { appStarted, slotRows, udpClient } from './helpers.ts';

beforeAll(async () => {
  await ensureBlinkyFirmware();
}, 120_000);

describe('the DFU story end to end (CLI over a real PTY, virtual stm32f4_disco)', () => {
  it('matches every row of the expected table and LED0 goes from 1 Hz to 10 Hz', async () => {
    const sim = await startSim({ udp: '127.0.0.1:0', baud: 0 });
    let transcript = '';
    try {
      await appStarted(sim);
      const result = await runStory({ sim, write: (text) => (transcript += text), ledWindowMs: 1200 });
      expect(
        result.checks.filter((c) => !c.ok),
        transcript,
      ).toEqual([]);
      expect(result.checks.map((c) => [c.step, c.detail])).toEqual([
        ['Binary One flashed', 'slot 0: 1.0.0 [active confirmed], slot 1: (not listed)'],
        ['after upload of Two', 'slot 0: 1.0.0 [active confirmed], slot 1: 2.0.0 [no flags]'],
        ['after image test Two', 'slot 0: 1.0.0 [active confirmed], slot 1: 2.0.0 [pending]'],
        ['after reset (swap)', 'slot 0: 2.0.0 [active], slot 1: 1.0.0 [confirmed]'],
        [
          'after reset without confirm (revert)',
          'slot 0: 1.0.0 [active confirmed], slot 1: 2.0.0 [no flags]',
        ],
        ['after image confirm', 'slot 0: 2.0.0 [active confirmed], slot 1: 1.0.0 [no flags]'],
      ]);
      const rate = (step: string) => result.ledRates.find((r) => r.step === step)?.hz ?? 0;
      for (const step of ['Binary One flashed', 'reverted to Binary One']) {
        expect(rate(step), step).toBeGreaterThan(0.6);
        expect(rate(step), step).toBeLessThan(1.5);
      }
      for (const step of ['Binary Two on test', 'Binary Two confirmed']) {
        expect(rate(step), step).toBeGreaterThan(7);
        expect(rate(step), step).toBeLessThan(13);
      }
      // The swap and the revert are MCUboot's doing, and its log says so.
      expect(transcript).toContain('Swap type: test');
      expect(transcript).toContain('Swap type: revert');
      // The counter the user watched kept rising between the two reads.
      const counters = [...transcript.matchAll(/(\d+) counter_stat/g)].map((m) => Number(m[1]));
      expect(counters).toHaveLength(2);
      expect(counters[1]!).toBeGreaterThan(counters[0]!);
    } finally {
      await sim.close();
    }
  }, 60_000);
});

describe('power cycle: a restart of the sim with the same flash file keeps the flash', () => {
  it('an unconfirmed test image reverts on power-up; a confirmed one stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdfu-e2e-'));
    const flashFile = join(dir, 'stm32f4_disco.flash');
    const two = await blinky('blinky-two');
    const twoHash = parseImage(two).sha256Hash!;
    const open = async () => {
      const sim = await startSim({ flashFile, udp: '127.0.0.1:0', baud: 0 });
      return { sim, client: await udpClient(sim) };
    };
    const shut = async (session: Awaited<ReturnType<typeof open>>) => {
      await session.client.close();
      await session.sim.close();
    };
    try {
      let session = await open();
      expect(await slotRows(session.client)).toEqual([
        { slot: 0, version: '1.0.0', flags: 'active confirmed' },
      ]);
      await session.client.imageUpload(two);
      await session.client.imageTest(twoHash);
      await session.sim.device.reset();
      expect(await slotRows(session.client)).toEqual([
        { slot: 0, version: '2.0.0', flags: 'active' },
        { slot: 1, version: '1.0.0', flags: 'confirmed' },
      ]);
      await shut(session);

      // Power-up is a reset too: the trailer left by the test swap survived, so MCUboot reverts.
      session = await open();
      expect(session.sim.firstBoot.version).toMatchObject({ major: 1 });
      expect(session.sim.firstBoot.log).toContain('I: Image index: 0, Swap type: revert');
      expect(await slotRows(session.client)).toEqual([
        { slot: 0, version: '1.0.0', flags: 'active confirmed' },
        { slot: 1, version: '2.0.0', flags: '' },
      ]);

      await session.client.imageTest(twoHash);
      await session.sim.device.reset();
      await session.client.imageConfirm();
      await shut(session);

      session = await open();
      expect(session.sim.firstBoot.version).toMatchObject({ major: 2 });
      expect(await slotRows(session.client)).toEqual([
        { slot: 0, version: '2.0.0', flags: 'active confirmed' },
        { slot: 1, version: '1.0.0', flags: '' },
      ]);
      await shut(session);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
