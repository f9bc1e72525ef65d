/**
 * Web Bluetooth in headless Chromium, emulated through the DevTools protocol and bridged to a
 * virtual board's BLE endpoint (./ble-board.ts). What it relies on, all measured on Chromium 156
 * (/work/shared/reference/ble-and-browser-testing.md §2.3-2.4):
 * - `BluetoothEmulation` exists only on the browser-level session; `DeviceAccess` (the chooser) on
 *   the page session.
 * - The chooser's `deviceRequestPrompted` fires twice with the same id and a second `selectPrompt`
 *   crashes the browser (Check failed: callback_): each prompt id is answered once.
 * - Connection and discovery arrive as `gattOperationReceived` and are answered with code 0 (here
 *   only while the board runs its app and advertises, as a real board after a reset).
 * - Writes arrive as `characteristicOperationReceived` (base64 data): each goes to the device's
 *   endpoint `write(connection, data)`, whose answers are cut into notifications of ATT_MTU − 3.
 * - There is no notification command: each notification is delivered by making the page read the
 *   characteristic (./page-scripts/web-bluetooth-notify.ts) and answering that read with the
 *   bytes, which fires the app's real `characteristicvaluechanged`. Serialized, one at a time.
 * A reset or `disconnect()` (simulateGATTDisconnection) drops the connection and the page's
 * pending notifications, as over the air.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import { notifications } from '../../../src/device/transport/ble.ts';
import type { BleBoard } from './ble-board.ts';
import { pageScript } from './page-script.ts';

/** The SMP service and characteristic (Zephyr smp_bt.c). */
export const SMP_SERVICE = '8d53dc1d-1db7-4cd3-868b-8a527460aa84';
export const SMP_CHARACTERISTIC = 'da2e7828-fbce-4e01-ae9e-261174997c48';
const CCCD = '00002902-0000-1000-8000-00805f9b34fb';
/** How long a connection attempt waits for a resetting board to advertise again. */
const CONNECT_WAIT_MS = 10_000;
/**
 * A connection attempt the board never answers: HCI Connection Timeout. Measured: Chromium 156 says
 * "Connection Error: Connection attempt failed." for 0x08 and "Unknown error when connecting to the
 * device." for the other codes tried (0x01-0x0a, 0x0d, 0x16, 0x1f, 0x3e).
 */
const HCI_CONNECTION_TIMEOUT = 0x08;
/** Bounded: a page that stops reading must not grow the test process's queue without limit. */
const MAX_PENDING_NOTIFICATIONS = 4096;

export interface WebBluetoothBridgeOptions {
  /** The advertised name the chooser and `device.name` show. */
  name: string;
  /** Bluetooth address of the emulated peripheral. */
  address?: string;
}

export class WebBluetoothBridge {
  readonly address: string;
  /** Protocol figures for the report: writes and notifications, bytes each way. */
  readonly counts = { writes: 0, toDevice: 0, notifications: 0, fromDevice: 0, droppedNotifications: 0 };
  private serviceId = '';
  private characteristicId = '';
  private connected = false;
  /** Connection number: an answer computed for an older connection is not delivered on a new one. */
  private connection = 0;
  private readonly pending: { connection: number; data: Uint8Array }[] = [];
  private delivering = false;
  /** The notification the page's current readValue() is to be answered with. */
  private readData: Uint8Array | undefined;
  /** Whether that read reached the device and was answered with it. */
  private readAnswered = false;
  /** The page's readValue() in flight, if any. */
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly answeredPrompts = new Set<string>();
  private advertisingSince = 0;
  private readonly detach: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly browserSession: CDPSession,
    private readonly pageSession: CDPSession,
    private readonly page: Page,
    private readonly board: BleBoard,
    options: WebBluetoothBridgeOptions,
  ) {
    this.address = options.address ?? '09:09:09:09:09:09';
  }

  /**
   * Emulates the board as a Bluetooth LE peripheral for `page` (call before the page loads, so the
   * notification helper is installed). One bridge per browser at a time: the emulation is global.
   */
  static async attach(
    browser: Browser,
    page: Page,
    board: BleBoard,
    options: WebBluetoothBridgeOptions,
  ): Promise<WebBluetoothBridge> {
    await page.addInitScript({ content: await pageScript('web-bluetooth-notify') });
    const browserSession = await browser.newBrowserCDPSession();
    const pageSession = await page.context().newCDPSession(page);
    const bridge = new WebBluetoothBridge(browserSession, pageSession, page, board, options);
    await bridge.start(options);
    return bridge;
  }

  private async start(options: WebBluetoothBridgeOptions): Promise<void> {
    const s = this.browserSession;
    try {
      await s.send('BluetoothEmulation.enable', { state: 'powered-on', leSupported: true });
    } catch (error) {
      throw new Error(
        'this Chromium has no DevTools BluetoothEmulation domain (it is experimental; Chromium 156 has it): ' +
          `${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    await s.send('BluetoothEmulation.simulatePreconnectedPeripheral', {
      address: this.address,
      name: options.name,
      manufacturerData: [],
      knownServiceUuids: [SMP_SERVICE],
    });
    await this.addAttributes();
    const on = <T>(session: CDPSession, event: string, handler: (payload: T) => void) => {
      const listener = (payload: T) => {
        debug(event, JSON.stringify(payload).slice(0, 120));
        if (!this.closed) handler(payload);
      };
      session.on(event as 'BluetoothEmulation.gattOperationReceived', listener as never);
      this.detach.push(() =>
        session.off(event as 'BluetoothEmulation.gattOperationReceived', listener as never),
      );
    };
    on(
      s,
      'BluetoothEmulation.gattOperationReceived',
      (e: { address: string; type: 'connection' | 'discovery' }) => void this.gattOperation(e.type),
    );
    on(
      s,
      'BluetoothEmulation.characteristicOperationReceived',
      (e: { characteristicId: string; type: string; data?: string; writeType?: string }) =>
        void this.characteristicOperation(e.type, e.data, e.writeType),
    );
    on(
      s,
      'BluetoothEmulation.descriptorOperationReceived',
      (e: { descriptorId: string; type: 'read' | 'write' }) =>
        void s
          .send('BluetoothEmulation.simulateDescriptorOperationResponse', {
            descriptorId: e.descriptorId,
            type: e.type,
            code: 0,
            ...(e.type === 'read' ? { data: Buffer.from([0, 0]).toString('base64') } : {}),
          })
          .catch(() => {}),
    );
    await this.pageSession.send('DeviceAccess.enable');
    on(
      this.pageSession,
      'DeviceAccess.deviceRequestPrompted',
      (e: { id: string; devices: { id: string }[] }) => {
        // Fires twice with one id; a second selectPrompt crashes Chromium 156. The first event may
        // come before the device is listed: answer the first one that lists it.
        const device = e.devices[0];
        if (!device || this.answeredPrompts.has(e.id)) return;
        this.answeredPrompts.add(e.id);
        void this.pageSession
          .send('DeviceAccess.selectPrompt', { id: e.id, deviceId: device.id })
          .catch(() => {});
      },
    );
    // The board advertises once its app has run for advertiseAfterBootMs; a reset drops the link.
    this.advertisingSince = this.board.device.state === 'running' ? Date.now() : 0;
    const off = this.board.device.onStateChange((state) => {
      debug('board', state);
      if (state === 'running') {
        this.advertisingSince = Date.now() + this.board.advertiseAfterBootMs;
      } else {
        this.advertisingSince = 0;
        if (this.connected) void this.dropConnection();
      }
    });
    this.detach.push(off);
  }

  /**
   * The SMP service, its characteristic and the characteristic's CCCD. Measured on Chromium 156:
   * simulateGATTDisconnection drops the emulated peripheral's attributes (a later removeService of
   * the old id fails, and the next discovery finds no SMP service), so each new connection gets
   * them anew, as a real board's GATT database is discovered again after it reconnects.
   */
  private async addAttributes(): Promise<void> {
    const s = this.browserSession;
    if (this.serviceId) {
      await s.send('BluetoothEmulation.removeService', { serviceId: this.serviceId }).catch(() => {});
    }
    ({ serviceId: this.serviceId } = await s.send('BluetoothEmulation.addService', {
      address: this.address,
      serviceUuid: SMP_SERVICE,
    }));
    ({ characteristicId: this.characteristicId } = await s.send('BluetoothEmulation.addCharacteristic', {
      serviceId: this.serviceId,
      characteristicUuid: SMP_CHARACTERISTIC,
      properties: { writeWithoutResponse: true, notify: true },
    }));
    await s.send('BluetoothEmulation.addDescriptor', {
      characteristicId: this.characteristicId,
      descriptorUuid: CCCD,
    });
  }

  /** Connection and discovery: succeed while the board advertises; wait (bounded) while it resets. */
  private async gattOperation(type: 'connection' | 'discovery'): Promise<void> {
    let code = 0;
    if (type === 'connection') {
      // A board that is off (not resetting) does not come back: the attempt fails at once.
      const deadline = this.board.device.state === 'off' ? 0 : Date.now() + CONNECT_WAIT_MS;
      while (!(this.advertisingSince > 0 && Date.now() >= this.advertisingSince) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (this.advertisingSince > 0 && Date.now() >= this.advertisingSince) {
        if (this.connection > 0) await this.addAttributes();
        this.connected = true;
        this.connection++;
      } else {
        code = HCI_CONNECTION_TIMEOUT;
      }
    }
    await this.browserSession
      .send('BluetoothEmulation.simulateGATTOperationResponse', { address: this.address, type, code })
      .catch(() => {});
  }

  private async characteristicOperation(
    type: string,
    data: string | undefined,
    writeType?: string,
  ): Promise<void> {
    const reply = (code: number, bytes?: Uint8Array) =>
      this.browserSession
        .send('BluetoothEmulation.simulateCharacteristicOperationResponse', {
          characteristicId: this.characteristicId,
          type: type as 'read',
          code,
          ...(bytes ? { data: Buffer.from(bytes).toString('base64') } : {}),
        })
        .catch(() => {});
    switch (type) {
      case 'subscribe-to-notifications':
      case 'unsubscribe-from-notifications':
        if (type === 'unsubscribe-from-notifications') this.board.endpoint.forget(this.connectionName());
        await reply(0);
        return;
      case 'read': {
        // The page's readValue() that stands for the next notification (deliver below).
        const bytes = this.readData;
        this.readData = undefined;
        this.readAnswered = bytes !== undefined;
        debug('answer read', bytes?.length);
        await reply(0, bytes ?? new Uint8Array(0));
        return;
      }
      case 'write': {
        if (writeType === 'write-with-response') await reply(0);
        const bytes = new Uint8Array(Buffer.from(data ?? '', 'base64'));
        this.counts.writes++;
        this.counts.toDevice += bytes.length;
        const connection = this.connection;
        const responses = await this.board.endpoint.write(this.connectionName(), bytes);
        for (const response of responses) {
          for (const piece of notifications(response, this.board.maxAttMtu - 3))
            this.notify(connection, piece);
        }
        return;
      }
      default:
        await reply(0);
    }
  }

  private connectionName(): string {
    return `web-bluetooth-${this.connection}`;
  }

  private notify(connection: number, data: Uint8Array): void {
    if (!this.connected || connection !== this.connection) return;
    if (this.pending.length >= MAX_PENDING_NOTIFICATIONS) {
      this.counts.droppedNotifications++;
      return;
    }
    this.pending.push({ connection, data: new Uint8Array(data) });
    void this.deliver();
  }

  /** One notification at a time: the page reads, the read is answered with the bytes. */
  private async deliver(): Promise<void> {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        const next = this.pending.shift()!;
        if (!this.connected || next.connection !== this.connection) continue;
        this.readData = next.data;
        this.readAnswered = false;
        const read = this.page
          .evaluate((uuid) => window.__zdfuBleNotify(uuid), SMP_CHARACTERISTIC)
          .catch((error: Error) => `the page went away: ${error.message}`);
        this.inFlight = read;
        const outcome = await read;
        // A read that never reached the device (the page lost the link) loses the notification.
        if (outcome === 'ok' && this.readAnswered) {
          this.counts.notifications++;
          this.counts.fromDevice += next.data.length;
        }
        this.readData = undefined;
      }
    } finally {
      this.delivering = false;
    }
  }

  private async dropConnection(): Promise<void> {
    debug('drop');
    this.connected = false;
    this.board.endpoint.forget(this.connectionName());
    this.pending.length = 0;
    // Measured: a read that reaches the test after simulateGATTDisconnection and is answered then
    // leaves Chromium's emulation stuck (the page never connects again). So the notification on its
    // way is delivered first, as one already in the air would be, then the link drops.
    await Promise.race([this.inFlight, new Promise((resolve) => setTimeout(resolve, 1000))]);
    await this.browserSession
      .send('BluetoothEmulation.simulateGATTDisconnection', { address: this.address })
      .catch(() => {});
  }

  /** The board goes out of range: Chromium reports gattserverdisconnected to the page. */
  async disconnect(): Promise<void> {
    await this.dropConnection();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.detach.splice(0)) off();
    await this.browserSession.send('BluetoothEmulation.disable').catch(() => {});
    await this.browserSession.detach().catch(() => {});
    await this.pageSession.detach().catch(() => {});
  }
}

/** ZDFU_BLE_DEBUG=1 prints the protocol traffic (how the races above were found). */
function debug(...what: unknown[]): void {
  if (process.env.ZDFU_BLE_DEBUG) console.log(Date.now() % 100_000, ...what);
}
