import { describe, expect, it } from 'vitest';
import { BLINKY_TWO, buildZephyrBin } from '../../firmware/build.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { ROM_START_OFFSET } from '../../src/device/firmware/app-image.ts';
import { devicetreeOf } from '../../src/device/firmware/devicetree.ts';
import { extractAppCode, startFirmware } from '../../src/device/firmware/runner.ts';
import { parseImage } from '../../src/image/format.ts';
import { signImage } from '../../src/image/sign.ts';
import { ROOT, waitFor } from './helpers.ts';

describe('blinky through an MCUboot image', () => {
  it('runs the app taken back out of a signed image in a slot', async () => {
    const bin = await buildZephyrBin(ROOT, BLINKY_TWO);
    const image = await signImage(bin, { headerSize: ROM_START_OFFSET, slotSize: 0x60000, version: '2.0.0' });
    const slot = new Uint8Array(0x8000).fill(0xff);
    slot.set(image);
    const { header } = parseImage(slot);
    const code = extractAppCode(slot, header.hdrSize, header.imgSize);

    let output = '';
    const firmware = startFirmware(code, {
      onConsole: (text) => {
        output += text;
      },
      devicetree: devicetreeOf(stm32f4_disco),
    });
    try {
      await waitFor(() => output.includes('LED0 at'));
      expect(output).toContain('blinky: LED0 at 10 Hz');
    } finally {
      await firmware.stop();
    }
  });
});
