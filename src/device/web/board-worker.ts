/**
 * The board's worker: makes a VirtualDevice from what the page gave (board file text, MCUboot's
 * keys, factory images), keeps its flash in IndexedDB (./flash-keeper.ts), runs the app inline on
 * this worker's event loop (./firmware-host.ts), and speaks ./protocol.ts with the page
 * (./virtual-board.ts). Browser-pure: started by the page as a module worker, or, in tests, served
 * on one end of a MessageChannel with `serveBoardPort`.
 *
 * What a reload (or a tab closed) keeps: every flash change is stored in the next IndexedDB
 * transaction (one per turn of work), and the board's UART output that follows a flash change is
 * held until that change is stored. So an SMP answer never leaves before the write or erase it
 * acknowledges is in IndexedDB; a reload loses at most the changes of the work in flight, whose
 * answers nobody received, as a power cut at that moment would (a request is then retried or
 * resumed by the client). IndexedDB's default durability survives a reload, a tab or browser
 * crash, not an operating-system crash.
 */
import { loadPublicKey, type PublicKey } from '../../image/keys.ts';
import { SwapType } from '../../image/trailer.ts';
import { formatVersion } from '../../image/version.ts';
import type { Board } from '../boards/board.ts';
import { type BoardFlashes, createBoardFlashes } from '../boards/flashes.ts';
import { boardFromText } from '../boards/parse.ts';
import { VirtualDevice } from '../device.ts';
import type { FirmwareThreadStarter } from '../firmware/thread.ts';
import { PowerCut } from '../flash.ts';
import type { BootResult } from '../mcuboot/boot-types.ts';
import { builtFor } from '../server/build-config.ts';
import { BROWSER_INLINE } from './firmware-host.ts';
import { FlashInFlight } from './flash-in-flight.ts';
import { FlashKeeper, flashGeometry } from './flash-keeper.ts';
import { type FlashStore, IndexedDbFlashStore, MemoryFlashStore } from './flash-store.ts';
import type { BoardCall, BoardStartMessage, PageToWorker, WorkerToPage } from './protocol.ts';
import type { VirtualBoardBoot } from './virtual-board.ts';

/** One end of the page's channel: the worker's global scope, or a MessagePort in tests. */
export interface BoardPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** MessagePort needs it; a worker's global scope does not have it. */
  start?(): void;
  close?(): void;
}

/** Where the worker keeps its flash: chosen by the page's storage option, or given (tests). */
export interface BoardWorkerEnv {
  /** The store for storage 'memory' (a test shares one across "reloads"); default a fresh one. */
  readonly memoryStore?: FlashStore;
  /** The IndexedDB for storage 'indexeddb'; default the worker's own. */
  readonly indexedDB?: IDBFactory;
  /** Where the app runs; default ./firmware-host.ts's BROWSER_INLINE. */
  readonly firmwareHost?: FirmwareThreadStarter;
}

const SWAP_NAMES: Record<number, string> = {
  [SwapType.NONE]: 'none',
  [SwapType.TEST]: 'test',
  [SwapType.PERM]: 'perm',
  [SwapType.REVERT]: 'revert',
  [SwapType.FAIL]: 'fail',
  [SwapType.PANIC]: 'panic',
};

function bootSummary(result: BootResult): VirtualBoardBoot {
  return {
    booted: result.booted,
    ...(result.version ? { version: formatVersion(result.version) } : {}),
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    swapType: SWAP_NAMES[result.swapType] ?? String(result.swapType),
    flashOps: result.flashOps,
    resumed: result.resumed,
  };
}

/** A running board and what it is wired to. */
interface LiveBoard {
  readonly device: VirtualDevice;
  readonly flashes: BoardFlashes;
  readonly keeper: FlashKeeper;
  readonly inFlight: FlashInFlight;
  readonly store: FlashStore;
  readonly factory: readonly Uint8Array[];
}

async function bootloaderKeys(
  board: Board,
  pem: BoardStartMessage['assets']['bootloaderKeyPem'],
): Promise<PublicKey[]> {
  const pems = pem === undefined ? [] : typeof pem === 'string' ? [pem] : [...pem];
  if (board.mcuboot.signature !== 'none' && pems.length === 0) {
    throw new Error(
      `${board.name}: its MCUboot checks ${board.mcuboot.signature} signatures, so the assets need bootloaderKeyPem (the public key it trusts)`,
    );
  }
  return Promise.all(pems.map((text) => loadPublicKey(text)));
}

/** Serves one board on `port` until the page closes it. */
export function serveBoardPort(port: BoardPort, env: BoardWorkerEnv = {}): void {
  let live: LiveBoard | undefined;
  let starting = false;
  const post = (message: WorkerToPage, transfer?: Transferable[]) => port.postMessage(message, transfer);
  /** RX requests waiting for the line to drain, by id. */
  let waitingAcks: number[] = [];

  const start = async (message: BoardStartMessage): Promise<void> => {
    const parsed = boardFromText(message.assets.boardYaml, `${message.board}.yaml`);
    if (parsed.name !== message.board) {
      throw new Error(`the board file given is ${parsed.name}'s, not ${message.board}'s`);
    }
    if (message.assets.factoryImages.length === 0) {
      throw new Error('the assets have no factory image (Binary One for slot 0)');
    }
    const board = builtFor(parsed, { udp: false, ble: false });
    const flashes = createBoardFlashes(board);
    const device = new VirtualDevice({
      board,
      flash: flashes,
      bootloaderKeys: await bootloaderKeys(board, message.assets.bootloaderKeyPem),
      baud: message.baud,
      flashTimeScale: message.flashTimeScale,
      firmwareThread: env.firmwareHost ?? BROWSER_INLINE,
    });
    const store =
      message.storage === 'memory'
        ? (env.memoryStore ?? new MemoryFlashStore())
        : await IndexedDbFlashStore.open(env.indexedDB ?? indexedDB);
    const keeper = new FlashKeeper(store, board.name, flashGeometry(board, flashes), flashes);
    const restored = await keeper.load();
    const factory = message.assets.factoryImages;
    if (!restored) programFactory(device, factory);
    const inFlight = new FlashInFlight(flashes, message.flashTimeScale);
    live = { device, flashes, keeper, inFlight, store, factory };
    wire(live);
    post({ type: 'started', restored, boot: await powerOn(device) });
  };

  const wire = ({ device, keeper }: LiveBoard) => {
    // The TX line: bytes after a flash change wait until the change is stored (see the header).
    const held: Array<{ bytes: Uint8Array; after: number }> = [];
    const send = (bytes: Uint8Array) => {
      const copy = bytes.slice();
      post({ type: 'uart', bytes: copy }, [copy.buffer]);
    };
    const release = () => {
      const settled = keeper.settledOperations;
      while (held.length > 0 && held[0]!.after <= settled) send(held.shift()!.bytes);
    };
    device.onUart((bytes) => {
      if (held.length === 0 && keeper.settledOperations >= keeper.operations) send(bytes);
      else held.push({ bytes: bytes.slice(), after: keeper.operations });
    });
    keeper.onSettled(release);
    keeper.onFailure((error) => {
      post({
        type: 'console',
        line: `zdfu: the flash can no longer be kept in the browser's storage (${error.message}); a reload will lose what is written from now on`,
      });
    });
    device.onConsoleLine((line) => post({ type: 'console', line }));
    device.onStateChange((state) => {
      post({ type: 'state', state });
      if (state === 'running') {
        device.firmware?.onLed((event) =>
          post({ type: 'led', name: event.name, on: event.on, uptimeMs: event.uptimeMs }),
        );
      }
    });
    device.onBoot((result) => post({ type: 'boot', boot: bootSummary(result) }));
    device.onUartRxDrain(() => {
      for (const id of waitingAcks) post({ type: 'uart-ack', id });
      waitingAcks = [];
    });
  };

  const call = async (board: LiveBoard, what: BoardCall): Promise<VirtualBoardBoot | undefined> => {
    const { device, flashes, keeper } = board;
    switch (what) {
      case 'power-cut': {
        // The write or erase in flight is torn as a real cut in the middle of it leaves it
        // (./flash-in-flight.ts); the board is off at once.
        const seed = Math.floor(Math.random() * 0x7fffffff);
        for (const range of board.inFlight.cut(seed, Math.random)) {
          keeper.changed(range.device, range.offset, range.length);
        }
        await device.powerOff();
        return undefined;
      }
      case 'power-on': {
        // Power back: any tear armed by the cut and not reached is void.
        for (const flash of flashes.values()) flash.powerOn();
        return powerOn(device);
      }
      case 'erase-flash': {
        await device.powerOff();
        for (const flash of flashes.values()) {
          flash.powerOn();
          flash.erase(0, flash.size);
        }
        programFactory(device, board.factory);
        // A factory programmer wrote this, not the board: nothing of it is in flight.
        board.inFlight.reset();
        await keeper.flush();
        return powerOn(device);
      }
      case 'close': {
        await device.powerOff();
        await keeper.flush();
        keeper.detach();
        board.inFlight.detach();
        board.store.close();
        return undefined;
      }
    }
  };

  port.addEventListener('message', (event: MessageEvent) => {
    const message = event.data as PageToWorker;
    if (message.type === 'start') {
      if (starting) return;
      starting = true;
      start(message).catch((error: unknown) => {
        post({ type: 'start-error', message: error instanceof Error ? error.message : String(error) });
      });
      return;
    }
    const board = live;
    if (message.type === 'uart') {
      // No board yet (or any more): the bytes fall on a dead line, as on a board without power.
      if (!board || board.device.uartReceive(message.bytes)) post({ type: 'uart-ack', id: message.id });
      else waitingAcks.push(message.id);
      return;
    }
    if (message.type === 'call') {
      if (!board) {
        post({ type: 'reply', id: message.id, error: 'the board is not started' });
        return;
      }
      call(board, message.call).then(
        (boot) => {
          post({ type: 'reply', id: message.id, ...(boot ? { boot } : {}) });
          if (message.call === 'close') {
            live = undefined;
            port.close?.();
          }
        },
        (error: unknown) =>
          post({
            type: 'reply',
            id: message.id,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    }
  });
  port.start?.();
}

/** Powers the board on; a power cut during the boot (MCUboot's swap) ends it unbooted. */
async function powerOn(device: VirtualDevice): Promise<VirtualBoardBoot> {
  try {
    return bootSummary(await device.powerOn());
  } catch (error) {
    if (!(error instanceof PowerCut)) throw error;
    return {
      booted: false,
      reason: `the power was cut during the boot: ${error.message}`,
      swapType: 'none',
      resumed: false,
      flashOps: 0,
    };
  }
}

/** What `west flash` writes: image 0's factory image, and the others' (or image 0's again). */
function programFactory(device: VirtualDevice, images: readonly Uint8Array[]): void {
  const first = images[0] as Uint8Array;
  for (let number = 0; number < device.imageCount; number++) {
    device.programSlot(0, images[number] ?? first, number);
  }
}

/**
 * A flash operation after a power cut throws PowerCut inside whatever work was in flight; that
 * work ends there, as it would on a board without power: not an error of the worker.
 */
function quietPowerCuts(scope: {
  addEventListener(type: string, listener: (event: Event) => void): void;
}): void {
  scope.addEventListener('unhandledrejection', (event) => {
    if ((event as PromiseRejectionEvent).reason instanceof PowerCut) event.preventDefault();
  });
}

// Started as a dedicated worker: serve the page on the worker's own scope.
const scope = globalThis as unknown as { WorkerGlobalScope?: unknown };
if (
  typeof scope.WorkerGlobalScope === 'function' &&
  globalThis instanceof (scope.WorkerGlobalScope as typeof Object)
) {
  quietPowerCuts(globalThis as unknown as EventTarget);
  serveBoardPort(globalThis as unknown as BoardPort);
}
