/**
 * The package's `exports` map as consumers meet it: Node resolves `zdfu` to the Node bundle
 * (dist/lib/), a browser bundler to the browser bundle (dist/browser/), `zdfu/browser` to the
 * browser bundle everywhere. Uses the bundles `npm install` builds (scripts/build.mjs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(() => {
  for (const bundle of ['dist/lib/index.mjs', 'dist/browser/index.js']) {
    if (!existsSync(join(ROOT, bundle))) {
      throw new Error(`${bundle} is missing: build the library first (npm run build)`);
    }
  }
});

describe('package exports', () => {
  it('Node imports the Node entry: the core, the Node links and the sim, not the web links', () => {
    const script = [
      "const z = await import('zdfu');",
      "const b = await import('zdfu/browser');",
      'console.log(JSON.stringify({',
      "  resolved: import.meta.resolve('zdfu'),",
      "  browser: import.meta.resolve('zdfu/browser'),",
      "  manifest: import.meta.resolve('zdfu/package.json'),",
      '  node: [typeof z.DeviceClient, typeof z.parseImage, typeof z.openSerialTransport, typeof z.startSim],',
      '  web: typeof z.requestWebSerialTransport,',
      '  browserWeb: [typeof b.requestWebSerialTransport, typeof b.requestWebBluetoothTransport],',
      '}));',
    ].join('\n');
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }),
    );
    expect(out).toEqual({
      resolved: `file://${join(ROOT, 'dist/lib/index.mjs')}`,
      browser: `file://${join(ROOT, 'dist/browser/index.js')}`,
      manifest: `file://${join(ROOT, 'package.json')}`,
      node: ['function', 'function', 'function', 'function'],
      web: 'undefined',
      browserWeb: ['function', 'function'],
    });
  }, 30_000);

  it('a browser bundler resolves `zdfu` to the browser bundle', async () => {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      stdin: {
        contents: "export { DeviceClient, requestWebSerialTransport } from 'zdfu';",
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs).sort()).toEqual(['<stdin>', 'dist/browser/index.js']);
  });

  it('every file the map names is built or is built by `npm run build`', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    const targets = new Set<string>();
    const walk = (value: unknown) => {
      if (typeof value === 'string') targets.add(value);
      else if (value && typeof value === 'object') for (const inner of Object.values(value)) walk(inner);
    };
    walk(manifest.exports);
    expect([...targets].sort()).toEqual([
      './dist/browser/index.js',
      './dist/lib/index.mjs',
      './dist/types/src/browser.d.ts',
      './dist/types/src/index.d.ts',
      './package.json',
    ]);
    // The declarations come from tsconfig.build.json's entries.
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(build.include.sort()).toEqual(['src/browser.ts', 'src/index.ts']);
    expect([build.compilerOptions.rootDir, build.compilerOptions.outDir]).toEqual(['.', 'dist/types']);
  });
});
