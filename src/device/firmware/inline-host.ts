/**
 * Runs the firmware bootstrap (worker-bootstrap.ts) on the host's own event loop instead of in a
 * worker thread: a board then costs a V8 context (the app's globals) rather than a thread with its
 * own heap and event loop, so a thousand boards fit in one process. What this gives up, and why
 * the worker stays the default: a firmware that loops without sleeping stalls every board of the
 * process (a worker is terminated on reset, and a runaway loop there stalls only its board), and
 * the app's memory is not capped by resourceLimits. The blinky firmware always sleeps.
 *
 * The platform's part (what `require` gives the bootstrap, how a later turn is reached, where
 * unhandled rejections are heard) is an InlineHostEnv: Node's is ./node-threads.ts's, a browser
 * worker's is ../web/firmware-host.ts's. This module itself is pure.
 */
import { Listeners } from '../../util/listeners.ts';
import type { FirmwareThreadHandle } from './thread.ts';

export type { FirmwareThreadHandle } from './thread.ts';

/** Looks up the halt of the live inline app a promise belongs to (by its realm). */
export type AppOfPromise = (promise: Promise<unknown>) => ((error: unknown) => void) | undefined;

/** What the inline host needs of its platform. */
export interface InlineHostEnv {
  /** What the bootstrap's `require(id)` gives for every id but node:worker_threads. */
  require(id: string): unknown;
  /** Runs `run` on a later turn of the event loop; returns what cancels it. */
  later(run: () => void): () => void;
  /**
   * Makes sure (once per platform) that a rejection nobody handled reaches the halt `appOf` finds
   * for it; any other stays the host's.
   */
  watchRejections(appOf: AppOfPromise): void;
  /** Names the bootstrap sees in place of the host's globals (e.g. memory stand-ins). */
  readonly globals?: Readonly<Record<string, unknown>>;
}

/** Realm Promise prototypes of live inline apps → their halt, for unhandled rejections. */
const apps = new Map<object, (error: unknown) => void>();

const appOf: AppOfPromise = (promise) => apps.get(Object.getPrototypeOf(promise) as object);

export function startInlineFirmware(
  bootstrap: string,
  workerData: Record<string, unknown>,
  env: InlineHostEnv,
): FirmwareThreadHandle {
  const messages = new Listeners<unknown>();
  const toApp = new Listeners<unknown>();
  let stopApp: (() => void) | undefined;
  let realm: object | undefined;
  let live = true;
  const parentPort = {
    postMessage(message: unknown) {
      if (live) messages.emit(message);
    },
    on(event: string, listener: (message: unknown) => void) {
      if (event === 'message') toApp.add(listener);
    },
  };
  const data = {
    ...workerData,
    registerStop(stop: () => void) {
      stopApp = stop;
    },
    registerContext(promisePrototype: object, halt: (error: unknown) => void) {
      realm = promisePrototype;
      apps.set(realm, halt);
    },
  };
  const shimRequire = (id: string): unknown =>
    id === 'node:worker_threads' ? { parentPort, workerData: data } : env.require(id);
  // The bootstrap's own process.on(...) handlers are the worker's; inline, the hook routes.
  const shimProcess = { on: () => undefined };
  env.watchRejections(appOf);
  const globals = Object.entries(env.globals ?? {});
  // Start on a later turn, as a worker does, so the runner has its listeners attached first.
  const cancelStart = env.later(() => {
    const run = new Function('require', 'process', ...globals.map(([name]) => name), bootstrap) as (
      ...args: unknown[]
    ) => void;
    run(shimRequire, shimProcess, ...globals.map(([, value]) => value));
  });
  return {
    on(_event: 'message' | 'error', listener: (value: never) => void) {
      // Inline there is no thread to die: only 'message' ever fires.
      if (_event === 'message') messages.add(listener as (message: unknown) => void);
    },
    postMessage(message: unknown) {
      // Delivered on a later turn, as a worker's message event is.
      env.later(() => {
        if (live) toApp.emit(message);
      });
    },
    async terminate() {
      live = false;
      toApp.clear();
      cancelStart();
      stopApp?.();
      if (realm) apps.delete(realm);
      messages.clear();
      return 0;
    },
  };
}
