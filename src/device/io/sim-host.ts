/**
 * Runs a virtual device the way a board sits on a desk: its UART on a real pseudo-terminal that
 * any program can open, its SMP server on a real UDP socket, its flash in a file that survives a
 * restart (a power cycle), and a freshly flashed Binary One when nothing else is given.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadPublicKey } from '../../image/keys.ts';
import { formatHostPort, parseHostPort } from '../../transport/host-port.ts';
import type { BleHci } from '../../transport/kinds/ble.ts';
import type { Board } from '../boards/board.ts';
import { DEV_RSA_2048_PUBLIC_PEM } from '../boards/bootloader-keys.ts';
import { boards, createBoardFlash, getBoard, sectorSizes } from '../boards/index.ts';
import { VirtualDevice } from '../device.ts';
import type { BootResult } from '../mcuboot/boot.ts';
import { builtFor } from '../server/build-config.ts';
import { BleEndpoint } from '../transport/ble.ts';
import type { BlePeripheral } from '../transport/ble-peripheral.ts';
import { wireUartToPty } from '../transport/uart-pty.ts';
import { UdpSocket } from '../transport/udp-socket.ts';
import { readBlinkyImage } from './artifacts.ts';
import { persistFlash } from './flash-file.ts';
import { PtyPort } from './pty.ts';
import { DEFAULT_UDP } from './sim-defaults.ts';

export interface SimOptions {
  /** A board name, or board data (e.g. a board built with other SMP server options). */
  board?: string | Board;
  /** Flash contents are kept in this file; an existing file is the flash after a power cycle. */
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
  readonly udp: { host: string; port: number } | undefined;
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
    throw new Error(
      `the board ${board.name} has no Bluetooth radio, so it cannot serve SMP over BLE; ` +
        'use a board with one (--board esp32_devkitc_wroom) or leave out --ble',
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
    const flash = createBoardFlash(board);
    const otherBoards = Object.fromEntries(
      Object.values(boards)
        .filter((b) => b.name !== board.name)
        .map((b) => [b.name, sectorSizes(b).reduce((sum, size) => sum + size, 0)]),
    );
    const persisted = options.flashFile
      ? persistFlash(flash, options.flashFile, {
          boardName: board.name,
          fresh: options.newFlash,
          otherBoards,
        })
      : undefined;
    if (persisted) opened.push(() => persisted.close());
    const device = new VirtualDevice({
      board: builtFor(board, { udp: udpAddress !== undefined }),
      flash,
      bootloaderKeys: [await loadPublicKey(DEV_RSA_2048_PUBLIC_PEM)],
      baud: options.baud ?? 115200,
      flashTimeScale: options.flashTimeScale ?? 0,
    });
    opened.push(() => withTimeout(device.powerOff(), POWER_OFF_TIMEOUT_MS));
    const image = given ?? (persisted?.loaded ? undefined : readBlinkyImage('blinky-one'));
    if (image) device.programSlot(0, image);

    const pty = PtyPort.open(options.ptyLink);
    opened.push(() => pty.close());
    let udp: UdpSocket | undefined;
    if (udpAddress) {
      const endpoint = await UdpSocket.open(udpAddress.host, udpAddress.port, (packet) =>
        device.handleDatagram(packet),
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
    if (udp) where.push(`udp ${formatHostPort(udp)}`);
    if (ble && options.ble) where.push(`ble "${options.ble.name ?? board.name}" at ${ble.address}`);
    const state = firstBoot.booted ? 'running' : `halted (${firstBoot.reason ?? 'no bootable image'})`;
    const advice = firstBoot.booted ? '' : haltedAdvice(options.flashFile);
    return {
      device,
      ptyPath: pty.path,
      ptyLink: options.ptyLink,
      udp: udp ? { host: udp.host, port: udp.port } : undefined,
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
    handle: (packet) => device.handleRequest(packet),
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
