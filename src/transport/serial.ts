/**
 * SMP over a serial port (Zephyr console UART) using the `serialport` package and the console
 * framing. Console text between frames (logs, MCUboot banners, shell prompts) goes to onText.
 */
import { SerialPort } from 'serialport';
import { Listeners } from '../util/listeners.ts';
import type { SerialTarget } from './kinds/serial.ts';
import { LinkError } from './link-error.ts';
import {
  encodeSerialFrame,
  SERIAL_MAX_PACKET,
  type SerialEvent,
  SerialFrameDecoder,
} from './serial-framing.ts';
import { keepPollerWaits } from './serial-poller.ts';
import type { TransportKind } from './transport.ts';
import { TransportBase } from './transport-base.ts';

export interface SerialTransportOptions {
  readonly path: string;
  /** Default 115200. */
  readonly baudRate?: number;
  /** Largest SMP packet per request. Default 256 (Zephyr CONFIG_MCUMGR_TRANSPORT_UART_MTU). */
  readonly mtu?: number;
  /** Idle time after which a partial console line (a prompt) is passed on as text. Default 50 ms. */
  readonly textFlushMs?: number;
}

/**
 * Opens a parsed serial target. Without a user mtu the framing's own limit applies; the upload
 * sizes its requests from the device's buffer size (or the serial kind's fallback when the device
 * does not say).
 */
export function openSerialTarget(target: SerialTarget): Promise<SerialTransport> {
  return SerialTransport.open({
    path: target.path,
    baudRate: target.baudRate,
    mtu: target.mtu ?? SERIAL_MAX_PACKET,
  });
}

export class SerialTransport extends TransportBase {
  readonly kind: TransportKind = 'serial';
  readonly mtu: number;
  readonly path: string;
  private readonly decoder = new SerialFrameDecoder({ resync: true });
  private readonly badFrameListeners = new Listeners<string>();
  /** Set when the port went away under us (hang-up); every later send fails with it. */
  private lost: LinkError | undefined;
  /** The first frame of a session is preceded by a newline (see send). */
  private sentAny = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly textFlushMs: number;
  private closed = false;

  private constructor(
    private readonly port: SerialPort,
    options: SerialTransportOptions,
  ) {
    super();
    this.path = options.path;
    this.mtu = options.mtu ?? 256;
    this.textFlushMs = options.textFlushMs ?? 50;
    port.on('data', (chunk: Uint8Array) => this.receive(chunk));
    // A hang-up (USB unplugged, the simulator's PTY closed) closes the port with `disconnected`;
    // other port errors after opening end the link the same way.
    port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
      if (this.closed) return;
      this.linkLost(
        error?.disconnected === true
          ? this.hungUp(undefined, error)
          : new LinkError(`serial port ${this.path} was closed${error ? `: ${error.message}` : ''}`, true, {
              cause: error ?? undefined,
            }),
      );
    });
    port.on('error', (error: Error) => {
      if (this.closed) return;
      this.linkLost(
        new LinkError(`serial port ${this.path} failed: ${error.message}`, true, { cause: error }),
      );
    });
  }

  private hungUp(detail: string | undefined, cause: unknown): LinkError {
    return new LinkError(
      `serial port ${this.path} hung up${detail ? ` (${detail})` : ''}: the device was unplugged or reset its USB, or the simulator stopped`,
      true,
      { cause },
    );
  }

  private linkLost(error: LinkError): void {
    if (this.lost !== undefined) return;
    this.lost = error;
    this.linkErrorListeners.emit(error);
  }

  static async open(options: SerialTransportOptions): Promise<SerialTransport> {
    const baudRate = options.baudRate ?? 115200;
    const port = new SerialPort({ path: options.path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((error) => {
        if (error) {
          const reason = error.message.replace(/^Error: /, '').replace(/, cannot open .*$/, '');
          reject(
            new Error(`cannot open serial port ${options.path} at ${baudRate} baud: ${reason}`, {
              cause: error,
            }),
          );
        } else {
          resolve();
        }
      });
    });
    if (port.port) keepPollerWaits(port.port);
    return new SerialTransport(port, options);
  }

  async send(packet: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`serial port ${this.path} is closed`);
    if (this.lost !== undefined) throw this.lost;
    // Bytes left on the line by someone else (an interrupted client, a terminal) sit in the
    // device's line buffer; Zephyr's uart_mcumgr then drops our first line because it does not
    // start with a frame marker, and the request costs a whole timeout. A newline first ends that
    // stray line, which the device discards as not-a-frame (drivers/console/uart_mcumgr.c).
    const frame = this.sentAny ? encodeSerialFrame(packet) : withLeadingNewline(encodeSerialFrame(packet));
    this.sentAny = true;
    await new Promise<void>((resolve, reject) => {
      // A write that fails on an open port means the port is gone (EIO, bad file descriptor).
      const failed = (error: Error) => {
        this.linkLost(this.hungUp(`a write failed: ${error.message}`, error));
        reject(this.lost);
      };
      this.port.write(frame, (error) => {
        if (error) failed(error);
      });
      this.port.drain((error) => {
        if (error) failed(error);
        else resolve();
      });
    });
  }

  /** Frames dropped for a bad CRC, bad base64 or a length overrun (diagnostics). */
  onBadFrame(listener: (reason: string) => void): () => void {
    return this.badFrameListeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.flushTimer);
    this.dispatch(this.decoder.flushText());
    this.clearListeners();
    this.badFrameListeners.clear();
    this.linkErrorListeners.clear();
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve, reject) => {
      this.port.close((error) => {
        if (error)
          reject(new Error(`closing serial port ${this.path} failed: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  private receive(chunk: Uint8Array): void {
    this.dispatch(this.decoder.push(chunk));
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.dispatch(this.decoder.flushText()), this.textFlushMs);
  }

  private dispatch(events: SerialEvent[]): void {
    for (const event of events) {
      if (event.kind === 'packet') this.packetListeners.emit(event.packet);
      else if (event.kind === 'text') this.textListeners.emit(event.text);
      else this.badFrameListeners.emit(event.reason);
    }
  }
}

function withLeadingNewline(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 1);
  out[0] = 0x0a;
  out.set(frame, 1);
  return out;
}
