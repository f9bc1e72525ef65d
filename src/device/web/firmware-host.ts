/**
 * The firmware host of a board in a browser worker: the same bootstrap as Node's
 * (../firmware/worker-bootstrap.ts, which models the SoC and kernel) runs inline on the board
 * worker's event loop, with stand-ins for the three Node modules it asks for:
 * - node:worker_threads: the inline host's message port (../firmware/inline-host.ts);
 * - node:perf_hooks: the worker's own `performance`;
 * - node:vm: browsers have no vm, so the app's code is evaluated in a function whose parameters
 *   shadow the worker's globals (`globalThis` and `self` are the app's own object holding only the
 *   Zephyr host; postMessage, fetch, timers, storage … are undefined).
 *
 * What this gives up against Node's worker thread: isolation is by scope, not by realm. The app
 * shares the worker's built-ins (a change to Object.prototype would reach the device model),
 * `eval` cannot be shadowed, and `Function('return this')()` reaches the worker's global (Node's
 * vm context refuses code generation from strings). A runaway loop stalls the board's worker (never
 * the page), and a reset cannot terminate it. This runs only the project's own firmware images,
 * which are bundles of its firmware/ sources, so these matter for fidelity, not for safety: the
 * worker itself has nothing but the board.
 *
 * Without cross-origin isolation (COOP/COEP) a page has no SharedArrayBuffer: inline, the app and
 * the host share one thread, so plain ArrayBuffers carry the stats counters and settings values,
 * and settings calls (answered synchronously inline) need no Atomics.waitAsync.
 */
import { APP_GLOBAL } from '../firmware/app-image.ts';
import type { AppOfPromise, InlineHostEnv } from '../firmware/inline-host.ts';
import { startInlineFirmware } from '../firmware/inline-host.ts';
import type { FirmwareThreadStarter } from '../firmware/thread.ts';

/**
 * Worker globals the app's code must not reach (each shadowed by an undefined parameter). `eval`
 * and `arguments` cannot be parameter names in strict code, so they are not in the list.
 */
const SHADOWED_GLOBALS = [
  'self',
  'window',
  'postMessage',
  'close',
  'importScripts',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'EventSource',
  'indexedDB',
  'caches',
  'navigator',
  'location',
  'Worker',
  'SharedWorker',
  'BroadcastChannel',
  'MessageChannel',
  'addEventListener',
  'removeEventListener',
  'dispatchEvent',
  'onmessage',
  'setTimeout',
  'setInterval',
  'clearTimeout',
  'clearInterval',
  'queueMicrotask',
  'requestAnimationFrame',
] as const;

/** The vm functions the bootstrap uses, evaluated by scope instead of in a new realm. */
function vmStandIn(exportNames: readonly string[]) {
  const collect = exportNames.map((name) => `${name}: typeof ${name} === 'undefined' ? undefined : ${name}`);
  return {
    createContext<T extends object>(sandbox: T): T {
      return sandbox;
    },
    /** An expression with `globalThis` as the app's (the bootstrap asks for Promise.prototype). */
    runInContext(code: string, context: object): unknown {
      return new Function('globalThis', `return (${code});`)(context);
    },
    Script: class {
      constructor(
        private readonly code: string,
        private readonly options: { filename?: string } = {},
      ) {}
      /** Runs the app's script; its top-level `var`s named in exportNames land on the context. */
      runInContext(context: Record<string, unknown>): void {
        const body = `${this.code}\n;return { ${collect.join(', ')} };\n//# sourceURL=${this.options.filename ?? 'app.js'}`;
        const run = new Function('globalThis', ...SHADOWED_GLOBALS, body) as (...args: unknown[]) => unknown;
        const exported = run(context, ...SHADOWED_GLOBALS.map(() => undefined)) as Record<string, unknown>;
        for (const [name, value] of Object.entries(exported)) if (value !== undefined) context[name] = value;
      }
    },
  };
}

/** How long a stand-in waitAsync polls before it gives up (the bootstrap's own timeout is 10 s). */
const WAIT_POLL_LIMIT_MS = 15_000;

/**
 * Atomics whose waitAsync also takes memory that is not shared (same-thread only): it answers
 * 'not-equal' at once when the value already changed, which is always the case inline (the host
 * answers a settings call before the call returns), else polls every millisecond.
 */
const atomicsStandIn: typeof Atomics = Object.create(Atomics, {
  waitAsync: {
    value(array: Int32Array, index: number, value: number) {
      if (Atomics.load(array, index) !== value) return { async: false, value: 'not-equal' };
      const until = performance.now() + WAIT_POLL_LIMIT_MS;
      return {
        async: true,
        value: new Promise<string>((resolve) => {
          const poll = () => {
            if (Atomics.load(array, index) !== value) resolve('ok');
            else if (performance.now() > until) resolve('timed-out');
            else setTimeout(poll, 1);
          };
          setTimeout(poll, 1);
        }),
      };
    },
  },
});

let rejectionHook = false;

/**
 * One hook per worker: a rejection nobody handled that belongs to a live app halts it (inline, all
 * of the worker shares one realm, so while an app runs any such rejection is taken as the app's).
 */
function watchRejections(appOf: AppOfPromise): void {
  // Node (tests of this host) has no global event target: its own hook reports them instead.
  if (rejectionHook || typeof globalThis.addEventListener !== 'function') return;
  rejectionHook = true;
  globalThis.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
    const halt = appOf(event.promise);
    if (!halt) return;
    event.preventDefault();
    halt(event.reason);
  });
}

function browserEnv(sharedMemory: boolean): InlineHostEnv {
  const shared = sharedMemory && typeof SharedArrayBuffer === 'function';
  return {
    require(id) {
      if (id === 'node:perf_hooks') return { performance };
      if (id === 'node:vm') return vmStandIn([APP_GLOBAL]);
      throw new Error(`the firmware bootstrap asked for ${id}, which a browser does not have`);
    },
    later(run) {
      const timer = setTimeout(run, 0);
      return () => clearTimeout(timer);
    },
    watchRejections,
    ...(shared ? {} : { globals: { SharedArrayBuffer: ArrayBuffer, Atomics: atomicsStandIn } }),
  };
}

export interface BrowserFirmwareHostOptions {
  /**
   * Use SharedArrayBuffer where the page has it (cross-origin isolated); false: plain memory
   * always, as on a page without isolation (tests of that path under Node). Default true.
   */
  readonly sharedMemory?: boolean;
}

/** A starter that runs the app inline in the current (worker) realm, as described above. */
export function browserFirmwareHost(options: BrowserFirmwareHostOptions = {}): FirmwareThreadStarter {
  const sharedMemory = options.sharedMemory ?? true;
  return {
    kind: 'inline',
    start: (bootstrap, workerData) => startInlineFirmware(bootstrap, workerData, browserEnv(sharedMemory)),
  };
}

/** The browser host with shared memory where the page has it. */
export const BROWSER_INLINE: FirmwareThreadStarter = browserFirmwareHost();
