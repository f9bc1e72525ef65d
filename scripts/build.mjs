// Bundles the CLI, the demo and the benchmarks into dist/, the library (the package's entries)
// into dist/lib/ (Node) and dist/browser/ (browsers), then builds and signs the blinky firmware
// (Binary One and Binary Two) into build/firmware/ and the browser dashboard into dist/dashboard
// (scripts/dashboard/build.mjs). Runs on `npm install` (prepare). With --types (`npm run build`)
// it also emits the type declarations into dist/types/ (tsc takes ~25 s of CPU, too slow for
// every install).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildDashboard } from './dashboard/build.mjs';
import NODE_BUNDLE from './node-bundle.json' with { type: 'json' };

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = {
  zdfu: 'src/cli/main.ts',
  demo: 'src/demo/main.ts',
  bench: 'bench/main.ts',
  'build-firmware': 'scripts/build-firmware.ts',
};

// Node bundles (node-bundle.json, shared with the browser suite's CLI bundle): packages stay
// imports, and dynamic imports become chunks, so a command loads only the modules it uses.
await esbuild.build({
  ...NODE_BUNDLE,
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist',
  sourcemap: 'linked',
  logLevel: 'warning',
});

await buildLibrary();
if (process.argv.includes('--types')) buildLibraryTypes();

execFileSync(process.execPath, ['dist/build-firmware.mjs'], { cwd: root, stdio: 'inherit' });

// After the firmware: the dashboard ships it (signed for each board) beside the page.
await buildDashboard(root);

/**
 * The package's two entries (package.json `exports`): src/index.ts for Node into dist/lib/ (its
 * packages stay imports, dynamic imports become chunks so native packages load on first use), and
 * src/browser.ts for browsers into dist/browser/, one self-contained minified ES module with no
 * Node polyfills (test/package/browser-purity.test.ts keeps Node out of it).
 */
async function buildLibrary() {
  for (const dir of ['dist/lib', 'dist/browser']) rmSync(`${root}/${dir}`, { recursive: true, force: true });
  await esbuild.build({
    ...NODE_BUNDLE,
    absWorkingDir: root,
    entryPoints: { index: 'src/index.ts' },
    outdir: 'dist/lib',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { index: 'src/browser.ts' },
    outdir: 'dist/browser',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

/** Type declarations of both entries into dist/types/ (tsconfig.build.json). */
function buildLibraryTypes() {
  rmSync(`${root}/dist/types`, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
