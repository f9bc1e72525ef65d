/**
 * Boards run as their data says: the ESP32 blinks the LED of its own devicetree, the user's
 * stm32f4_disco boots from 0x40000 under Zephyr v3.5.0's banner, a board whose MCUboot strategy
 * is not modelled yet is refused in words.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBoard } from '../../../src/device/boards/index.ts';
import { VirtualDevice } from '../../../src/device/device.ts';
import { startSim } from '../../../src/device/io/sim-host.ts';
import { type BootedDevice, bootDevice, devKeys, ensureBlinkyFirmware } from '../server/fixtures.ts';

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

  it('a board whose MCUboot strategy is not modelled yet is refused in words (until the MCUboot merge)', async () => {
    const keys = await devKeys();
    expect(() => new VirtualDevice({ board: getBoard('nrf52840dk'), bootloaderKeys: keys })).toThrow(
      "nrf52840dk: MCUboot's swap-using-move strategy is not modelled yet",
    );
    expect(() => new VirtualDevice({ board: getBoard('nrf5340dk'), bootloaderKeys: keys })).toThrow(
      'nrf5340dk: MCUboot with 2 images is not modelled yet',
    );
    await expect(startSim({ board: 'nrf52840dk', udp: false, baud: 0 })).rejects.toThrow(/not modelled yet/);
  });

  it('--ble is refused for a board without a radio, naming the boards that have one (from the data)', async () => {
    await expect(
      startSim({ board: 'stm32f4_disco', udp: false, ble: { hci: { kind: 'socket', deviceId: 0 } } }),
    ).rejects.toThrow(
      /stm32f4_disco has no Bluetooth radio.*--board esp32_devkitc_wroom, --board nrf52840dk_ext_flash\)/,
    );
  });
});
