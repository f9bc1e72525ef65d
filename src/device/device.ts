/**
 * A virtual board: flash with the board's geometry, MCUboot deciding what boots, the booted
 * firmware running with Zephyr's SMP server, and one UART on which MCUboot's lines, the app's log
 * and SMP frames share the wire, as on the real board.
 */
import { formatLogLine, type LogLevel } from '../../firmware/zephyr/logging/format.ts';
import { ImageSlots } from '../groups/image/slots.ts';
import type { GroupServe } from '../groups/installer.ts';
import { VirtualRtc } from '../groups/os/rtc.ts';
import { decodeHeaderFields, IMAGE_HEADER_SIZE } from '../image/format.ts';
import type { PublicKey } from '../image/keys.ts';
import { SwapType, trailerLayout } from '../image/trailer.ts';
import { validateForBoot } from '../image/verify.ts';
import { formatVersion, type ImageVersion } from '../image/version.ts';
import { Listeners } from '../util/listeners.ts';
import type { Board } from './boards/board.ts';
import { bootLogLines } from './boards/boot-log.ts';
import { type BoardFlashes, createBoardFlashes } from './boards/flashes.ts';
import { devicetreeOf } from './firmware/devicetree.ts';
import {
  extractAppCode,
  FirmwareShellError,
  type FirmwareThread,
  type RunningFirmware,
  startFirmware,
} from './firmware/runner.ts';
import { type CutInside, type Flash, PowerCut } from './flash.ts';
import type { HawkbitBuild } from './hawkbit/build.ts';
import { startHawkbitClient } from './hawkbit/client.ts';
import { DEFAULT_HWINFO_ID } from './hawkbit/identity.ts';
import { BaudPacer, type BaudPacerStats } from './io/baud-pacer.ts';
import { type BootResult, bootGo } from './mcuboot/boot.ts';
import {
  type BootLayout,
  bootLayoutFromBoard,
  checkLayout,
  type ImageLayout,
  partitionArea,
} from './mcuboot/layout.ts';
import { mountAppFileSystem } from './server/app-fs.ts';
import { type SmpServerBuild, smpServerBuild } from './server/build-config.ts';
import { groupServers } from './server/group-servers.ts';
import { LogBackendFs } from './server/log-backend-fs.ts';
import { LogThread } from './server/log-thread.ts';
import type { DeviceServices } from './server/services.ts';
import { SmpServer } from './server/smp-server.ts';
import { createDeviceSettings } from './settings/device-settings.ts';
import { type SmpBuffer, SmpBufferPool } from './transport/smp-buffers.ts';
import { UartEndpoint } from './transport/uart.ts';
import { UdpEndpoint } from './transport/udp.ts';

export type DeviceState = 'off' | 'booting' | 'running' | 'halted';

export interface VirtualDeviceOptions {
  board: Board;
  /**
   * The board's flash: one Flash for a board with one flash device, else one per device (by
   * device id); fresh erased ones with the board's geometry when left out.
   */
  flash?: Flash | BoardFlashes;
  /** Keys built into MCUboot (bootutil_keys); required unless the board checks hashes only. */
  bootloaderKeys: PublicKey[];
  /** UART line rate in baud; 0 delivers bytes at once. */
  baud?: number;
  /**
   * How much of the flash time the board spends is really waited for, in MCUboot's swaps and in
   * the SMP server's erases and writes (an upload): 0 = none, 1 = as long as the board's flash
   * would take.
   */
  flashTimeScale?: number;
  /** Where the booted app runs: a worker thread (default) or inline, for many boards in one process. */
  firmwareThread?: FirmwareThread;
  /** What hwinfo_get_device_id reads (the SoC's unique id); a fleet gives each board its own. */
  hwinfoId?: Uint8Array;
  /** The app is built with Zephyr's hawkBit client (src/device/hawkbit/), polling this server. */
  hawkbit?: HawkbitBuild;
}

type Listener<T> = (value: T) => void;

/** Host bytes allowed to wait for the RX line before the host is told to wait (≈ 90 ms at 115200). */
const RX_HIGH_WATER = 1024;
/** Device output that may wait for the TX line. */
const TX_CAPACITY = 1024 * 1024;

/** An armed power cut that MCUboot's work finished before reaching. */
export interface PowerCutMissed {
  /** The write or erase the cut was armed before. */
  readonly operation: number;
  /** How many writes and erases the boot did. */
  readonly flashOps: number;
}

export class VirtualDevice {
  readonly board: Board;
  /** How the app's SMP server is built: the board's smpServer options with smp_svr's defaults. */
  readonly smpBuild: SmpServerBuild;
  /** The flash device MCUboot and slot 0 live on (the board's first). */
  readonly flash: Flash;
  /** Every flash device of the board, by device id (slot 1 may be on an external one). */
  readonly flashes: BoardFlashes;
  /** What the MCUboot model reads of the board (partitions on their Flash objects). */
  /** The flash areas MCUboot opens (mcuboot/layout.ts), each on its own flash device. */
  private readonly layout: BootLayout;
  private readonly keys: PublicKey[];
  private readonly tx: BaudPacer;
  private readonly rx: BaudPacer;
  private readonly flashTimeScale: number;
  private readonly firmwareThread: FirmwareThread;
  /** hwinfo_get_device_id's bytes. */
  readonly hwinfoId: Uint8Array;
  private readonly hawkbit: HawkbitBuild | undefined;
  private readonly uartListeners = new Listeners<Uint8Array>();
  private readonly lineListeners = new Listeners<string>();
  private readonly bootListeners = new Listeners<BootResult>();
  private readonly powerCutListeners = new Listeners<PowerCut>();
  private readonly powerCutMissedListeners = new Listeners<PowerCutMissed>();
  private armedCut: { operation: number; offMs: number; inside?: CutInside } | undefined;
  private serial: UartEndpoint | undefined;
  private udp: UdpEndpoint | undefined;
  private server: SmpServer | undefined;
  private running: RunningFirmware | undefined;
  private runningVersion: ImageVersion | undefined;
  private booting: Promise<BootResult> | undefined;
  private lastBootResult: BootResult | undefined;
  private stateNow: DeviceState = 'off';
  private readonly stateListeners = new Listeners<DeviceState>();
  /** Every state change is announced (a BLE endpoint stops advertising while the board boots). */
  private get currentState(): DeviceState {
    return this.stateNow;
  }
  private set currentState(state: DeviceState) {
    if (state === this.stateNow) return;
    this.stateNow = state;
    this.stateListeners.emit(state);
  }
  private generation = 0;
  private pendingText = '';
  /** Zephyr's deferred log processing for the app's subsystem log lines. */
  private readonly logThread = new LogThread({
    print: (line) => {
      this.printText(line);
      this.logFs?.message(line.replace(/\n$/, '\r\n'));
    },
  });
  /** Zephyr's file-system log backend, writing the app's log into /lfs1 while the app runs. */
  private logFs: LogBackendFs | undefined;
  /** What the groups asked to hear when this run of the app ends. */
  private appStopListeners: Array<() => void> = [];
  /** Waits (flash time, power-off time) that a power-off ends at once. */
  private readonly waits = new Set<() => void>();
  /** Zephyr's SMP buffers, shared by the UART, UDP and BLE transports (./transport/smp-buffers.ts). */
  readonly smpBuffers: SmpBufferPool;
  /** The SMP work queue: one request at a time, in arrival order, across all transports. */
  private workQueue: Promise<unknown> = Promise.resolve();
  /** Erase and program time spent since the board was made, µs (reads are memory-mapped: free). */
  private flashWorkUs = 0;
  /** The board's RTC: it keeps counting across warm resets and forgets its time without power. */
  private readonly rtc = new VirtualRtc(() => performance.now());

  constructor(options: VirtualDeviceOptions) {
    this.board = options.board;
    this.smpBuild = smpServerBuild(options.board);
    const given = options.flash;
    const first = options.board.flashDevices[0]?.id ?? '';
    this.flashes =
      given === undefined
        ? createBoardFlashes(options.board)
        : given instanceof Map
          ? given
          : new Map([[first, given as Flash]]);
    const boot = this.flashes.get(first);
    if (!boot) throw new RangeError(`${options.board.name}: no Flash given for its flash device ${first}`);
    this.flash = boot;
    this.layout = bootLayoutFromBoard(options.board, this.flashes);
    // A board MCUboot could not be built for (swap using scratch without a scratch partition…).
    checkLayout(this.layout, options.board.mcuboot);
    // An MCUboot built for signatures with no key would silently become a hash-only bootloader.
    if (options.board.mcuboot.signature !== 'none' && options.bootloaderKeys.length === 0) {
      throw new Error(
        `${options.board.name}: MCUboot is built for ${options.board.mcuboot.signature} signatures, ` +
          'so it needs at least one bootloader key (bootloaderKeys is empty)',
      );
    }
    this.keys = options.bootloaderKeys;
    this.flashTimeScale = options.flashTimeScale ?? 0;
    this.smpBuffers = new SmpBufferPool(this.smpBuild.netbufCount);
    // Only a board that waits for its flash counts the time (an observer costs every flash
    // operation an event object).
    if (this.flashTimeScale > 0) {
      for (const flash of this.flashes.values()) {
        flash.onOperation((op) => {
          if (op.kind !== 'read') this.flashWorkUs += op.durationUs;
        });
      }
    }
    this.firmwareThread = options.firmwareThread ?? 'worker';
    this.hwinfoId = options.hwinfoId ?? DEFAULT_HWINFO_ID;
    this.hawkbit = options.hawkbit;
    const baud = options.baud ?? 0;
    // Zephyr's console and uart_mcumgr send with uart_poll_out, which waits for the line: the
    // board slows down rather than lose output. The model cannot stall the app, so it queues
    // instead, within a bound (~90 s of line time at 115200) that only a runaway app reaches.
    this.tx = new BaudPacer(baud, (bytes) => this.uartListeners.emit(bytes), { capacity: TX_CAPACITY });
    // The wire into the board carries at most the baud rate; what a host sends faster waits on
    // the host side (uartReceive answers false: stop sending) and past that is lost, never queued
    // without bound. The board itself takes each byte as it arrives: uart_mcumgr's ISR moves it
    // into a line buffer at once (Zephyr drivers/console/uart_mcumgr.c), so it is never behind.
    this.rx = new BaudPacer(baud, (bytes) => this.serial?.receive(bytes), { highWater: RX_HIGH_WATER });
  }

  get state(): DeviceState {
    return this.currentState;
  }

  get firmware(): RunningFirmware | undefined {
    return this.running;
  }

  get lastBoot(): BootResult | undefined {
    return this.lastBootResult;
  }

  /** Bytes the device puts on its UART TX line. */
  onUart(listener: Listener<Uint8Array>): () => void {
    return this.uartListeners.add(listener);
  }

  /** Console text lines (MCUboot, kernel banner, app log), without SMP frames. */
  onConsoleLine(listener: Listener<string>): () => void {
    return this.lineListeners.add(listener);
  }

  /** Called on each change of state: off, booting (reset, power-on), running, halted. */
  onStateChange(listener: Listener<DeviceState>): () => void {
    return this.stateListeners.add(listener);
  }

  onBoot(listener: Listener<BootResult>): () => void {
    return this.bootListeners.add(listener);
  }

  /**
   * Bytes a host sends to the UART RX line. False: the line is busy, stop sending until
   * onUartRxDrain (bytes sent anyway wait in a bounded buffer, then are lost and counted).
   */
  uartReceive(bytes: Uint8Array): boolean {
    return this.rx.push(bytes);
  }

  /** Called when a host told to wait (uartReceive returned false) may send again. */
  onUartRxDrain(listener: () => void): () => void {
    return this.rx.onDrain(listener);
  }

  /** Bytes waiting for the RX line, the most that ever waited, and bytes lost to overrun. */
  get uartRxStats(): BaudPacerStats {
    return this.rx.stats;
  }

  /** One UDP datagram for the SMP server; no answer while the device is not running. */
  async handleDatagram(packet: Uint8Array): Promise<Uint8Array[]> {
    const udp = this.udp;
    if (!udp || this.currentState !== 'running') return [];
    return udp.receive(packet);
  }

  /**
   * One whole SMP request from a transport that collected it itself, in the SMP buffer it took
   * (BLE, as smp_bt.c does with its reassembly); no answer while the device is not running.
   */
  async handleRequest(packet: Uint8Array, buffer: SmpBuffer): Promise<Uint8Array[]> {
    const server = this.server;
    if (!server || this.currentState !== 'running') {
      this.smpBuffers.release(buffer);
      return [];
    }
    return this.submit(server, packet, buffer);
  }

  /** Resolves once the SMP work queue has handled every request queued so far (tests pace by it). */
  whenSmpIdle(): Promise<void> {
    return this.workQueue.then(() => undefined);
  }

  /** A whole request from the UART or UDP endpoint: it takes its SMP buffer here. */
  private takeAndSubmit(server: SmpServer, packet: Uint8Array): Promise<Uint8Array[]> {
    const buffer = this.smpBuffers.take();
    // No buffer left: smp_packet_alloc failed and the request is dropped without an answer.
    if (buffer === undefined) return Promise.resolve([]);
    return this.submit(server, packet, buffer);
  }

  /** Queues a request on the SMP work queue (Zephyr's smp_work_queue thread is one for all). */
  private submit(server: SmpServer, packet: Uint8Array, buffer: SmpBuffer): Promise<Uint8Array[]> {
    const generation = this.generation;
    const run = this.workQueue
      .then(() => this.work(server, packet, generation))
      .finally(() => {
        this.smpBuffers.release(buffer);
      });
    this.workQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Handles one request: SMP requests wait until main() first blocks, as on Zephyr where main
   * outranks the work queue; the response needs a buffer of its own (smp_alloc_rsp); the flash
   * erases and writes the request caused take their time (with flashTimeScale) before the answer
   * goes out and the next request is taken.
   */
  private async work(server: SmpServer, packet: Uint8Array, generation: number): Promise<Uint8Array[]> {
    await this.running?.ready();
    if (this.server !== server) return [];
    const responseBuffer = this.smpBuffers.take();
    if (responseBuffer === undefined) return [];
    try {
      const responses = await this.flashWork(() => server.handlePacket(packet), generation);
      return this.server === server ? responses : [];
    } finally {
      this.smpBuffers.release(responseBuffer);
    }
  }

  /**
   * Writes an image at the start of a slot of image `imageNumber` (default 0), as `west flash`
   * does to slot 0 (erasing as needed).
   */
  programSlot(slot: 0 | 1, image: Uint8Array, imageNumber = 0): void {
    const layout = this.layout.images[imageNumber];
    const area = slot === 0 ? layout?.primary : layout?.secondary;
    if (!area) {
      throw new RangeError(
        `${this.board.name} has ${this.layout.images.length} image(s); there is no image ${imageNumber}`,
      );
    }
    if (image.length > area.size) {
      throw new RangeError(`image of ${image.length} bytes does not fit ${area.label} (${area.size} bytes)`);
    }
    for (const sector of area.sectors) {
      if (sector.offset < image.length && !area.isErased(sector.offset, sector.size)) {
        area.erase(sector.offset, sector.size);
      }
    }
    const align = area.align;
    const padded = new Uint8Array(Math.ceil(image.length / align) * align).fill(area.eraseValue);
    padded.set(image);
    area.write(0, padded);
  }

  powerOn(): Promise<BootResult> {
    return this.boot();
  }

  /** A warm reset: the app stops, MCUboot runs again, then whatever it boots. */
  reset(): Promise<BootResult> {
    return this.boot();
  }

  async powerOff(): Promise<void> {
    this.generation++;
    this.rtc.powerLost();
    for (const end of [...this.waits]) end();
    await this.stopApp();
    this.tx.clear();
    this.rx.clear();
    this.currentState = 'off';
  }

  private boot(): Promise<BootResult> {
    if (this.booting) return this.booting;
    const run = this.bootOnce().finally(() => {
      this.booting = undefined;
    });
    this.booting = run;
    return run;
  }

  private async bootOnce(): Promise<BootResult> {
    const generation = ++this.generation;
    this.currentState = 'booting';
    this.smpBuffers.clear();
    await this.stopApp();
    this.rx.clear();
    for (const flash of this.flashes.values()) if (flash.isPoweredOff) flash.powerOn();
    const validate = this.validator();
    const cut = this.armedCut;
    const disarm = cut ? this.cutPowerAt(cut.operation, cut.inside) : () => {};
    let result: BootResult;
    try {
      result = await bootGo({
        flash: this.flashes,
        board: this.board,
        validate,
        onLog: (line) => {
          for (const shown of bootLogLines(this.board, line)) this.printLine(shown);
        },
      });
    } catch (error) {
      if (!(error instanceof PowerCut) || !cut) throw error;
      return this.powerCutDuringBoot(error, cut);
    } finally {
      disarm();
    }
    if (cut) {
      // The cut did not fire: disarm it so the app's own flash writes are not cut. It stays armed
      // for a later boot only if this one wrote nothing (no swap happened).
      for (const flash of this.flashes.values()) flash.powerOn();
      if (result.flashOps > 0) {
        this.armedCut = undefined;
        this.powerCutMissedListeners.emit({ operation: cut.operation, flashOps: result.flashOps });
      }
    }
    this.lastBootResult = result;
    if (this.flashTimeScale > 0 && result.flashTimeUs > 0) {
      await this.wait((result.flashTimeUs / 1000) * this.flashTimeScale, generation);
    }
    const servers = await groupServers();
    if (generation !== this.generation) return result;
    if (!result.booted) {
      this.currentState = 'halted';
    } else {
      this.startApp(result, servers);
    }
    this.bootListeners.emit(result);
    return result;
  }

  /**
   * Power fails just before the n-th write or erase, counted over all flash devices (a swap with
   * slot 1 on external flash writes both): on one device, that device's own cut point; on several,
   * each operation is counted as it completes and all devices are cut once n-1 are done. Returns
   * what stops the counting.
   */
  private cutPowerAt(operation: number, inside: CutInside | undefined): () => void {
    const flashes = [...this.flashes.values()];
    const plan = (mutation: number) => ({ mutation, ...(inside ? { inside } : {}) });
    if (flashes.length === 1 || operation === 1) {
      for (const flash of flashes) flash.cutPower(plan(operation));
      return () => {};
    }
    let done = 0;
    const stops = flashes.map((flash) =>
      flash.onOperation((op) => {
        if (op.kind === 'read') return;
        done++;
        // Each device's next write or erase is the cut one (torn, when `inside`): whichever comes.
        if (done === operation - 1) for (const each of flashes) each.cutPower(plan(1));
      }),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }

  /**
   * Rehearses pulling the plug in the middle of MCUboot's work: on the next boot that writes flash
   * (a swap or revert), power fails just before its `operation`-th write or erase, or with `inside`
   * part-way through it (a torn write, a partial erase: see flash-tear.ts). The board stays off for
   * `offMs` and then powers on again, so MCUboot finds the swap half done and resumes it.
   */
  armPowerCut(operation: number, offMs = 500, inside?: CutInside): void {
    if (!Number.isInteger(operation) || operation < 1) {
      throw new RangeError(`a power cut needs a flash operation number ≥ 1 (got ${operation})`);
    }
    if (inside && !(Number.isFinite(inside.fraction) && inside.fraction >= 0 && inside.fraction < 1)) {
      throw new RangeError(`a cut inside an operation needs a fraction in [0, 1) (got ${inside.fraction})`);
    }
    this.armedCut = inside ? { operation, offMs, inside: { ...inside } } : { operation, offMs };
  }

  /** Called when an armed power cut fires; the board comes back on by itself. */
  onPowerCut(listener: Listener<PowerCut>): () => void {
    return this.powerCutListeners.add(listener);
  }

  /**
   * Called when a boot wrote flash (a swap or revert) but finished before the armed cut point:
   * the cut is disarmed, and the rehearsal cut nothing.
   */
  onPowerCutMissed(listener: Listener<PowerCutMissed>): () => void {
    return this.powerCutMissedListeners.add(listener);
  }

  private async powerCutDuringBoot(cut: PowerCut, armed: { offMs: number }): Promise<BootResult> {
    this.armedCut = undefined;
    this.currentState = 'off';
    this.rtc.powerLost();
    this.tx.clear();
    this.pendingText = '';
    this.powerCutListeners.emit(cut);
    const generation = this.generation;
    await this.wait(armed.offMs, generation);
    if (generation !== this.generation) {
      // Powered off (or reset) by the host meanwhile: this boot never finished.
      return {
        booted: false,
        swapType: SwapType.NONE,
        resumed: false,
        log: [],
        imageOffset: 0,
        imageAddress: 0,
        reason: cut.message,
        images: [],
        flashOps: 0,
        flashTimeUs: 0,
      };
    }
    for (const flash of this.flashes.values()) flash.powerOn();
    return this.bootOnce();
  }

  /**
   * Sleeps `ms` for the boot of `generation`; ends early (or at once) if the device is powered off
   * or reset meanwhile, so no timer outlives the boot it belongs to.
   */
  private wait(ms: number, generation: number): Promise<void> {
    return new Promise((resolve) => {
      if (generation !== this.generation) {
        resolve();
        return;
      }
      const end = () => {
        clearTimeout(timer);
        this.waits.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.waits.add(end);
    });
  }

  private validator() {
    const mcuboot = this.board.mcuboot;
    const slot = this.bootAreas().primary;
    const trailer = trailerLayout({
      slotSize: slot.size,
      maxAlign: mcuboot.maxAlign,
      writeSize: slot.align,
      maxSectors: mcuboot.maxImgSectors,
    });
    const keys = mcuboot.signature === 'none' ? [] : this.keys;
    return async (_slot: string, bytes: Uint8Array) => {
      const verdict = await validateForBoot(bytes, { keys, maxImageSize: trailer.trailerStart });
      return { ok: verdict.ok, reason: verdict.message };
    };
  }

  private startApp(result: BootResult, servers: readonly GroupServe[]): void {
    const headerSize = result.headerSize ?? this.board.mcuboot.headerSize;
    let code: string;
    try {
      const read = this.bootedImageReader(result);
      const { imgSize } = decodeHeaderFields(read(0, IMAGE_HEADER_SIZE));
      code = extractAppCode(read(0, headerSize + imgSize), headerSize, imgSize);
    } catch (error) {
      // What a CPU does with an image that is not code for it: fault and halt.
      this.printLine(`E: the booted image is not runnable firmware: ${(error as Error).message}`);
      this.currentState = 'halted';
      return;
    }
    this.runningVersion = result.version;
    const build = this.smpBuild;
    const server = new SmpServer({ netbufSize: build.netbufSize, verboseErrors: build.verboseErrors });
    // img_mgmt sees every image's slots, and runs each image from the slot MCUboot booted.
    const slots = new ImageSlots(this.board, this.layout.images, {
      allowErasePending: build.allowErasePending,
      booted: this.layout.images.map((_, i) => (result.images[i]?.slot === 'secondary' ? 1 : 0)),
    });
    const storage = partitionArea(this.board, this.flashes, 'storage_partition');
    const appFs = mountAppFileSystem(storage, storageDeviceName(this.board), (level, module, message) =>
      this.appLog(level, module, message),
    );
    const logFs = appFs.mountError === undefined ? new LogBackendFs(appFs.vfs) : undefined;
    this.logFs = logFs;
    const stopListeners: Array<() => void> = [];
    this.appStopListeners = stopListeners;
    // A board whose storage LittleFS cannot use gets no settings backend (CONFIG_SETTINGS_NONE).
    const settings = createDeviceSettings(
      appFs.mountError === undefined ? appFs.vfs : undefined,
      (level, message) => this.appLog(level, 'settings', message),
    );
    const generation = this.generation;
    const services: DeviceServices = {
      board: this.board,
      build,
      slots,
      runningVersion: () => this.runningVersion,
      // Only this run of the app can reboot the board: a reset it scheduled (os_mgmt's delayable
      // work, in RAM) is gone once power is lost or the board resets (zephyr: os_mgmt.c).
      requestReset: () => {
        if (this.generation === generation) void this.reset();
      },
      mainRunning: () => this.running?.status() !== 'idle',
      stats: () => this.running?.stats() ?? new Map(),
      storage,
      fs: appFs.vfs,
      settings: settings.subsystem,
      settingsInit: () => settings.firmwareHost.call('init'),
      log: (level, module, message) => this.appLog(level, module, message),
      onStop: (listener) => {
        stopListeners.push(listener);
      },
      rtc: this.rtc,
      uptimeMs: () => this.running?.uptimeMs() ?? 0,
      hwinfoId: this.hwinfoId,
      flashWork: (work) => this.flashWork(work),
      shell: {
        commands: () => this.running?.shellCommands() ?? [],
        run: (path, argv, timeoutMs) =>
          this.running
            ? this.running.runShell(path, argv, timeoutMs)
            : Promise.reject(new FirmwareShellError('the app is not running', 'stopped')),
      },
    };
    for (const serve of servers) serve(server, services);
    this.server = server;
    // The app's SMP transports, registered at start-up as Zephyr's smp_uart and smp_udp are.
    const handle = (packet: Uint8Array) => this.takeAndSubmit(server, packet);
    this.serial = new UartEndpoint({
      rxLineBufferSize: this.board.smp.rxLineBufferSize,
      netbufSize: build.netbufSize,
      handle,
      transmit: (bytes) => this.tx.push(bytes),
    });
    this.udp = new UdpEndpoint({ netbufSize: build.netbufSize, handle });
    this.running = startFirmware(code, {
      onConsole: (text) => {
        this.printText(text);
        // The app's own LOG_* lines reach the file-system backend too (printk does not).
        for (const line of appLogLines(text)) logFs?.message(line);
      },
      devicetree: devicetreeOf(this.board),
      bootBanner: this.board.appBanner,
      fatalPolicy: this.board.app.resetOnFatalError ? 'reset' : 'halt',
      onFatal: () => this.onFatalError(generation),
      thread: this.firmwareThread,
      settings: settings.firmwareHost,
    });
    this.currentState = 'running';
    // The app's main() starts the hawkBit client when its build has it (hawkbit_init, then
    // hawkbit_autohandler, as samples/subsys/mgmt/hawkbit does); it stops with the app.
    if (this.hawkbit) startHawkbitClient(services, this.hawkbit);
  }

  /**
   * Runs flash work (an SMP request's, or the app's own) and then takes the time the board's
   * flash would for its erases and writes (with flashTimeScale); a reset or power-off after
   * `generation`'s boot ends the wait at once.
   */
  private async flashWork<T>(work: () => T | Promise<T>, generation = this.generation): Promise<T> {
    const before = this.flashWorkUs;
    const result = await work();
    const spentUs = this.flashWorkUs - before;
    if (this.flashTimeScale > 0 && spentUs > 0)
      await this.wait((spentUs / 1000) * this.flashTimeScale, generation);
    return result;
  }

  /** How many images the board's MCUboot manages (CONFIG_UPDATEABLE_IMAGE_NUMBER). */
  get imageCount(): number {
    return this.layout.images.length;
  }

  /** Image 0's flash areas. */
  private bootAreas(): ImageLayout {
    const image0 = this.layout.images[0];
    if (!image0) throw new RangeError(`${this.board.name} has no image slots`);
    return image0;
  }

  /**
   * Where the CPU finds the image MCUboot handed over to: the primary slot after a swap or
   * overwrite, the slot direct-XIP chose, or the executable RAM RAM-load copied it to.
   */
  private bootedImageReader(result: BootResult): (offset: number, length: number) => Uint8Array {
    const booted = result.images[0];
    const ram = result.ram;
    if (booted?.loadedTo && ram) {
      const start = booted.loadedTo.address - ram.start;
      return (offset, length) => ram.bytes.slice(start + offset, start + offset + length);
    }
    const area = booted?.slot === 'secondary' ? this.bootAreas().secondary : this.bootAreas().primary;
    return (offset, length) => area.read(offset, length);
  }

  /**
   * After k_sys_fatal_error_handler: with CONFIG_RESET_ON_FATAL_ERROR the SoC reboots (MCUboot runs
   * again and reverts an unconfirmed test image); otherwise arch_system_halt locks interrupts and
   * spins, so the UART and network drivers and the SMP work queue never run again.
   */
  private onFatalError(generation: number): void {
    if (generation !== this.generation) return;
    // The fatal path puts logging in panic mode (log_panic): queued lines go out at once, and the
    // file-system backend deactivates.
    this.logThread.flush();
    this.logFs?.panic();
    if (this.board.app.resetOnFatalError) {
      void this.reset();
      return;
    }
    this.server = undefined;
    this.serial = undefined;
    this.udp = undefined;
    this.currentState = 'halted';
  }

  private async stopApp(): Promise<void> {
    this.logThread.stop();
    this.logFs?.stop();
    this.logFs = undefined;
    const listeners = this.appStopListeners;
    this.appStopListeners = [];
    for (const listener of listeners) listener();
    this.server = undefined;
    this.serial = undefined;
    this.udp = undefined;
    const running = this.running;
    this.running = undefined;
    this.runningVersion = undefined;
    if (running) await running.stop();
  }

  /**
   * A LOG_* line of the app's own subsystems, stamped now and printed by the deferred log thread
   * as Zephyr's UART log backend prints it.
   */
  private appLog(level: LogLevel, module: string, message: string): void {
    const uptimeUs = (this.running?.uptimeMs() ?? 0) * 1000;
    this.logThread.post(formatLogLine(uptimeUs, level, module, message));
  }

  private printLine(line: string): void {
    this.printText(`${line}\n`);
  }

  /** Console text goes out whole lines at a time so it never splits an SMP frame. */
  private printText(text: string): void {
    this.pendingText += text;
    let newline = this.pendingText.indexOf('\n');
    while (newline >= 0) {
      const line = this.pendingText.slice(0, newline).replace(/\r$/, '');
      this.pendingText = this.pendingText.slice(newline + 1);
      this.lineListeners.emit(line);
      // Zephyr's UART console sends CR LF.
      this.tx.push(new TextEncoder().encode(`${line}\r\n`));
      newline = this.pendingText.indexOf('\n');
    }
  }
}

/** The flash device storage_partition lies on, as littlefs_fs.c names it in its log. */
function storageDeviceName(board: Board): string {
  return board.partitions.find((partition) => partition.label === 'storage_partition')?.device ?? 'flash';
}

/** A log message as log_output formats it: `[hh:mm:ss.mmm,uuu] <lvl> module: text`. */
const LOG_LINE = /^\[\d\d:\d\d:\d\d\.\d{3},\d{3}\] <(?:err|wrn|inf|dbg)> /;

/** The whole log lines in a piece of the firmware's console text, with log_output's CR LF. */
function appLogLines(text: string): string[] {
  return text
    .split('\n')
    .slice(0, -1)
    .filter((line) => LOG_LINE.test(line))
    .map((line) => `${line.replace(/\r$/, '')}\r\n`);
}

/** "1.0.0" for a boot result, for messages. */
export function bootedVersion(result: BootResult): string | undefined {
  return result.version ? formatVersion(result.version) : undefined;
}
