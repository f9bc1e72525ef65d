/**
 * The dashboard's files (dist/dashboard, built by `npm run build`), served the way the page
 * needs them: right MIME types, no path outside the folder, cross-origin isolation (the in-tab
 * virtual board may use SharedArrayBuffer), index.html never cached (it names the hashed assets
 * of the current build). Without a build, `/` says how to make one. Node only.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
  '.pem': 'application/x-pem-file',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

export function mimeTypeOf(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Headers on every answer: cross-origin isolated, never sniffed, never framed by another site. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** The zdfu package's folder (works from src/ under tsx and from the bundled dist/). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'zdfu') return dir;
      } catch {
        // not ours; keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the zdfu package folder above ${from}`);
    dir = parent;
  }
}

/** Where the dashboard build lives by default. */
export function defaultDashboardRoot(): string {
  return join(packageRoot(), 'dist', 'dashboard');
}

/** How to get a dashboard build, in the words the page and the CLI both print. */
export function missingDashboardAdvice(root: string): string {
  return (
    `The dashboard is not built: ${join(root, 'index.html')} does not exist. ` +
    'Build it with `npm run build` in the zdfu folder, then reload this page. ' +
    'The WebSocket bridge works without it.'
  );
}

export class StaticFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get built(): boolean {
    return existsSync(join(this.root, 'index.html'));
  }

  /** Answers one GET or HEAD for a file of the dashboard. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return plain(
        response,
        405,
        `${request.method} is not allowed here; zdfu serve only serves files (GET).`,
        {
          Allow: 'GET, HEAD',
        },
      );
    }
    const path = this.resolvePath(request.url ?? '/');
    if (path === undefined)
      return plain(response, 400, 'Bad path: it leaves the dashboard folder or is not valid.');
    if (path === this.indexPath() && !this.built)
      return plain(response, 503, missingDashboardAdvice(this.root));
    let file: string;
    let size: number;
    try {
      // A symbolic link inside the folder must not lead out of it either.
      file = await realpath(path);
      const rootReal = await realpath(this.root);
      if (file !== rootReal && !file.startsWith(rootReal + sep)) throw new Error('outside');
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      return plain(response, 404, `Not found: ${safeUrl(request.url)}`);
    }
    const isIndex = path === this.indexPath();
    response.writeHead(200, {
      ...ISOLATION_HEADERS,
      'Content-Type': mimeTypeOf(file),
      'Content-Length': String(size),
      // index.html names the current build's hashed files; Vite's assets/ are named by content.
      'Cache-Control': isIndex
        ? 'no-store'
        : path.includes(`${sep}assets${sep}`)
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    await new Promise<void>((done) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        response.destroy();
        done();
      });
      // A page that goes away mid-file: stop reading it.
      response.on('close', () => {
        stream.destroy();
        done();
      });
      stream.pipe(response);
    });
  }

  private indexPath(): string {
    return join(this.root, 'index.html');
  }

  /**
   * The file a URL path names inside the root, or undefined when it is malformed or would leave
   * the root (`..`, encoded `%2e%2e`, backslashes, NUL).
   */
  resolvePath(url: string): string | undefined {
    const pathname = url.split(/[?#]/, 1)[0] ?? '/';
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return undefined;
    if (decoded.split('/').some((part) => part === '..')) return undefined;
    const relative = decoded === '/' || decoded.endsWith('/') ? `${decoded}index.html` : decoded;
    const full = resolve(this.root, `.${relative}`);
    if (full !== this.root && !full.startsWith(this.root + sep)) return undefined;
    return full;
  }
}

function safeUrl(url: string | undefined): string {
  return (url ?? '/').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** A short answer in words (errors, the missing-build page). */
export function plain(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = `<!doctype html><meta charset="utf-8"><title>zdfu serve</title><p>${escapeHtml(text)}</p>\n`;
  response.writeHead(status, {
    ...ISOLATION_HEADERS,
    ...headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'",
  });
  response.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
