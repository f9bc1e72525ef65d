/**
 * The boundary between a firmware app and the virtual SoC it runs on. A real Zephyr image calls
 * into drivers and the kernel; ours calls these host functions, which the device's firmware
 * runner installs as a global before the image runs. Everything above this line (rates, stat
 * values, log text) is decided by the firmware code itself.
 */

import type { SettingsValueSpec } from './settings/layout.ts';

/** Name of the global the runner installs the host under; shared by both sides. */
export const ZEPHYR_HOST_GLOBAL = '__zephyr_host';

/** One GPIO line as the devicetree describes it (`gpios = <&gpiod 12 GPIO_ACTIVE_HIGH>`). */
export interface DtGpio {
  readonly port: string;
  readonly pin: number;
  readonly flags: number;
}

/** Counter sizes in bytes, as Zephyr's STATS_SIZE_16/32/64. */
export type StatsSizeBytes = 2 | 4 | 8;

export type StatsCounters = Uint16Array | Uint32Array | BigUint64Array;

/** A settings call the host's settings subsystem runs for the app (settings_subsys_init, settings_load). */
export type SettingsCall = 'init' | 'load';
/**
 * One shell command as the app registered it (SHELL_CMD_REGISTER / SHELL_CMD_ARG), as plain data
 * the host can hold: `mandatory` counts the command itself, as Zephyr's SHELL_CMD_ARG does.
 */
export interface ShellCommandSpec {
  readonly syntax: string;
  readonly help: string;
  readonly mandatory: number;
  readonly optional: number;
  /** Whether the entry has a handler of its own (else it only groups subcommands). */
  readonly hasHandler: boolean;
  readonly subcommands: readonly ShellCommandSpec[];
}

/** What one run of an app's shell command printed and returned. */
export interface ShellRunResult {
  readonly output: string;
  readonly ret: number;
}

/** Runs the command at `path` (root name first) with `argv` (argv[0] is the command's own name). */
export type ShellDispatch = (path: readonly string[], argv: readonly string[]) => Promise<ShellRunResult>;

export interface ZephyrHost {
  /** Microseconds since the SoC came out of reset. */
  uptimeUs(): number;
  /** Bytes for the console UART. */
  consoleWrite(text: string): void;
  /** Resolves after `ms` milliseconds; the only way for firmware to wait. */
  sleepMs(ms: number): Promise<void>;
  /** The `gpios` property of the node an alias points at, or undefined if the board lacks it. */
  dtAliasGpio(alias: string): DtGpio | undefined;
  gpioPortReady(port: string): boolean;
  /** Driver-level configure: flags are raw (INIT_HIGH/INIT_LOW already resolved). 0 or -errno. */
  gpioConfigure(port: string, pin: number, flags: number): number;
  /** Drives the physical level of an output pin. 0 or -errno. */
  gpioSetRaw(port: string, pin: number, level: 0 | 1): number;
  /** Inverts the physical level of an output pin. 0 or -errno. */
  gpioToggle(port: string, pin: number): number;
  /** Registers a named stats group; the returned counters are memory the host reads live. */
  statsRegister(group: string, sizeBytes: StatsSizeBytes, names: readonly string[]): StatsCounters;
  /**
   * Registers a settings handler for `subtree` whose values live in the returned memory (layout in
   * settings/layout.ts), which the host's settings subsystem reads and writes live.
   */
  settingsRegister(subtree: string, specs: readonly SettingsValueSpec[]): SharedArrayBuffer;
  /** Runs a settings call on the host's subsystem; resolves to its 0 or negative errno. */
  settingsCall(call: SettingsCall): Promise<number>;
  /** Adds a root shell command; the shell calls `dispatch` when a command line names it. */
  shellRegister(spec: ShellCommandSpec, dispatch: ShellDispatch): void;
}

export function zephyrHost(): ZephyrHost {
  const host = (globalThis as Record<string, unknown>)[ZEPHYR_HOST_GLOBAL];
  if (typeof host !== 'object' || host === null) {
    throw new Error('no Zephyr host present: this firmware must run inside the zdfu virtual device');
  }
  return host as ZephyrHost;
}
