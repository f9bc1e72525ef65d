/**
 * The Node entry (src/index.ts) loads native and slow packages only when they are used: serialport
 * when a serial port opens, noble and bleno with a BLE link or peripheral, node-pty (optional) with
 * a sim's PTY. Read from esbuild's metafile of the entry's module graph; and node-pty's absence
 * reads as an install step.
 */
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { importNativePty, PtyUnavailableError } from '../../src/device/io/pty.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAZY = ['serialport', 'node-pty', '@stoprocent/noble', '@stoprocent/bleno'];

describe('the Node entry', () => {
  it('imports serialport, noble, bleno and node-pty only dynamically', async () => {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: ['src/index.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      packages: 'external',
    });
    const inputs = result.metafile.inputs;
    // The modules loaded when the entry is imported: reached by static imports alone.
    const loaded = new Map<string, string>([['src/index.ts', 'src/index.ts']]);
    const queue = ['src/index.ts'];
    const eager: string[] = [];
    const lazy = new Set<string>();
    while (queue.length > 0) {
      const at = queue.shift() as string;
      for (const next of inputs[at]?.imports ?? []) {
        if (next.kind === 'dynamic-import') {
          if (LAZY.includes(next.path)) lazy.add(next.path);
          continue;
        }
        if (next.external) {
          if (LAZY.includes(next.path)) eager.push(`${loaded.get(at)} → ${next.path}`);
          continue;
        }
        if (loaded.has(next.path)) continue;
        loaded.set(next.path, `${loaded.get(at)} → ${next.path}`);
        queue.push(next.path);
      }
    }
    expect(eager).toEqual([]);
    // And they are still used, behind dynamic imports (a module reached only dynamically may
    // import them statically: it loads when that link opens).
    const all = new Set(
      Object.values(inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path)),
    );
    for (const name of LAZY) expect(all.has(name) || lazy.has(name), name).toBe(true);
    expect(loaded.size).toBeGreaterThan(100);
  });

  it('a missing node-pty says which optional package to install, and how', async () => {
    const missing = Object.assign(
      new Error("Cannot find package 'node-pty' imported from /x/pty.ts\nRequire stack: …"),
      {
        code: 'ERR_MODULE_NOT_FOUND',
      },
    );
    const failure = await importNativePty(() => Promise.reject(missing)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PtyUnavailableError);
    expect((failure as Error).message).toBe(
      "the virtual board's serial port is a pseudo-terminal from the optional package node-pty, which could not be loaded (Cannot find package 'node-pty' imported from /x/pty.ts): install it with `npm install node-pty@1.1.0` (it builds a native module: python3, make and a C++ compiler)",
    );
    await expect(importNativePty(() => Promise.resolve({ default: {} }))).rejects.toThrow(
      'the installed node-pty has no native open() (another version?)',
    );
    // The real one loads here (it is installed in this checkout).
    const native = await importNativePty();
    expect(typeof native.open).toBe('function');
  });
});
