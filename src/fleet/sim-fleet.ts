/**
 * Many virtual boards in one process, to rehearse a rollout before touching real ones: each board
 * has its own sparse flash, flash timing and hwinfo id, its app runs inline on the event loop (no
 * thread per board), and it either polls hawkBit itself with Zephyr's client (`hawkbit` given:
 * src/device/hawkbit/) or is reached through an in-process SMP link (`openTransport`, for the
 * gateway). Boards start spread over the first poll interval, so their polls are phased.
 *
 * Faults (src/fleet/faults.ts), by board:
 * - power-cut-swap: a power cut is armed for the next swap; power fails before MCUboot's 2nd to 5th
 *   flash write or erase, the board stays off briefly and MCUboot resumes the swap;
 * - image-refused: the board's MCUboot trusts another key (its factory image is signed with that
 *   key), so it refuses a new image signed with the project's key;
 * - link-lost: the gateway's SMP link dies mid-upload (after a few upload chunks), and a DDI
 *   board's download connection breaks half-way through the artifact; every time;
 * - never-confirms: the new app never confirms itself (DDI boards: it never reaches
 *   hawkbit_init's confirm, so the client reboots and MCUboot reverts; behind a gateway the
 *   gateway confirms over SMP, so the fault has nothing to act on there).
 */

import type { Board } from '../device/boards/board.ts';
import { createBoardFlashes, getBoard } from '../device/boards/index.ts';
import { VirtualDevice } from '../device/device.ts';
import type { HawkbitBuild, HawkbitEvent } from '../device/hawkbit/build.ts';
import { controllerIdOf, fleetHwinfoId } from '../device/hawkbit/identity.ts';
import { blinkyImageFor, bootloaderKeysFor, factoryImages } from '../device/io/board-images.ts';
import { partitionArea } from '../device/mcuboot/layout.ts';
import { builtFor } from '../device/server/build-config.ts';
import { generateKey, isSigningKeyType, type PublicKey, type SigningKey } from '../image/keys.ts';
import { formatVersion } from '../image/version.ts';
import { SmpGroup } from '../smp/group-ids.ts';
import { decodeRawHeader } from '../smp/header.ts';
import { LinkError } from '../transport/link-error.ts';
import { createMemoryLink, type MemoryTransport } from '../transport/memory.ts';
import type { Transport } from '../transport/transport.ts';
import { seededRandom } from '../util/seeded-random.ts';
import { sleepOrAbort, withTimeout } from '../util/timeout.ts';
import type { DdiAuth } from './ddi/client.ts';
import { type FaultPlan, type FleetFault, faultFor, NO_FAULTS } from './faults.ts';

export interface SimFleetOptions {
  count: number;
  /** A built-in board's name or a board already loaded (default stm32f4_disco, nrf52840dk with hawkbit). */
  board?: string | Board;
  /**
   * Boards behind a gateway (no `hawkbit`) get the controller ids `${idPrefix}${index}` when this
   * is given (e.g. "sim-" → sim-0 … sim-999); otherwise, and always for boards that poll hawkBit
   * themselves, Zephyr's `CONFIG_BOARD-<hwinfo id>`.
   */
  idPrefix?: string;
  /** Every board polls this hawkBit itself with Zephyr's client. */
  hawkbit?: {
    url: string;
    tenant?: string;
    auth: DdiAuth;
    /** First poll interval, until the server's sleep (Zephyr's default 5 min). */
    pollIntervalMs?: number;
    /** Scale of the clients' poll sleeps (tests: 0.01); default 1. */
    timeScale?: number;
    /** Failures as closed/failure feedback in words (default true; see device/hawkbit/client.ts). */
    failureFeedback?: boolean;
  };
  faults?: FaultPlan;
  /** How much of the boards' flash time is waited for: 0 none, 1 as the board's flash (default 1). */
  flashTimeScale?: number;
  /** Boards are powered on spread over this many ms (default: the first poll interval, scaled). */
  startSpreadMs?: number;
  /** Tells apart the hwinfo ids (so the controller ids) of two fleets on one server (0–65535). */
  fleetTag?: number;
  /** Called on each board event (boot, power cut, and the hawkBit client's events). */
  onEvent?: (event: FleetEvent) => void;
  signal?: AbortSignal;
}

export interface SimFleet {
  boards: readonly FleetBoard[];
  /** Where each board stands now (version, outcome of its last action), for a summary. */
  summary(): FleetSummary;
  close(): Promise<void>;
}

export interface FleetBoard {
  index: number;
  controllerId: string;
  device: VirtualDevice;
  fault?: FleetFault;
  /** An in-process SMP link to this board (for the gateway). */
  openTransport(): Promise<Transport>;
}

export type FleetEventKind = HawkbitEvent['kind'] | 'boot' | 'halted' | 'power-cut' | 'link-lost';

export interface FleetEvent {
  readonly board: FleetBoard;
  readonly kind: FleetEventKind;
  readonly actionId?: string;
  readonly message: string;
}

export interface FleetSummary {
  readonly count: number;
  /** Boards by running version ("halted" / "off" for boards not running). */
  readonly versions: Readonly<Record<string, number>>;
  /** Boards by the outcome of their last hawkBit action. */
  readonly outcomes: Readonly<Record<'success' | 'failure' | 'cancelled' | 'none', number>>;
  /** Boards with each fault. */
  readonly faults: Readonly<Partial<Record<FleetFault, number>>>;
  /** Each failed board's last failure, in words. */
  readonly failures: readonly { controllerId: string; fault?: FleetFault; message: string }[];
}

export class SimFleetError extends Error {
  override readonly name = 'SimFleetError';
}

/** How long a board stays off after a rehearsed power cut (ms, before the time scale). */
const POWER_OFF_MS = 200;
/** Upload requests a link-lost link carries before it dies. */
const LINK_LOST_AFTER_UPLOAD_CHUNKS = 3;
/** The most boards one process is asked to run (1,000 is the target; memory bounds the rest). */
const MAX_BOARDS = 10_000;
/** How long powering one board off may take at close. */
const POWER_OFF_TIMEOUT_MS = 2000;
/** SMP op "write request" (image upload is group 1, command 1, written). */
const OP_WRITE = 2;
const IMAGE_UPLOAD = 1;

/** The default board behind a gateway (as `zdfu sim`'s). */
export const DEFAULT_BOARD = 'stm32f4_disco';
/**
 * The default board of a fleet polling hawkBit: its storage_partition (4 KiB sectors) holds the
 * settings where Zephyr's client keeps the action id; stm32f4_disco's is one 128 KiB sector.
 */
export const DEFAULT_HAWKBIT_BOARD = 'nrf52840dk';

/**
 * Zephyr's client keeps the action id across the reboot on storage_partition (NVS in v3.5,
 * settings later; LittleFS settings on the virtual board): a partition of one erase block holds
 * neither, so such a board could never finish an update.
 */
function checkHawkbitStorage(board: Board): void {
  const storage = partitionArea(board, createBoardFlashes(board), 'storage_partition');
  if (!storage) {
    throw new SimFleetError(
      `${board.name} cannot run Zephyr's hawkBit client: it has no storage_partition, where the client keeps its action id across the reboot; use e.g. --board ${DEFAULT_HAWKBIT_BOARD}`,
    );
  }
  if (storage.sectors.length < 2) {
    throw new SimFleetError(
      `${board.name} cannot run Zephyr's hawkBit client: its storage_partition is ${storage.sectors.length} erase block of ` +
        `${storage.size / 1024} KiB, where the client could not keep its action id across the reboot; ` +
        `use a board with at least two erase blocks there, e.g. --board ${DEFAULT_HAWKBIT_BOARD}`,
    );
  }
}

export async function startSimFleet(options: SimFleetOptions): Promise<SimFleet> {
  const count = options.count;
  if (!Number.isInteger(count) || count < 1 || count > MAX_BOARDS) {
    throw new SimFleetError(`a fleet has 1 to ${MAX_BOARDS} boards (asked for ${count})`);
  }
  const given =
    typeof options.board === 'object'
      ? options.board
      : getBoard(options.board ?? (options.hawkbit ? DEFAULT_HAWKBIT_BOARD : DEFAULT_BOARD));
  if (options.hawkbit) checkHawkbitStorage(given);
  // Built as an SMP server reachable over UDP (the in-process links carry datagrams).
  const board = builtFor(given, { udp: true });
  const plan = options.faults ?? NO_FAULTS;
  const faults = Array.from({ length: count }, (_, i) => faultFor(plan, i));
  const keys = await bootloaderKeysFor(board);
  const factory = await factoryImages(board);
  const refused = faults.includes('image-refused') ? await refusedBuild(board) : undefined;
  const flashTimeScale = options.flashTimeScale ?? 1;
  const timeScale = options.hawkbit?.timeScale ?? 1;
  const spread =
    options.startSpreadMs ??
    (options.hawkbit ? (options.hawkbit.pollIntervalMs ?? 5 * 60 * 1000) * timeScale : 0);
  const states: BoardState[] = [];
  const links = new Set<MemoryTransport>();
  const emit = (state: BoardState, kind: FleetEventKind, message: string, actionId?: string) => {
    if (kind === 'success' || kind === 'failure' || kind === 'cancelled') {
      state.outcome = kind;
      state.outcomeMessage = message;
    }
    options.onEvent?.(
      actionId === undefined
        ? { board: state.board, kind, message }
        : { board: state.board, kind, message, actionId },
    );
  };

  for (let index = 0; index < count; index++) {
    const fault = faults[index];
    const hwinfoId = fleetHwinfoId(index, options.fleetTag ?? 0);
    const controllerId =
      !options.hawkbit && options.idPrefix !== undefined
        ? `${options.idPrefix}${index}`
        : controllerIdOf(board.name, hwinfoId);
    const state = { outcome: 'none', outcomeMessage: '' } as BoardState;
    const hawkbit: HawkbitBuild | undefined = options.hawkbit
      ? {
          url: options.hawkbit.url,
          ...(options.hawkbit.tenant === undefined ? {} : { tenant: options.hawkbit.tenant }),
          auth: options.hawkbit.auth,
          ...(options.hawkbit.pollIntervalMs === undefined
            ? {}
            : { pollIntervalMs: options.hawkbit.pollIntervalMs }),
          timeScale,
          ...(options.hawkbit.failureFeedback === undefined
            ? {}
            : { failureFeedback: options.hawkbit.failureFeedback }),
          appConfirms: fault !== 'never-confirms',
          ...(fault === 'link-lost'
            ? {
                fetch: breakingDownloads(() =>
                  emit(state, 'link-lost', 'the download connection broke half-way'),
                ),
              }
            : {}),
          onEvent: (event) => emit(state, event.kind, event.message, event.actionId),
        }
      : undefined;
    const device = new VirtualDevice({
      board,
      bootloaderKeys: fault === 'image-refused' && refused ? refused.keys : keys,
      baud: 0,
      flashTimeScale,
      firmwareThread: 'inline',
      hwinfoId,
      ...(hawkbit ? { hawkbit } : {}),
    });
    device.programSlot(0, fault === 'image-refused' && refused ? refused.image : factory[0]!);
    for (let image = 1; image < factory.length; image++) device.programSlot(0, factory[image]!, image);
    const fleetBoard: FleetBoard = {
      index,
      controllerId,
      device,
      ...(fault ? { fault } : {}),
      openTransport: async () =>
        openLink(device, fault === 'link-lost', links, () =>
          emit(state, 'link-lost', 'the SMP link died mid-upload'),
        ),
    };
    state.board = fleetBoard;
    if (fault === 'power-cut-swap') {
      const operation = 2 + Math.floor(seededRandom((plan.seed * 7919 + index) >>> 0 || 1)() * 4);
      device.armPowerCut(operation, POWER_OFF_MS * Math.max(flashTimeScale, 0.05));
      device.onPowerCut((cut) => emit(state, 'power-cut', `power cut in MCUboot's swap: ${cut.message}`));
    }
    let booted = false;
    device.onBoot((result) => {
      if (!booted) {
        booted = true;
        return;
      }
      if (result.booted)
        emit(state, 'boot', `booted ${result.version ? formatVersion(result.version) : '?'}`);
      else emit(state, 'halted', `halted: ${result.reason ?? 'no bootable image'}`);
    });
    states.push(state);
  }

  const fleet: SimFleet = {
    boards: states.map((s) => s.board),
    summary: () => summarize(states),
    close: async () => {
      for (const link of links) await link.close();
      links.clear();
      for (const state of states) {
        // A board that does not stop in time is let go (its app runs inline: nothing outlives it).
        await withTimeout(
          state.board.device.powerOff(),
          POWER_OFF_TIMEOUT_MS,
          () => new Error('power-off'),
        ).catch(() => undefined);
      }
    },
  };
  try {
    const started = performance.now();
    for (const [index, state] of states.entries()) {
      if (options.signal?.aborted) throw options.signal.reason ?? new DOMException('Aborted', 'AbortError');
      const due = started + (spread * index) / count - performance.now();
      if (due > 0) await sleepOrAbort(due, options.signal);
      await state.board.device.powerOn();
    }
  } catch (error) {
    await fleet.close();
    throw error;
  }
  return fleet;
}

interface BoardState {
  board: FleetBoard;
  outcome: 'success' | 'failure' | 'cancelled' | 'none';
  outcomeMessage: string;
}

/** A key of the board's signature type that is not the project's, and Binary One signed with it. */
async function refusedBuild(board: Board): Promise<{ keys: PublicKey[]; image: Uint8Array }> {
  const type = board.mcuboot.signature;
  if (type === 'none' || !isSigningKeyType(type)) {
    throw new SimFleetError(
      `image-refused needs a board whose MCUboot checks signatures; ${board.name} checks hashes only`,
    );
  }
  const { key } = await generateKey(type);
  const signing: SigningKey = { ...key, type };
  return { keys: [key.publicKey], image: await blinkyImageFor(board, 'blinky-one', signing) };
}

/**
 * An in-process SMP link to the board, as its UDP endpoint takes datagrams. A link-lost board's
 * link dies after a few image upload chunks, as a radio link dropping mid-transfer.
 */
function openLink(
  device: VirtualDevice,
  lossy: boolean,
  links: Set<MemoryTransport>,
  onLost: () => void,
): Transport {
  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
  links.add(clientEnd);
  links.add(deviceEnd);
  let uploads = 0;
  deviceEnd.onPacket((packet) => {
    if (lossy && isUploadChunk(packet) && ++uploads > LINK_LOST_AFTER_UPLOAD_CHUNKS) {
      onLost();
      clientEnd.failLink(
        new LinkError(
          `the link to the board was lost mid-upload, after ${LINK_LOST_AFTER_UPLOAD_CHUNKS} chunks`,
          true,
        ),
      );
      void deviceEnd.close();
      return;
    }
    void device.handleDatagram(packet).then(async (responses) => {
      for (const response of responses) if (!deviceEnd.isClosed) await deviceEnd.send(response);
    });
  });
  const close = clientEnd.close.bind(clientEnd);
  clientEnd.close = async () => {
    links.delete(clientEnd);
    links.delete(deviceEnd);
    await deviceEnd.close();
    await close();
  };
  return clientEnd;
}

function isUploadChunk(packet: Uint8Array): boolean {
  if (packet.length < 8) return false;
  const header = decodeRawHeader(packet, 0);
  return header.group === SmpGroup.Image && header.command === IMAGE_UPLOAD && header.op === OP_WRITE;
}

/**
 * The board's HTTP client with a connection that breaks half-way through every artifact download
 * (the body stream errors as a reset TCP connection does); other requests pass.
 */
function breakingDownloads(onBreak: () => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!/\/artifacts\//.test(url) || !response.body) return response;
    const total = Number(response.headers.get('content-length') ?? 0);
    const cutAt = Math.max(1, Math.floor(total / 2));
    const reader = response.body.getReader();
    let seen = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        if (seen + value.length >= cutAt) {
          controller.enqueue(value.subarray(0, Math.max(0, cutAt - seen)));
          onBreak();
          controller.error(new TypeError('terminated: the connection was reset (fault link-lost)'));
          void reader.cancel();
          return;
        }
        seen += value.length;
        controller.enqueue(value);
      },
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function summarize(states: readonly BoardState[]): FleetSummary {
  const versions: Record<string, number> = {};
  const outcomes = { success: 0, failure: 0, cancelled: 0, none: 0 };
  const faults: Partial<Record<FleetFault, number>> = {};
  const failures: { controllerId: string; fault?: FleetFault; message: string }[] = [];
  for (const { board, outcome, outcomeMessage } of states) {
    const device = board.device;
    const version =
      device.state === 'running'
        ? device.lastBoot?.version
          ? formatVersion(device.lastBoot.version)
          : '?'
        : device.state;
    versions[version] = (versions[version] ?? 0) + 1;
    outcomes[outcome]++;
    if (board.fault) faults[board.fault] = (faults[board.fault] ?? 0) + 1;
    if (outcome === 'failure') {
      failures.push({
        controllerId: board.controllerId,
        ...(board.fault ? { fault: board.fault } : {}),
        message: outcomeMessage,
      });
    }
  }
  return { count: states.length, versions, outcomes, faults, failures };
}
