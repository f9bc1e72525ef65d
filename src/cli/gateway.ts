/**
 * `zdfu gateway --hawkbit URL`: brings devices that only speak SMP into hawkBit rollouts. Each
 * device (connection profiles, BLE devices found by a scan, in-process virtual boards) becomes its
 * own hawkBit controller; the gateway polls for it, installs what hawkBit assigns with the dfu
 * flow, and reports feedback, until Ctrl-C (or --stop-after). The gateway's modules load only when
 * this command runs.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { DdiAuth } from '../fleet/ddi/client.ts';
import type { Gateway, GatewayDevice } from '../fleet/gateway/types.ts';
import type { FleetStatus } from '../fleet/status.ts';
import { faultOf } from '../util/fault.ts';
import type { ContextFactory } from './conn.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { sentence } from './format.ts';
import { parsePort } from './serve.ts';

interface GatewayCommandOptions {
  hawkbit?: string;
  tenant: string;
  gatewayToken?: string;
  targetTokens?: string;
  profile: string[];
  allProfiles?: boolean;
  bleScan?: string;
  hci: string;
  sim?: number;
  board: string;
  fault?: string;
  flashTimeScale: string;
  parallel: number;
  state?: string;
  pollFloor: string;
  settle: string;
  rebootTimeout: string;
  stopAfter?: string;
  /** --dashboard [port]: true without a port (a free one). */
  dashboard?: string | true;
}

export async function gatewayCommand(ctx: CliContext, opts: GatewayCommandOptions): Promise<void> {
  if (opts.hawkbit === undefined) {
    throw new CliError(
      '--hawkbit URL is required: the hawkBit server to speak DDI to, e.g. http://127.0.0.1:8080.',
    );
  }
  if (opts.gatewayToken !== undefined && opts.targetTokens !== undefined) {
    throw new CliError('Give --gateway-token or --target-tokens, not both.');
  }
  const pollFloorMs = seconds(opts.pollFloor, '--poll-floor', 0) * 1000;
  const settleMs = seconds(opts.settle, '--settle', 0) * 1000;
  const rebootTimeoutMs = seconds(opts.rebootTimeout, '--reboot-timeout', 0.001) * 1000;
  const stopAfterMs =
    opts.stopAfter === undefined ? undefined : seconds(opts.stopAfter, '--stop-after', 0.001) * 1000;
  const flashTimeScale = seconds(opts.flashTimeScale, '--flash-time-scale', 0);
  const dashboardPort =
    opts.dashboard === undefined ? undefined : opts.dashboard === true ? 0 : parsePort(opts.dashboard);

  const { startGateway, GatewayError } = await import('../fleet/gateway/index.ts');
  const { parseTargetTokens } = await import('../fleet/gateway/tokens.ts');
  const tokens =
    opts.targetTokens === undefined ? undefined : readTokens(opts.targetTokens, parseTargetTokens);
  const auth: DdiAuth =
    opts.gatewayToken !== undefined ? { kind: 'gateway', token: opts.gatewayToken } : { kind: 'none' };

  const closers: Array<() => Promise<void>> = [];
  try {
    const devices = await collectDevices(ctx, opts, flashTimeScale, closers);
    if (devices.length === 0) {
      throw new CliError(
        'No device to speak for: give --profile NAME (repeatable), --all-profiles, --ble-scan SECONDS or --sim N.',
      );
    }
    if (tokens) {
      const missing = devices.filter((d) => !tokens.has(d.controllerId)).map((d) => d.controllerId);
      if (missing.length > 0) {
        throw new CliError(
          `The target token file ${opts.targetTokens} has no token for ${missing.join(', ')}; add a line "controllerId token" for each, or use --gateway-token.`,
        );
      }
      for (const device of devices) device.token = tokens.get(device.controllerId)!;
    }
    const log = (line: string) => {
      if (!ctx.json) ctx.io.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
    };
    let gateway: Awaited<ReturnType<typeof startGateway>>;
    try {
      gateway = await startGateway({
        ddi: { baseUrl: opts.hawkbit, tenant: opts.tenant, auth },
        devices,
        parallel: opts.parallel,
        ...(opts.state !== undefined ? { stateFile: opts.state } : {}),
        pollFloorMs,
        dfu: { settleMs, rebootTimeoutMs },
        log,
      });
    } catch (error) {
      if (error instanceof GatewayError)
        throw new CliError(sentence(error.message), { cause: error, fault: error.fault });
      throw error;
    }
    log(
      `zdfu gateway: speaking for ${devices.length} device${devices.length === 1 ? '' : 's'} to ${opts.hawkbit} ` +
        `(${auth.kind === 'gateway' ? 'gateway token' : tokens ? 'target tokens' : 'no authentication'}, ` +
        `${opts.parallel} at once${opts.state ? `, state in ${opts.state}` : ''}); Ctrl-C stops`,
    );
    try {
      if (dashboardPort !== undefined) closers.push(await serveFleetView(gateway, dashboardPort, log));
      await stopped(ctx.io.signal, stopAfterMs);
    } finally {
      await gateway.close();
    }
    const status = gateway.status();
    ctx.emit(status, formatFleet(status));
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

/**
 * --dashboard: the Fleet view of the dashboard, fed by this gateway's status over zdfu serve's
 * loopback server (token in the printed URL's fragment, as `zdfu serve` does).
 */
async function serveFleetView(
  gateway: Pick<Gateway, 'status' | 'onStatus'>,
  port: number,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  const { ServePortInUseError, startServe } = await import('../serve/server.ts');
  const { serveFleetStatus } = await import('../serve/fleet-feed.ts');
  const { missingDashboardAdvice } = await import('../serve/static-files.ts');
  let serve: Awaited<ReturnType<typeof startServe>>;
  try {
    serve = await startServe({ port, log: (line) => log(`dashboard: ${line}`) });
  } catch (error) {
    if (error instanceof ServePortInUseError) throw new CliError(sentence(error.message), { cause: error });
    throw error;
  }
  const feed = serveFleetStatus(serve, gateway);
  if (!serve.dashboardBuilt) log(`Warning: ${missingDashboardAdvice(serve.staticRoot)}`);
  log(`Fleet view: ${feed.url}`);
  return async () => {
    feed.close();
    await serve.close();
  };
}

async function collectDevices(
  ctx: CliContext,
  opts: GatewayCommandOptions,
  flashTimeScale: number,
  closers: Array<() => Promise<void>>,
): Promise<GatewayDevice[]> {
  const { targetDevice, bleControllerId, simDevice, isControllerId } = await import(
    '../fleet/gateway/devices.ts'
  );
  const { parseConnString } = await import('../transport/kinds/registry.ts');
  const { openNodeTransport } = await import('./transports.ts');
  const devices: GatewayDevice[] = [];
  const names = opts.allProfiles ? ctx.profiles.list().map((p) => p.name) : opts.profile;
  if (opts.allProfiles && names.length === 0) {
    throw new CliError('--all-profiles found no connection profile; add some with `zdfu conn add`.');
  }
  for (const name of names) {
    const profile = ctx.profiles.get(name);
    if (!isControllerId(name)) {
      throw new CliError(
        `The profile name "${name}" cannot be a hawkBit controller id (letters, digits, - _ . : only).`,
      );
    }
    devices.push(targetDevice(name, parseConnString(profile.type, profile.connstring), openNodeTransport));
  }
  if (opts.bleScan !== undefined) {
    const scanSeconds = seconds(opts.bleScan, '--ble-scan', 0.001);
    const { parseBleHci } = await import('../transport/kinds/ble.ts');
    const { openCentral, scanDevices, stopQuietly } = await import('../transport/ble-central.ts');
    let found: Awaited<ReturnType<typeof scanDevices>>;
    try {
      const noble = await openCentral(parseBleHci(opts.hci, `hci=${opts.hci}`));
      try {
        found = await scanDevices(noble, scanSeconds * 1000);
      } finally {
        stopQuietly(noble);
      }
    } catch (error) {
      // As `zdfu ble scan` says it: the HCI controller in words, no stack.
      throw new CliError(`The BLE scan failed: ${(error as Error).message}`, {
        cause: error,
        fault: faultOf(error) ?? 'local',
      });
    }
    const smp = found.filter((d) => d.smp && d.connectable);
    if (!ctx.json) {
      ctx.io.stdout.write(`BLE scan: ${found.length} device(s) seen, ${smp.length} serving SMP.\n`);
    }
    for (const device of smp) {
      const target = parseConnString('ble', `peer_id=${device.address},hci=${opts.hci}`);
      devices.push(targetDevice(bleControllerId(device), target, openNodeTransport));
    }
  }
  if (opts.sim !== undefined) {
    const { startSimFleet } = await import('../fleet/sim-fleet.ts');
    const { parseFaultPlan } = await import('../fleet/faults.ts');
    const fleet = await startSimFleet({
      count: opts.sim,
      board: opts.board,
      idPrefix: 'sim-',
      flashTimeScale,
      ...(opts.fault !== undefined ? { faults: parseFaultPlan(opts.fault) } : {}),
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
    });
    closers.push(() => fleet.close());
    for (const board of fleet.boards) devices.push(simDevice(board));
  }
  return devices;
}

function readTokens(
  file: string,
  parse: (text: string, file: string) => Map<string, string>,
): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read the target token file ${file}: ${(error as Error).message}.`);
  }
  try {
    return parse(text, file);
  } catch (error) {
    throw new CliError(sentence((error as Error).message), { cause: error });
  }
}

/** One line per device: id, phase, version, the last feedback's first line. */
export function formatFleet(status: FleetStatus): string {
  const rows = status.devices.map((d) =>
    [
      d.controllerId.padEnd(24),
      d.phase.padEnd(11),
      (d.version ?? '-').padEnd(10),
      d.error ?? d.lastFeedback?.details?.[0] ?? '',
    ].join(' '),
  );
  return `${['CONTROLLER'.padEnd(24), 'PHASE'.padEnd(11), 'VERSION'.padEnd(10), 'LAST'].join(' ')}\n${rows.join('\n')}\n`;
}

function seconds(value: string, option: string, min: number): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n < min) {
    throw new CliError(`${option} "${value}" is not a number of seconds${min > 0 ? ' above 0' : ' ≥ 0'}.`);
  }
  return n;
}

function wholeNumber(label: string, min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min) {
      throw new CliError(`${label} "${value}" is not a whole number ≥ ${min}.`);
    }
    return Number(value);
  };
}

/** Resolves on Ctrl-C, or after `ms` when given. */
function stopped(signal: AbortSignal | undefined, ms: number | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ms !== undefined) setTimeout(resolve, ms).unref?.();
    if (!signal) return;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerGatewayCommand(program: Command, context: ContextFactory): void {
  program
    .command('gateway')
    .description(
      "Speak hawkBit's DDI for SMP devices: each device is its own controller; assigned updates run the dfu flow",
    )
    .option('--hawkbit <url>', 'the hawkBit server, e.g. http://127.0.0.1:8080')
    .option('--tenant <name>', 'hawkBit tenant', 'DEFAULT')
    .option(
      '--gateway-token <key>',
      "hawkBit's gateway token (system config authentication.gatewaytoken.key)",
    )
    .option('--target-tokens <file>', 'per-device target tokens: JSON {"id":"token"} or lines "id token"')
    .option(
      '--profile <name>',
      'a connection profile to speak for (repeatable; its name is the controller id)',
      collect,
      [],
    )
    .option('--all-profiles', 'speak for every connection profile')
    .option('--ble-scan <seconds>', 'scan for BLE devices serving SMP this long and speak for each')
    .option('--hci <controller>', 'HCI controller for --ble-scan: a number (0) or uart:PATH', '0')
    .option(
      '--sim <count>',
      'also run this many virtual boards in-process (controller ids sim-0, sim-1, …)',
      wholeNumber('--sim', 1),
    )
    .option('--board <name>', 'board of the virtual boards', 'stm32f4_disco')
    .option('--fault <spec>', 'faults for the virtual boards, e.g. "power-cut-swap=2%,image-refused=1%"')
    .option('--flash-time-scale <factor>', "virtual boards' flash timing: 1 real, 0 instant", '1')
    .option('--parallel <n>', 'devices updated at once', wholeNumber('--parallel', 1), 4)
    .option('--state <file>', 'journal of updates under way, so a restarted gateway resumes them')
    .option(
      '--poll-floor <seconds>',
      'never poll one controller more often than this, whatever hawkBit says',
      '1',
    )
    .option('--settle <seconds>', 'how long a new image must run before it is confirmed', '5')
    .option('--reboot-timeout <seconds>', 'how long to wait for a device after its reset', '60')
    .option(
      '--dashboard [port]',
      "serve the dashboard's Fleet view of this gateway on 127.0.0.1 (a free port unless given); prints its URL",
    )
    .option('--stop-after <seconds>', 'stop after this long (default: until Ctrl-C)')
    .addHelpText(
      'after',
      '\nExamples:\n  zdfu gateway --hawkbit http://127.0.0.1:8080 --gateway-token KEY --all-profiles --state gw.json\n' +
        '  zdfu gateway --hawkbit http://127.0.0.1:8080 --gateway-token KEY --sim 100 --fault image-refused=2%',
    )
    .action((opts: GatewayCommandOptions, command: Command) => gatewayCommand(context(command), opts));
}
