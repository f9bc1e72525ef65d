/**
 * Slot 1 on external flash (nrf52840dk_ext_flash: MX25R64 QSPI NOR): the user's story runs on
 * it, the upload lands on the external chip, and `--flash FILE` keeps each flash device in its
 * own file under the flash file's refusal rules.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slotPartition } from '../../../src/device/boards/board.ts';
import { getBoard } from '../../../src/device/boards/index.ts';
import { flashFileOf, startSim } from '../../../src/device/io/sim-host.ts';
import { parseImage } from '../../../src/image/format.ts';
import { appStarted, slotRows, udpClient } from '../../e2e/helpers.ts';
import { blinky, bootDevice, ensureBlinkyFirmware } from '../server/fixtures.ts';

beforeAll(async () => {
  await ensureBlinkyFirmware();
}, 120_000);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zdfu-ext-'));
  dirs.push(dir);
  return dir;
}

const board = getBoard('nrf52840dk_ext_flash');
const MIB = 1024 * 1024;

describe('slot 1 on the external MX25R64', () => {
  it("runs the user's story: upload to the external flash, test, reset, confirm", async () => {
    const sim = await startSim({ board: 'nrf52840dk_ext_flash', udp: '127.0.0.1:0', baud: 0 });
    const client = await udpClient(sim);
    try {
      await appStarted(sim);
      expect(await slotRows(client)).toEqual([{ slot: 0, version: '1.0.0', flags: 'active confirmed' }]);
      const two = await blinky('blinky-two');
      await client.imageUpload(two);
      // The image went to the external chip, not to the SoC's flash.
      const external = sim.device.flashes.get('mx25r64')!;
      expect(external.read(0, 16)).toEqual(two.subarray(0, 16));
      expect(external.stats.bytesWritten).toBeGreaterThanOrEqual(two.length);
      expect(await slotRows(client)).toEqual([
        { slot: 0, version: '1.0.0', flags: 'active confirmed' },
        { slot: 1, version: '2.0.0', flags: '' },
      ]);
      await client.imageTest(parseImage(two).sha256Hash!);
      expect((await slotRows(client))[1]).toEqual({ slot: 1, version: '2.0.0', flags: 'pending' });

      const boot = await sim.device.reset();
      expect(boot.booted).toBe(true);
      expect(boot.version).toMatchObject({ major: 2 });
      expect(boot.log).toContain('I: Image 0 upgrade secondary slot -> primary slot');
      await appStarted(sim);
      // Overwrite-only: Two was copied from the external chip into slot 0, and slot 1 wiped.
      expect(await slotRows(client)).toEqual([{ slot: 0, version: '2.0.0', flags: 'active confirmed' }]);
      const confirmed = await client.imageConfirm();
      expect(confirmed.images[0]).toMatchObject({ version: '2.0.0', active: true, confirmed: true });
      expect((await sim.device.reset()).version).toMatchObject({ major: 2 });
    } finally {
      await client.close();
      await sim.close();
    }
  }, 30_000);

  it('keeps each flash device in its own file (FILE, FILE.mx25r64) across a power cycle', async () => {
    const dir = tempDir();
    const flashFile = join(dir, 'nrf.flash');
    const two = await blinky('blinky-two');
    let sim = await startSim({ board: 'nrf52840dk_ext_flash', flashFile, udp: '127.0.0.1:0', baud: 0 });
    let client = await udpClient(sim);
    try {
      await client.imageUpload(two);
    } finally {
      await client.close();
      await sim.close();
    }
    const externalFile = flashFileOf(board, 'mx25r64', flashFile);
    expect(externalFile).toBe(`${flashFile}.mx25r64`);
    expect(statSync(flashFile).size).toBe(1 * MIB);
    expect(statSync(externalFile).size).toBe(8 * MIB);
    const slot1 = slotPartition(board, 1);
    expect(readFileSync(externalFile).subarray(slot1.offset, slot1.offset + 16)).toEqual(
      Buffer.from(two.subarray(0, 16)),
    );

    sim = await startSim({ board: 'nrf52840dk_ext_flash', flashFile, udp: '127.0.0.1:0', baud: 0 });
    client = await udpClient(sim);
    try {
      expect(await slotRows(client)).toEqual([
        { slot: 0, version: '1.0.0', flags: 'active confirmed' },
        { slot: 1, version: '2.0.0', flags: '' },
      ]);
    } finally {
      await client.close();
      await sim.close();
    }
  }, 30_000);

  it('refuses an external flash file of the wrong size and leaves both files as they were', async () => {
    const dir = tempDir();
    const flashFile = join(dir, 'nrf.flash');
    const externalFile = `${flashFile}.mx25r64`;
    writeFileSync(externalFile, Buffer.alloc(4096, 0x5a));
    await expect(startSim({ board: 'nrf52840dk_ext_flash', flashFile, udp: false, baud: 0 })).rejects.toThrow(
      `${externalFile} is 4096 bytes, but the nrf52840dk_ext_flash mx25r64 flash is 8388608 bytes (8 MiB)`,
    );
    expect(readFileSync(externalFile)).toEqual(Buffer.alloc(4096, 0x5a));
    // No new file was made for the internal flash either; --new-flash starts both over.
    expect(existsSync(flashFile)).toBe(false);
    const sim = await startSim({
      board: 'nrf52840dk_ext_flash',
      flashFile,
      newFlash: true,
      udp: false,
      baud: 0,
    });
    await sim.close();
    expect(statSync(externalFile).size).toBe(8 * MIB);
  });
});

describe('a power cut counts the writes and erases of every flash device', () => {
  async function pendingTwo() {
    const booted = await bootDevice({ board: 'nrf52840dk_ext_flash' });
    const two = await blinky('blinky-two');
    await booted.client.imageUpload(two);
    await booted.client.imageTest(parseImage(two).sha256Hash!);
    return booted;
  }

  it('cuts before the last operation of an upgrade, an erase on the external chip', async () => {
    const plain = await pendingTwo();
    const external = plain.device.flashes.get('mx25r64')!;
    const externalBefore = external.mutations;
    const full = await plain.reset();
    await plain.close();
    // Overwrite-only ends by wiping the secondary's header and trailer on the MX25R64.
    expect(external.mutations).toBeGreaterThan(externalBefore);
    const last = full.flashOps;

    const cut = await pendingTwo();
    try {
      const cuts: string[] = [];
      let missed = false;
      cut.device.onPowerCut((c) => cuts.push(`${c.kind} 0x${c.offset.toString(16)}`));
      cut.device.onPowerCutMissed(() => {
        missed = true;
      });
      cut.device.armPowerCut(last, 10);
      const after = await cut.reset();
      expect(missed).toBe(false);
      expect(cuts).toHaveLength(1);
      expect(cuts[0]).toMatch(/^erase /);
      expect(after.booted).toBe(true);
      expect(after.version).toMatchObject({ major: 2 });
    } finally {
      await cut.close();
    }
  });
});

describe("a flash file of another board's size", () => {
  it('names every board of that size and is left untouched', async () => {
    const flashFile = join(tempDir(), 'disco.flash');
    writeFileSync(flashFile, Buffer.alloc(MIB, 0xff));
    await expect(startSim({ board: 'esp32_devkitc_wroom', flashFile, udp: false, baud: 0 })).rejects.toThrow(
      '1 MiB is the size of the flash of nrf52840dk, nrf52840dk_ext_flash, nrf5340dk or stm32f4_disco: it is probably that board',
    );
    expect(readFileSync(flashFile)).toEqual(Buffer.alloc(MIB, 0xff));
  });
});
