/** The dashboard's files as zdfu serve serves them: types, isolation headers, caching, no way out. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StaticFiles } from '../../src/serve/static-files.ts';
import { type Bench, httpGet, startBench } from './helpers.ts';

let bench: Bench | undefined;

afterEach(async () => {
  await bench?.close();
  bench = undefined;
});

/** A serve whose dashboard folder holds a small build, with a secret file beside it. */
async function withBuild(): Promise<Bench> {
  const b = await startBench({ sim: false });
  const root = join(b.dir, 'dashboard');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>zdfu</title>');
  writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'app-1234.css'), 'body{}');
  writeFileSync(join(root, 'assets', 'board.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d]));
  writeFileSync(join(root, 'icon.svg'), '<svg/>');
  writeFileSync(join(root, 'manifest.webmanifest'), '{}');
  writeFileSync(join(b.dir, 'secret.txt'), 'do not serve');
  symlinkSync(join(b.dir, 'secret.txt'), join(root, 'link.txt'));
  return b;
}

describe('dashboard files', () => {
  it('index.html: HTML, cross-origin isolated, never cached', async () => {
    bench = await withBuild();
    const answer = await httpGet(bench.serve.port, '/');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('<!doctype html><title>zdfu</title>');
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(answer.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect((await httpGet(bench.serve.port, '/index.html')).headers['cache-control']).toBe('no-store');
  });

  it('assets get their MIME types, isolation headers and long caching (their names carry a hash)', async () => {
    bench = await withBuild();
    const expected: Record<string, string> = {
      '/assets/app-1234.js': 'text/javascript; charset=utf-8',
      '/assets/app-1234.css': 'text/css; charset=utf-8',
      '/assets/board.wasm': 'application/wasm',
      '/icon.svg': 'image/svg+xml',
      '/manifest.webmanifest': 'application/manifest+json; charset=utf-8',
    };
    for (const [path, type] of Object.entries(expected)) {
      const answer = await httpGet(bench.serve.port, path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers['content-type'], path).toBe(type);
      expect(answer.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
      expect(answer.headers['x-content-type-options'], path).toBe('nosniff');
    }
    expect((await httpGet(bench.serve.port, '/assets/app-1234.js')).headers['cache-control']).toContain(
      'immutable',
    );
    expect((await httpGet(bench.serve.port, '/icon.svg')).headers['cache-control']).toBe('no-cache');
    const head = await httpGet(bench.serve.port, '/assets/app-1234.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('14');
    expect(head.body).toBe('');
  });

  it('no path leads out of the folder: dot-dot (plain, encoded, doubly encoded), backslashes, NUL, symlinks', async () => {
    bench = await withBuild();
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%5c..%5csecret.txt',
      '/index.html%00.js',
      '/%252e%252e/secret.txt',
      '/link.txt',
      '/%',
    ];
    for (const path of attempts) {
      const answer = await httpGet(bench.serve.port, path);
      expect([400, 404], path).toContain(answer.status);
      expect(answer.body, path).not.toContain('do not serve');
    }
    // The resolver alone, without the HTTP client normalizing anything.
    const files = new StaticFiles(join(bench.dir, 'dashboard'));
    expect(files.resolvePath('/../secret.txt')).toBeUndefined();
    expect(files.resolvePath('/%2e%2e/secret.txt')).toBeUndefined();
    expect(files.resolvePath('/a/b/../../../secret.txt')).toBeUndefined();
    expect(files.resolvePath('/assets/app.js')).toBe(join(bench.dir, 'dashboard', 'assets', 'app.js'));
  });

  it('only GET and HEAD; unknown files are 404 in words', async () => {
    bench = await withBuild();
    const post = await httpGet(bench.serve.port, '/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const missing = await httpGet(bench.serve.port, '/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('Not found: /nope.js');
  });

  it('without a build, / says how to make one', async () => {
    bench = await startBench({ sim: false });
    expect(bench.serve.dashboardBuilt).toBe(false);
    const answer = await httpGet(bench.serve.port, '/');
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('The dashboard is not built');
    expect(answer.body).toContain('Build it with `npm run build` in the zdfu folder, then reload this page.');
  });
});
