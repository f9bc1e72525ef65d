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
import type { Transport } from '../../transport/transport.ts';

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
  /** How long the worker may take to load the flash and make the board; default 10000 ms. */
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
}

export interface VirtualBoardHandle {
  /** The board's name, as given. */
  readonly board: string;
  /**
   * The board's UART: SMP packets framed as on a real serial port, at the board's baud rate; the
   * console text between frames arrives on `transport.onText`. Stays usable across power cuts
   * (like a USB-serial adapter that stays plugged in); `close()` of the handle closes it.
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

/** Starts the board in a Web Worker and resolves once it is made and powered on (booted or halted). */
export declare function startVirtualBoard(options: VirtualBoardOptions): Promise<VirtualBoardHandle>;
