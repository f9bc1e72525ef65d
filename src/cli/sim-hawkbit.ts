/**
 * `zdfu sim --hawkbit URL`: the virtual board's app built with Zephyr's hawkBit client, and
 * `zdfu sim --count N --hawkbit URL [--fault …]`: N such boards in this process, one line per board
 * event and a summary when stopped. Options are checked before anything starts.
 */
import type { HawkbitBuild, HawkbitEvent } from '../device/hawkbit/build.ts';
import type { DdiAuth } from '../fleet/ddi/client.ts';
import { type FaultPlan, FaultPlanError, parseFaultPlan } from '../fleet/faults.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';

export interface SimHawkbitOptions {
  hawkbit?: string;
  hawkbitToken?: string;
  gatewayToken?: string;
  count?: string;
  fault?: string;
}

/** The hawkBit server and DDI security from the options, or undefined without --hawkbit. */
export function hawkbitServer(opts: SimHawkbitOptions): { url: string; auth: DdiAuth } | undefined {
  if (opts.hawkbit === undefined) {
    if (opts.hawkbitToken !== undefined || opts.gatewayToken !== undefined) {
      throw new CliError('--hawkbit-token and --gateway-token go with --hawkbit URL.');
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(opts.hawkbit);
  } catch {
    throw new CliError(`--hawkbit "${opts.hawkbit}" is not a URL; give the server as http://HOST:PORT.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(
      `--hawkbit "${opts.hawkbit}" is not an http or https URL (e.g. http://127.0.0.1:8080).`,
    );
  }
  if (opts.hawkbitToken !== undefined && opts.gatewayToken !== undefined) {
    throw new CliError(
      "--hawkbit-token (the target's own token) and --gateway-token (the tenant's gateway key) are one choice, as Zephyr's CONFIG_HAWKBIT_DDI_*_SECURITY: give one.",
    );
  }
  const token = opts.hawkbitToken ?? opts.gatewayToken;
  if (token === '') throw new CliError('the hawkBit token is empty.');
  const auth: DdiAuth =
    opts.hawkbitToken !== undefined
      ? { kind: 'target', token: opts.hawkbitToken }
      : opts.gatewayToken !== undefined
        ? { kind: 'gateway', token: opts.gatewayToken }
        : { kind: 'none' };
  return { url: opts.hawkbit.replace(/\/+$/, ''), auth };
}

/** --count N: a whole number from 1 to 10,000. */
export function fleetCount(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > 10_000) {
    throw new CliError(`--count "${text}" is not a whole number of boards from 1 to 10000.`);
  }
  return count;
}

export function faultPlanOption(text: string | undefined): FaultPlan | undefined {
  if (text === undefined) return undefined;
  try {
    return parseFaultPlan(text);
  } catch (err) {
    if (err instanceof FaultPlanError) throw new CliError(err.message);
    throw err;
  }
}

/** The one-board sim's hawkBit build: its events as `zdfu sim: hawkBit …` lines. */
export function simHawkbitBuild(ctx: CliContext, server: { url: string; auth: DdiAuth }): HawkbitBuild {
  return {
    ...server,
    onEvent: (event: HawkbitEvent) => {
      if (event.kind === 'poll') return;
      const action = event.actionId === undefined ? '' : ` (action ${event.actionId})`;
      ctx.io.stdout.write(`zdfu sim: hawkBit ${event.kind}${action}: ${event.message}\n`);
    },
  };
}

/** Options that belong to the one-board sim and mean nothing for a fleet in memory. */
const ONE_BOARD_ONLY = [
  'flash',
  'image',
  'pty',
  'ble',
  'bleHci',
  'bleName',
  'bleMtu',
  'link',
  'powerCut',
  'console',
];
const FLAG_OF: Record<string, string> = {
  flash: '--flash',
  image: '--image',
  pty: '--pty',
  ble: '--ble',
  bleHci: '--ble-hci',
  bleName: '--ble-name',
  bleMtu: '--ble-mtu',
  link: '--link',
  powerCut: '--power-cut',
  console: '--console',
};

export interface FleetCommandOptions extends SimHawkbitOptions {
  board?: string;
  fast?: boolean;
  [other: string]: unknown;
}

/** `zdfu sim --count N --hawkbit URL`: runs until Ctrl-C, then prints the summary. */
export async function simFleetCommand(ctx: CliContext, opts: FleetCommandOptions): Promise<void> {
  const count = fleetCount(String(opts.count));
  const given = ONE_BOARD_ONLY.filter((key) => opts[key] !== undefined && opts[key] !== false);
  if (given.length > 0) {
    throw new CliError(
      `${given.map((key) => FLAG_OF[key]).join(', ')} ${given.length === 1 ? 'goes' : 'go'} with the one-board sim; --count runs boards in memory, each with its own flash.`,
    );
  }
  const server = hawkbitServer(opts);
  if (!server) {
    throw new CliError(
      '--count N needs --hawkbit URL: the boards poll hawkBit themselves (for boards behind a gateway: zdfu gateway --sim N).',
    );
  }
  const faults = faultPlanOption(opts.fault);
  const { startSimFleet, SimFleetError } = await import('../fleet/sim-fleet.ts');
  const { describeFaultPlan } = await import('../fleet/faults.ts');
  const { eventLine, isRoutineEvent, summaryLines } = await import('../fleet/sim-report.ts');
  const width = String(count - 1).length;
  const started = performance.now();
  const fleet = await startSimFleet({
    count,
    ...(opts.board === undefined ? {} : { board: opts.board }),
    hawkbit: server,
    ...(faults ? { faults } : {}),
    flashTimeScale: opts.fast ? 0 : 1,
    // The first poll of each board spread over 10 s (hawkBit's sleep then phases them).
    startSpreadMs: Math.min(10_000, count * 10),
    onEvent: (event) => {
      if (!isRoutineEvent(event)) ctx.io.stdout.write(`${eventLine(event, width)}\n`);
    },
    ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
  }).catch((err: unknown) => {
    throw err instanceof SimFleetError ? new CliError(err.message) : err;
  });
  const first = fleet.boards[0]!;
  ctx.io.stdout.write(
    `zdfu sim: ${count} × ${first.device.board.name} started in ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
      `polling ${server.url} as ${first.controllerId} … ${fleet.boards.at(-1)!.controllerId}` +
      ` (auth ${server.auth.kind}; faults: ${faults ? describeFaultPlan(faults) : 'none'})\n`,
  );
  await new Promise<void>((resolve) => {
    const signal = ctx.io.signal;
    if (!signal) return;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const summary = fleet.summary();
  await fleet.close();
  ctx.emit(
    summary,
    `${summaryLines(summary)
      .map((line) => `zdfu sim: ${line}`)
      .join('\n')}\n`,
  );
}
