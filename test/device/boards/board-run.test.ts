/**
 * Boards run as their data says: the ESP32 blinks the LED of its own devicetree, the user's
 * stm32f4_disco boots from 0x40000 under Zephyr v3.5.0's banner, the nRF52840 DK runs the user's
 * story with swap using move and ECDSA-P256 images, the nRF5340 DK boots its two images.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blinkyImageFor } from '../../../src/device/io/board-images.ts';
import { startSim } from '../../../src/device/io/sim-host.ts';
import { type BootedDevice, bootDevice, ensureBlinkyFirmware } from '../server/fixtures.ts';

beforeAll(async () => {
  await ensureBlinkyFirmware();
}, 120_000);

const open: BootedDevice[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((booted) => booted.close()));
});

async function boot(board: string): Promise<BootedDevice> {
  const booted = await bootDevice({ board });
  open.push(booted);
  await booted.appStarted();
  return booted;
}

describe('boards run from their data', () => {
  it("the ESP32 blinks its own LED (GPIO2 from the blinky app's overlay), not the STM32's PD12", async () => {
    const { device, consoleLines } = await boot('esp32_devkitc_wroom');
    expect(consoleLines).toContain('blinky: toggling gpio0 pin 2 every 500 ms');
    const firmware = device.firmware!;
    const toggles: boolean[] = [];
    firmware.onLed((event) => {
      if (event.name === 'led0') toggles.push(event.on);
    });
    const deadline = Date.now() + 5000;
    while (toggles.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(toggles.length).toBeGreaterThanOrEqual(2);
  });

  it("the user's stm32f4_disco prints Zephyr v3.5.0's banner and chainloads from 0x40000", async () => {
    const { firstBoot, consoleLines } = await boot('stm32f4_disco');
    expect(firstBoot.imageAddress).toBe(0x08040000);
    expect(consoleLines[0]).toBe('*** Booting Zephyr OS build zephyr-v3.5.0 ***');
    expect(consoleLines).toContain('I: Bootloader chainload address offset: 0x40000');
    expect(consoleLines).toContain('blinky: toggling gpiod pin 12 every 500 ms');
    // MCUboot's banner, then the app's: both Zephyr v3.5.0.
    expect(consoleLines.filter((l) => l === '*** Booting Zephyr OS build zephyr-v3.5.0 ***')).toHaveLength(2);
  });

  it("the ESP32's MCUboot speaks as Espressif's port does", async () => {
    const { consoleLines } = await boot('esp32_devkitc_wroom');
    const mcuboot = consoleLines.slice(
      0,
      consoleLines.indexOf('*** Booting Zephyr OS build zephyr-v3.5.0 ***'),
    );
    expect(mcuboot[0]).toBe('[esp32] [INF] *** Booting MCUboot build v2.0.0 ***');
    expect(mcuboot).toContain('[esp32] [INF] Image index: 0, Swap type: none');
    expect(mcuboot).toContain('[esp32] [INF] br_image_off = 0x10000');
    expect(mcuboot.every((line) => line.startsWith('[esp32] ['))).toBe(true);
  });

  it("the nRF52840 DK runs the user's story with swap using move and ECDSA-P256 images", async () => {
    const booted = await boot('nrf52840dk');
    const { device, client, consoleLines } = booted;
    expect(consoleLines).toContain('blinky: toggling gpio0 pin 13 every 500 ms');
    const two = await blinkyImageFor(device.board, 'blinky-two');
    await client.imageUpload(two);
    const listed = await client.imageList();
    const candidate = listed.images.find((i) => i.slot === 1);
    expect(candidate?.version).toBe('2.0.0');
    await client.imageTest(candidate!.hash);
    consoleLines.length = 0;
    await booted.reset();
    expect(consoleLines).toContain('I: Starting swap using move algorithm.');
    expect(device.lastBoot?.version).toMatchObject({ major: 2 });
    // Not confirmed: the next reset moves Binary One back.
    await booted.reset();
    expect(device.lastBoot?.version).toMatchObject({ major: 1 });
  });

  it('the nRF5340 DK boots its application image with two images configured', async () => {
    const { firstBoot } = await boot('nrf5340dk');
    expect(firstBoot.booted).toBe(true);
    expect(firstBoot.images.map((image) => image.image)).toContain(0);
  });

  it('--ble is refused for a board without a radio, naming the boards that have one (from the data)', async () => {
    await expect(
      startSim({ board: 'stm32f4_disco', udp: false, ble: { hci: { kind: 'socket', deviceId: 0 } } }),
    ).rejects.toThrow(
      /stm32f4_disco has no Bluetooth radio.*\(--board esp32_devkitc_wroom, --board nrf52840dk, --board nrf52840dk_ext_flash, --board nrf5340dk\)/,
    );
  });
});
