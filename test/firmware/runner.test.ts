import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BLINKY_ONE, BLINKY_TWO } from '../../firmware/build.ts';
import { stm32f4_disco } from '../../src/device/boards/stm32f4_disco.ts';
import { APP_MARKER } from '../../src/device/firmware/app-image.ts';
import { devicetreeOf, type FirmwareDevicetree } from '../../src/device/firmware/devicetree.ts';
import {
  type FirmwareThread,
  type LedEvent,
  type RunningFirmware,
  startFirmware,
} from '../../src/device/firmware/runner.ts';
import { bundle, fixture, sleep, waitFor } from './helpers.ts';

const running: RunningFirmware[] = [];
/** Every test runs with the app in a worker thread and inline on the host's event loop. */
let thread: FirmwareThread = 'worker';

function start(code: string, devicetree?: FirmwareDevicetree) {
  let output = '';
  const leds: LedEvent[] = [];
  const firmware = startFirmware(code, {
    onConsole: (text) => {
      output += text;
    },
    devicetree: devicetree ?? devicetreeOf(stm32f4_disco),
    thread,
  });
  firmware.onLed((event) => leds.push(event));
  running.push(firmware);
  return { firmware, leds, console: () => output };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((firmware) => firmware.stop()));
});

describe.each([
  { where: 'worker' as const, title: 'app in a worker thread' },
  { where: 'inline' as const, title: 'app inline on the host event loop' },
])('$title', ({ where }) => {
  beforeEach(() => {
    thread = where;
  });

  describe('firmware runner with the blinky binaries', () => {
    it('blinks LED0 at the rate the binary chose and counts in smp_server_stats', async () => {
      const [oneCode, twoCode] = await Promise.all([bundle(BLINKY_ONE), bundle(BLINKY_TWO)]);
      const one = start(oneCode);
      const two = start(twoCode);
      // main() registers the stats group before its loop counts for the first time, so a read
      // right after registration may still see 0 (CI caught that): wait for the first count.
      const count = (app: typeof one) => app.firmware.stats().get('smp_server_stats')?.counter_stat ?? -1;
      await waitFor(() => count(one) >= 1 && count(two) >= 1);
      const firstOne = count(one);
      const firstTwo = count(two);

      await sleep(1100);
      // The first event is configure (GPIO_OUTPUT_ACTIVE lights it); every later one is a toggle.
      expect(one.leds[0]?.on).toBe(true);
      const oneToggles = one.leds.length - 1;
      const twoToggles = two.leds.length - 1;
      expect(oneToggles).toBeGreaterThanOrEqual(1);
      expect(oneToggles).toBeLessThanOrEqual(4);
      expect(twoToggles).toBeGreaterThanOrEqual(15);
      expect(one.firmware.ledRateHz(1100)).toBeGreaterThan(0.5);
      expect(one.firmware.ledRateHz(1100)).toBeLessThan(2);
      expect(two.firmware.ledRateHz(1000)).toBeGreaterThan(5);
      expect(two.firmware.ledRateHz(1000)).toBeLessThan(15);

      const lastOne = one.firmware.stats().get('smp_server_stats')?.counter_stat ?? -1;
      const lastTwo = two.firmware.stats().get('smp_server_stats')?.counter_stat ?? -1;
      expect(lastOne).toBeGreaterThan(firstOne);
      expect(lastTwo).toBeGreaterThan(firstTwo + 10);
      expect([...two.firmware.stats().keys()]).toEqual(['smp_server_stats']);

      expect(one.console()).toContain('*** Booting Zephyr OS');
      expect(one.console()).toMatch(/\[\d\d:\d\d:\d\d\.\d{3},\d{3}\] <inf> app: blinky: LED0 at 1 Hz\n/);
      expect(two.console()).toMatch(/<inf> app: blinky: LED0 at 10 Hz\n/);
      expect(two.console()).toContain('blinky: toggling gpiod pin 12 every 50 ms\n');
      expect(one.firmware.led()).toBe(one.leds.at(-1)?.on);
      expect(one.firmware.status()).toBe('running');
      expect(one.firmware.uptimeMs()).toBeGreaterThan(1000);
    });

    it('stop() ends the firmware: no more toggles, stats frozen', async () => {
      const two = start(await bundle(BLINKY_TWO));
      await waitFor(() => two.leds.length >= 3);
      await two.firmware.stop();
      expect(two.firmware.status()).toBe('stopped');
      const seen = two.leds.length;
      const counter = two.firmware.stats().get('smp_server_stats')?.counter_stat;
      await sleep(120);
      expect(two.leds.length).toBe(seen);
      expect(two.firmware.stats().get('smp_server_stats')?.counter_stat).toBe(counter);
      await two.firmware.stop(); // a second reset is harmless
    });

    it('honours an active-low LED in the devicetree', async () => {
      const activeLow: FirmwareDevicetree = { aliases: { led0: { port: 'gpioa', pin: 5, flags: 1 } } };
      const two = start(await bundle(BLINKY_TWO), activeLow);
      await waitFor(() => two.leds.length >= 2);
      // GPIO_OUTPUT_ACTIVE means "lit", whatever the wiring.
      expect(two.leds[0]?.on).toBe(true);
      expect(two.leds[1]?.on).toBe(false);
      expect(() => two.firmware.led('led7')).toThrow(/no LED alias 'led7'/);
    });
  });

  describe('firmware runner with failing apps', () => {
    it('reports an exception in main() as a Zephyr fatal error and halts', async () => {
      const app = start(await bundle(fixture('crash-at-start')));
      await waitFor(() => app.firmware.status() === 'halted');
      expect(app.console()).toContain('about to fail\n');
      expect(app.console()).toMatch(
        /<err> os: Unhandled exception: RangeError: sensor table index 7 out of range\n/,
      );
      expect(app.console()).toMatch(/<err> os: >>> ZEPHYR FATAL ERROR 0: CPU exception on CPU 0\n/);
      expect(app.console()).toMatch(/<err> os: Halting system\n$/);
    });

    it('reports a failure on a detached async path after main() returned', async () => {
      const app = start(await bundle(fixture('crash-after-sleep')));
      await waitFor(() => app.console().includes('ZEPHYR FATAL ERROR'));
      expect(app.console()).toContain('Error: late failure');
      expect(app.firmware.status()).toBe('halted');
    });

    it('halts on code that does not parse, or has no main()', async () => {
      const broken = start(`${APP_MARKER} var __zephyr_app = {;`);
      const noMain = start(`${APP_MARKER} var __zephyr_app = {};`);
      await waitFor(() => broken.firmware.status() === 'halted' && noMain.firmware.status() === 'halted');
      expect(broken.console()).toMatch(/Unhandled exception: SyntaxError/);
      expect(noMain.console()).toContain('the image has no main() to run');
    });

    it('halts when the board has no led0 alias', async () => {
      const app = start(await bundle(BLINKY_ONE), { aliases: {} });
      await waitFor(() => app.firmware.status() === 'halted');
      expect(app.console()).toContain("devicetree has no alias 'led0'");
    });

    it('keeps the app away from Node and from eval', async () => {
      const probe = `${APP_MARKER} var __zephyr_app = { main() {
      const h = globalThis.__zephyr_host;
      h.consoleWrite([typeof process, typeof require, typeof setTimeout].join(',') + '\\n');
      return new Function('return 1')();
    } };`;
      const app = start(probe);
      await waitFor(() => app.firmware.status() === 'halted');
      expect(app.console()).toContain('undefined,undefined,undefined\n');
      expect(app.console()).toMatch(/EvalError/);
    });
  });
});

describe('where the app runs', () => {
  /** Busy the host thread for `ms`, then report the LED toggles the firmware made meanwhile (by its own clock). */
  async function togglesWhileHostBusy(where: FirmwareThread, ms: number): Promise<number> {
    thread = where;
    const two = start(await bundle(BLINKY_TWO));
    expect(two.firmware.thread).toBe(where);
    await waitFor(() => two.leds.length >= 3);
    const from = two.firmware.uptimeMs();
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // the host is busy: a worker keeps running, an inline app cannot
    }
    const to = two.firmware.uptimeMs();
    await sleep(120);
    // uptimeMs here is the runner's clock; the firmware's own event stamps share its origin.
    return two.leds.filter((e) => e.uptimeMs > from + 20 && e.uptimeMs < to - 20).length;
  }

  it('in a worker, the app keeps blinking while the host thread is busy; inline, it shares the host thread', async () => {
    expect(await togglesWhileHostBusy('worker', 400)).toBeGreaterThan(3);
    expect(await togglesWhileHostBusy('inline', 400)).toBe(0);
  });
});
