/**
 * SMP over a serial port (Zephyr console UART) in Node: a byte link over the `serialport` package
 * under the console framing (./framed-serial.ts). Console text between frames (logs, MCUboot
 * banners, shell prompts) goes to onText. Node only.
 */
import { SerialPort } from 'serialport';
import { Listeners } from '../util/listeners.ts';
import type { ByteLink } from './byte-link.ts';
import { FramedSerialTransport } from './framed-serial.ts';
import type { SerialTarget } from './kinds/serial.ts';
import { LinkError } from './link-error.ts';
import { SERIAL_MAX_PACKET } from './serial-framing.ts';
import { keepPollerWaits } from './serial-poller.ts';

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

export class SerialTransport extends FramedSerialTransport {
  readonly path: string;

  private constructor(
    private readonly port: SerialPort,
    options: SerialTransportOptions,
  ) {
    super(new SerialPortLink(port, options.path), {
      where: `serial port ${options.path}`,
      ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
      ...(options.textFlushMs !== undefined ? { textFlushMs: options.textFlushMs } : {}),
    });
    this.path = options.path;
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
}

/** An open `serialport` port as a byte link; its failures are worded with the port's path. */
export class SerialPortLink implements ByteLink {
  private readonly dataListeners = new Listeners<Uint8Array>();
  private readonly closeListeners = new Listeners<Error | undefined>();
  /** Set once the port ended under us; later writes fail with it. */
  private lost: LinkError | undefined;
  private closing = false;

  constructor(
    private readonly port: SerialPort,
    private readonly path: string,
  ) {
    port.on('data', (chunk: Uint8Array) => {
      if (!this.closing) this.dataListeners.emit(chunk);
    });
    // A hang-up (USB unplugged, the simulator's PTY closed) closes the port with `disconnected`;
    // other port errors after opening end the link the same way.
    port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
      this.ended(
        error?.disconnected === true
          ? this.hungUp(undefined, error)
          : new LinkError(`serial port ${this.path} was closed${error ? `: ${error.message}` : ''}`, true, {
              cause: error ?? undefined,
            }),
      );
    });
    port.on('error', (error: Error) => {
      this.ended(new LinkError(`serial port ${this.path} failed: ${error.message}`, true, { cause: error }));
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    return new Promise<void>((resolve, reject) => {
      // A write that fails on an open port means the port is gone (EIO, bad file descriptor).
      const failed = (error: Error) => {
        this.ended(this.hungUp(`a write failed: ${error.message}`, error));
        reject(this.lost ?? error);
      };
      this.port.write(bytes, (error) => {
        if (error) failed(error);
      });
      this.port.drain((error) => {
        if (error) failed(error);
        else resolve();
      });
    });
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    return this.dataListeners.add(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.closeListeners.add(listener);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.dataListeners.clear();
    this.closeListeners.clear();
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve, reject) => {
      this.port.close((error) => {
        if (error)
          reject(new Error(`closing serial port ${this.path} failed: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  private hungUp(detail: string | undefined, cause: unknown): LinkError {
    return new LinkError(
      `serial port ${this.path} hung up${detail ? ` (${detail})` : ''}: the device was unplugged or reset its USB, or the simulator stopped`,
      true,
      { cause },
    );
  }

  private ended(error: LinkError): void {
    if (this.closing || this.lost !== undefined) return;
    this.lost = error;
    this.closeListeners.emit(error);
  }
}
