// Builds the browser dashboard (src/dashboard, vite.config.ts) into dist/dashboard, with the
// virtual board's assets beside it (scripts/dashboard/assets.ts). Called from scripts/build.mjs
// after the firmware is built (the assets include it); `node scripts/dashboard/build.mjs` runs it
// alone.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function buildDashboard(root) {
  const started = performance.now();
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`dashboard: dist/dashboard (${seconds} s)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildDashboard(fileURLToPath(new URL('../..', import.meta.url)));
}
