import { describe, expect, it } from 'vitest';
import { BLINKY_ONE, BLINKY_TWO, buildZephyrBin } from '../../firmware/build.ts';
import { APP_MARKER, ROM_START_OFFSET, toZephyrBin } from '../../src/device/firmware/app-image.ts';
import { bundle, ROOT } from './helpers.ts';

describe('blinky build', () => {
  it('builds both binaries from one source, differing only by the compile-time symbol', async () => {
    expect(BLINKY_ONE.entry).toBe(BLINKY_TWO.entry);
    expect(BLINKY_ONE.kconfig).toEqual({ CONFIG_BLINKY_FAST: false });
    expect(BLINKY_TWO.kconfig).toEqual({ CONFIG_BLINKY_FAST: true });
    const [one, two] = await Promise.all([bundle(BLINKY_ONE), bundle(BLINKY_TWO)]);
    expect(one.startsWith(APP_MARKER)).toBe(true);
    expect(two.startsWith(APP_MARKER)).toBe(true);
    expect(one).not.toBe(two);
    // The symbol is folded away at build time, as a Kconfig bool is by the C preprocessor.
    expect(one).not.toContain('CONFIG_BLINKY_FAST');
  });

  it('lays zephyr.bin out as ROM_START_OFFSET zero bytes followed by the app', async () => {
    const bin = await buildZephyrBin(ROOT, BLINKY_ONE);
    expect(bin.subarray(0, ROM_START_OFFSET).every((byte) => byte === 0)).toBe(true);
    const code = new TextDecoder().decode(bin.subarray(ROM_START_OFFSET));
    expect(code).toBe(await bundle(BLINKY_ONE));
  });

  it('refuses to package code that is not an app bundle', () => {
    expect(() => toZephyrBin('console.log(1)')).toThrow(/must start with/);
  });
});
