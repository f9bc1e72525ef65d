/**
 * Runs a virtual device the way a board sits on a desk: its UART on a real pseudo-terminal that
 * any program can open, its SMP server on a real UDP socket, its flash in a file that survives a
 * restart (a power cycle), and a freshly flashed Binary One when nothing else is given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { formatHostPort, parseHostPort } from '../../transport/host-port.ts';
import type { BleHci } from '../../transport/kinds/ble.ts';
import type { Board } from '../boards/board.ts';
import { boards, createBoardFlashes, deviceSize, getBoard } from '../boards/index.ts';
import { VirtualDevice } from '../device.ts';
import type { HawkbitBuild } from '../hawkbit/build.ts';
import type { BootResult } from '../mcuboot/boot.ts';
import { builtFor } from '../server/build-config.ts';
import { BleEndpoint } from '../transport/ble.ts';
import type { BlePeripheral } from '../transport/ble-peripheral.ts';
import { describeLinkProfile, type LinkProfile, type LinkShaperStats } from '../transport/link-shaper.ts';
import { wireUartToPty } from '../transport/uart-pty.ts';
import { UdpSocket } from '../transport/udp-socket.ts';
import { bootloaderKeysFor, factoryImages } from './board-images.ts';
import { persistFlash } from './flash-file.ts';
import { PtyPort } from './pty.ts';
import { DEFAULT_UDP } from './sim-defaults.ts';

export interface SimOptions {
  /** A built-in board's name, a board file's path, or a board already loaded. */
  board?: string | Board;
  /**
   * Flash contents are kept in this file; an existing file is the flash after a power cycle. A
   * board with several flash devices keeps its first (MCUboot's) in this file and each other one
   * in FILE.<device id> (see flashFileOf).
   */
  flashFile?: string;
  /** Replace whatever `flashFile` holds with a new, erased flash (else a wrong-sized file is refused). */
  newFlash?: boolean;
  /** An image to write to slot 0 before power-on, like `west flash`. */
  image?: string | Uint8Array;
  /** Make this path a symlink to the PTY. */
  ptyLink?: string;
  /** "HOST:PORT" for SMP over UDP ("127.0.0.1:0" picks a free port); false for none. */
  udp?: string | false;
  /** SMP over Bluetooth LE as a peripheral on this HCI controller (boards with a radio only). */
  ble?: { hci: BleHci; name?: string; maxAttMtu?: number };
  /** UART line rate; 0 for no pacing. Default 115200, like the board's console. */
  baud?: number;
  /** 1 to wait as long as real flash would during a swap; 0 (default) to go at once. */
  flashTimeScale?: number;
  /** The network between hosts and the UDP endpoint (latency, jitter, loss, reordering). */
  link?: LinkProfile;
  /** The app is built with Zephyr's hawkBit client, polling this server (src/device/hawkbit/). */
  hawkbit?: HawkbitBuild;
  /**
   * Called once the device is wired up, just before its first power-on: the place to arm a
   * power cut (so it can cut a swap MCUboot does at this very power-on) and to listen to the
   * console from MCUboot's first line.
   */
  beforePowerOn?: (device: VirtualDevice) => void;
  /** Ctrl-C during start-up (a long swap with real flash timing, a power cut): give up and release. */
  signal?: AbortSignal;
}

export interface SimHandle {
  readonly device: VirtualDevice;
  readonly ptyPath: string;
  readonly ptyLink: string | undefined;
  readonly udp:
    | {
        host: string;
        port: number;
        /** What the shaped link did each way (--link), undefined on a plain one. */
        link?: { readonly inbound: LinkShaperStats; readonly outbound: LinkShaperStats };
      }
    | undefined;
  readonly ble: BlePeripheral | undefined;
  readonly firstBoot: BootResult;
  /** One line naming where the device can be reached. */
  readonly readyLine: string;
  close(): Promise<void>;
}

export async function startSim(options: SimOptions = {}): Promise<SimHandle> {
  const board =
    typeof options.board === 'object' ? options.board : getBoard(options.board ?? 'stm32f4_disco');
  // A port is required (0 picks a free one), so a typo does not silently become port 1337.
  const udpAddress =
    options.udp === false
      ? undefined
      : parseHostPort(options.udp ?? DEFAULT_UDP, { minPort: 0, label: 'UDP address' });
  if (options.ble && !board.ble) {
    const radios = [...boards().values()].filter((b) => b.ble).map((b) => b.name);
    throw new Error(
      `the board ${board.name} has no Bluetooth radio, so it cannot serve SMP over BLE; ` +
        `use a board with one (${radios.map((name) => `--board ${name}`).join(', ')}) or leave out --ble`,
    );
  }
  // Everything opened so far, closed in reverse order if a later step fails: a sim that cannot
  // start must not keep its PTY, link, UDP port or flash file (the process would not exit).
  const opened: (() => Promise<void> | void)[] = [];
  const releaseAll = async () => {
    for (const release of opened.splice(0).reverse()) {
      try {
        await release();
      } catch {
        // keep releasing the rest
      }
    }
  };
  try {
    // The image first: a missing or unreadable one must not leave a new flash file behind.
    const given = readGivenImage(options.image);
    const flashes = createBoardFlashes(board);
    // Refuses a board whose MCUboot the model cannot run before any file is touched.
    const device = new VirtualDevice({
      // Built for the transports it serves: a UDP or BLE build has other SMP buffers.
      board: builtFor(board, { udp: udpAddress !== undefined, ble: options.ble !== undefined }),
      flash: flashes,
      bootloaderKeys: await bootloaderKeysFor(board),
      baud: options.baud ?? 115200,
      flashTimeScale: options.flashTimeScale ?? 0,
      ...(options.hawkbit ? { hawkbit: options.hawkbit } : {}),
    });
    opened.push(() => withTimeout(device.powerOff(), POWER_OFF_TIMEOUT_MS));
    const loaded = options.flashFile
      ? persistBoardFlashes(board, flashes, options.flashFile, options.newFlash ?? false, opened)
      : false;
    // A new flash gets what `west flash` writes (every image's primary slot); --image replaces
    // the application's.
    const factory = loaded ? [] : await factoryImages(board);
    const application = given ?? factory[0];
    if (application) device.programSlot(0, application);
    for (let number = 1; number < factory.length; number++) device.programSlot(0, factory[number]!, number);

    const pty = await PtyPort.open(options.ptyLink);
    opened.push(() => pty.close());
    let udp: UdpSocket | undefined;
    if (udpAddress) {
      const endpoint = await UdpSocket.open(
        udpAddress.host,
        udpAddress.port,
        (packet) => device.handleDatagram(packet),
        options.link,
      );
      opened.push(() => endpoint.close());
      udp = endpoint;
    }
    let ble: BlePeripheral | undefined;
    if (options.ble && board.ble) {
      ble = await openBlePeripheral(device, options.ble, board.ble);
      opened.push(() => ble?.close());
    }
    wireUartToPty(device, pty);
    options.beforePowerOn?.(device);
    const firstBoot = await unlessAborted(device.powerOn(), options.signal);

    const where = [`serial ${options.ptyLink ? `${options.ptyLink} -> ${pty.path}` : pty.path}`];
    if (udp) {
      where.push(
        `udp ${formatHostPort(udp)}${options.link ? ` (shaped: ${describeLinkProfile(options.link)})` : ''}`,
      );
    }
    if (ble && options.ble) where.push(`ble "${options.ble.name ?? board.name}" at ${ble.address}`);
    const state = firstBoot.booted ? 'running' : `halted (${firstBoot.reason ?? 'no bootable image'})`;
    const advice = firstBoot.booted ? '' : haltedAdvice(options.flashFile);
    return {
      device,
      ptyPath: pty.path,
      ptyLink: options.ptyLink,
      udp: udp
        ? {
            host: udp.host,
            port: udp.port,
            ...(udp.shapers
              ? { link: { inbound: udp.shapers.inbound.stats, outbound: udp.shapers.outbound.stats } }
              : {}),
          }
        : undefined,
      ble,
      firstBoot,
      readyLine: `zdfu sim: ${board.name} ${state}; ${where.join(', ')}${advice}`,
      close: releaseAll,
    };
  } catch (error) {
    await releaseAll();
    throw error;
  }
}

/** The file that keeps one flash device of a board: FILE for the first, FILE.<id> for the others. */
export function flashFileOf(board: Board, deviceId: string, flashFile: string): string {
  return deviceId === board.flashDevices[0]?.id ? flashFile : `${flashFile}.${deviceId}`;
}

/**
 * Keeps every flash device of the board in its file (flash-file.ts's rules for each: a file of
 * the wrong size is never overwritten). True if the first device's file existed and was loaded.
 */
function persistBoardFlashes(
  board: Board,
  flashes: ReadonlyMap<string, import('../flash.ts').Flash>,
  flashFile: string,
  fresh: boolean,
  opened: (() => Promise<void> | void)[],
): boolean {
  let loaded = false;
  // Files that exist first: one that is refused (wrong size) stops the start before any new
  // file is made for another device, so a failed start leaves nothing behind.
  const existingFirst = [...board.flashDevices].sort(
    (a, b) =>
      Number(!existsSync(flashFileOf(board, a.id, flashFile))) -
      Number(!existsSync(flashFileOf(board, b.id, flashFile))),
  );
  for (const device of existingFirst) {
    const flash = flashes.get(device.id);
    if (!flash) continue;
    const first = device === board.flashDevices[0];
    // A file of another board's size is probably that board's (first devices only: they are
    // the ones kept in FILE itself).
    const otherBoards = first
      ? Object.fromEntries(
          [...boards().values()]
            .filter((b) => b.name !== board.name && b.flashDevices[0])
            .map((b) => [b.name, deviceSize(b.flashDevices[0] as Board['flashDevices'][number])]),
        )
      : {};
    const persisted = persistFlash(flash, flashFileOf(board, device.id, flashFile), {
      boardName: first ? board.name : `${board.name} ${device.id}`,
      fresh,
      otherBoards,
    });
    opened.push(() => persisted.close());
    if (first) loaded = persisted.loaded;
  }
  return loaded;
}

/**
 * The board's BLE peripheral: its SMP endpoint (smp_bt.c, ../transport/ble.ts) feeds the same SMP
 * server as the UART and UDP; it stops advertising (and drops its central) whenever the board is
 * not running its app, and advertises again once the app has been up for the time its Bluetooth
 * stack takes to start.
 */
async function openBlePeripheral(
  device: VirtualDevice,
  options: NonNullable<SimOptions['ble']>,
  radio: NonNullable<VirtualDevice['board']['ble']>,
): Promise<BlePeripheral> {
  const { BlePeripheral } = await import('../transport/ble-peripheral.ts');
  const endpoint = new BleEndpoint({
    netbufSize: device.smpBuild.netbufSize,
    buffers: device.smpBuffers,
    handle: (packet, buffer) => device.handleRequest(packet, buffer),
  });
  const peripheral = await BlePeripheral.open({
    hci: options.hci,
    name: options.name ?? device.board.name,
    maxAttMtu: options.maxAttMtu ?? radio.maxAttMtu,
    endpoint,
  });
  // Until the first boot the board is off: no advertising yet.
  await peripheral.suspend();
  let timer: ReturnType<typeof setTimeout> | undefined;
  device.onStateChange((state) => {
    clearTimeout(timer);
    if (state === 'running') {
      timer = setTimeout(() => void peripheral.resume(), radio.advertiseAfterBootMs);
    } else {
      void peripheral.suspend();
    }
  });
  return peripheral;
}

/** `work`, or an AbortError as soon as `signal` aborts (the caller then releases everything). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new DOMException('Aborted', 'AbortError'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** How long powering off may take (stopping the firmware's worker) before the host lets go. */
const POWER_OFF_TIMEOUT_MS = 2000;

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The image given to write to slot 0 (a path is read at once), or undefined when none was given. */
function readGivenImage(image: string | Uint8Array | undefined): Uint8Array | undefined {
  if (image instanceof Uint8Array || image === undefined) return image;
  if (!existsSync(image)) throw new Error(`image file ${image} does not exist`);
  return new Uint8Array(readFileSync(image));
}

/** What a user can do about a board that halted at the sim's start. */
function haltedAdvice(flashFile: string | undefined): string {
  if (flashFile === undefined) return '. Give another --image to start it with.';
  return (
    `. The flash file ${flashFile} is kept as it is (a reset or a restart boots it again); ` +
    `\`--new-flash\` starts over with an erased flash, losing what ${flashFile} holds.`
  );
}
