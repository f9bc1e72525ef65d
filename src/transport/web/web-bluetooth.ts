/**
 * SMP over Web Bluetooth (https://webbluetoothcg.github.io/web-bluetooth/): the page as the GATT
 * client of Zephyr's SMP service (subsys/mgmt/mcumgr/transport/src/smp_bt.c). Requests go as
 * writes without response of at most `fragmentSize` bytes, one request's pieces after another's
 * (../ble-smp.ts); responses come as notifications, joined by the SMP header's length
 * (../smp-reassembler.ts). Every step (connect, discovery, notifications, each write) is bounded.
 *
 * The write size. Web Bluetooth does not tell the page the ATT MTU. Chromium leaves the exchange to
 * the platform or asks for the most itself (517, the largest useful: 512-byte values), so the
 * negotiated MTU is the device's own limit. Zephyr's smp_svr Bluetooth overlay builds with
 * CONFIG_BT_L2CAP_TX_MTU=252 / CONFIG_BT_BUF_ACL_RX_SIZE=256 (ATT MTU 252), Nordic's DFU samples
 * with 498; the default here, 244 bytes, is ATT MTU 247 − 3: one LE packet at the 251-byte data
 * length and within both. A device left at Zephyr's Bluetooth defaults (ATT MTU 23) needs
 * `fragmentSize: 20`. nRF Connect Device Manager (Android) asks for MTU 515 and writes MTU − 3;
 * mcumgr-web writes each request whole, up to 400 bytes, which relies on a large MTU. Requests
 * larger than one write rely on the device's reassembly (CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY),
 * so, as in ../ble.ts, the client keeps requests within `fragmentSize` unless the device reports
 * its buffer (MCUmgr params).
 * Browser-pure: no Node imports.
 */
/// <reference types="web-bluetooth" preserve="true" />
import {
  BLE_MAX_ATTRIBUTE,
  bleWriteLimit,
  SMP_CHARACTERISTIC,
  SMP_MAX_PACKET,
  SMP_SERVICE,
  SmpPieceWriter,
  withTimeout,
} from '../ble-smp.ts';
import { LinkError } from '../link-error.ts';
import { ReconnectingTransport } from '../reconnecting.ts';
import { SmpReassembler } from '../smp-reassembler.ts';
import type { Transport, TransportKind } from '../transport.ts';
import { TransportBase } from '../transport-base.ts';

/** ATT MTU 247 − 3: see the module comment. */
export const WEB_BLUETOOTH_FRAGMENT_SIZE = bleWriteLimit(247);
const DEFAULT_STEP_TIMEOUT_MS = 10_000;
const DEFAULT_WRITE_TIMEOUT_MS = 5_000;

export interface WebBluetoothOptions {
  /**
   * Bytes per write (the device's ATT MTU − 3, at most 512). Default 244; see the module comment.
   * Bigger than the link's MTU allows and writes are cut short or refused by the platform.
   */
  readonly fragmentSize?: number;
  /** Longest wait for each connection step (connect, service, characteristic, notifications). Default 10 s. */
  readonly stepTimeoutMs?: number;
  /** Longest wait for one write to be taken. Default 5 s. */
  readonly writeTimeoutMs?: number;
  /**
   * Connect to the same device again on the next request after it dropped the link (a board
   * resets during a DFU and advertises again once booted), as the CLI's BLE link does. Default
   * true; false: the first disconnect closes the transport.
   */
  readonly reconnect?: boolean;
}

export interface RequestWebBluetoothOptions extends WebBluetoothOptions {
  /** The Bluetooth object; default `navigator.bluetooth`. */
  readonly bluetooth?: Bluetooth;
  /**
   * Offer only devices whose name starts with this. With it, a device need not advertise the SMP
   * service (many apps advertise only their name); without it, the chooser lists devices that do.
   */
  readonly namePrefix?: string;
}

/**
 * Asks the user for a device with the browser's chooser, then connects to its SMP service. Must be
 * called from a user gesture (a click); the chooser waits for the user, so that step has no
 * timeout (closing the chooser rejects it).
 */
export async function requestWebBluetoothTransport(
  options: RequestWebBluetoothOptions = {},
): Promise<Transport> {
  const bluetooth = options.bluetooth ?? webBluetooth();
  const request: RequestDeviceOptions =
    options.namePrefix !== undefined
      ? { filters: [{ namePrefix: options.namePrefix }], optionalServices: [SMP_SERVICE] }
      : { filters: [{ services: [SMP_SERVICE] }] };
  let device: BluetoothDevice;
  try {
    device = await bluetooth.requestDevice(request);
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFoundError') {
      throw new Error(
        `no BLE device was chosen (${error.message}): pick the board in the browser’s list; it must be on, advertising and in range`,
        { cause: error },
      );
    }
    if (error instanceof Error && error.name === 'SecurityError') {
      throw new Error(
        `the browser refused to show its Bluetooth device list (${error.message}): call this from a click, on a page served over https or from localhost`,
        { cause: error },
      );
    }
    throw error;
  }
  return openWebBluetoothTransport(device, options);
}

/** Connects to a device the page already has (from requestDevice or getDevices). */
export async function openWebBluetoothTransport(
  device: BluetoothDevice,
  options: WebBluetoothOptions = {},
): Promise<Transport> {
  if (options.reconnect === false) return WebBluetoothTransport.open(device, options);
  return ReconnectingTransport.open(() => WebBluetoothTransport.open(device, options));
}

/** The device in messages: its name when it has one, and the browser's id for it. */
export function describeWebBluetoothDevice(device: BluetoothDevice): string {
  return device.name ? `"${device.name}" (${device.id})` : `with id ${device.id}`;
}

function webBluetooth(): Bluetooth {
  const bluetooth = (globalThis as { navigator?: { bluetooth?: Bluetooth } }).navigator?.bluetooth;
  if (bluetooth === undefined) {
    throw new Error(
      'this browser has no Web Bluetooth (navigator.bluetooth): use Chrome, Edge or Opera on a page served over https or from localhost (on Linux, Chromium needs chrome://flags/#enable-experimental-web-platform-features or --enable-features=WebBluetooth)',
    );
  }
  return bluetooth;
}

/** One GATT connection to a device's SMP characteristic; a disconnect closes it for good. */
export class WebBluetoothTransport extends TransportBase {
  readonly kind: TransportKind = 'ble';
  /** Any SMP packet: requests longer than one write are split (see the module comment). */
  readonly mtu = SMP_MAX_PACKET;
  readonly fragmentSize: number;
  private readonly reassembler = new SmpReassembler({ accept: 'responses' });
  private readonly writer: SmpPieceWriter;
  private readonly writeTimeoutMs: number;
  private lost: LinkError | undefined;
  private closed = false;
  private readonly onValue = (event: Event) => {
    const value = (event.target as BluetoothRemoteGATTCharacteristic | null)?.value;
    if (value === undefined || this.closed) return;
    const piece = new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    for (const packet of this.reassembler.push(piece, Date.now())) this.packetListeners.emit(packet);
  };
  private readonly onDisconnected = () => {
    if (this.closed) return;
    this.reassembler.reset();
    this.linkLost(
      new LinkError(
        `the BLE device ${this.where} disconnected: it reset, went out of range, or was switched off`,
        true,
      ),
    );
  };

  private constructor(
    readonly device: BluetoothDevice,
    private readonly characteristic: BluetoothRemoteGATTCharacteristic,
    /** The device in messages. */
    readonly where: string,
    options: WebBluetoothOptions,
  ) {
    super();
    this.fragmentSize = options.fragmentSize ?? WEB_BLUETOOTH_FRAGMENT_SIZE;
    this.writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    this.writer = new SmpPieceWriter(this.fragmentSize, (piece) => this.writePiece(piece));
    characteristic.addEventListener('characteristicvaluechanged', this.onValue);
    device.addEventListener('gattserverdisconnected', this.onDisconnected);
  }

  /** Connects, finds the SMP characteristic and turns its notifications on, each step bounded. */
  static async open(
    device: BluetoothDevice,
    options: WebBluetoothOptions = {},
  ): Promise<WebBluetoothTransport> {
    const fragmentSize = options.fragmentSize ?? WEB_BLUETOOTH_FRAGMENT_SIZE;
    if (!Number.isInteger(fragmentSize) || fragmentSize < 20 || fragmentSize > BLE_MAX_ATTRIBUTE) {
      throw new RangeError(
        `fragmentSize ${fragmentSize} is not a BLE write size: give the device's ATT MTU − 3, from 20 (MTU 23) to ${BLE_MAX_ATTRIBUTE}`,
      );
    }
    const where = describeWebBluetoothDevice(device);
    const gatt = device.gatt;
    if (gatt === undefined) {
      throw new Error(`the BLE device ${where} has no GATT server the page may use`);
    }
    const stepMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    const step = <T>(work: Promise<T>, what: string): Promise<T> =>
      withTimeout(work, stepMs, () => `the BLE device ${where} did not ${what} within ${stepMs / 1000} s`);
    try {
      const server = await step(gatt.connect(), 'accept a connection').catch((error: unknown) => {
        // Chromium's own words ("Connection Error: Connection attempt failed.") name neither the
        // device nor what to check.
        throw error instanceof Error &&
          (error.name === 'NetworkError' || error.message.startsWith('Connection Error'))
          ? new Error(
              `could not connect to the BLE device ${where} (${error.message}): check that it is powered, ` +
                'in range and advertising, and not connected to another central',
              { cause: error },
            )
          : error;
      });
      const service = await step(server.getPrimaryService(SMP_SERVICE), 'answer GATT discovery').catch(
        (error: unknown) => {
          throw notFound(error)
            ? new Error(
                `the BLE device ${where} does not serve the SMP service (${SMP_SERVICE}): its firmware needs CONFIG_MCUMGR_TRANSPORT_BT`,
                { cause: error },
              )
            : error;
        },
      );
      const characteristic = await step(
        service.getCharacteristic(SMP_CHARACTERISTIC),
        'list the SMP characteristic',
      ).catch((error: unknown) => {
        throw notFound(error)
          ? new Error(
              `the BLE device ${where} serves the SMP service without its characteristic (${SMP_CHARACTERISTIC})`,
              { cause: error },
            )
          : error;
      });
      const transport = new WebBluetoothTransport(device, characteristic, where, options);
      try {
        await step(characteristic.startNotifications(), 'turn notifications on');
      } catch (error) {
        transport.detach();
        throw error;
      }
      return transport;
    } catch (error) {
      // Also aborts a connect still under way after its step timed out (Web Bluetooth's
      // disconnect() does), so no late connection is left open.
      gatt.disconnect();
      throw error;
    }
  }

  send(packet: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`BLE link to ${this.where} is closed`));
    if (this.lost !== undefined) return Promise.reject(this.lost);
    if (packet.length > this.mtu) {
      return Promise.reject(
        new RangeError(`SMP request of ${packet.length} bytes is longer than any SMP packet (${this.mtu})`),
      );
    }
    return this.writer.write(packet);
  }

  /** Pieces of responses dropped by the reassembler (garbage, unfinished packets), for diagnostics. */
  get droppedPieces(): SmpReassembler['dropped'] {
    return this.reassembler.dropped;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearListeners();
    // Synchronously, before any await: a reconnecting wrapper may connect the same device again
    // right after closing this link, and a late disconnect would cut the new connection.
    this.detach();
    if (this.lost === undefined && this.device.gatt?.connected) this.device.gatt.disconnect();
  }

  private detach(): void {
    this.characteristic.removeEventListener('characteristicvaluechanged', this.onValue);
    this.device.removeEventListener('gattserverdisconnected', this.onDisconnected);
  }

  private async writePiece(piece: Uint8Array): Promise<void> {
    if (this.lost !== undefined) throw this.lost;
    if (this.closed) throw new Error(`BLE link to ${this.where} is closed`);
    try {
      await withTimeout(
        // A copy: the platform may read the bytes after the caller reuses its buffer.
        this.characteristic.writeValueWithoutResponse(new Uint8Array(piece)),
        this.writeTimeoutMs,
        () =>
          `the browser did not finish a ${piece.length}-byte write within ${this.writeTimeoutMs / 1000} s`,
      );
    } catch (error) {
      if (this.closed) throw new Error(`BLE link to ${this.where} is closed`, { cause: error });
      this.linkLost(
        this.lost ??
          new LinkError(
            `a write to the BLE device ${this.where} failed: ${error instanceof Error ? error.message : String(error)}`,
            true,
            { cause: error },
          ),
      );
      throw this.lost;
    }
  }

  private linkLost(error: LinkError): void {
    if (this.lost !== undefined) return;
    this.lost = error;
    this.linkErrorListeners.emit(error);
  }
}

function notFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'NotFoundError';
}
