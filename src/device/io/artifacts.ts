/** Finds files that ship with zdfu (built firmware, keys) from the source tree or from dist/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The zdfu package root: the nearest folder above this module with zdfu's package.json. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'zdfu') {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the zdfu package root above this module');
    dir = parent;
  }
}

export type BlinkyName = 'blinky-one' | 'blinky-two';

/** Path of a signed blinky image as `npm run build` leaves it. */
export function blinkyImagePath(name: BlinkyName): string {
  return join(packageRoot(), 'build', 'firmware', name, 'zephyr.signed.bin');
}

/** Reads a signed blinky image, with a clear message when the firmware has not been built. */
export function readBlinkyImage(name: BlinkyName): Uint8Array {
  const path = blinkyImagePath(name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build the firmware first (npm run build)`);
  }
  return new Uint8Array(readFileSync(path));
}
