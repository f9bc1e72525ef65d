/**
 * Bundles a page-side script (./page-scripts/*.ts) into one self-contained IIFE for
 * `addInitScript`, so the scripts are typed and linted like the rest of the suite instead of being
 * JavaScript strings. Cached per process.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const cache = new Map<string, Promise<string>>();

export function pageScript(name: string): Promise<string> {
  let script = cache.get(name);
  if (!script) {
    script = build({
      entryPoints: [join(fileURLToPath(new URL('.', import.meta.url)), 'page-scripts', `${name}.ts`)],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
    }).then((result) => result.outputFiles[0]!.text);
    cache.set(name, script);
  }
  return script;
}
