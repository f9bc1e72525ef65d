/**
 * Every built-in board, with its own MCUboot strategy built with MCUBOOT_DOWNGRADE_PREVENTION
 * (loader.c check_downgrade_prevention for the swaps, boot_validate_slot for overwrite-only):
 * Binary One (1.0.0) uploaded over SMP to a board running Binary Two (2.0.0), marked for test and
 * reset, is refused: the board keeps running 2.0.0 and slot 1 is emptied.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Board } from '../../../src/device/boards/board.ts';
import { boards } from '../../../src/device/boards/index.ts';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { type BootedDevice, bootDevice, ensureBlinkyFirmware } from '../server/fixtures.ts';

beforeAll(async () => {
  await ensureBlinkyFirmware();
}, 120_000);

let booted: BootedDevice | undefined;
afterEach(async () => {
  await booted?.close();
  booted = undefined;
});

const builtIn = [...boards().values()];

describe.each(builtIn.map((board) => [board.name, board] as const))(
  '%s with downgrade prevention',
  (_name, base: Board) => {
    it(`refuses Binary One below the running Binary Two (${base.mcuboot.mode})`, async () => {
      // A UDP build: the serial-only one cannot list four slots of a two-image board in 384 bytes.
      const board: Board = {
        ...base,
        mcuboot: { ...base.mcuboot, downgradePrevention: true },
        smpServer: { ...base.smpServer, udpTransport: true },
      };
      booted = await bootDevice({ board, slot0: await blinkyImageFor(board, 'blinky-two') });
      await booted.appStarted();
      const { client, device } = booted;
      expect(device.lastBoot?.version).toMatchObject({ major: 2 });
      await client.imageUpload(await blinkyImageFor(board, 'blinky-one'));
      const candidate = (await client.imageList()).images.find((i) => (i.image ?? 0) === 0 && i.slot === 1);
      expect(candidate?.version).toBe('1.0.0');
      await client.imageTest(candidate!.hash);
      await booted.reset();
      expect(device.lastBoot?.booted).toBe(true);
      expect(device.lastBoot?.version).toMatchObject({ major: 2 });
      // MCUboot's own words: loader.c for the swaps, boot_validate_slot for overwrite-only.
      expect(device.lastBoot?.log.join('\n')).toMatch(
        board.mcuboot.mode === 'overwrite-only'
          ? /Insufficient version in secondary slot/
          : /in slot 1 erased due to downgrade prevention/,
      );
      await booted.appStarted();
      const after = (await client.imageList()).images.filter((i) => (i.image ?? 0) === 0);
      expect(after.map((i) => `${i.slot} ${i.version}`)).toEqual(['0 2.0.0']);
    });
  },
);
