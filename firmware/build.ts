/**
 * Builds a firmware app the way `west build` does for a real board, minus the compiler: esbuild
 * bundles the app and its Zephyr API into one script, and Kconfig-style symbols are fixed at
 * build time through `define` (so Binary One and Binary Two differ only in that symbol).
 */
import * as esbuild from 'esbuild';
import { APP_GLOBAL, APP_MARKER, toZephyrBin } from '../src/device/firmware/app-image.ts';

export type KconfigValue = boolean | number | string;

export interface FirmwareVariant {
  /** Output folder name under build/firmware/. */
  readonly name: string;
  readonly title: string;
  /** Image version the signed binary carries. */
  readonly version: string;
  /** App entry, relative to the repository root. */
  readonly entry: string;
  readonly kconfig: Readonly<Record<string, KconfigValue>>;
}

const BLINKY_ENTRY = 'firmware/blinky/src/main.ts';

export const BLINKY_ONE: FirmwareVariant = {
  name: 'blinky-one',
  title: 'Binary One',
  version: '1.0.0',
  entry: BLINKY_ENTRY,
  kconfig: { CONFIG_BLINKY_FAST: false },
};

export const BLINKY_TWO: FirmwareVariant = {
  name: 'blinky-two',
  title: 'Binary Two',
  version: '2.0.0',
  entry: BLINKY_ENTRY,
  kconfig: { CONFIG_BLINKY_FAST: true },
};

export const BLINKY_VARIANTS: readonly FirmwareVariant[] = [BLINKY_ONE, BLINKY_TWO];

/** Bundles `variant.entry` (resolved from `root`) into the app script the virtual device runs. */
export async function bundleFirmwareApp(root: string, variant: FirmwareVariant): Promise<string> {
  const define = Object.fromEntries(
    Object.entries(variant.kconfig).map(([symbol, value]) => [symbol, JSON.stringify(value)]),
  );
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [variant.entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: APP_GLOBAL,
    platform: 'neutral',
    target: 'es2022',
    define,
    // Small images upload faster over the 115200-baud console.
    minify: true,
    legalComments: 'none',
    banner: { js: APP_MARKER },
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${variant.entry}`);
  return output.text;
}

/** zephyr.bin for `variant`: ROM_START_OFFSET zero bytes, then the bundled app. */
export async function buildZephyrBin(root: string, variant: FirmwareVariant): Promise<Uint8Array> {
  return toZephyrBin(await bundleFirmwareApp(root, variant));
}
