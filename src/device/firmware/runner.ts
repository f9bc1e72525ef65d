/**
 * Runs the app from the booted slot, as the SoC would after MCUboot jumps to it: in a worker
 * thread (a reset is `terminate()`, a runaway loop cannot stall the device), with the Zephyr-like
 * host of firmware/zephyr/host.ts. The parent side watches what the firmware does (GPIO levels,
 * stats memory, console) without deciding any of it.
 */
import {
  type SettingsCall,
  type ShellCommandSpec,
  type ShellRunResult,
  ZEPHYR_HOST_GLOBAL,
} from '../../../firmware/zephyr/host.ts';
import { formatLogLine } from '../../../firmware/zephyr/logging/format.ts';
import type { SettingsValueSpec } from '../../../firmware/zephyr/settings/layout.ts';
import { Listeners } from '../../util/listeners.ts';
import { APP_GLOBAL } from './app-image.ts';
import type { FirmwareDevicetree } from './devicetree.ts';
import { NODE_INLINE, NODE_WORKER } from './node-threads.ts';
import type { FirmwareThreadHandle, FirmwareThreadKind, FirmwareThreadStarter } from './thread.ts';
import { WORKER_BOOTSTRAP } from './worker-bootstrap.ts';

export { extractAppCode, FirmwareImageError } from './app-image.ts';
export type { FirmwareThreadHandle, FirmwareThreadKind, FirmwareThreadStarter } from './thread.ts';

const GPIO_ACTIVE_LOW = 1;
const LED_ALIAS = /^led\d+$/;
/** LED history kept for rate measurements; older changes are dropped. */
const LED_HISTORY_MS = 60_000;
/** Zephyr's K_ERR_CPU_EXCEPTION: the nearest kernel reason for an exception thrown by the app. */
const K_ERR_CPU_EXCEPTION = 0;

export interface FirmwareRunOptions {
  /** Console UART output (boot banner, printk, logs, fatal-error report). */
  onConsole(text: string): void;
  /** Clock in milliseconds for LED timestamps and uptime; defaults to performance.now(). */
  now?: () => number;
  /** The board's devicetree aliases (devicetreeOf(board)). */
  devicetree: FirmwareDevicetree;
  /** Kernel banner printed before main() runs. */
  bootBanner?: string;
  /**
   * What k_sys_fatal_error_handler does after the fatal-error report: 'halt' (upstream Zephyr,
   * kernel/fatal.c) or 'reset' (CONFIG_RESET_ON_FATAL_ERROR). The runner only prints the matching
   * last line; the board acts on it in `onFatal`. Default 'halt'.
   */
  fatalPolicy?: FatalPolicy;
  /** Called once when the firmware hits a fatal error, after its report went to the console. */
  onFatal?: () => void;
  /** Default 'worker'. */
  thread?: FirmwareThread;
  /** The device's settings subsystem, for the app's handlers and calls; absent: calls answer -ENOTSUP. */
  settings?: FirmwareSettingsHost;
}

/** What the app's settings calls reach on the host (src/device/settings). */
export interface FirmwareSettingsHost {
  /** The app registered a handler whose values live in `memory`. */
  register(subtree: string, specs: readonly SettingsValueSpec[], memory: SharedArrayBuffer): void;
  /** settings_subsys_init / settings_load; 0 or a negative errno. */
  call(call: SettingsCall): number;
}

/** -ENOTSUP: a settings call on a device built without the settings subsystem. */
const ENOTSUP = -134;
const EIO = -5;

export type FatalPolicy = 'halt' | 'reset';

/**
 * Where the app runs: 'worker' (default) a worker thread per board, so a reset terminates it and a
 * runaway loop stalls only its board; 'inline' on the host's event loop, for many boards in one
 * process (a context per board, no thread; see inline-host.ts for what that gives up). Both are
 * Node's (./node-threads.ts); another platform gives its own starter (a browser:
 * ../web/firmware-host.ts).
 */
export type FirmwareThread = FirmwareThreadKind | FirmwareThreadStarter;

export interface LedEvent {
  /** Devicetree alias of the LED, e.g. 'led0'. */
  readonly name: string;
  readonly on: boolean;
  /** When the parent saw the change, on the `now` clock. */
  readonly atMs: number;
  /** When the firmware made the change, in its own uptime. */
  readonly uptimeMs: number;
}

/** running: main() is executing; idle: main() returned; halted: fatal error; stopped: reset/off. */
export type FirmwareStatus = 'running' | 'idle' | 'halted' | 'stopped';

export interface RunningFirmware {
  /** Where the app runs: its own worker thread, or inline on the host's event loop. */
  readonly thread: FirmwareThreadKind;
  /** Whether the LED is lit now (logical level: GPIO_ACTIVE_LOW wiring taken into account). */
  led(name?: string): boolean;
  /** Calls `listener` on every LED level change; returns the unsubscribe function. */
  onLed(listener: (event: LedEvent) => void): () => void;
  /** Blink rate seen over the last `windowMs`: a full on/off cycle is one period. 0 if under one toggle pair. */
  ledRateHz(windowMs: number, name?: string): number;
  /** Live values of every stats group the firmware registered, by group then field. */
  stats(): Map<string, Record<string, number>>;
  uptimeMs(): number;
  status(): FirmwareStatus;
  /**
   * Resolves once main() first blocks (sleeps), returns or the app halts: from then on the
   * kernel's other threads, such as the SMP work queue, get the CPU.
   */
  ready(): Promise<void>;
  /** The root shell commands the app registered (SHELL_CMD_REGISTER), in registration order. */
  shellCommands(): readonly ShellCommandSpec[];
  /**
   * Runs the app's shell command at `path` with `argv` on the firmware's thread. Rejects with a
   * FirmwareShellError when the app does not answer within `timeoutMs`, halts, or is stopped.
   */
  runShell(path: readonly string[], argv: readonly string[], timeoutMs: number): Promise<ShellRunResult>;
  /** Reset / power-off: ends the worker. Safe to call more than once. */
  stop(): Promise<void>;
}

/** An app's shell command that did not run to its end. */
export class FirmwareShellError extends Error {
  override readonly name = 'FirmwareShellError';
  constructor(
    message: string,
    readonly reason: 'timeout' | 'stopped' | 'unregistered' | 'busy',
  ) {
    super(message);
  }
}

/** Shell commands waiting for the firmware at once (the SMP work queue sends one at a time). */
const MAX_SHELL_PENDING = 4;

type WorkerMessage =
  | { type: 'console'; text: string }
  | { type: 'gpio'; port: string; pin: number; level: 0 | 1; kind: 'configure' | 'write'; uptimeUs: number }
  | { type: 'stats'; group: string; sizeBytes: 2 | 4 | 8; fields: string[]; buffer: SharedArrayBuffer }
  | { type: 'settings'; subtree: string; specs: SettingsValueSpec[]; buffer: SharedArrayBuffer }
  | { type: 'settings-call'; call: SettingsCall; control: SharedArrayBuffer }
  | { type: 'shell-register'; spec: ShellCommandSpec }
  | { type: 'shell-result'; id: number; output?: string; ret?: number; error?: string }
  | { type: 'fatal'; uptimeUs: number; error: string }
  | { type: 'returned'; value: number }
  | { type: 'yield' };

interface StatsGroup {
  readonly fields: readonly string[];
  readonly counters: Uint16Array | Uint32Array | BigUint64Array;
}

interface LedChange extends LedEvent {
  /** False for the first level a pin gets (configure), which is not a toggle. */
  readonly toggle: boolean;
}

/** Atomic so a counter the firmware is updating is never read torn. */
function readCounter(counters: StatsGroup['counters'], index: number): number {
  return counters instanceof BigUint64Array
    ? Number(Atomics.load(counters, index))
    : Atomics.load(counters, index);
}

/**
 * z_fatal_error's report (kernel/fatal.c), then the policy line: upstream's handler logs "Halting
 * system" from the `os` module; the nRF Connect SDK's lib/fatal_error logs "Resetting system" from
 * its own `fatal_error` module.
 */
function fatalReport(uptimeUs: number, error: string, policy: FatalPolicy): string {
  const line = (message: string, module = 'os') => formatLogLine(uptimeUs, 'err', module, message);
  return (
    line(`Unhandled exception: ${error}`) +
    line(`>>> ZEPHYR FATAL ERROR ${K_ERR_CPU_EXCEPTION}: CPU exception on CPU 0`) +
    line('Current thread: main') +
    (policy === 'reset' ? line('Resetting system', 'fatal_error') : line('Halting system'))
  );
}

export function startFirmware(appCode: string, options: FirmwareRunOptions): RunningFirmware {
  const now = options.now ?? (() => performance.now());
  const devicetree = options.devicetree;
  const startedAt = now();
  const ledByPin = new Map<string, { name: string; activeLow: boolean }>();
  for (const [name, gpio] of Object.entries(devicetree.aliases)) {
    if (LED_ALIAS.test(name)) {
      ledByPin.set(`${gpio.port}/${gpio.pin}`, { name, activeLow: (gpio.flags & GPIO_ACTIVE_LOW) !== 0 });
    }
  }
  const ledOn = new Map<string, boolean>();
  const ledChanges: LedChange[] = [];
  const ledListeners = new Listeners<LedEvent>();
  const statsGroups = new Map<string, StatsGroup>();
  const shellSpecs = new Map<string, ShellCommandSpec>();
  const shellPending = new Map<
    number,
    {
      resolve: (result: ShellRunResult) => void;
      reject: (error: Error) => void;
      timer: ReturnType<typeof setTimeout>;
    }
  >();
  let shellNextId = 1;
  const failShell = (why: string) => {
    for (const [id, pending] of shellPending) {
      clearTimeout(pending.timer);
      shellPending.delete(id);
      pending.reject(new FirmwareShellError(why, 'stopped'));
    }
  };
  let status: FirmwareStatus = 'running';
  let stopping: Promise<void> | undefined;
  const policy = options.fatalPolicy ?? 'halt';
  const fatal = (uptimeUs: number, error: string) => {
    markReady();
    if (status === 'stopped' || status === 'halted') return;
    status = 'halted';
    failShell('the app halted on a fatal error while running the command');
    options.onConsole(fatalReport(uptimeUs, error, policy));
    options.onFatal?.();
  };

  const workerData = {
    appCode,
    aliases: devicetree.aliases,
    hostGlobal: ZEPHYR_HOST_GLOBAL,
    appGlobal: APP_GLOBAL,
    banner: `${options.bootBanner ?? '*** Booting Zephyr OS (zdfu virtual device) ***'}\n`,
  };
  const starter =
    typeof options.thread === 'object'
      ? options.thread
      : options.thread === 'inline'
        ? NODE_INLINE
        : NODE_WORKER;
  const worker: FirmwareThreadHandle = starter.start(WORKER_BOOTSTRAP, workerData);

  const onGpio = (message: Extract<WorkerMessage, { type: 'gpio' }>) => {
    const led = ledByPin.get(`${message.port}/${message.pin}`);
    if (led === undefined) return;
    const on = (message.level === 1) !== led.activeLow;
    const previous = ledOn.get(led.name);
    if (previous === on) return;
    ledOn.set(led.name, on);
    const atMs = now();
    const change: LedChange = {
      name: led.name,
      on,
      atMs,
      uptimeMs: message.uptimeUs / 1000,
      toggle: previous !== undefined,
    };
    ledChanges.push(change);
    while (ledChanges.length > 0 && ledChanges[0]!.atMs < atMs - LED_HISTORY_MS) ledChanges.shift();
    const event: LedEvent = { name: change.name, on, atMs, uptimeMs: change.uptimeMs };
    ledListeners.emit(event);
  };

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  worker.on('message', (value: unknown) => {
    const message = value as WorkerMessage;
    switch (message.type) {
      case 'yield':
        markReady();
        break;
      case 'console':
        options.onConsole(message.text);
        break;
      case 'gpio':
        onGpio(message);
        break;
      case 'stats': {
        const { buffer, sizeBytes } = message;
        const counters =
          sizeBytes === 2
            ? new Uint16Array(buffer)
            : sizeBytes === 4
              ? new Uint32Array(buffer)
              : new BigUint64Array(buffer);
        statsGroups.set(message.group, { fields: message.fields, counters });
        break;
      }
      case 'settings':
        try {
          options.settings?.register(message.subtree, message.specs, message.buffer);
        } catch (error) {
          fatal((now() - startedAt) * 1000, `settings_register: ${(error as Error).message}`);
        }
        break;
      case 'settings-call': {
        let rc = ENOTSUP;
        try {
          if (options.settings) rc = options.settings.call(message.call);
        } catch (error) {
          // The host's bug, not the app's: the app gets -EIO and the console says what broke.
          rc = EIO;
          options.onConsole(`settings ${message.call} failed on the host: ${(error as Error).message}\n`);
        }
        const words = new Int32Array(message.control);
        Atomics.store(words, 1, rc);
        Atomics.store(words, 0, 1);
        Atomics.notify(words, 0);
        break;
      }
      case 'shell-register':
        shellSpecs.set(message.spec.syntax, message.spec);
        break;
      case 'shell-result': {
        const pending = shellPending.get(message.id);
        if (!pending) break;
        shellPending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.error !== undefined) {
          pending.reject(new FirmwareShellError(message.error, 'unregistered'));
        } else {
          pending.resolve({ output: message.output ?? '', ret: message.ret ?? 0 });
        }
        break;
      }
      case 'fatal':
        fatal(message.uptimeUs, message.error);
        break;
      case 'returned':
        if (status === 'running') status = 'idle';
        break;
    }
  });
  worker.on('error', (error: Error) => {
    // The worker itself died (e.g. out of memory): a fatal error for the device; the host carries on.
    fatal((now() - startedAt) * 1000, `${error.name}: ${error.message}`);
  });

  return {
    thread: starter.kind,
    led(name = 'led0') {
      if (![...ledByPin.values()].some((led) => led.name === name)) {
        throw new Error(`the board's devicetree has no LED alias '${name}'`);
      }
      return ledOn.get(name) ?? false;
    },
    onLed(listener) {
      return ledListeners.add(listener);
    },
    ledRateHz(windowMs, name = 'led0') {
      const from = now() - windowMs;
      const toggles = ledChanges.filter(
        (change) => change.name === name && change.toggle && change.atMs >= from,
      );
      if (toggles.length < 2) return 0;
      // The firmware's own timestamps: message delivery jitter does not skew the span.
      const spanMs = toggles[toggles.length - 1]!.uptimeMs - toggles[0]!.uptimeMs;
      if (spanMs <= 0) return 0;
      // n toggles span n-1 half periods.
      return (toggles.length - 1) / 2 / (spanMs / 1000);
    },
    stats() {
      const result = new Map<string, Record<string, number>>();
      for (const [group, { fields, counters }] of statsGroups) {
        const values: Record<string, number> = {};
        fields.forEach((field, index) => {
          values[field] = readCounter(counters, index);
        });
        result.set(group, values);
      }
      return result;
    },
    uptimeMs() {
      return now() - startedAt;
    },
    status() {
      return status;
    },
    ready() {
      return ready;
    },
    shellCommands() {
      return [...shellSpecs.values()];
    },
    runShell(path, argv, timeoutMs) {
      if (status === 'stopped' || status === 'halted') {
        return Promise.reject(new FirmwareShellError(`the app is ${status}`, 'stopped'));
      }
      if (shellPending.size >= MAX_SHELL_PENDING) {
        return Promise.reject(
          new FirmwareShellError(`${shellPending.size} shell commands already wait for the app`, 'busy'),
        );
      }
      const id = shellNextId++;
      return new Promise<ShellRunResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          shellPending.delete(id);
          reject(
            new FirmwareShellError(
              `the app's "${path.join(' ')}" did not return within ${timeoutMs} ms`,
              'timeout',
            ),
          );
        }, timeoutMs);
        shellPending.set(id, { resolve, reject, timer });
        worker.postMessage({ type: 'shell-exec', id, path: [...path], argv: [...argv] });
      });
    },
    stop() {
      markReady();
      failShell('the device was reset while the command ran');
      if (stopping === undefined) {
        status = 'stopped';
        ledListeners.clear();
        stopping = worker.terminate().then(() => undefined);
      }
      return stopping;
    },
  };
}
