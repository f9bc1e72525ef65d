/**
 * Bundles an entry for the browser in memory (esbuild, platform 'browser', no Node polyfills) and
 * lists every import a browser cannot satisfy: Node's built-in modules (with or without `node:`)
 * and packages that only work on Node. Each finding carries the import chain from the entry, read
 * from esbuild's metafile, so the message says which module pulled it in. Also measures the
 * minified bundle and its gzip size.
 */
import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/** Packages that load native code or Node APIs: never in a browser bundle. */
export const NODE_ONLY_PACKAGES = [
  'serialport',
  '@serialport/',
  'node-pty',
  '@stoprocent/noble',
  '@stoprocent/bleno',
  '@stoprocent/bluetooth-hci-socket',
  'usb',
  'ws',
  'commander',
  'cli-progress',
  'esbuild',
  'tsx',
  'vite',
  'playwright-core',
];

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

function nodeOnly(path: string): string | undefined {
  if (path.startsWith('node:') || builtins.has(path) || builtins.has(path.split('/')[0] ?? '')) {
    return 'a Node built-in module';
  }
  const hit = NODE_ONLY_PACKAGES.find((name) =>
    name.endsWith('/') ? path.startsWith(name) : path === name || path.startsWith(`${name}/`),
  );
  return hit === undefined ? undefined : 'a Node-only package';
}

export interface ImpureImport {
  /** What was imported ("node:fs", "serialport"). */
  readonly path: string;
  readonly why: string;
  /** Import kind: import-statement, dynamic-import, require-call … */
  readonly kind: string;
  /** Modules from the entry to the one that imports it, relative to `root`. */
  readonly chain: readonly string[];
}

export interface BrowserBundleReport {
  readonly impure: readonly ImpureImport[];
  /** Minified ESM bundle, bytes. */
  readonly minified: number;
  readonly gzip: number;
  /** Modules in the bundle. */
  readonly modules: number;
}

/** How a finding reads in a failure message. */
export function formatImpure(finding: ImpureImport): string {
  return `${finding.path} (${finding.why}, ${finding.kind}) via ${[...finding.chain, finding.path].join(' → ')}`;
}

export async function checkBrowserBundle(entry: string, root: string): Promise<BrowserBundleReport> {
  const found: { path: string; why: string; kind: string; importer: string }[] = [];
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'node-only-imports',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            const why = nodeOnly(args.path);
            if (why === undefined) return undefined;
            found.push({ path: args.path, why, kind: args.kind, importer: args.importer });
            // Kept out of the bundle so the walk finds every one, not just the first.
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const inputs = result.metafile.inputs;
  const entryKey = Object.keys(inputs).find((key) => relative(root, key) === relative(root, entry)) ?? entry;
  const parents = shortestParents(inputs, entryKey);
  const impure = found.map((finding) => {
    const importer = relative(root, finding.importer);
    const chain: string[] = [];
    for (let at: string | undefined = importer; at !== undefined; at = parents.get(at)) chain.unshift(at);
    return { path: finding.path, why: finding.why, kind: finding.kind, chain };
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array(0);
  return {
    impure,
    minified: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    modules: Object.keys(inputs).length,
  };
}

/** Breadth-first from the entry over the metafile's imports: each module's nearest importer. */
function shortestParents(inputs: esbuild.Metafile['inputs'], entry: string): Map<string, string | undefined> {
  const parents = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    for (const next of inputs[at]?.imports ?? []) {
      if (next.external || parents.has(next.path)) continue;
      parents.set(next.path, at);
      queue.push(next.path);
    }
  }
  return parents;
}
