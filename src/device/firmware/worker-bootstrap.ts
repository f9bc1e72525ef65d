/**
 * The virtual SoC + kernel that runs inside the firmware's worker thread, as source text: the
 * worker is started with `eval: true` so the same string works from TypeScript under Vitest and
 * from the esbuild bundle in dist/ (no separate worker file to locate). It installs the host
 * functions of firmware/zephyr/host.ts, runs the app in its own V8 context (no Node, no timers,
 * no eval: only the host), calls `main()`, and turns any exception into a halt report.
 *
 * Messages to the parent (see WorkerMessage in runner.ts): console, gpio, stats, settings,
 * settings-call, shell-register, shell-result, fatal, returned. From the parent: shell-exec (run
 * one of the app's shell commands).
 *
 * The same text also runs inline, on the host's own event loop (inline-host.ts): `require`,
 * `process` and `workerData` are then stand-ins, and workerData carries two functions a worker
 * cannot get: registerStop (a reset ends the app: sleepers never wake, timers are cleared) and
 * registerContext (the host routes the app's unhandled rejections to its halt).
 */
export const WORKER_BOOTSTRAP = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const vm = require('node:vm');
const { performance } = require('node:perf_hooks');

const bootAt = performance.now();
const uptimeUs = () => Math.floor((performance.now() - bootAt) * 1000);
const post = (message) => parentPort.postMessage(message);
const EINVAL = 22;
const EIO = 5;
/** How long a settings call may wait for the host before it fails with -EIO. */
const SETTINGS_CALL_TIMEOUT_MS = 10000;
const GPIO_INPUT = 1 << 16;
const GPIO_OUTPUT = 1 << 17;
const GPIO_OUTPUT_INIT_LOW = 1 << 18;
const GPIO_OUTPUT_INIT_HIGH = 1 << 19;

const aliases = workerData.aliases;
const ports = new Set(Object.values(aliases).map((gpio) => gpio.port));
const outputs = new Map();
let halted = false;
let yielded = false;
const timers = new Set();
// The app's root shell commands (SHELL_CMD_REGISTER): name → the app's dispatcher.
const shellCommands = new Map();

// main() runs until it first blocks, as Zephyr's main thread outranks the work queues; the host
// holds SMP requests until then.
function firstYield() {
  if (yielded) return;
  yielded = true;
  post({ type: 'yield' });
}

function describe(error) {
  if (error !== null && typeof error === 'object' && 'message' in error) {
    const name = 'name' in error ? String(error.name) : 'Error';
    return name + ': ' + String(error.message);
  }
  return 'thrown value: ' + String(error);
}

function halt(error) {
  if (halted) return;
  halted = true;
  post({ type: 'fatal', uptimeUs: uptimeUs(), error: describe(error) });
}

function setLevel(port, pin, level, kind) {
  outputs.set(port + '/' + pin, level);
  post({ type: 'gpio', port, pin, level, kind, uptimeUs: uptimeUs() });
}

const host = {
  uptimeUs,
  consoleWrite(text) {
    if (!halted) post({ type: 'console', text: String(text) });
  },
  sleepMs(ms) {
    firstYield();
    const delay = Math.max(0, Number(ms) || 0);
    // After a halt, sleepers never wake: the thread is gone, as on a halted CPU.
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!halted) resolve();
      }, delay);
      timers.add(timer);
    });
  },
  dtAliasGpio(alias) {
    const gpio = aliases[String(alias)];
    return gpio === undefined ? undefined : { port: gpio.port, pin: gpio.pin, flags: gpio.flags };
  },
  gpioPortReady(port) {
    return ports.has(String(port));
  },
  gpioConfigure(port, pin, flags) {
    if (halted) return -EIO;
    if (!ports.has(port)) return -EINVAL;
    if ((flags & GPIO_OUTPUT) === 0) {
      outputs.delete(port + '/' + pin);
      return 0;
    }
    if ((flags & GPIO_INPUT) !== 0) return -EINVAL;
    const previous = outputs.get(port + '/' + pin);
    const level = (flags & GPIO_OUTPUT_INIT_HIGH) !== 0 ? 1 : (flags & GPIO_OUTPUT_INIT_LOW) !== 0 ? 0 : (previous ?? 0);
    setLevel(port, pin, level, 'configure');
    return 0;
  },
  gpioSetRaw(port, pin, level) {
    if (halted) return -EIO;
    if (!outputs.has(port + '/' + pin)) return -EIO;
    setLevel(port, pin, level ? 1 : 0, 'write');
    return 0;
  },
  gpioToggle(port, pin) {
    if (halted) return -EIO;
    const level = outputs.get(port + '/' + pin);
    if (level === undefined) return -EIO;
    setLevel(port, pin, level ? 0 : 1, 'write');
    return 0;
  },
  statsRegister(group, sizeBytes, names) {
    const fields = Array.from(names, String);
    if (sizeBytes !== 2 && sizeBytes !== 4 && sizeBytes !== 8) {
      throw new Error('stats group ' + group + ': counter size must be 2, 4 or 8 bytes, not ' + sizeBytes);
    }
    if (fields.length === 0) throw new Error('stats group ' + group + ' has no fields');
    const buffer = new SharedArrayBuffer(sizeBytes * fields.length);
    post({ type: 'stats', group: String(group), sizeBytes, fields, buffer });
    if (sizeBytes === 2) return new Uint16Array(buffer);
    if (sizeBytes === 4) return new Uint32Array(buffer);
    return new BigUint64Array(buffer);
  },
  // Layout as firmware/zephyr/settings/layout.ts: per value a 32-bit length (-1: unset), then
  // maxLen bytes padded to 4.
  settingsRegister(subtree, specs) {
    const values = Array.from(specs, (spec) => ({ name: String(spec.name), maxLen: Number(spec.maxLen) }));
    let size = 0;
    const offsets = [];
    for (const value of values) {
      if (!Number.isInteger(value.maxLen) || value.maxLen < 1) {
        throw new Error('settings value ' + subtree + '/' + value.name + ': maxLen must be a positive integer');
      }
      offsets.push(size);
      size += 4 + Math.ceil(value.maxLen / 4) * 4;
    }
    const buffer = new SharedArrayBuffer(size);
    const words = new Int32Array(buffer);
    for (const offset of offsets) words[offset / 4] = -1;
    post({ type: 'settings', subtree: String(subtree), specs: values, buffer });
    return buffer;
  },
  // The host runs the call and stores [done, rc] in shared memory: no message comes back. A
  // pending Atomics.waitAsync does not keep a worker's event loop alive, so the timeout timer does.
  settingsCall(call) {
    const control = new SharedArrayBuffer(8);
    const words = new Int32Array(control);
    post({ type: 'settings-call', call: String(call), control });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!halted) resolve(-EIO);
      }, SETTINGS_CALL_TIMEOUT_MS);
      timers.add(timer);
      const done = () => {
        clearTimeout(timer);
        timers.delete(timer);
        if (!halted) resolve(Atomics.load(words, 1));
      };
      const waited = Atomics.waitAsync(words, 0, 0);
      if (waited.async) waited.value.then(done);
      else done();
    });
  },
  shellRegister(spec, dispatch) {
    if (typeof dispatch !== 'function') throw new Error('shell command ' + spec.syntax + ' has no dispatcher');
    const plain = JSON.parse(JSON.stringify(spec));
    shellCommands.set(String(plain.syntax), dispatch);
    post({ type: 'shell-register', spec: plain });
  },
};

// A shell command line the host's shell resolved to one of the app's commands. The handler runs on
// this thread between the app's own awaits, as a Zephyr shell command runs on the thread of the
// backend that took the line; an exception in it is a fatal error, as a fault in C would be.
parentPort.on('message', (message) => {
  if (message === null || typeof message !== 'object' || message.type !== 'shell-exec') return;
  const dispatch = shellCommands.get(String(message.path[0]));
  if (halted || dispatch === undefined) {
    post({ type: 'shell-result', id: message.id, error: 'the command is not registered' });
    return;
  }
  Promise.resolve()
    .then(() => dispatch(message.path, message.argv))
    .then((result) => {
      if (!halted) post({ type: 'shell-result', id: message.id, output: String(result.output), ret: Number(result.ret) });
    }, halt);
});

process.on('uncaughtException', halt);
process.on('unhandledRejection', halt);

const sandbox = {};
sandbox[workerData.hostGlobal] = Object.freeze(host);
const context = vm.createContext(sandbox, {
  name: 'zephyr-app',
  codeGeneration: { strings: false, wasm: false },
});

if (typeof workerData.registerStop === 'function') {
  workerData.registerStop(() => {
    halted = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  });
}
if (typeof workerData.registerContext === 'function') {
  workerData.registerContext(vm.runInContext('Promise.prototype', context), halt);
}

host.consoleWrite(workerData.banner);
try {
  new vm.Script(workerData.appCode, { filename: 'zephyr.js' }).runInContext(context);
  const app = context[workerData.appGlobal];
  if (app === null || typeof app !== 'object' || typeof app.main !== 'function') {
    throw new Error('the image has no main() to run');
  }
  Promise.resolve()
    .then(() => app.main())
    .then((value) => {
      firstYield();
      if (!halted) post({ type: 'returned', value: Number(value ?? 0) });
    }, halt);
} catch (error) {
  halt(error);
}
`;
