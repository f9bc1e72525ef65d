/**
 * Is a freshly booted image healthy? An SMP answer only shows that the SMP server runs: on Zephyr
 * it answers from a work queue even while the app is stuck, and a fatal error a moment later halts
 * the whole system (kernel/fatal.c) or reboots it. So the image must keep running for a settle
 * time: the device answers every poll and still runs the new image (a reboot in between shows as
 * silence while it reboots, or as MCUboot's revert). Zephyr's SMP groups report no uptime, so a
 * reboot that is quick enough to fall between two polls is caught only by a statistic the user named
 * to rise (statistics live in RAM and start at 0 on every boot). Then the user's checks: statistics
 * that must rise, shell commands that must succeed. Pure: no Node imports.
 */

import type { ImageSlotState, ImageStateResponse } from '../groups/image/models.ts';
import { MgmtErr, SmpError, SmpTimeoutError } from '../smp/errors.ts';
import type { CallOptions, DeviceClient } from './device.ts';

export type HealthCheck =
  /** `group.field` must be higher at the end of the settle time than at its start. */
  | { readonly kind: 'stat-rises'; readonly group: string; readonly field: string }
  /** The shell command must return 0. */
  | { readonly kind: 'shell'; readonly argv: readonly string[] };

export interface HealthOptions {
  /** The image number (multi-image devices) whose running slot is watched; default 0. */
  image?: number;
  /** How long the new image must keep running before it counts as healthy. */
  settleMs: number;
  /** Between two polls during the settle time. */
  pollIntervalMs: number;
  /** How long one poll waits for an answer. */
  pollTimeoutMs: number;
  checks: readonly HealthCheck[];
  call?: CallOptions;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export type HealthVerdict =
  | { readonly healthy: true; readonly settledMs: number; readonly passed: readonly string[] }
  | {
      readonly healthy: false;
      /** Why, in words, e.g. "it stopped answering 1.2 s after it booted (…)". */
      readonly reason: string;
      /** The slot that runs now when the device answered and it is not the new image. */
      readonly running?: ImageSlotState;
    };

/** "smp_server_stats.counter_stat" → a stat-rises check; the field is after the last dot. */
export function parseStatCheck(text: string): HealthCheck | undefined {
  const dot = text.lastIndexOf('.');
  if (dot <= 0 || dot === text.length - 1) return undefined;
  return { kind: 'stat-rises', group: text.slice(0, dot), field: text.slice(dot + 1) };
}

/** A shell command line as argv; Zephyr joins argv with single spaces before its shell parses it. */
export function shellCheck(line: string): HealthCheck | undefined {
  const argv = line
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  return argv.length === 0 ? undefined : { kind: 'shell', argv };
}

export function describeCheck(check: HealthCheck): string {
  return check.kind === 'stat-rises'
    ? `statistic ${check.group}.${check.field} rises`
    : `shell command "${check.argv.join(' ')}" succeeds`;
}

/**
 * Does the device serve the SMP shell group? Asked before anything is uploaded, so that a
 * --check-shell that could never run does not get a healthy image reverted after the reset. The
 * probe is an empty argv: Zephyr's shell_mgmt_exec (subsys/mgmt/mcumgr/grp/shell_mgmt/src/
 * shell_mgmt.c) composes no line from it and answers EMPTY_COMMAND without running anything, while
 * a build without CONFIG_MCUMGR_GRP_SHELL has no handler for group 9 and smp.c answers
 * MGMT_ERR_ENOTSUP. So the user's command never runs on the old image.
 */
export async function servesShellGroup(device: DeviceClient, call?: CallOptions): Promise<boolean> {
  try {
    await device.shellExec([], call);
    return true; // a shell that runs an empty line still serves the group
  } catch (error) {
    if (error instanceof SmpError) return !(error.group === undefined && error.rc === MgmtErr.ENOTSUP);
    throw error;
  }
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class Unhealthy extends Error {
  constructor(
    readonly reason: string,
    readonly running?: ImageSlotState,
  ) {
    super(reason);
  }
}

/** The counter now, or undefined when the group or field does not exist (yet). */
async function readStat(
  device: DeviceClient,
  check: Extract<HealthCheck, { kind: 'stat-rises' }>,
  call: CallOptions,
): Promise<number | undefined> {
  try {
    const group = await device.statShow(check.group, call);
    return group.fields[check.field];
  } catch (error) {
    // stat_mgmt answers INVALID_STAT_NAME (v2) or ENOENT (v1) for a group that is not registered.
    if (error instanceof SmpError) return undefined;
    throw error;
  }
}

/**
 * Watches the device that booted the image with `hash` for `settleMs`, then runs the checks.
 * `bootedAt` is when the device was first seen running it (on the `now` clock).
 */
export async function watchHealth(
  device: DeviceClient,
  hash: Uint8Array,
  bootedAt: number,
  options: HealthOptions,
): Promise<HealthVerdict> {
  const call: CallOptions = { ...options.call, timeoutMs: options.pollTimeoutMs, retries: 1 };
  const since = () => seconds(options.now() - bootedAt);
  try {
    const statChecks = options.checks.filter((c) => c.kind === 'stat-rises');
    const baseline = new Map<HealthCheck, number>();
    for (const check of statChecks) baseline.set(check, (await readStat(device, check, call)) ?? 0);

    const deadline = options.now() + options.settleMs;
    let lastAnswer = bootedAt;
    do {
      await options.sleep(Math.max(0, Math.min(options.pollIntervalMs, deadline - options.now())));
      const askedAt = options.now();
      let state: ImageStateResponse;
      try {
        state = await device.imageList(call);
      } catch (error) {
        if (!(error instanceof SmpTimeoutError)) throw error;
        throw new Unhealthy(
          `it stopped answering between ${((lastAnswer - bootedAt) / 1000).toFixed(1)} and ${seconds(askedAt - bootedAt)} ` +
            `after it booted (${errorText(error)})`,
        );
      }
      lastAnswer = options.now();
      const active = state.images.find((i) => i.active && (i.image ?? 0) === (options.image ?? 0));
      if (!active || !sameHash(active.hash, hash)) {
        const now = active ? `version ${active.version}` : 'no image it can name';
        throw new Unhealthy(`the device rebooted within ${since()} and runs ${now} again`, active);
      }
    } while (options.now() < deadline);

    const passed: string[] = [];
    for (const check of statChecks) {
      const before = baseline.get(check) ?? 0;
      const after = await readStat(device, check, call);
      const name = `${check.group}.${check.field}`;
      if (after === undefined) throw new Unhealthy(`the device has no statistic ${name}`);
      if (after < before) {
        throw new Unhealthy(`statistic ${name} fell from ${before} to ${after}: the device restarted`);
      }
      if (after === before) {
        throw new Unhealthy(
          `statistic ${name} did not rise in ${seconds(options.settleMs)} (still ${after})`,
        );
      }
      passed.push(`statistic ${name} rose from ${before} to ${after}`);
    }
    for (const check of options.checks) {
      if (check.kind !== 'shell') continue;
      const line = check.argv.join(' ');
      let result: { output: string; ret: number };
      try {
        result = await device.shellExec(check.argv, call);
      } catch (error) {
        if (error instanceof SmpError) {
          throw new Unhealthy(`the shell command "${line}" could not run: ${error.message}`);
        }
        if (error instanceof SmpTimeoutError) {
          throw new Unhealthy(`the shell command "${line}" got no answer (${errorText(error)})`);
        }
        throw error;
      }
      const output = result.output.trim();
      if (result.ret !== 0) {
        throw new Unhealthy(
          `the shell command "${line}" returned ${result.ret}${output ? `: ${output}` : ''}`,
        );
      }
      passed.push(`shell command "${line}" returned 0`);
    }
    return { healthy: true, settledMs: options.settleMs, passed };
  } catch (error) {
    if (error instanceof Unhealthy) {
      return error.running
        ? { healthy: false, reason: error.reason, running: error.running }
        : { healthy: false, reason: error.reason };
    }
    if (error instanceof SmpTimeoutError) {
      return {
        healthy: false,
        reason: `it stopped answering within ${since()} after it booted (${error.message})`,
      };
    }
    throw error;
  }
}
