// Bundles the CLI, the demo and the benchmarks into dist/, then builds and signs the blinky
// firmware (Binary One and Binary Two) into build/firmware/ and the browser dashboard into
// dist/dashboard (scripts/dashboard/build.mjs). Runs on `npm install` (prepare).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildDashboard } from './dashboard/build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = {
  zdfu: 'src/cli/main.ts',
  demo: 'src/demo/main.ts',
  bench: 'bench/main.ts',
  'build-firmware': 'scripts/build-firmware.ts',
};

await esbuild.build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Dynamic imports become chunks, so a command loads only the modules (and packages) it uses.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

execFileSync(process.execPath, ['dist/build-firmware.mjs'], { cwd: root, stdio: 'inherit' });

// After the firmware: the dashboard ships it (signed for each board) beside the page.
await buildDashboard(root);
