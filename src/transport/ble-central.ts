/**
 * The BLE central side on @stoprocent/noble: powers on an HCI controller (the kernel's HCI socket,
 * or an H4 UART such as a dongle with Zephyr's hci_uart or a virtual controller of
 * scripts/ble/virtual-radio.py), scans, and finds the device a connection string names.
 * noble is loaded only when a BLE link is opened (it loads native HCI bindings).
 */
import { existsSync } from 'node:fs';
import type { Noble, Peripheral } from '@stoprocent/noble';
import { BleTimeoutError, SMP_SERVICE_UUID, withTimeout } from './ble-smp.ts';
import { hciBindingOptions } from './hci-bindings.ts';
import { type BleHci, describeBlePeer, formatBleHci } from './kinds/ble.ts';

const POWER_ON_TIMEOUT_MS = 10_000;

export function describeHci(hci: BleHci): string {
  return hci.kind === 'uart'
    ? `the H4 UART controller at ${hci.path}`
    : `the kernel HCI device hci${hci.deviceId}`;
}

/** A powered-on noble central on `hci`; `stop()` it to release the controller. */
export async function openCentral(hci: BleHci): Promise<Noble> {
  if (hci.kind === 'uart' && !existsSync(hci.path)) {
    throw new Error(
      `no HCI controller at ${hci.path} (hci=${formatBleHci(hci)}): the file does not exist; ` +
        'check the dongle is plugged in, or that the virtual radio is running',
    );
  }
  quietNobleWarnings();
  const { withBindings } = await import('@stoprocent/noble');
  const noble = withBindings('hci', hciBindingOptions(hci));
  try {
    await poweredOn(noble, hci);
  } catch (error) {
    stopQuietly(noble);
    throw error;
  }
  return noble;
}

/**
 * Waits for the controller to power on; a state that will not change (unsupported, unauthorized)
 * fails at once in words instead of after the timeout. noble prints its own advice on stderr for
 * an unsupported adapter (NOBLE_HCI_DEVICE_ID): ours replaces it (see quietNobleWarnings).
 */
function poweredOn(noble: Noble, hci: BleHci): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      noble.removeListener('stateChange', onState);
      if (error) reject(error);
      else resolve();
    };
    const onState = (state: string): void => {
      if (state === 'poweredOn') finish();
      else if (state === 'unsupported')
        finish(
          new Error(
            hci.kind === 'uart'
              ? `${describeHci(hci)} does not answer as a Bluetooth LE HCI controller (is it an H4 UART running e.g. Zephyr's hci_uart?)`
              : `${describeHci(hci)} is not usable: there is no such Bluetooth adapter, or this system has no kernel Bluetooth support (AF_BLUETOOTH); use an H4 UART controller with hci=uart:PATH`,
          ),
        );
      else if (state === 'unauthorized')
        finish(
          new Error(
            `${describeHci(hci)} refused access: the kernel HCI socket needs CAP_NET_RAW and CAP_NET_ADMIN (setcap on node, or run as root)`,
          ),
        );
    };
    const timer = setTimeout(
      () =>
        finish(
          new BleTimeoutError(
            `${describeHci(hci)} did not power on within ${POWER_ON_TIMEOUT_MS / 1000} s (it stayed "${noble.state}")`,
            POWER_ON_TIMEOUT_MS,
          ),
        ),
      POWER_ON_TIMEOUT_MS,
    );
    noble.on('stateChange', onState);
    onState(noble.state);
  });
}

let quieted = false;

/**
 * noble's HCI bindings print advice with console.log (lib/hci-socket/bindings.js, onStateChange:
 * "noble warning: adapter does not support ...", run with sudo or NOBLE_HCI_DEVICE_ID) on stdout,
 * where it would corrupt `--json` output and contradict our own words; drop those lines only.
 */
function quietNobleWarnings(): void {
  if (quieted) return;
  quieted = true;
  const log = console.log;
  let inWarning = false;
  console.log = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === 'string') {
      if (first.startsWith('noble warning')) {
        inWarning = true;
        return;
      }
      if (inWarning && first.startsWith('               ')) return;
    }
    inWarning = false;
    log(...args);
  };
}

export function stopQuietly(noble: Noble): void {
  try {
    noble.removeAllListeners('discover');
    noble.stop();
  } catch {
    // already stopped, or never started
  }
}

export interface ScannedDevice {
  readonly name: string | undefined;
  readonly address: string;
  readonly addressType: string;
  readonly rssi: number;
  /** Advertises the SMP service (in its advertisement or scan response). */
  readonly smp: boolean;
  readonly connectable: boolean;
}

function describe(peripheral: Peripheral): ScannedDevice {
  const advertisement = peripheral.advertisement;
  return {
    name: advertisement.localName || undefined,
    address: peripheral.address.toLowerCase(),
    addressType: peripheral.addressType,
    rssi: peripheral.rssi,
    smp: (advertisement.serviceUuids ?? []).includes(SMP_SERVICE_UUID),
    connectable: peripheral.connectable,
  };
}

/** Every device heard within `durationMs` (names arrive in scan responses, so duplicates are kept). */
export async function scanDevices(noble: Noble, durationMs: number): Promise<ScannedDevice[]> {
  const found = new Map<string, ScannedDevice>();
  const onDiscover = (peripheral: Peripheral): void => {
    const seen = describe(peripheral);
    const before = found.get(seen.address);
    found.set(seen.address, {
      ...seen,
      name: seen.name ?? before?.name,
      smp: seen.smp || (before?.smp ?? false),
    });
  };
  noble.on('discover', onDiscover);
  try {
    await noble.startScanningAsync([], true);
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    await noble.stopScanningAsync();
  } finally {
    noble.removeListener('discover', onDiscover);
  }
  return [...found.values()].sort((a, b) => b.rssi - a.rssi);
}

export interface PeerSelector {
  readonly peerName?: string;
  readonly peerId?: string;
}

/** Scans until the device named by `peer` advertises; fails in words after `timeoutMs`. */
export async function findPeer(noble: Noble, peer: PeerSelector, timeoutMs: number): Promise<Peripheral> {
  let onDiscover: ((peripheral: Peripheral) => void) | undefined;
  const heard = new Map<string, ScannedDevice>();
  const found = new Promise<Peripheral>((resolve) => {
    onDiscover = (peripheral: Peripheral): void => {
      const seen = describe(peripheral);
      heard.set(seen.address, { ...seen, name: seen.name ?? heard.get(seen.address)?.name });
      if (peer.peerId !== undefined && seen.address !== peer.peerId) return;
      // noble reports the advertisement before the scan response that carries the name.
      if (peer.peerName !== undefined && seen.name !== peer.peerName) return;
      resolve(peripheral);
    };
    noble.on('discover', onDiscover);
  });
  try {
    await noble.startScanningAsync([], true);
    return await withTimeout(found, timeoutMs, () => {
      const others = [...heard.values()]
        .slice(0, 5)
        .map((d) => (d.name ? `"${d.name}" (${d.address})` : d.address))
        .join(', ');
      return (
        `no device ${describeBlePeer(peer)} advertised within ${timeoutMs / 1000} s` +
        (others ? `; heard ${others}` : '; heard no device at all') +
        ': check that it is on, in range and advertising (it stops while it reboots), ' +
        'and not connected to another central'
      );
    });
  } finally {
    if (onDiscover) noble.removeListener('discover', onDiscover);
    await noble.stopScanningAsync().catch(() => undefined);
  }
}
