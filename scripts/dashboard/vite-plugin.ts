/**
 * Vite plugin that puts the virtual board's assets (./assets.ts) beside the dashboard: the dev
 * server answers `board-assets/…` from memory, and the production build emits the same files.
 */
import type { Plugin } from 'vite';
import { ASSETS_DIR, type AssetFiles, collectDashboardAssets } from './assets.ts';

function contentType(name: string): string {
  if (name.endsWith('.json')) return 'application/json';
  if (name.endsWith('.yaml') || name.endsWith('.pem')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export function dashboardAssets(): Plugin {
  let files: Promise<AssetFiles> | undefined;
  const load = () => {
    files ??= collectDashboardAssets();
    return files;
  };
  return {
    name: 'zdfu-dashboard-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const at = path.indexOf(`/${ASSETS_DIR}/`);
        if (at < 0) return next();
        const name = decodeURIComponent(path.slice(at + ASSETS_DIR.length + 2));
        load().then(
          (all) => {
            const body = all.get(name);
            if (body === undefined) return next();
            res.setHeader('Content-Type', contentType(name));
            res.setHeader('Cache-Control', 'no-store');
            res.end(body);
          },
          (error: unknown) => next(error),
        );
      });
    },
    async generateBundle() {
      for (const [name, source] of await load()) {
        this.emitFile({ type: 'asset', fileName: `${ASSETS_DIR}/${name}`, source });
      }
    },
  };
}
