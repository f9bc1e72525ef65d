/**
 * The test side of the Web Serial stand-in (./page-scripts/web-serial-standin.ts): the page's
 * `navigator.serial` ports are real serial ports (a virtual board's PTY from startSim) opened here
 * with `serialport`, as /work/shared/reference/ble-and-browser-testing.md §2.5 describes. A
 * Playwright binding carries the page's open/write/close; bytes read from the port go back to the
 * page in order, one evaluate at a time, batched while one is in flight. A port that hangs up (the
 * sim stopped, its PTY closed) is reported to the page as a lost device.
 *
 * This tests the app's Web Serial code and the device's serial side, not Chromium's serial backend.
 */
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { SerialPort } from 'serialport';
import { keepPollerWaits } from '../../../src/transport/serial-poller.ts';
import { pageScript } from './page-script.ts';

export interface BridgedPortInfo {
  usbVendorId?: number;
  usbProductId?: number;
}

interface OpenPort {
  readonly port: SerialPort;
  readonly page: Page;
  pending: Buffer[];
  flushing: boolean;
  closedByPage: boolean;
  /** Tells the page its device is gone (once). */
  lost: () => void;
}

export class WebSerialBridge {
  private readonly ports: { path: string; info: BridgedPortInfo }[] = [];
  private readonly open = new Map<number, OpenPort>();
  private nextHandle = 1;
  /** Bytes each way, for speed figures. */
  readonly counts = { toDevice: 0, fromDevice: 0 };

  private constructor() {}

  /** Installs the stand-in in every page of `context` (call before the page loads). */
  static async attach(context: BrowserContext): Promise<WebSerialBridge> {
    const bridge = new WebSerialBridge();
    await context.exposeBinding('__zdfuSerial', ({ page }, ...call: unknown[]) => bridge.call(page, call));
    await context.addInitScript({ content: await pageScript('web-serial-standin') });
    return bridge;
  }

  /** Makes the serial port at `path` one the page can choose (by default an ST-Link's USB ids). */
  addPort(path: string, info: BridgedPortInfo = { usbVendorId: 0x0483, usbProductId: 0x374b }): void {
    this.ports.push({ path, info });
  }

  private async call(page: Page, call: unknown[]): Promise<unknown> {
    const [op, a, b] = call as [string, number, unknown];
    switch (op) {
      case 'list':
        return this.ports.map((port, index) => ({ index, info: port.info }));
      case 'open':
        return this.openPort(page, a, b as number);
      case 'write':
        return this.write(a, b as string);
      case 'close':
        return this.closePort(a);
      case 'signals':
        return this.signals(
          a,
          b as { dataTerminalReady?: boolean; requestToSend?: boolean; break?: boolean },
        );
      default:
        throw new Error(`unknown Web Serial stand-in call ${String(op)}`);
    }
  }

  private async openPort(page: Page, index: number, baudRate: number): Promise<number> {
    const entry = this.ports[index];
    if (!entry) throw new Error(`no bridged port ${index}`);
    const port = new SerialPort({ path: entry.path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    if (port.port) keepPollerWaits(port.port);
    const handle = this.nextHandle++;
    const open: OpenPort = { port, page, pending: [], flushing: false, closedByPage: false, lost: () => {} };
    this.open.set(handle, open);
    port.on('data', (chunk: Buffer) => {
      this.counts.fromDevice += chunk.length;
      open.pending.push(chunk);
      void this.flush(handle, open);
    });
    // A hang-up (the sim closed its PTY) or any port error after opening: the device is lost.
    open.lost = () => {
      if (open.closedByPage || !this.open.has(handle)) return;
      this.open.delete(handle);
      open.pending.push(LOST);
      void this.flush(handle, open);
    };
    port.on('close', open.lost);
    port.on('error', open.lost);
    // Chromium learns that a serial device went away from the OS's device list (udev), not only
    // from a failed read; a PTY's /dev/pts entry goes when its master closes. Watching it makes the
    // loss certain even when the read side saw no hang-up (bounded: one stat per 100 ms per port).
    const watch = setInterval(() => {
      if (!this.open.has(handle)) clearInterval(watch);
      else if (!existsSync(entry.path)) {
        clearInterval(watch);
        open.lost();
        if (port.isOpen) port.close(() => {});
      }
    }, 100);
    watch.unref();
    return handle;
  }

  /** Delivers what arrived, in order, one evaluate at a time. */
  private async flush(handle: number, open: OpenPort): Promise<void> {
    if (open.flushing) return;
    open.flushing = true;
    try {
      while (open.pending.length > 0) {
        const chunks = open.pending.splice(0);
        const lostAt = chunks.indexOf(LOST);
        const data = Buffer.concat(lostAt < 0 ? chunks : chunks.slice(0, lostAt));
        if (data.length > 0) {
          await open.page.evaluate(([h, b64]) => window.__zdfuSerialPush(h, b64), [
            handle,
            data.toString('base64'),
          ] as const);
        }
        if (lostAt >= 0) {
          await open.page.evaluate((h) => window.__zdfuSerialPush(h, null), handle);
          return;
        }
      }
    } catch {
      // The page went away: nobody is left to read, so let the port go.
      this.open.delete(handle);
      open.closedByPage = true;
      if (open.port.isOpen) open.port.close(() => {});
    } finally {
      open.flushing = false;
    }
  }

  private write(handle: number, base64: string): Promise<void> {
    const open = this.open.get(handle);
    if (!open) return Promise.reject(new Error('The device has been lost.'));
    const bytes = Buffer.from(base64, 'base64');
    this.counts.toDevice += bytes.length;
    // A failed write means the tty is gone (EIO): the page's stream is errored as a lost device.
    const failed = (error: Error, reject: (error: Error) => void) => {
      reject(error);
      open.lost();
    };
    return new Promise<void>((resolve, reject) => {
      open.port.write(bytes, (error) => {
        if (error) failed(error, reject);
      });
      open.port.drain((error) => (error ? failed(error, reject) : resolve()));
    });
  }

  private async signals(
    handle: number,
    signals: { dataTerminalReady?: boolean; requestToSend?: boolean; break?: boolean },
  ): Promise<void> {
    const open = this.open.get(handle);
    if (!open) throw new Error('The device has been lost.');
    const set: { dtr?: boolean; rts?: boolean; brk?: boolean } = {};
    if (signals.dataTerminalReady !== undefined) set.dtr = signals.dataTerminalReady;
    if (signals.requestToSend !== undefined) set.rts = signals.requestToSend;
    if (signals.break !== undefined) set.brk = signals.break;
    // A PTY has no modem lines; ioctl failures there mean nothing for the test.
    await new Promise<void>((resolve) => open.port.set(set, () => resolve()));
  }

  private async closePort(handle: number): Promise<void> {
    const open = this.open.get(handle);
    if (!open) return;
    open.closedByPage = true;
    this.open.delete(handle);
    if (open.port.isOpen) await new Promise<void>((resolve) => open.port.close(() => resolve()));
  }

  /** Closes every port the page left open. */
  async close(): Promise<void> {
    await Promise.all([...this.open.keys()].map((handle) => this.closePort(handle)));
  }
}

/** Marks the port's loss in the queue of chunks for the page, after the bytes that came before. */
const LOST = Buffer.alloc(0);
