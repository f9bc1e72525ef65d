/**
 * The Bluetooth LE peripheral under the device's SMP-over-BLE endpoint (./ble.ts): a real host
 * stack (@stoprocent/bleno) on an HCI controller (an H4 UART such as the virtual radio's, or the
 * kernel's HCI socket) that advertises the board's name and the SMP service and serves its one
 * characteristic (write without response + notify), as Zephyr's smp_bt.c registers it. It can be
 * suspended: a board that resets has no Bluetooth until its app has booted again, so it drops its
 * central and stops advertising meanwhile. Node only.
 */
import { existsSync } from 'node:fs';
import type { Bleno, ConnectionHandle, UpdateValueCallback } from '@stoprocent/bleno';
import { hciBindingOptions } from '../../transport/hci-bindings.ts';
import { type BleHci, formatBleHci } from '../../transport/kinds/ble.ts';
import { type BleEndpoint, notifications } from './ble.ts';

/** The MCUmgr SMP GATT service and characteristic (smp_bt.c), spelled as bleno takes UUIDs. */
export const SMP_SERVICE_UUID = '8d53dc1d1db74cd3868b8a527460aa84';
export const SMP_CHARACTERISTIC_UUID = 'da2e7828fbce4e01ae9e261174997c48';

export interface BlePeripheralOptions {
  readonly hci: BleHci;
  /** The advertised local name (Zephyr CONFIG_BT_DEVICE_NAME). */
  readonly name: string;
  /** Largest ATT MTU the peripheral accepts (23..517). */
  readonly maxAttMtu: number;
  readonly endpoint: BleEndpoint;
  /** Advertising interval in ms (default 20: a central finds it within one or two). */
  readonly advertisingIntervalMs?: number;
}

interface Subscriber {
  notify: UpdateValueCallback;
  maxValueSize: number;
}

export class BlePeripheral {
  private readonly subscribers = new Map<string, Subscriber>();
  private advertising = false;
  private suspended = false;
  private closed = false;

  private constructor(
    private readonly bleno: Bleno,
    private readonly options: BlePeripheralOptions,
    readonly address: string,
  ) {}

  static async open(options: BlePeripheralOptions): Promise<BlePeripheral> {
    const { hci } = options;
    if (hci.kind === 'uart' && !existsSync(hci.path)) {
      throw new Error(
        `no HCI controller at ${hci.path} (--ble-hci uart:${hci.path}): the file does not exist; start the ` +
          'virtual radio (scripts/ble/virtual-radio.py) or plug in the controller first',
      );
    }
    // bleno reads its advertising interval from the environment when it starts advertising.
    process.env.BLENO_ADVERTISING_INTERVAL = String(options.advertisingIntervalMs ?? 20);
    const { withBindings } = await import('@stoprocent/bleno');
    const bleno = withBindings('hci', hciBindingOptions(hci));
    try {
      await bleno.waitForPoweredOnAsync(10_000);
    } catch (error) {
      bleno.stop();
      throw new Error(
        `the HCI controller ${formatBleHci(hci)} did not power on within 10 s (state "${bleno.state}")`,
        { cause: error },
      );
    }
    // bleno caps the ATT MTU at 256 (lib/hci-socket/gatt.js, maxMtu); a Zephyr board takes what its
    // L2CAP buffers allow.
    const gatt = (bleno as unknown as { _bindings: { _gatt: { maxMtu: number } } })._bindings._gatt;
    gatt.maxMtu = options.maxAttMtu;
    const peripheral = new BlePeripheral(bleno, options, bleno.address);
    await peripheral.serve();
    return peripheral;
  }

  private async serve(): Promise<void> {
    const { bleno } = this;
    const { endpoint } = this.options;
    const characteristic = new bleno.Characteristic({
      uuid: SMP_CHARACTERISTIC_UUID,
      properties: ['writeWithoutResponse', 'notify'],
      // bleno 0.12.4 passes the connection handle first.
      onSubscribe: (handle: ConnectionHandle, maxValueSize: number, notify: UpdateValueCallback) => {
        this.subscribers.set(String(handle), { notify, maxValueSize });
      },
      onUnsubscribe: (handle: ConnectionHandle) => {
        this.subscribers.delete(String(handle));
        endpoint.forget(String(handle));
      },
      onWriteRequest: (handle, data, _offset, withoutResponse, callback) => {
        if (!withoutResponse) callback(0);
        if (this.suspended) return;
        const key = String(handle);
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length).slice();
        endpoint.write(key, bytes).then(
          (responses) => this.respond(key, responses),
          () => undefined,
        );
      },
    });
    bleno.on('disconnect', (_address, handle) => {
      this.subscribers.delete(String(handle));
      endpoint.forget(String(handle));
      // A central connecting stopped advertising; advertise again once it left (as Zephyr's
      // samples do in their disconnected callback), unless the board is down.
      this.advertising = false;
      if (!this.suspended && !this.closed) void this.advertise();
    });
    bleno.on('accept', () => {
      this.advertising = false;
    });
    await bleno.setServicesAsync([
      new bleno.PrimaryService({ uuid: SMP_SERVICE_UUID, characteristics: [characteristic] }),
    ]);
    await this.advertise();
  }

  /** Notifications to the central that asked, if it is still there (smp_bt.c checks the connection). */
  private respond(key: string, responses: Uint8Array[]): void {
    for (const response of responses) {
      const subscriber = this.subscribers.get(key);
      if (!subscriber || this.suspended) return;
      for (const piece of notifications(response, subscriber.maxValueSize)) {
        try {
          subscriber.notify(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
        } catch {
          return; // the connection went while we answered
        }
      }
    }
  }

  private async advertise(): Promise<void> {
    if (this.advertising || this.closed) return;
    this.advertising = true;
    try {
      await this.bleno.startAdvertisingAsync(this.options.name, [SMP_SERVICE_UUID]);
    } catch {
      this.advertising = false;
    }
  }

  /** The board goes down (reset, power off): drop every connection and stop advertising. */
  async suspend(): Promise<void> {
    if (this.suspended || this.closed) return;
    this.suspended = true;
    this.subscribers.clear();
    this.options.endpoint.forgetAll();
    if (this.advertising) {
      this.advertising = false;
      await this.bleno.stopAdvertisingAsync().catch(() => undefined);
    }
    this.bleno.disconnect();
  }

  /**
   * The link is lost while the board keeps running (out of range, a supervision timeout): drop
   * the central and what it had half-sent; the disconnect handler advertises again at once.
   */
  dropConnection(): void {
    if (this.suspended || this.closed) return;
    this.subscribers.clear();
    this.options.endpoint.forgetAll();
    this.bleno.disconnect();
  }

  /** The app is up again: advertise. */
  async resume(): Promise<void> {
    if (!this.suspended || this.closed) return;
    this.suspended = false;
    await this.advertise();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.advertising) await this.bleno.stopAdvertisingAsync().catch(() => undefined);
      this.bleno.disconnect();
    } finally {
      this.bleno.stop();
    }
  }
}
