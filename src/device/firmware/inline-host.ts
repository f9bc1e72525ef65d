/**
 * Runs the firmware bootstrap (worker-bootstrap.ts) on the host's own event loop instead of in a
 * worker thread: a board then costs a V8 context (the app's globals) rather than a thread with its
 * own heap and event loop, so a thousand boards fit in one process. What this gives up, and why
 * the worker stays the default: a firmware that loops without sleeping stalls every board of the
 * process (a worker is terminated on reset, and a runaway loop there stalls only its board), and
 * the app's memory is not capped by resourceLimits. The blinky firmware always sleeps.
 */
import { createRequire } from 'node:module';
import { Listeners } from '../../util/listeners.ts';

/** What runner.ts uses of a Worker. */
export interface FirmwareThreadHandle {
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  /** A message to the firmware side (a shell command to run). */
  postMessage(message: unknown): void;
  terminate(): Promise<unknown>;
}

const require = createRequire(import.meta.url);

/** Realm Promise prototypes of live inline apps → their halt, for unhandled rejections. */
const apps = new Map<object, (error: unknown) => void>();
let rejectionHook = false;

function appOf(promise: Promise<unknown>): ((error: unknown) => void) | undefined {
  return apps.get(Object.getPrototypeOf(promise) as object);
}

/**
 * One process-wide hook: a rejection nobody handled inside an app's realm halts that app (as the
 * worker's own unhandledRejection handler does); any other is the host's, and is thrown on.
 */
function installRejectionHook(): void {
  if (rejectionHook) return;
  rejectionHook = true;
  process.on('unhandledRejection', (reason, promise) => {
    const halt = appOf(promise);
    if (!halt) throw reason;
    halt(reason);
  });
}

export function startInlineFirmware(
  bootstrap: string,
  workerData: Record<string, unknown>,
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
    id === 'node:worker_threads' ? { parentPort, workerData: data } : require(id);
  // The bootstrap's own process.on(...) handlers are the worker's; inline, the hook above routes.
  const shimProcess = { on: () => undefined };
  installRejectionHook();
  // Start on a later turn, as a worker does, so the runner has its listeners attached first.
  const start = setImmediate(() => {
    const run = new Function('require', 'process', bootstrap) as (
      r: typeof shimRequire,
      p: typeof shimProcess,
    ) => void;
    run(shimRequire, shimProcess);
  });
  return {
    on(_event: 'message' | 'error', listener: (value: never) => void) {
      // Inline there is no thread to die: only 'message' ever fires.
      if (_event === 'message') messages.add(listener as (message: unknown) => void);
    },
    postMessage(message: unknown) {
      // Delivered on a later turn, as a worker's message event is.
      setImmediate(() => {
        if (live) toApp.emit(message);
      });
    },
    async terminate() {
      live = false;
      toApp.clear();
      clearImmediate(start);
      stopApp?.();
      if (realm) apps.delete(realm);
      messages.clear();
      return 0;
    },
  };
}
