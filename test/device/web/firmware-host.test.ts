/**
 * The browser firmware host (src/device/web/firmware-host.ts) under Node: the same bootstrap as
 * Node's hosts, with the vm stand-in, and without shared memory (a page that is not cross-origin
 * isolated has no SharedArrayBuffer).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BLINKY_ONE } from '../../../firmware/build.ts';
import { stm32f4_disco } from '../../../src/device/boards/stm32f4_disco.ts';
import { APP_MARKER } from '../../../src/device/firmware/app-image.ts';
import { devicetreeOf } from '../../../src/device/firmware/devicetree.ts';
import {
  type FirmwareSettingsHost,
  type LedEvent,
  type RunningFirmware,
  startFirmware,
} from '../../../src/device/firmware/runner.ts';
import { browserFirmwareHost } from '../../../src/device/web/firmware-host.ts';
import { bundle, fixture, waitFor } from '../../firmware/helpers.ts';

const running: RunningFirmware[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((firmware) => firmware.stop()));
});

function start(code: string, settings?: FirmwareSettingsHost) {
  let output = '';
  const leds: LedEvent[] = [];
  const firmware = startFirmware(code, {
    onConsole: (text) => {
      output += text;
    },
    devicetree: devicetreeOf(stm32f4_disco),
    thread: browserFirmwareHost({ sharedMemory: false }),
    ...(settings ? { settings } : {}),
  });
  firmware.onLed((event) => leds.push(event));
  running.push(firmware);
  return { firmware, leds, console: () => output };
}

describe('browser firmware host (inline, no shared memory)', () => {
  it('runs blinky: LED0 toggles, its stats count, its settings calls reach the host', async () => {
    const registered: Array<{ subtree: string; shared: boolean }> = [];
    const calls: string[] = [];
    const app = start(await bundle(BLINKY_ONE), {
      register(subtree, _specs, memory) {
        registered.push({ subtree, shared: memory instanceof SharedArrayBuffer });
      },
      call(call) {
        calls.push(call);
        return 0;
      },
    });
    expect(app.firmware.thread).toBe('inline');
    const count = () => app.firmware.stats().get('smp_server_stats')?.counter_stat ?? -1;
    await waitFor(() => app.leds.length >= 3 && count() >= 2, 3000);
    expect(app.console()).toContain('blinky: LED0 at 1 Hz');
    // Plain memory: the counters and the settings values are ArrayBuffers the host reads inline.
    expect(registered).toEqual([{ subtree: 'blinky', shared: false }]);
    expect(calls).toEqual(['init', 'load']);
    expect(app.firmware.status()).toBe('running');
  });

  it('gives the app only the Zephyr host: the worker’s globals are shadowed', async () => {
    const probe = `${APP_MARKER} var __zephyr_app = { main() {
      const h = globalThis.__zephyr_host;
      h.consoleWrite([typeof setTimeout, typeof fetch, typeof postMessage, typeof self, typeof indexedDB].join(',') + '\\n');
      h.consoleWrite(Object.keys(globalThis).join(',') + '\\n');
      return 0;
    } };`;
    const app = start(probe);
    await waitFor(() => app.firmware.status() === 'idle');
    expect(app.console()).toContain('undefined,undefined,undefined,undefined,undefined\n');
    expect(app.console()).toContain('__zephyr_host,__zephyr_app\n');
  });

  it('reports an exception in main() as a Zephyr fatal error and halts', async () => {
    const app = start(await bundle(fixture('crash-at-start')));
    await waitFor(() => app.firmware.status() === 'halted');
    expect(app.console()).toMatch(
      /<err> os: Unhandled exception: RangeError: sensor table index 7 out of range\n/,
    );
    expect(app.console()).toMatch(/<err> os: Halting system\n$/);
  });

  it('stop() ends the app: its sleeps never wake, the LED stays as it was', async () => {
    const app = start(await bundle(BLINKY_ONE));
    await waitFor(() => app.leds.length >= 2, 3000);
    await app.firmware.stop();
    const seen = app.leds.length;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(app.leds.length).toBe(seen);
    expect(app.firmware.status()).toBe('stopped');
  });
});
