/**
 * Shared setup for the device-side tests: the built blinky images (built on demand when a fresh
 * checkout has none), the dev key MCUboot trusts, and a VirtualDevice booted with a DeviceClient
 * wired to its SMP server over an in-memory link (UDP-like: one datagram per packet).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceClient } from '../../../src/client/device.ts';
import { DEV_RSA_2048_PUBLIC_PEM } from '../../../src/device/boards/bootloader-keys.ts';
import { type Board, getBoard } from '../../../src/device/boards/index.ts';
import { VirtualDevice } from '../../../src/device/device.ts';
import { bootloaderKeysFor, factoryImages } from '../../../src/device/io/board-images.ts';
import type { BootResult } from '../../../src/device/mcuboot/boot.ts';
import { loadPublicKey, type PublicKey } from '../../../src/image/keys.ts';
import { createMemoryLink } from '../../../src/transport/memory.ts';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export type BlinkyName = 'blinky-one' | 'blinky-two';
const NAMES: readonly BlinkyName[] = ['blinky-one', 'blinky-two'];

function artifact(name: BlinkyName, file: 'zephyr.bin' | 'zephyr.signed.bin'): string {
  return join(ROOT, 'build', 'firmware', name, file);
}

function firmwareBuilt(): boolean {
  return NAMES.every(
    (name) => existsSync(artifact(name, 'zephyr.bin')) && existsSync(artifact(name, 'zephyr.signed.bin')),
  );
}

const LOCK_STALE_MS = 120_000;

/**
 * Makes sure build/firmware/* exists, running the project's own build (`node scripts/build.mjs`)
 * when it does not. Test files run in parallel processes, so one takes a lock directory and the
 * others wait for it rather than writing the same files at the same time.
 */
export async function ensureBlinkyFirmware(): Promise<void> {
  if (firmwareBuilt()) return;
  const lock = join(ROOT, 'build', '.zdfu-test-firmware.lock');
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > LOCK_STALE_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (firmwareBuilt() && !existsSync(lock)) return;
    }
  }
  try {
    if (!firmwareBuilt()) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The signed image (what `image upload` sends) or the raw zephyr.bin of a blinky build. */
export async function blinky(name: BlinkyName, file: 'signed' | 'bin' = 'signed'): Promise<Uint8Array> {
  await ensureBlinkyFirmware();
  return new Uint8Array(readFileSync(artifact(name, file === 'signed' ? 'zephyr.signed.bin' : 'zephyr.bin')));
}

/** The public half of the repository's dev key, as built into the virtual boards' MCUboot. */
export async function devKeys(): Promise<PublicKey[]> {
  return [await loadPublicKey(DEV_RSA_2048_PUBLIC_PEM)];
}

export interface BootedDevice {
  device: VirtualDevice;
  client: DeviceClient;
  firstBoot: BootResult;
  /** Console lines (MCUboot, kernel, app log) since the device was created. */
  consoleLines: string[];
  /** Resets through the device and waits for the new boot. */
  reset(): Promise<BootResult>;
  /**
   * Waits until the blinky's main() has registered its stats and logged its rate. As on Zephyr,
   * the SMP server answers from SYS_INIT on, before main() runs, so `stat show` right after a
   * boot can find no group yet.
   */
  appStarted(): Promise<void>;
  close(): Promise<void>;
}

export interface BootOptions {
  /** A board name, or board data (e.g. a board built with other Kconfig options). */
  board?: string | Board;
  /** What `west flash` put in slot 0 (default Binary One). */
  slot0?: Uint8Array;
  /** Wait for the board's flash time (VirtualDeviceOptions.flashTimeScale); default 0. */
  flashTimeScale?: number;
}

/** A VirtualDevice (unpaced UART), powered on, with a DeviceClient talking to its SMP server. */
export async function bootDevice(options: BootOptions = {}): Promise<BootedDevice> {
  const board =
    typeof options.board === 'object' ? options.board : getBoard(options.board ?? 'stm32f4_disco');
  await ensureBlinkyFirmware();
  const device = new VirtualDevice({
    board,
    // The development key of the board's signature type, as its MCUboot is built with.
    bootloaderKeys: await bootloaderKeysFor(board),
    baud: 0,
    flashTimeScale: options.flashTimeScale ?? 0,
  });
  const consoleLines: string[] = [];
  device.onConsoleLine((line) => consoleLines.push(line));
  const factory = await factoryImages(board);
  device.programSlot(0, options.slot0 ?? factory[0]!);
  for (let image = 1; image < factory.length; image++) device.programSlot(0, factory[image]!, image);
  const firstBoot = await device.powerOn();

  const [clientEnd, deviceEnd] = createMemoryLink({ mtu: 1024 });
  deviceEnd.onPacket((packet) => {
    void device.handleDatagram(packet).then(async (responses) => {
      for (const response of responses) await deviceEnd.send(response);
    });
  });
  const client = new DeviceClient(clientEnd, { timeoutMs: 2000, retries: 0 });
  return {
    device,
    client,
    firstBoot,
    consoleLines,
    reset: () => device.reset(),
    async appStarted() {
      const deadline = Date.now() + 5000;
      // The app's last start-up line (its printk after the LOG_INF): both are in by then.
      while (!consoleLines.some((line) => line.includes('blinky: toggling'))) {
        if (Date.now() > deadline) throw new Error(`the app did not start:\n${consoleLines.join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async close() {
      await client.close();
      await deviceEnd.close();
      await device.powerOff();
    },
  };
}
