/**
 * The virtual device's SMP-over-Bluetooth endpoint, as Zephyr's smp_bt.c (subsys/mgmt/mcumgr/
 * transport/src/smp_bt.c) on a peripheral built with @stoprocent/bleno over an HCI controller:
 * - it advertises the board's name and the SMP service and serves one characteristic with write
 *   without response + notify;
 * - each write carries an SMP request; with CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY (modelled on) a
 *   request split over several writes is collected by its header length (smp_reassembly.c): the
 *   first write must hold the 8-byte header, a packet larger than the SMP buffer (NETBUF_SIZE) or
 *   writes beyond the expected length drop it;
 * - each response goes back as notifications of at most ATT_MTU − 3 bytes, in order;
 * - a request from a central that has gone gets no response (smp_bt.c checks the connection).
 * While the board boots (after a reset) it neither advertises nor keeps a connection, as a real
 * board whose Bluetooth stack is down until the app calls bt_enable() again.
 */
import { existsSync } from 'node:fs';
import type { Bleno, ConnectionHandle, UpdateValueCallback } from '@stoprocent/bleno';
import { type BleHci, formatBleHci } from '../../client/ble-connstring.ts';

export const SMP_SERVICE_UUID = '8d53dc1d1db74cd3868b8a527460aa84';
export const SMP_CHARACTERISTIC_UUID = 'da2e7828fbce4e01ae9e261174997c48';

export type PacketHandler = (packet: Uint8Array) => Promise<Uint8Array[]>;

export interface BleEndpointOptions {
  readonly hci: BleHci;
  /** The advertised local name (Zephyr CONFIG_BT_DEVICE_NAME). */
  readonly name: string;
  /** Largest ATT MTU the peripheral accepts (Zephyr BT_L2CAP_TX_MTU + 4 or so); default 498. */
  readonly maxAttMtu?: number;
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: the largest request collected. */
  readonly netbufSize: number;
  readonly handler: PacketHandler;
  /** Advertising interval in ms (default 20: quick reconnects in tests). */
  readonly advertisingIntervalMs?: number;
}

/** What the endpoint dropped, in words (diagnostics, tests). */
export interface BleDrop {
  readonly reason: string;
  readonly bytes: number;
}

interface Central {
  notify: UpdateValueCallback | undefined;
  maxValueSize: number;
  /** The request being collected across writes (smp_reassembly.c), or undefined. */
  collecting: { data: Uint8Array; expected: number } | undefined;
}

export class BleEndpoint {
  private readonly centrals = new Map<string, Central>();
  private advertising = false;
  private suspended = false;
  readonly drops: BleDrop[] = [];
  private closed = false;

  private constructor(
    private readonly bleno: Bleno,
    private readonly options: BleEndpointOptions,
    readonly address: string,
  ) {}

  static async open(options: BleEndpointOptions): Promise<BleEndpoint> {
    const { hci } = options;
    if (hci.kind === 'uart' && !existsSync(hci.path)) {
      throw new Error(
        `no HCI controller at ${hci.path} (--ble-hci uart:${hci.path}): the file does not exist; start the virtual radio ` +
          '(scripts/ble/virtual-radio.py) or plug in the controller first',
      );
    }
    // bleno reads its advertising interval from the environment when it starts advertising.
    process.env.BLENO_ADVERTISING_INTERVAL = String(options.advertisingIntervalMs ?? 20);
    const { withBindings } = await import('@stoprocent/bleno');
    const bleno =
      hci.kind === 'uart'
        ? withBindings('hci', {
            hciDriver: 'uart',
            bindParams: { usb: undefined, uart: { port: hci.path, baudRate: 1_000_000 } },
          })
        : withBindings('hci', { deviceId: hci.deviceId });
    try {
      await bleno.waitForPoweredOnAsync(10_000);
    } catch (error) {
      bleno.stop();
      throw new Error(
        `the HCI controller ${formatBleHci(hci)} did not power on within 10 s (state "${bleno.state}")`,
        { cause: error },
      );
    }
    // bleno caps the ATT MTU at 256 (lib/hci-socket/gatt.js, maxMtu); a Zephyr board takes what
    // its L2CAP buffers allow (498 is the common setting, 517 the most a central asks for).
    const gatt = (bleno as unknown as { _bindings: { _gatt: { maxMtu: number } } })._bindings._gatt;
    gatt.maxMtu = options.maxAttMtu ?? 498;
    const endpoint = new BleEndpoint(bleno, options, bleno.address);
    await endpoint.serve();
    return endpoint;
  }

  private async serve(): Promise<void> {
    const { bleno } = this;
    const characteristic = new bleno.Characteristic({
      uuid: SMP_CHARACTERISTIC_UUID,
      properties: ['writeWithoutResponse', 'notify'],
      // bleno 0.12.4 passes the connection handle first.
      onSubscribe: (handle, maxValueSize, notify) => {
        const central = this.central(handle);
        central.notify = notify;
        central.maxValueSize = maxValueSize;
      },
      onUnsubscribe: (handle) => {
        // Turning notifications off drops a partial request (smp_bt.c, CCC changed).
        const central = this.centrals.get(String(handle));
        if (central) {
          central.notify = undefined;
          central.collecting = undefined;
        }
      },
      onWriteRequest: (handle, data, _offset, withoutResponse, callback) => {
        if (!withoutResponse) callback(0);
        this.write(String(handle), new Uint8Array(data.buffer, data.byteOffset, data.length).slice());
      },
    });
    bleno.on('disconnect', (_address, handle) => this.centrals.delete(String(handle)));
    // A central connecting stops legacy advertising; advertise again once it leaves (as Zephyr's
    // samples do from their disconnected callback).
    bleno.on('disconnect', () => {
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

  private central(handle: ConnectionHandle): Central {
    const key = String(handle);
    let central = this.centrals.get(key);
    if (!central) {
      central = { notify: undefined, maxValueSize: 20, collecting: undefined };
      this.centrals.set(key, central);
    }
    return central;
  }

  private drop(reason: string, bytes: number): void {
    this.drops.push({ reason, bytes });
    if (this.drops.length > 32) this.drops.shift();
  }

  /** One write from a central: collect it into a request (smp_reassembly.c), then serve it. */
  private write(key: string, data: Uint8Array): void {
    if (this.suspended) return;
    const central = this.central(key);
    let current = central.collecting;
    if (current === undefined) {
      if (data.length < 8) {
        this.drop(
          `a request's first write holds ${data.length} bytes, less than the 8-byte SMP header`,
          data.length,
        );
        return;
      }
      const expected = 8 + (((data[2] ?? 0) << 8) | (data[3] ?? 0));
      if (expected > this.options.netbufSize) {
        this.drop(
          `a request of ${expected} bytes is larger than the ${this.options.netbufSize}-byte SMP buffer`,
          data.length,
        );
        return;
      }
      current = { data: new Uint8Array(0), expected };
    }
    const collected = new Uint8Array(current.data.length + data.length);
    collected.set(current.data);
    collected.set(data, current.data.length);
    if (collected.length > current.expected) {
      central.collecting = undefined;
      this.drop(
        `writes carried ${collected.length} bytes for a ${current.expected}-byte request`,
        collected.length,
      );
      return;
    }
    if (collected.length < current.expected) {
      central.collecting = { data: collected, expected: current.expected };
      return;
    }
    central.collecting = undefined;
    this.options.handler(collected).then(
      (responses) => this.respond(key, responses),
      () => undefined,
    );
  }

  /** Notifications of at most ATT_MTU − 3 bytes each, to the central that asked, if still there. */
  private respond(key: string, responses: Uint8Array[]): void {
    for (const response of responses) {
      const central = this.centrals.get(key);
      if (!central?.notify || this.suspended) return;
      const size = Math.max(20, central.maxValueSize);
      for (let at = 0; at < response.length; at += size) {
        const piece = response.subarray(at, at + size);
        try {
          central.notify(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
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

  /** The board resets: drop every connection and stop advertising until resume(). */
  async suspend(): Promise<void> {
    if (this.suspended || this.closed) return;
    this.suspended = true;
    this.centrals.clear();
    if (this.advertising) {
      this.advertising = false;
      await this.bleno.stopAdvertisingAsync().catch(() => undefined);
    }
    this.bleno.disconnect();
  }

  /** The app is up again: advertise. */
  async resume(): Promise<void> {
    if (!this.suspended || this.closed) return;
    this.suspended = false;
    await this.advertise();
  }

  get isAdvertising(): boolean {
    return this.advertising;
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
