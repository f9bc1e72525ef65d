/**
 * The in-tab board bundles for a browser with no Node polyfills: the worker entry (the whole
 * device: flash, MCUboot, SMP server, firmware host) and the page handle. A failure names the
 * import chain (test/package/bundle-check.ts).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkBrowserBundle, formatImpure } from '../../package/bundle-check.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('the virtual board is browser-pure', () => {
  it.each(['src/device/web/board-worker.ts', 'src/device/web/virtual-board.ts'])(
    '%s imports nothing from Node',
    async (entry) => {
      const report = await checkBrowserBundle(entry, ROOT);
      console.info(
        `${entry} (esbuild minified ESM): ${(report.minified / 1024).toFixed(1)} KiB, gzip ${(report.gzip / 1024).toFixed(1)} KiB`,
      );
      expect(report.impure.map(formatImpure)).toEqual([]);
    },
    60_000,
  );
});
