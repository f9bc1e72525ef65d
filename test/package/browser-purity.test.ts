/**
 * The browser entry (src/browser.ts) bundles for the browser with no Node polyfills: no Node
 * built-in and no Node-only package anywhere under it. A failure names the import chain. The
 * bundle size is printed for the record (issue #10's closing note).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBrowserBundle, formatImpure } from './bundle-check.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** About ten times the size in December 2026 (63 KiB): catches a dependency pulled in by mistake. */
const GZIP_BUDGET = 640 * 1024;

const scratch = mkdtempSync(join(tmpdir(), 'zdfu-purity-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the browser bundle is pure', () => {
  it('src/browser.ts imports nothing from Node', async () => {
    const report = await checkBrowserBundle('src/browser.ts', ROOT);
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.info(
      `browser bundle (src/browser.ts, esbuild minified ESM): ${kib(report.minified)}, gzip ${kib(report.gzip)}, ${report.modules} modules`,
    );
    expect(report.impure.map(formatImpure)).toEqual([]);
    expect(report.modules).toBeGreaterThan(50);
    expect(report.gzip).toBeLessThan(GZIP_BUDGET);
  }, 60_000);

  it('the check fails on an impure entry and names the chain', async () => {
    // A tiny module graph: entry → middle → node:fs and serialport, plus a lazy node-pty.
    writeFileSync(join(scratch, 'entry.ts'), "export { size } from './middle.ts';\n");
    writeFileSync(
      join(scratch, 'middle.ts'),
      [
        "import { statSync } from 'node:fs';",
        "import { SerialPort } from 'serialport';",
        "import { join } from 'path';",
        'export const size = (p: string) => statSync(join(p)).size + String(SerialPort).length;',
        "export const pty = () => import('node-pty');",
      ].join('\n'),
    );
    writeFileSync(join(scratch, 'clean.ts'), 'export const answer = 42;\n');
    const report = await checkBrowserBundle('entry.ts', scratch);
    expect(report.impure.map(formatImpure).sort()).toEqual([
      'node-pty (a Node-only package, dynamic-import) via entry.ts → middle.ts → node-pty',
      'node:fs (a Node built-in module, import-statement) via entry.ts → middle.ts → node:fs',
      'path (a Node built-in module, import-statement) via entry.ts → middle.ts → path',
      'serialport (a Node-only package, import-statement) via entry.ts → middle.ts → serialport',
    ]);
    expect((await checkBrowserBundle('clean.ts', scratch)).impure).toEqual([]);
  });
});
