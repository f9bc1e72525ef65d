/**
 * Builds a test page: one TypeScript entry bundled by esbuild for the browser (platform browser,
 * no Node polyfills, so a Node import in the library fails the build here as it would for a user)
 * and a bare index.html loading it, in .cache/browser-pages/<name>/ (git-ignored).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export const PAGES_DIR = join(process.cwd(), '.cache', 'browser-pages');

/**
 * Bundles `entry` and returns the folder holding index.html and page.js; each of `workers` (name →
 * entry) becomes <name>.js beside it, for `new Worker('<name>.js', { type: 'module' })`.
 */
export async function buildTestPage(
  name: string,
  entry: string,
  title = name,
  workers: Record<string, string> = {},
): Promise<string> {
  const dir = join(PAGES_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: { page: entry, ...workers },
    outdir: dir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'silent',
    // The page imports only browser-pure modules; a Node built-in here is a bug to see, not hide.
    external: [],
  });
  if (result.errors.length > 0) {
    throw new Error(`bundling ${entry} failed:\n${result.errors.map((e) => e.text).join('\n')}`);
  }
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
      '<style>body{font:14px system-ui,sans-serif;margin:1.5rem}pre{background:#f4f4f4;padding:.5rem;' +
      'white-space:pre-wrap}button{font:inherit;margin:.2rem}</style></head>\n' +
      `<body><h1>${title}</h1><div id="controls"></div><pre id="log"></pre>` +
      '<script type="module" src="page.js"></script></body></html>\n',
  );
  return dir;
}
