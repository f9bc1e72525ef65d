/**
 * Vite configuration of the browser dashboard (src/dashboard): `npm run dashboard` serves it with
 * live reload; scripts/dashboard/build.mjs builds it into dist/dashboard. `base: './'` keeps every
 * URL relative, so the static build works from any folder of any web server (and from zdfu serve).
 */
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { dashboardAssets } from './scripts/dashboard/vite-plugin.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./src/dashboard'),
  base: './',
  publicDir: false,
  plugins: [preact(), dashboardAssets()],
  worker: { format: 'es' },
  build: {
    outDir: here('./dist/dashboard'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
    // The worker bundle (the whole virtual board) is one slow transform; no timing report needed.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: { fs: { allow: [here('.')] } },
});
