/**
 * `startGateway`: speaks hawkBit's DDI for every device it is given, each as its own controller
 * (one gateway token for all, or each device's target token). Artifacts are downloaded once per
 * distribution, at most `parallel` devices update at once, and a journal file lets a restarted
 * gateway resume or report each update that was under way.
 *
 * The first poll of every device happens before startGateway returns, so a wrong token or a
 * server that cannot be reached is one clear error instead of a gateway that quietly polls in vain.
 */
import { setMaxListeners } from 'node:events';
import { describeError } from '../../cli/failure.ts';
import { DdiClient } from '../ddi/client.ts';
import { DdiError } from '../ddi/errors.ts';
import { StatusBoard } from '../status.ts';
import { ArtifactCache } from './artifacts.ts';
import { type ControllerShared, DeviceController, type PollOutcome } from './controller.ts';
import { Journal } from './journal.ts';
import { type Gateway, type GatewayDfuOptions, GatewayError, type GatewayOptions } from './types.ts';
import { Slots } from './wait.ts';

export const DEFAULT_PARALLEL = 4;
export const DEFAULT_POLL_FLOOR_MS = 1_000;
export const DEFAULT_PROGRESS_INTERVAL_MS = 5_000;
/** How long close() waits for updates to notice it (they stop at their next request or sleep). */
const CLOSE_TIMEOUT_MS = 15_000;
/** Devices polled at once in the first round. */
const FIRST_ROUND_PARALLEL = 16;

const DFU_DEFAULTS: Required<GatewayDfuOptions> = {
  settleMs: 5_000,
  rebootTimeoutMs: 60_000,
  pollIntervalMs: 500,
  pollTimeoutMs: 2_000,
  requestTimeoutMs: 10_000,
  openTimeoutMs: 30_000,
};

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const parallel = options.parallel ?? DEFAULT_PARALLEL;
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new GatewayError(`--parallel must be a whole number ≥ 1, not ${parallel}`);
  }
  if (options.devices.length === 0) {
    throw new GatewayError(
      'the gateway has no device to speak for; give connection profiles, a BLE scan or virtual boards',
    );
  }
  const seen = new Set<string>();
  for (const device of options.devices) {
    if (seen.has(device.controllerId)) {
      throw new GatewayError(
        `two devices have the controller id "${device.controllerId}"; each device needs its own`,
      );
    }
    seen.add(device.controllerId);
  }

  const journal = await Journal.open(options.stateFile);
  const closer = new AbortController();
  // Every device's waits listen on this one signal: a fleet of hundreds is not a listener leak.
  setMaxListeners(0, closer.signal);
  const log = options.log ?? (() => undefined);
  const board = new StatusBoard(options.ddi.baseUrl, {
    ...(options.notifyIntervalMs !== undefined ? { notifyIntervalMs: options.notifyIntervalMs } : {}),
  });
  const cache = new ArtifactCache(options.cacheBytes);
  const shared: ControllerShared = {
    board,
    journal,
    cache,
    updateSlots: new Slots(parallel),
    factSlots: new Slots(Math.max(parallel, 4)),
    pollFloorMs: options.pollFloorMs ?? DEFAULT_POLL_FLOOR_MS,
    progressIntervalMs: options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
    dfu: { ...DFU_DEFAULTS, ...definedOnly(options.dfu ?? {}) },
    closing: closer.signal,
    log,
    now: () => Date.now(),
  };
  const sharedDdi = new DdiClient(options.ddi);
  const controllers = options.devices.map(
    (device) =>
      new DeviceController(
        device,
        device.token === undefined
          ? sharedDdi
          : new DdiClient({ ...options.ddi, auth: { kind: 'target', token: device.token } }),
        shared,
      ),
  );
  for (const id of journal.ids()) {
    const entry = journal.get(id);
    if (!entry) continue;
    if (!seen.has(id)) {
      log(
        `${id}: the state file says action ${entry.actionId} was at stage "${entry.stage}", but this gateway does not speak for that device; it stays in the state file`,
      );
    } else {
      log(`${id}: the state file says action ${entry.actionId} was at stage "${entry.stage}"; resuming it`);
    }
  }

  // The first round: every device polls once, a few at a time.
  const first: PollOutcome[] = new Array(controllers.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(FIRST_ROUND_PARALLEL, controllers.length) }, async () => {
      while (next < controllers.length) {
        const index = next++;
        first[index] = await controllers[index]!.pollOnce();
      }
    }),
  );
  const failed = first.filter((outcome) => outcome.error !== undefined);
  if (failed.length === controllers.length) {
    closer.abort(new GatewayError('the first polls failed'));
    await Promise.all(controllers.map((c) => c.stopped()));
    board.close();
    await journal.flush().catch(() => undefined);
    throw firstRoundError(options.ddi.baseUrl, failed[0]!.error);
  }

  const loops = controllers.map((controller, index) => controller.run(first[index]!.sleepMs));
  const onAbort = () => void close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort);
      closer.abort(new GatewayError('the gateway is closing'));
      const all = Promise.all([...loops, ...controllers.map((c) => c.stopped())]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      board.close();
      await journal.flush();
    })();
    return closing;
  };
  if (options.signal?.aborted) await close();

  return {
    status: () => board.snapshot(),
    onStatus: (listener) => board.onStatus(listener),
    get downloads() {
      return cache.downloads;
    },
    close,
  };
}

/** The error for a gateway whose every first poll failed: refused credentials or no server. */
function firstRoundError(baseUrl: string, error: unknown): GatewayError {
  if (error instanceof DdiError && (error.status === 401 || error.status === 403)) {
    return new GatewayError(
      `hawkBit at ${baseUrl} refused every device's poll (HTTP ${error.status}): check the gateway token (system config authentication.gatewaytoken.key, with gateway-token authentication enabled) or the target tokens. ${describeError(error)}`,
      { cause: error },
    );
  }
  return new GatewayError(`no device could poll hawkBit at ${baseUrl}: ${describeError(error)}`, {
    cause: error,
    fault: 'no-answer',
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
