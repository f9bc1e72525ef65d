/**
 * The page's handle on a virtual board that runs in a Web Worker (./board-worker.ts): the board's
 * flash, MCUboot, the booted firmware and Zephyr's SMP server live in the worker; the page gets
 * the board's UART as a Transport framed like a real serial port (SMP console framing, Zephyr
 * `drivers/console/uart_mcumgr.c`, paced at the board's baud rate), its console lines, its LED
 * changes, and the power switch. The flash is kept in the browser's IndexedDB, so reloading the
 * page is a power cycle of the board.
 *
 * Browser-pure: no Node imports. The worker is started with
 * `new Worker(new URL('./board-worker.ts', import.meta.url), { type: 'module' })`, which Vite
 * bundles as a worker chunk.
 */
import type { ByteLink } from '../../transport/byte-link.ts';
import { FramedSerialTransport } from '../../transport/framed-serial.ts';
import { LinkError } from '../../transport/link-error.ts';
import { SERIAL_MAX_PACKET } from '../../transport/serial-framing.ts';
import type { Transport } from '../../transport/transport.ts';
import { Listeners } from '../../util/listeners.ts';
import type { BoardCall, PageToWorker, WorkerToPage } from './protocol.ts';

/** What the page gives the board: nothing is fetched by the worker itself. */
export interface VirtualBoardAssets {
  /**
   * The board file's text (YAML, as src/device/boards/data/<board>.yaml); its `name` must equal
   * the `board` option.
   */
  readonly boardYaml: string;
  /**
   * PEM text of the public key(s) built into MCUboot (bootutil_keys). Required unless the board's
   * MCUboot checks hashes only (`mcuboot.signature: none`).
   */
  readonly bootloaderKeyPem?: string | readonly string[];
  /**
   * What `west flash` writes to a new board: the signed image for each image's primary slot, image
   * 0 (the application: Binary One) first. A board whose MCUboot manages more images (nRF5340's
   * network core) gets image 0's bytes for the missing ones.
   */
  readonly factoryImages: readonly Uint8Array[];
}

/**
 * Where the flash is kept: 'indexeddb' survives a reload (a power cycle), one record per board
 * name; 'memory' lives as long as the worker (tests).
 */
export type VirtualBoardStorage = 'indexeddb' | 'memory';

/**
 * What the page talks to: a Worker running ./board-worker.ts (the default, made by
 * startVirtualBoard), or one end of a MessageChannel whose other end is served by
 * `serveBoardPort` (./board-worker.ts) in the same realm (tests under Node).
 */
export interface BoardWorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  /** Ends the worker (a Worker has it; a MessagePort has close() instead). */
  terminate?(): void;
  close?(): void;
}

export interface VirtualBoardOptions {
  /** The board's name (e.g. 'nrf52840dk'); also names its flash in IndexedDB. */
  readonly board: string;
  readonly storage: VirtualBoardStorage;
  readonly assets: VirtualBoardAssets;
  /**
   * UART line rate in baud, both ways; default 115200 (the board's console, as `zdfu sim`).
   * 0: bytes are delivered at once (no pacing).
   */
  readonly baud?: number;
  /**
   * How much of the flash time is really waited for (MCUboot's swaps, the SMP server's erases and
   * writes): 1 (default) as long as the board's flash would take, 0 none.
   */
  readonly flashTimeScale?: number;
  /** The worker to use instead of starting ./board-worker.ts (tests, custom bundling). */
  readonly worker?: BoardWorkerLike;
  /**
   * How long the worker may take to load the flash, make the board and boot it (MCUboot may
   * resume a swap first); default 60000 ms.
   */
  readonly startTimeoutMs?: number;
}

/**
 * off: no power (after powerCut, before powerOn); booting: MCUboot runs (a swap can take seconds);
 * running: the app runs and answers SMP; halted: MCUboot found nothing to boot, or the app hit a
 * fatal error; closed: close() was called or the worker died.
 */
export type VirtualBoardState = 'off' | 'booting' | 'running' | 'halted' | 'closed';

/** One change of an LED, as the firmware drove its GPIO. */
export interface VirtualBoardLedEvent {
  /** Devicetree alias, e.g. 'led0'. */
  readonly name: string;
  /** Lit (logical level: GPIO_ACTIVE_LOW wiring taken into account). */
  readonly on: boolean;
  /** When the page received it, on performance.now(). */
  readonly atMs: number;
  /** When the firmware made the change, in the board's uptime (ms). */
  readonly uptimeMs: number;
}

/** What MCUboot decided at the last boot. */
export interface VirtualBoardBoot {
  readonly booted: boolean;
  /** Version of the image that runs ("1.0.0"), when one booted. */
  readonly version?: string;
  /** Why nothing booted, in MCUboot's words. */
  readonly reason?: string;
  /** MCUboot's swap type for this boot ('none', 'test', 'perm', 'revert'). */
  readonly swapType: string;
  /** Writes and erases MCUboot did (a swap). */
  readonly flashOps: number;
  /** MCUboot found a swap a power cut had interrupted, and finished it. */
  readonly resumed: boolean;
}

export interface VirtualBoardHandle {
  /** The board's name, as given. */
  readonly board: string;
  /**
   * The board's UART: SMP packets framed as on a real serial port, at the board's baud rate; the
   * console text between frames arrives on `transport.onText`. Stays usable across power cuts
   * (like a USB-serial adapter that stays plugged in). Once closed (a dashboard disconnecting),
   * the next read of `transport` plugs in a new one; `close()` of the handle closes it for good.
   */
  readonly transport: Transport;
  readonly state: VirtualBoardState;
  /** Called on each change of state. */
  onState(listener: (state: VirtualBoardState) => void): () => void;
  /**
   * Whole console lines (MCUboot's, the kernel banner, the app's log), without SMP frames, whether
   * or not anybody uses the transport.
   */
  onConsole(listener: (line: string) => void): () => void;
  /** The most recent console lines (at most 1000), oldest first: for a view opened late. */
  consoleHistory(): readonly string[];
  /** Called on every LED change. */
  onLed(listener: (event: VirtualBoardLedEvent) => void): () => void;
  /** Whether the LED is lit now; default 'led0'. */
  led(name?: string): boolean;
  /**
   * Blink rate over the last `windowMs` (a full on/off cycle is one period), from the firmware's
   * own timestamps; 0 with fewer than two toggles. Default LED 'led0'.
   */
  ledRateHz(windowMs: number, name?: string): number;
  /** What MCUboot decided at the last boot, once one finished. */
  readonly lastBoot: VirtualBoardBoot | undefined;
  /** Called when a boot finishes (power-on, reset, a reset asked for over SMP). */
  onBoot(listener: (boot: VirtualBoardBoot) => void): () => void;
  /**
   * Pulls the plug at once: a flash write or erase in flight is torn as a real power cut leaves it
   * (flash-tear.ts); the state becomes 'off'. What the board acknowledged over SMP is kept.
   */
  powerCut(): Promise<void>;
  /** Powers the board on (MCUboot runs, maybe resumes a swap); resolves when the boot is done. */
  powerOn(): Promise<VirtualBoardBoot>;
  /**
   * Back to the factory: power off, erase the whole flash, write the factory images (Binary One
   * in slot 0), keep that in storage, power on.
   */
  eraseFlash(): Promise<VirtualBoardBoot>;
  /** Powers off, stops the worker and closes the transport; the stored flash is kept. */
  close(): Promise<void>;
}

/** Console lines kept for consoleHistory(). */
const CONSOLE_HISTORY = 1000;
/** LED changes kept for ledRateHz (older ones are dropped). */
const LED_HISTORY_MS = 60_000;
const DEFAULT_BAUD = 115_200;
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** A power-on or an erase may wait for MCUboot's swap with real flash timing. */
const BOOT_CALL_TIMEOUT_MS = 120_000;
const CALL_TIMEOUT_MS = 10_000;
/** How long the board's RX line may stay busy before a write fails. */
const UART_WRITE_TIMEOUT_MS = 10_000;

interface Pending<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

interface LedChange {
  readonly name: string;
  readonly atMs: number;
  readonly uptimeMs: number;
  /** False for a LED's first level after a boot (GPIO configure), which is not a toggle. */
  readonly toggle: boolean;
}

/** Bad options, named with the value given. */
function checkOptions(options: VirtualBoardOptions): void {
  if (typeof options.board !== 'string' || options.board === '') {
    throw new TypeError('startVirtualBoard needs the board name (e.g. "nrf52840dk")');
  }
  if (options.storage !== 'indexeddb' && options.storage !== 'memory') {
    throw new TypeError(`storage must be 'indexeddb' or 'memory' (got ${JSON.stringify(options.storage)})`);
  }
  const baud = options.baud ?? DEFAULT_BAUD;
  if (!Number.isInteger(baud) || baud < 0) {
    throw new RangeError(`baud must be a whole number ≥ 0, 0 for no pacing (got ${baud})`);
  }
  const scale = options.flashTimeScale ?? 1;
  if (!Number.isFinite(scale) || scale < 0) {
    throw new RangeError(`flashTimeScale must be a number ≥ 0 (got ${scale})`);
  }
  if (!options.assets || typeof options.assets.boardYaml !== 'string') {
    throw new TypeError('assets.boardYaml must be the board file text');
  }
  if (!Array.isArray(options.assets.factoryImages) || options.assets.factoryImages.length === 0) {
    throw new TypeError('assets.factoryImages must hold at least the image for slot 0 (Binary One)');
  }
}

/** Starts the board in a Web Worker and resolves once it is made and powered on (booted or halted). */
export async function startVirtualBoard(options: VirtualBoardOptions): Promise<VirtualBoardHandle> {
  checkOptions(options);
  const worker =
    options.worker ??
    new Worker(new URL('./board-worker.ts', import.meta.url), { type: 'module', name: options.board });
  const board = new VirtualBoard(options.board, worker);
  try {
    await board.start(options);
  } catch (error) {
    board.dispose();
    throw error;
  }
  return board;
}

class VirtualBoard implements VirtualBoardHandle {
  private stateNow: VirtualBoardState = 'off';
  private lastBootNow: VirtualBoardBoot | undefined;
  private readonly stateListeners = new Listeners<VirtualBoardState>();
  private readonly consoleListeners = new Listeners<string>();
  private readonly ledListeners = new Listeners<VirtualBoardLedEvent>();
  private readonly bootListeners = new Listeners<VirtualBoardBoot>();
  private readonly history: string[] = [];
  private readonly ledOn = new Map<string, boolean>();
  private readonly ledLastUptime = new Map<string, number>();
  private ledChanges: LedChange[] = [];
  private nextId = 1;
  private readonly calls = new Map<number, Pending<VirtualBoardBoot | undefined>>();
  private readonly writes = new Map<number, Pending<void>>();
  private readonly data = new Listeners<Uint8Array>();
  private link: { link: ByteLink; closeListeners: Listeners<Error | undefined>; closed: boolean } | undefined;
  private current: FramedSerialTransport | undefined;
  private startWait: Pending<void> | undefined;
  private readonly onMessage = (event: MessageEvent) => this.receive(event.data as WorkerToPage);
  private readonly onError = (event: Event) => {
    const message = (event as ErrorEvent).message || 'the script could not be loaded or threw';
    this.fail(new Error(`the virtual board's worker failed: ${message}`));
  };

  constructor(
    readonly board: string,
    private readonly worker: BoardWorkerLike,
  ) {
    worker.addEventListener('message', this.onMessage);
    const errors = worker as unknown as Partial<Pick<Worker, 'addEventListener'>>;
    if (typeof Worker === 'function' && worker instanceof Worker)
      errors.addEventListener?.('error', this.onError);
  }

  start(options: VirtualBoardOptions): Promise<void> {
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `the virtual board ${this.board} did not start within ${timeoutMs} ms (worker not loading?)`,
            ),
          ),
        timeoutMs,
      );
      this.startWait = { resolve, reject, timer };
      this.post({
        type: 'start',
        board: options.board,
        storage: options.storage,
        assets: {
          boardYaml: options.assets.boardYaml,
          ...(options.assets.bootloaderKeyPem !== undefined
            ? { bootloaderKeyPem: options.assets.bootloaderKeyPem }
            : {}),
          factoryImages: options.assets.factoryImages.map((image) => image.slice()),
        },
        baud: options.baud ?? DEFAULT_BAUD,
        flashTimeScale: options.flashTimeScale ?? 1,
      });
    }).finally(() => {
      if (this.startWait) clearTimeout(this.startWait.timer);
      this.startWait = undefined;
    });
  }

  get state(): VirtualBoardState {
    return this.stateNow;
  }

  get lastBoot(): VirtualBoardBoot | undefined {
    return this.lastBootNow;
  }

  get transport(): Transport {
    if (this.stateNow === 'closed') {
      throw new Error(`the virtual board ${this.board} is closed: start it again for a transport`);
    }
    if (!this.current || !this.link || this.link.closed) {
      // Requests as large as the serial framing carries; the board's own buffer (mcumgr params)
      // sizes them further, as over Web Serial.
      this.current = new FramedSerialTransport(this.plugLink(), {
        where: `virtual board ${this.board} (in this tab)`,
        mtu: SERIAL_MAX_PACKET,
      });
    }
    return this.current;
  }

  onState(listener: (state: VirtualBoardState) => void): () => void {
    return this.stateListeners.add(listener);
  }

  onConsole(listener: (line: string) => void): () => void {
    return this.consoleListeners.add(listener);
  }

  consoleHistory(): readonly string[] {
    return [...this.history];
  }

  onLed(listener: (event: VirtualBoardLedEvent) => void): () => void {
    return this.ledListeners.add(listener);
  }

  led(name = 'led0'): boolean {
    return this.ledOn.get(name) ?? false;
  }

  ledRateHz(windowMs: number, name = 'led0'): number {
    const from = performance.now() - windowMs;
    const toggles = this.ledChanges.filter(
      (change) => change.name === name && change.toggle && change.atMs >= from,
    );
    if (toggles.length < 2) return 0;
    // The firmware's own timestamps: message delivery jitter does not skew the span.
    const spanMs = toggles[toggles.length - 1]!.uptimeMs - toggles[0]!.uptimeMs;
    if (spanMs <= 0) return 0;
    // n toggles span n-1 half periods.
    return (toggles.length - 1) / 2 / (spanMs / 1000);
  }

  onBoot(listener: (boot: VirtualBoardBoot) => void): () => void {
    return this.bootListeners.add(listener);
  }

  async powerCut(): Promise<void> {
    await this.call('power-cut', CALL_TIMEOUT_MS);
  }

  async powerOn(): Promise<VirtualBoardBoot> {
    return this.bootCall('power-on');
  }

  async eraseFlash(): Promise<VirtualBoardBoot> {
    return this.bootCall('erase-flash');
  }

  async close(): Promise<void> {
    if (this.stateNow === 'closed') return;
    try {
      await this.call('close', CALL_TIMEOUT_MS);
    } finally {
      this.dispose();
    }
  }

  /** Ends everything on the page side: the worker, the link, what waits. */
  dispose(): void {
    this.fail(new Error(`the virtual board ${this.board} was closed`));
  }

  private async bootCall(call: BoardCall): Promise<VirtualBoardBoot> {
    const boot = await this.call(call, BOOT_CALL_TIMEOUT_MS);
    if (!boot) throw new Error(`the virtual board ${this.board} answered ${call} without a boot`);
    return boot;
  }

  private call(call: BoardCall, timeoutMs: number): Promise<VirtualBoardBoot | undefined> {
    if (this.stateNow === 'closed')
      return Promise.reject(new Error(`the virtual board ${this.board} is closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`the virtual board ${this.board} did not finish ${call} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.calls.set(id, { resolve, reject, timer });
      this.post({ type: 'call', id, call });
    });
  }

  /** A new ByteLink on the board's UART (a cable plugged in); the previous one stays closed. */
  private plugLink(): ByteLink {
    const closeListeners = new Listeners<Error | undefined>();
    const stops: Array<() => void> = [];
    const state = { link: undefined as unknown as ByteLink, closeListeners, closed: false };
    state.link = {
      write: (bytes) => {
        if (state.closed)
          return Promise.reject(new LinkError(`virtual board ${this.board}: the link is closed`, true));
        return this.writeUart(bytes);
      },
      onData: (listener) => {
        const stop = this.data.add((bytes) => {
          if (!state.closed) listener(bytes);
        });
        stops.push(stop);
        return stop;
      },
      onClose: (listener) => closeListeners.add(listener),
      close: async () => {
        state.closed = true;
        for (const stop of stops.splice(0)) stop();
        closeListeners.clear();
      },
    };
    this.link = state;
    return state.link;
  }

  private writeUart(bytes: Uint8Array): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.writes.delete(id);
        reject(
          new LinkError(
            `virtual board ${this.board}: its RX line took no bytes for ${UART_WRITE_TIMEOUT_MS} ms`,
            false,
          ),
        );
      }, UART_WRITE_TIMEOUT_MS);
      this.writes.set(id, { resolve, reject, timer });
      const copy = bytes.slice();
      this.post({ type: 'uart', id, bytes: copy }, [copy.buffer]);
    });
  }

  private post(message: PageToWorker, transfer?: Transferable[]): void {
    this.worker.postMessage(message, transfer);
  }

  private setState(state: VirtualBoardState): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    if (state === 'off' || state === 'booting') this.ledsDark();
    this.stateListeners.emit(state);
  }

  /** Without power (or in reset) the GPIOs let go: every LED goes dark; a new boot counts anew. */
  private ledsDark(): void {
    const atMs = performance.now();
    for (const [name, on] of this.ledOn) {
      if (!on) continue;
      this.ledOn.set(name, false);
      this.ledListeners.emit({ name, on: false, atMs, uptimeMs: this.ledLastUptime.get(name) ?? 0 });
    }
    this.ledOn.clear();
    this.ledChanges = [];
  }

  private onLedMessage(name: string, on: boolean, uptimeMs: number): void {
    const previous = this.ledOn.get(name);
    if (previous === on) return;
    this.ledOn.set(name, on);
    this.ledLastUptime.set(name, uptimeMs);
    const atMs = performance.now();
    this.ledChanges.push({ name, atMs, uptimeMs, toggle: previous !== undefined });
    while (this.ledChanges.length > 0 && this.ledChanges[0]!.atMs < atMs - LED_HISTORY_MS)
      this.ledChanges.shift();
    this.ledListeners.emit({ name, on, atMs, uptimeMs });
  }

  private receive(message: WorkerToPage): void {
    switch (message.type) {
      case 'started':
        this.lastBootNow = message.boot;
        this.startWait?.resolve();
        break;
      case 'start-error':
        this.startWait?.reject(
          new Error(`the virtual board ${this.board} could not start: ${message.message}`),
        );
        break;
      case 'uart':
        this.data.emit(message.bytes);
        break;
      case 'uart-ack': {
        const pending = this.writes.get(message.id);
        if (!pending) break;
        this.writes.delete(message.id);
        clearTimeout(pending.timer);
        pending.resolve();
        break;
      }
      case 'console':
        this.history.push(message.line);
        if (this.history.length > CONSOLE_HISTORY)
          this.history.splice(0, this.history.length - CONSOLE_HISTORY);
        this.consoleListeners.emit(message.line);
        break;
      case 'led':
        this.onLedMessage(message.name, message.on, message.uptimeMs);
        break;
      case 'state':
        this.setState(message.state);
        break;
      case 'boot':
        this.lastBootNow = message.boot;
        this.bootListeners.emit(message.boot);
        break;
      case 'reply': {
        const pending = this.calls.get(message.id);
        if (!pending) break;
        this.calls.delete(message.id);
        clearTimeout(pending.timer);
        if (message.error !== undefined)
          pending.reject(new Error(`virtual board ${this.board}: ${message.error}`));
        else pending.resolve(message.boot);
        break;
      }
    }
  }

  /** The board is gone (closed, or its worker died): everything waiting fails with `error`. */
  private fail(error: Error): void {
    if (this.stateNow === 'closed') return;
    this.worker.removeEventListener('message', this.onMessage);
    this.worker.terminate?.();
    this.worker.close?.();
    this.startWait?.reject(error);
    for (const pending of [...this.calls.values(), ...this.writes.values()]) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.calls.clear();
    this.writes.clear();
    const link = this.link;
    if (link && !link.closed) {
      link.closed = true;
      link.closeListeners.emit(error);
    }
    this.setState('closed');
    this.stateListeners.clear();
  }
}
