/**
 * Web Bluetooth objects (https://webbluetoothcg.github.io/web-bluetooth/) shaped like Chromium's,
 * serving the virtual device's real BLE endpoint (src/device/transport/ble.ts, Zephyr's smp_bt.c
 * with reassembly) as the bleno peripheral does (src/device/transport/ble-peripheral.ts): each
 * write without response goes to `endpoint.write`, each response comes back as notifications of
 * at most ATT_MTU − 3 bytes, fired as `characteristicvaluechanged` with `value` set. A write longer
 * than ATT_MTU − 3 is refused, as a link with that MTU cannot carry it. Steps can be made to hang
 * or fail to test the transport's bounds.
 */
import { type BleEndpoint, notifications } from '../../../src/device/transport/ble.ts';
import { SMP_CHARACTERISTIC, SMP_SERVICE } from '../../../src/transport/ble-smp.ts';

export interface FakeBleOptions {
  readonly attMtu: number;
  readonly endpoint: BleEndpoint;
}

/** Which step hangs or fails (a DOMException name), to test bounds and messages. */
export type FakeFault =
  | {
      readonly step: 'connect' | 'service' | 'characteristic' | 'notifications' | 'write';
      readonly hang: true;
    }
  | { readonly step: 'connect' | 'service' | 'characteristic' | 'write'; readonly error: string };

const hang = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class FakeCharacteristic extends EventTarget {
  readonly uuid = SMP_CHARACTERISTIC;
  value: DataView | undefined;
  notifying = false;
  /** Every write's length, in order. */
  readonly writes: number[] = [];

  constructor(
    readonly service: FakeService,
    private readonly device: FakeBluetoothDevice,
  ) {
    super();
  }

  async startNotifications(): Promise<this> {
    if (this.device.fault?.step === 'notifications') return hang();
    this.notifying = true;
    return this;
  }

  async stopNotifications(): Promise<this> {
    this.notifying = false;
    this.device.options.endpoint.forget(this.device.connectionKey);
    return this;
  }

  async writeValueWithoutResponse(value: BufferSource): Promise<void> {
    const fault = this.device.fault;
    if (fault?.step === 'write') {
      if ('hang' in fault) return hang();
      throw new DOMException('GATT operation failed for unknown reason.', fault.error);
    }
    if (!this.device.gatt.connected) throw new DOMException('GATT Server is disconnected.', 'NetworkError');
    const bytes = bytesOf(value).slice();
    const limit = this.device.options.attMtu - 3;
    if (bytes.length > limit) {
      throw new DOMException(
        `${bytes.length} bytes do not fit ATT MTU ${this.device.options.attMtu}`,
        'NotSupportedError',
      );
    }
    this.writes.push(bytes.length);
    const key = this.device.connectionKey;
    void this.device.options.endpoint.write(key, bytes).then((responses) => {
      for (const response of responses) {
        if (!this.notifying || this.device.connectionKey !== key) return;
        for (const piece of notifications(response, limit)) {
          this.value = new DataView(piece.slice().buffer);
          this.dispatchEvent(new Event('characteristicvaluechanged'));
        }
      }
    });
  }
}

export class FakeService {
  readonly uuid = SMP_SERVICE;
  readonly isPrimary = true;
  characteristic: FakeCharacteristic;

  constructor(private readonly device: FakeBluetoothDevice) {
    this.characteristic = new FakeCharacteristic(this, device);
  }

  async getCharacteristic(uuid: string): Promise<FakeCharacteristic> {
    const fault = this.device.fault;
    if (fault?.step === 'characteristic') {
      if ('hang' in fault) return hang();
      throw new DOMException('No Characteristics matching UUID found in Service.', fault.error);
    }
    if (uuid !== SMP_CHARACTERISTIC)
      throw new DOMException('No Characteristics matching UUID', 'NotFoundError');
    return this.characteristic;
  }
}

export class FakeGattServer {
  connected = false;
  connects = 0;
  /** disconnect() calls that aborted a connect still under way (as Web Bluetooth's does). */
  abortedConnects = 0;
  private connecting = false;
  service: FakeService | undefined;

  constructor(readonly device: FakeBluetoothDevice) {}

  async connect(): Promise<this> {
    const fault = this.device.fault;
    if (fault?.step === 'connect') {
      // Chromium's words when the device does not answer the connection (HCI 0x08).
      if ('error' in fault)
        throw new DOMException('Connection Error: Connection attempt failed.', fault.error);
      this.connecting = true;
      return hang();
    }
    this.connects++;
    this.connected = true;
    this.device.connection++;
    // Each connection has its own attribute objects, as in Chromium after a reconnect.
    this.service = new FakeService(this.device);
    return this;
  }

  disconnect(): void {
    if (this.connecting) {
      this.connecting = false;
      this.abortedConnects++;
    }
    if (!this.connected) return;
    this.connected = false;
    this.device.options.endpoint.forget(this.device.connectionKey);
    this.device.dispatchEvent(new Event('gattserverdisconnected'));
  }

  async getPrimaryService(uuid: string): Promise<FakeService> {
    const fault = this.device.fault;
    if (fault?.step === 'service') {
      if ('hang' in fault) return hang();
      throw new DOMException('No Services matching UUID found in Device.', fault.error);
    }
    if (!this.connected || this.service === undefined)
      throw new DOMException('GATT Server is disconnected.', 'NetworkError');
    if (uuid !== SMP_SERVICE) throw new DOMException('No Services matching UUID', 'NotFoundError');
    return this.service;
  }
}

export class FakeBluetoothDevice extends EventTarget {
  readonly id = 'dGVzdC1kZXZpY2U=';
  readonly gatt: FakeGattServer;
  fault: FakeFault | undefined;
  connection = 0;

  constructor(
    readonly name: string,
    readonly options: FakeBleOptions,
  ) {
    super();
    this.gatt = new FakeGattServer(this);
  }

  get connectionKey(): string {
    return `conn-${this.connection}`;
  }

  /** The device drops the link (it reset, went out of range). */
  dropLink(): void {
    this.gatt.disconnect();
  }
}

export class FakeBluetooth {
  readonly requests: RequestDeviceOptions[] = [];

  constructor(private readonly device: FakeBluetoothDevice | undefined) {}

  async requestDevice(options: RequestDeviceOptions): Promise<FakeBluetoothDevice> {
    this.requests.push(options);
    if (!this.device) throw new DOMException('User cancelled the requestDevice() chooser.', 'NotFoundError');
    return this.device;
  }
}

function bytesOf(value: BufferSource): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** The fakes as the DOM types the transport takes. */
export const asBluetooth = (fake: FakeBluetooth): Bluetooth => fake as unknown as Bluetooth;
export const asDevice = (fake: FakeBluetoothDevice): BluetoothDevice => fake as unknown as BluetoothDevice;
