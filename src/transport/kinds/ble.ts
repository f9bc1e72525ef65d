/**
 * The ble kind: SMP over Bluetooth LE (Zephyr smp_bt.c), one GATT write per request, responses by
 * notification. Connection strings in mcumgr's spelling (newtmgr config/connprofile.go: `peer_name`,
 * `peer_id`) plus the HCI controller to use:
 *   `peer_name=zephyr`                      the device advertising that name, kernel HCI socket hci0
 *   `peer_id=10:00:00:00:00:01,hci=1`       that address, kernel HCI socket hci1
 *   `peer_name=zephyr,hci=uart:/dev/ttyACM0` an H4 UART controller (Zephyr's hci_uart on a dongle,
 *                                            or a virtual controller of scripts/ble/virtual-radio.py)
 *   `...,scan=20`                            seconds to wait for the advertisement (default 10)
 * Pure: no Node imports (the Node opener is ../ble.ts).
 */
import { ConnStringError, type KindDescriptor } from './kind.ts';

export type BleHci =
  | { readonly kind: 'socket'; readonly deviceId: number }
  | { readonly kind: 'uart'; readonly path: string };

export interface BleTarget {
  readonly type: 'ble';
  /** The advertised local name to connect to. */
  readonly peerName?: string;
  /** The device address (aa:bb:cc:dd:ee:ff), compared without case. */
  readonly peerId?: string;
  readonly hci: BleHci;
  /** How long to scan for the device before giving up. */
  readonly scanTimeoutMs: number;
}

declare module './kind.ts' {
  interface KindTargets {
    ble: BleTarget;
  }
}

export const DEFAULT_BLE_SCAN_SECONDS = 10;
/** Request bytes kept on the air (see bleWindow). */
export const BLE_IN_FLIGHT_BYTES = 16 * 1024;
export const BLE_MAX_WINDOW = 16;

/**
 * Over BLE most requests in flight are on the air or in the controllers' queues, not in the
 * device's SMP buffers: smp_bt.c takes a buffer at a request's first write and the work queue
 * frees it once handled, so a device that keeps up holds one or two whatever the window. What
 * the window must cover is the link's bandwidth-delay product: an answer comes back a
 * connection event or two after its request (LE 2M at a 30 ms interval carries ~5 kB per event),
 * so about 16 KiB of requests keep the link busy; never fewer than the buffers allow. A device
 * that falls behind drops requests, and the upload engine halves its window on the first sign.
 */
export function bleWindow(bufCount: number, requestLimit: number): number {
  const forLink = Math.ceil(BLE_IN_FLIGHT_BYTES / Math.max(1, requestLimit));
  return Math.min(BLE_MAX_WINDOW, Math.max(bufCount - 1, forLink, 1));
}
const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Parses `hci=...`: a kernel HCI device number, `socket`, or `uart:PATH`. */
export function parseBleHci(value: string, connstring: string): BleHci {
  if (value === '' || value === 'socket') return { kind: 'socket', deviceId: 0 };
  if (/^(hci)?\d+$/.test(value)) return { kind: 'socket', deviceId: Number(value.replace('hci', '')) };
  if (value.startsWith('uart:')) {
    const path = value.slice(5);
    if (path === '') throw new ConnStringError('BLE connstring "hci=uart:" names no port.', connstring);
    return { kind: 'uart', path };
  }
  throw new ConnStringError(
    `BLE connstring hci "${value}" is neither a kernel HCI device number (hci=0) nor an H4 UART (hci=uart:/dev/ttyACM0).`,
    connstring,
  );
}

export function parseBleConnString(connstring: string): BleTarget {
  const text = connstring.trim();
  if (text === '')
    throw new ConnStringError(
      'BLE connstring is empty; expected "peer_name=NAME" or "peer_id=ADDRESS".',
      connstring,
    );
  let peerName: string | undefined;
  let peerId: string | undefined;
  let hci: BleHci = { kind: 'socket', deviceId: 0 };
  let scanSeconds = DEFAULT_BLE_SCAN_SECONDS;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConnStringError(`BLE connstring part "${part}" is not KEY=VALUE.`, connstring);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (seen.has(key)) throw new ConnStringError(`BLE connstring gives "${key}" twice.`, connstring);
    seen.add(key);
    switch (key) {
      case 'peer_name':
        if (value === '') throw new ConnStringError('BLE connstring has an empty "peer_name".', connstring);
        peerName = value;
        break;
      case 'peer_id':
        if (!ADDRESS.test(value))
          throw new ConnStringError(
            `BLE connstring peer_id "${value}" is not a device address like 10:00:00:00:00:01.`,
            connstring,
          );
        peerId = value.toLowerCase();
        break;
      case 'hci':
        hci = parseBleHci(value, connstring);
        break;
      case 'scan': {
        const seconds = Number(value);
        if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0 || seconds > 600)
          throw new ConnStringError(
            `BLE connstring scan "${value}" is not a number of seconds in 0..600.`,
            connstring,
          );
        scanSeconds = seconds;
        break;
      }
      default:
        throw new ConnStringError(
          `BLE connstring has unknown key "${key}"; known keys are peer_name, peer_id, hci, scan.`,
          connstring,
        );
    }
  }
  if (peerName === undefined && peerId === undefined)
    throw new ConnStringError(
      `BLE connstring "${connstring}" names no device; give peer_name=NAME or peer_id=ADDRESS (see \`zdfu ble scan\`).`,
      connstring,
    );
  return {
    type: 'ble',
    ...(peerName === undefined ? {} : { peerName }),
    ...(peerId === undefined ? {} : { peerId }),
    hci,
    scanTimeoutMs: scanSeconds * 1000,
  };
}

export function formatBleHci(hci: BleHci): string {
  return hci.kind === 'uart' ? `uart:${hci.path}` : String(hci.deviceId);
}

export function formatBleTarget(target: BleTarget): string {
  const parts: string[] = [];
  if (target.peerName !== undefined) parts.push(`peer_name=${target.peerName}`);
  if (target.peerId !== undefined) parts.push(`peer_id=${target.peerId}`);
  parts.push(`hci=${formatBleHci(target.hci)}`);
  if (target.scanTimeoutMs !== DEFAULT_BLE_SCAN_SECONDS * 1000)
    parts.push(`scan=${target.scanTimeoutMs / 1000}`);
  return parts.join(',');
}

/** How the target is named in messages: `"zephyr"` or `10:00:00:00:00:01`. */
export function describeBlePeer(target: Pick<BleTarget, 'peerName' | 'peerId'>): string {
  if (target.peerName !== undefined && target.peerId !== undefined)
    return `named "${target.peerName}" at ${target.peerId}`;
  return target.peerName !== undefined ? `named "${target.peerName}"` : `at ${target.peerId}`;
}

export const bleKind: KindDescriptor<'ble'> = {
  type: 'ble',
  syntax: 'peer_name=NAME|peer_id=ADDRESS[,hci=N|hci=uart:PATH][,scan=SECONDS]',
  parse: parseBleConnString,
  format: formatBleTarget,
  describe: (target) => ({
    where: `the BLE device ${describeBlePeer(target)}`,
    id: target.peerName ?? target.peerId ?? '',
  }),
  // smp_bt.c puts each write (or the writes of one request, with reassembly) into one netbuf:
  // no framing shares it.
  deviceRequestLimit: (bufSize) => bufSize,
  // The link's own limit (ATT MTU − 3) applies when the device does not report its buffer.
  unreportedRequestLimit: undefined,
  pipelineWindow: bleWindow,
};
