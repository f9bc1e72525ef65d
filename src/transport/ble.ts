/**
 * SMP over Bluetooth LE as a central (Zephyr subsys/mgmt/mcumgr/transport/src/smp_bt.c on the
 * device): one GATT characteristic carries requests as writes without response and responses as
 * notifications. One write carries at most ATT_MTU − 3 bytes, capped at 512 (the largest attribute
 * value, Core spec Vol 3 Part F 3.2.9): `fragmentSize`. A longer request goes as several writes
 * in a row, which Zephyr joins by the SMP header's length when it is built with
 * CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY (smp_reassembly.c; Zephyr's smp_svr overlay-bt.conf and
 * Nordic's samples turn it on and size the buffer for five writes). Without reassembly each write
 * must be a whole request, so callers keep requests within `fragmentSize` unless the device
 * reports its buffer (MCUmgr params), as smpclient and Nordic's libraries do. The writes of one
 * request are never interleaved with another's. A response larger than one notification arrives
 * split at ATT_MTU − 3 and is joined by the SMP header's length (SmpReassembler).
 */
import type { Characteristic, Noble, Peripheral } from '@stoprocent/noble';
import { findPeer, openCentral, stopQuietly } from './ble-central.ts';
import {
  BLE_REQUESTED_ATT_MTU,
  bleWriteLimit,
  SMP_CHARACTERISTIC_UUID,
  SMP_MAX_PACKET,
  SMP_SERVICE_UUID,
  SmpPieceWriter,
  withTimeout,
} from './ble-smp.ts';
import { type BleTarget, describeBlePeer } from './kinds/ble.ts';
import { LinkError } from './link-error.ts';
import { ReconnectingTransport } from './reconnecting.ts';
import { SmpReassembler } from './smp-reassembler.ts';
import type { Transport, TransportKind } from './transport.ts';
import { TransportBase } from './transport-base.ts';

const STEP_TIMEOUT_MS = 10_000;

export interface BleTransportOptions {
  readonly target: BleTarget;
  /** ATT MTU to ask for (23..517); default 517. */
  readonly attMtu?: number;
}

export class BleTransport extends TransportBase {
  readonly kind: TransportKind = 'ble';
  /** Any SMP packet: requests longer than one write are split (see the module comment). */
  readonly mtu = SMP_MAX_PACKET;
  readonly fragmentSize: number;
  private readonly reassembler = new SmpReassembler({ accept: 'responses' });
  private lost: LinkError | undefined;
  private closed = false;
  /** Requests as pieces, one request after another (never interleaved). */
  private readonly writer: SmpPieceWriter;

  private constructor(
    private readonly noble: Noble,
    readonly peripheral: Peripheral,
    private readonly characteristic: Characteristic,
    readonly attMtu: number,
    private readonly peerText: string,
  ) {
    super();
    this.fragmentSize = bleWriteLimit(attMtu);
    this.writer = new SmpPieceWriter(this.fragmentSize, (piece) => this.writePiece(piece));
    characteristic.on('data', (value: Buffer) => {
      const piece = new Uint8Array(value.buffer, value.byteOffset, value.length);
      for (const packet of this.reassembler.push(piece, Date.now())) this.packetListeners.emit(packet);
    });
    peripheral.once('disconnect', (reason: number | string) => {
      if (this.closed) return;
      this.reassembler.reset();
      this.linkLost(
        new LinkError(
          `the BLE device ${peerText} disconnected (${describeReason(reason)}): it reset, went out of range, or was switched off`,
          true,
        ),
      );
    });
  }

  /** Connects to the device `options.target` names: scan, connect, ATT MTU, discovery, subscribe. */
  static async open(options: BleTransportOptions): Promise<BleTransport> {
    const { target } = options;
    const peerText = describeBlePeer(target);
    const noble = await openCentral(target.hci);
    try {
      const seen = await findPeer(noble, target, target.scanTimeoutMs);
      const where = `${peerText} (${seen.address})`;
      // noble's hci bindings read `mtu` from the connect options (lib/hci-socket/bindings.js);
      // its ConnectOptions type does not declare it.
      const connectOptions = { mtu: options.attMtu ?? BLE_REQUESTED_ATT_MTU } as object;
      const peripheral = await withTimeout(
        noble.connectAsync(seen.id, connectOptions),
        STEP_TIMEOUT_MS,
        () => `the BLE device ${where} did not accept a connection within ${STEP_TIMEOUT_MS / 1000} s`,
      );
      const { characteristics } = await withTimeout(
        peripheral.discoverSomeServicesAndCharacteristicsAsync([SMP_SERVICE_UUID], [SMP_CHARACTERISTIC_UUID]),
        STEP_TIMEOUT_MS,
        () => `the BLE device ${where} did not answer GATT discovery within ${STEP_TIMEOUT_MS / 1000} s`,
      );
      const characteristic = characteristics.find((c) => c.uuid === SMP_CHARACTERISTIC_UUID);
      if (!characteristic) {
        await peripheral.disconnectAsync().catch(() => undefined);
        throw new Error(
          `the BLE device ${where} does not serve the SMP service (${SMP_SERVICE_UUID}): its firmware needs CONFIG_MCUMGR_TRANSPORT_BT`,
        );
      }
      await withTimeout(
        characteristic.subscribeAsync(),
        STEP_TIMEOUT_MS,
        () => `the BLE device ${where} did not accept notifications within ${STEP_TIMEOUT_MS / 1000} s`,
      );
      const attMtu = peripheral.mtu ?? 23;
      return new BleTransport(noble, peripheral, characteristic, attMtu, where);
    } catch (error) {
      stopQuietly(noble);
      throw error;
    }
  }

  private linkLost(error: LinkError): void {
    if (this.lost !== undefined) return;
    this.lost = error;
    this.linkErrorListeners.emit(error);
  }

  send(packet: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`BLE link to ${this.peerText} is closed`));
    if (this.lost !== undefined) return Promise.reject(this.lost);
    if (packet.length > this.mtu) {
      return Promise.reject(
        new RangeError(`SMP request of ${packet.length} bytes is longer than any SMP packet (${this.mtu})`),
      );
    }
    return this.writer.write(packet);
  }

  private async writePiece(piece: Uint8Array): Promise<void> {
    if (this.lost !== undefined) throw this.lost;
    try {
      await this.characteristic.writeAsync(Buffer.from(piece.buffer, piece.byteOffset, piece.length), true);
    } catch (error) {
      const lost = new LinkError(
        `a write to the BLE device ${this.peerText} failed: ${(error as Error).message}`,
        true,
        { cause: error },
      );
      this.linkLost(lost);
      throw lost;
    }
  }

  /** Pieces of responses dropped by the reassembler (garbage, unfinished packets), for diagnostics. */
  get droppedPieces(): SmpReassembler['dropped'] {
    return this.reassembler.dropped;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearListeners();
    if (this.lost === undefined && this.peripheral.state === 'connected') {
      await withTimeout(this.peripheral.disconnectAsync(), 2_000, () => 'disconnect').catch(() => undefined);
    }
    stopQuietly(this.noble);
  }
}

/** HCI disconnect reasons a user meets (Core spec Vol 1 Part F). */
function describeReason(reason: number | string): string {
  if (typeof reason === 'string') return reason;
  const known: Record<number, string> = {
    8: 'connection timeout',
    19: 'the device ended the connection',
    22: 'this host ended the connection',
    62: 'the connection could not be established',
  };
  return `${known[reason] ?? 'HCI reason'} 0x${reason.toString(16).padStart(2, '0')}`;
}

/**
 * Opens a BLE target for the CLI. A BLE device drops the connection when it resets and advertises
 * again once it has booted: the request after that (dfu's polls, a retry) connects again.
 */
export async function openBleTarget(target: BleTarget): Promise<Transport> {
  return ReconnectingTransport.open(() => BleTransport.open({ target }));
}
