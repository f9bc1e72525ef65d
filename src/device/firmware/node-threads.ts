/**
 * Node's firmware thread starters: a worker thread per board (worker_threads, `eval: true`, so the
 * same bootstrap text works from TypeScript under Vitest and from the esbuild bundle in dist/), or
 * inline on the process's event loop (./inline-host.ts). Node's modules are loaded when a board
 * first starts its app (./node-builtin.ts), so importing this module costs a browser nothing.
 */
import { type AppOfPromise, type InlineHostEnv, startInlineFirmware } from './inline-host.ts';
import { nodeBuiltin } from './node-builtin.ts';
import type { FirmwareThreadStarter } from './thread.ts';

let rejectionHook = false;

/**
 * One process-wide hook: a rejection nobody handled inside an app's realm halts that app (as the
 * worker's own unhandledRejection handler does); any other is the host's, and is thrown on.
 */
function watchRejections(appOf: AppOfPromise): void {
  if (rejectionHook) return;
  rejectionHook = true;
  process.on('unhandledRejection', (reason, promise) => {
    const halt = appOf(promise);
    if (!halt) throw reason;
    halt(reason);
  });
}

let nodeRequire: ((id: string) => unknown) | undefined;

const NODE_INLINE_ENV: InlineHostEnv = {
  require(id) {
    nodeRequire ??= nodeBuiltin('node:module').createRequire(import.meta.url);
    return nodeRequire(id);
  },
  later(run) {
    const immediate = setImmediate(run);
    return () => clearImmediate(immediate);
  },
  watchRejections,
};

/** Inline on the host's event loop: a V8 context per board, no thread (see inline-host.ts). */
export const NODE_INLINE: FirmwareThreadStarter = {
  kind: 'inline',
  start: (bootstrap, workerData) => startInlineFirmware(bootstrap, workerData, NODE_INLINE_ENV),
};

/** A worker thread per board: a reset terminates it, a runaway loop stalls only its board. */
export const NODE_WORKER: FirmwareThreadStarter = {
  kind: 'worker',
  start(bootstrap, workerData) {
    const { Worker } = nodeBuiltin('node:worker_threads');
    return new Worker(bootstrap, {
      eval: true,
      workerData,
      // Keeps a runaway app from taking the host's memory with it.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
  },
};
