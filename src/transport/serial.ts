/**
 * SMP over a serial port (Zephyr console UART) using the `serialport` package and the console
 * framing. Console text between frames (logs, MCUboot banners, shell prompts) goes to onText.
 */
import { SerialPort } from 'serialport';
import { Listeners } from '../util/listeners.ts';
import { encodeSerialFrame, type SerialEvent, SerialFrameDecoder } from './serial-framing.ts';
import { keepPollerWaits } from './serial-poller.ts';
import type { Transport, TransportKind } from './transport.ts';

export interface SerialTransportOptions {
  readonly path: string;
  /** Default 115200. */
  readonly baudRate?: number;
  /** Largest SMP packet per request. Default 256 (Zephyr CONFIG_MCUMGR_TRANSPORT_UART_MTU). */
  readonly mtu?: number;
  /** Idle time after which a partial console line (a prompt) is passed on as text. Default 50 ms. */
  readonly textFlushMs?: number;
}

export class SerialTransport implements Transport {
  readonly kind: TransportKind = 'serial';
  readonly mtu: number;
  readonly path: string;
  private readonly decoder = new SerialFrameDecoder();
  private readonly packetListeners = new Listeners<Uint8Array>();
  private readonly textListeners = new Listeners<string>();
  private readonly badFrameListeners = new Listeners<string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly textFlushMs: number;
  private closed = false;

  private constructor(
    private readonly port: SerialPort,
    options: SerialTransportOptions,
  ) {
    this.path = options.path;
    this.mtu = options.mtu ?? 256;
    this.textFlushMs = options.textFlushMs ?? 50;
    port.on('data', (chunk: Uint8Array) => this.receive(chunk));
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
    const frame = encodeSerialFrame(packet);
    await new Promise<void>((resolve, reject) => {
      this.port.write(frame, (error) => {
        if (error)
          reject(new Error(`write to serial port ${this.path} failed: ${error.message}`, { cause: error }));
      });
      this.port.drain((error) => {
        if (error)
          reject(new Error(`write to serial port ${this.path} failed: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  onPacket(listener: (packet: Uint8Array) => void): () => void {
    return this.packetListeners.add(listener);
  }

  onText(listener: (text: string) => void): () => void {
    return this.textListeners.add(listener);
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
    this.packetListeners.clear();
    this.textListeners.clear();
    this.badFrameListeners.clear();
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
