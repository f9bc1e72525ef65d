/**
 * What every SMP-over-BLE central shares, Node (./ble.ts on noble) or browser (./web/web-bluetooth.ts):
 * the SMP GATT service and characteristic (Zephyr subsys/mgmt/mcumgr/transport/src/smp_bt.c), the
 * write size for an ATT MTU, and writing a request as pieces one request after another. One write
 * carries at most ATT_MTU − 3 bytes, capped at 512 (the largest attribute value, Core spec Vol 3
 * Part F 3.2.9); a longer request goes as several writes in a row, which Zephyr joins by the SMP
 * header's length when built with CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY (smp_reassembly.c).
 * Pure: no Node imports.
 */
import { withTimeout as bounded } from '../util/timeout.ts';

/** The MCUmgr SMP GATT service and characteristic, as Web Bluetooth spells UUIDs. */
export const SMP_SERVICE = '8d53dc1d-1db7-4cd3-868b-8a527460aa84';
export const SMP_CHARACTERISTIC = 'da2e7828-fbce-4e01-ae9e-261174997c48';
/** The same, as noble reports UUIDs (no dashes). */
export const SMP_SERVICE_UUID = SMP_SERVICE.replaceAll('-', '');
export const SMP_CHARACTERISTIC_UUID = SMP_CHARACTERISTIC.replaceAll('-', '');

/** What a central asks for: 517 lets a 512-byte attribute value plus the 3-byte ATT header through. */
export const BLE_REQUESTED_ATT_MTU = 517;
/** The largest attribute value (Core spec Vol 3 Part F 3.2.9). */
export const BLE_MAX_ATTRIBUTE = 512;
/** The smallest ATT MTU on LE (Core spec Vol 3 Part F 3.2.8): 20 bytes per write. */
export const BLE_MIN_ATT_MTU = 23;

/** Largest SMP packet (or piece of one) one write may carry on a link with this ATT MTU. */
export function bleWriteLimit(attMtu: number): number {
  return Math.min(attMtu - 3, BLE_MAX_ATTRIBUTE);
}

/** The SMP header's 16-bit length caps every packet (8 + 65535 bytes). */
export const SMP_MAX_PACKET = 8 + 0xffff;

/** A BLE step (power-on, scan, connect, discovery, subscribe) that did not finish in time. */
export class BleTimeoutError extends Error {
  override readonly name = 'BleTimeoutError';
  readonly fault = 'no-answer' as const;
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** The step's result, or a BleTimeoutError with `message()` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  return bounded(promise, ms, () => new BleTimeoutError(message(), ms));
}

/**
 * Writes each request as pieces of at most `fragmentSize` bytes, in order; a request's pieces
 * start only after the previous request's last piece was handed over, so two requests' writes
 * never interleave (the device joins pieces by the first piece's header). The queue is as long as
 * the caller's window of requests in flight.
 */
export class SmpPieceWriter {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly fragmentSize: number,
    private readonly writePiece: (piece: Uint8Array) => Promise<void>,
  ) {
    if (!Number.isInteger(fragmentSize) || fragmentSize < 1) {
      throw new RangeError(`a BLE write must carry at least 1 byte, not ${fragmentSize}`);
    }
  }

  write(packet: Uint8Array): Promise<void> {
    const done = this.tail.then(async () => {
      for (let at = 0; at < packet.length; at += this.fragmentSize) {
        await this.writePiece(packet.subarray(at, at + this.fragmentSize));
      }
    });
    this.tail = done.catch(() => undefined);
    return done;
  }
}
