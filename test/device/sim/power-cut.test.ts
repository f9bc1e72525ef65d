// `zdfu sim --power-cut N` also cuts the swap MCUboot does at the sim's own power-on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { slotPartition } from '../../../src/device/boards/board.ts';
import { stm32f4_disco } from '../../../src/device/boards/stm32f4_disco.ts';
import { blinkyFlash, runSimUntil, TempDirs, writeFlashFile } from './helpers.ts';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const slot0 = slotPartition(stm32f4_disco, 0);
const slot1 = slotPartition(stm32f4_disco, 1);
function slotsOf(file: string) {
  const bytes = readFileSync(file);
  return {
    primary: bytes.subarray(slot0.offset, slot0.offset + slot0.size),
    secondary: bytes.subarray(slot1.offset, slot1.offset + slot1.size),
  };
}

describe('zdfu sim --power-cut at power-on', () => {
  it('cuts the swap of a pending test at start-up, resumes it and ends as if uninterrupted', async () => {
    const dir = temp.make();
    const cutFile = join(dir, 'cut.bin');
    const refFile = join(dir, 'ref.bin');
    writeFlashFile(cutFile, blinkyFlash(true));
    writeFlashFile(refFile, blinkyFlash(true));

    const ready = /zdfu sim: stm32f4_disco (running|halted)/;
    const ref = await runSimUntil(
      ['--flash', refFile, '--no-udp', '--baud', '0', '--console', '--fast'],
      ready,
    );
    expect(ref.code).toBe(0);
    expect(ref.out).toContain('I: Starting swap using scratch algorithm.');

    const cut = await runSimUntil(
      ['--flash', cutFile, '--no-udp', '--baud', '0', '--console', '--fast', '--power-cut', '50'],
      ready,
    );
    expect(cut.code).toBe(0);
    expect(cut.out).toMatch(
      /zdfu sim: power cut before flash write or erase 50 of MCUboot's swap \((write|erase) at flash offset 0x[0-9a-f]+\)/,
    );
    // After the cut MCUboot comes back, finds the swap half done and finishes it.
    const afterCut = cut.out.slice(cut.out.indexOf('power cut before'));
    expect(afterCut).toContain('I: Boot source: ');
    expect(afterCut).toContain('I: Jumping to the first image slot');
    expect(cut.out).toContain('zdfu sim: stm32f4_disco running');

    const a = slotsOf(cutFile);
    const b = slotsOf(refFile);
    expect(Buffer.compare(a.primary, b.primary)).toBe(0);
    expect(Buffer.compare(a.secondary, b.secondary)).toBe(0);
  });

  it('says so when the swap finishes before the cut point', async () => {
    const dir = temp.make();
    const file = join(dir, 'flash.bin');
    writeFlashFile(file, blinkyFlash(true));
    const run = await runSimUntil(
      ['--flash', file, '--no-udp', '--baud', '0', '--fast', '--power-cut', '99999'],
      /zdfu sim: stm32f4_disco (running|halted)/,
    );
    expect(run.code).toBe(0);
    const notice =
      /zdfu sim: the power cut point was not reached: MCUboot's swap took (\d+) flash writes and erases, fewer than 99999/.exec(
        run.out,
      );
    expect(notice).not.toBeNull();
    expect(Number(notice![1])).toBeGreaterThan(0);
    expect(run.out).toContain(`give --power-cut between 1 and ${notice![1]}`);
    expect(run.out).toContain('zdfu sim: stm32f4_disco running');
  });

  it('cuts inside an operation with N@FRACTION:SEED (a torn write or partial erase) and resumes', async () => {
    const dir = temp.make();
    const file = join(dir, 'flash.bin');
    writeFlashFile(file, blinkyFlash(true));
    const run = await runSimUntil(
      ['--flash', file, '--no-udp', '--baud', '0', '--console', '--fast', '--power-cut', '50@0.5:3'],
      /zdfu sim: stm32f4_disco (running|halted)/,
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/zdfu sim: power cut inside flash operation #\d+ \((write|erase)/);
    expect(run.out).toContain('zdfu sim: stm32f4_disco running');
  });

  it('refuses a cut point that is not N or N@FRACTION[:SEED], in words', async () => {
    for (const bad of ['0', 'x', '5@1', '5@-0.2', '5@0.5:x']) {
      const run = await runSimUntil(['--no-udp', '--baud', '0', '--fast', '--power-cut', bad], /running/);
      expect(run.code, bad).toBe(1);
      expect(run.err, bad).toMatch(/The power cut point/);
      expect(run.err).not.toMatch(/\n\s+at /);
    }
  });
});
