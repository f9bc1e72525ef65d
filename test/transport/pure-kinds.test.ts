import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every module `entry` reaches through static imports (relative ones followed), with what it imports. */
function importsReached(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [resolve(root, entry)];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    // Static imports and re-exports only: a lazy import() is how a pure module may defer to Node,
    // and `import type` is erased before anything runs.
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map(
      (m) => m[1]!,
    );
    seen.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
    }
  }
  return seen;
}

describe('the pure parts of the transport kinds and device endpoints', () => {
  it.each([
    'src/transport/kinds/registry.ts',
    'src/transport/host-port.ts',
    'src/client/upload-sizing.ts',
    'src/device/transport/uart.ts',
    'src/device/transport/udp.ts',
  ])('%s reaches no Node module and no package', (entry) => {
    const outside: string[] = [];
    for (const [file, specifiers] of importsReached(entry)) {
      for (const specifier of specifiers) {
        if (!specifier.startsWith('.')) outside.push(`${file.slice(root.length + 1)} imports ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('follows static imports only: the UDP socket imports node:dgram, the lazy openers are not followed', () => {
    const reached = importsReached('src/transport/kinds/node.ts');
    expect([...reached.values()].flat()).not.toContain('node:dgram');
    expect(
      importsReached('src/device/transport/udp-socket.ts').get(
        resolve(root, 'src/device/transport/udp-socket.ts'),
      ),
    ).toContain('node:dgram');
  });
});
