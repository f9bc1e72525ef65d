/**
 * SMP over Web Serial (W3C Web Serial API, https://wicg.github.io/serial/): a W3C SerialPort as a
 * byte link under Zephyr's console framing (../framed-serial.ts), so a page talks to a board's
 * mcumgr UART (drivers/console/uart_mcumgr.c) exactly as the CLI does over `serialport`. Reading
 * follows the spec's pattern: one reader at a time over `port.readable`, a new one after a
 * non-fatal line error (break, framing, parity, overrun: bytes are lost and the framing resyncs),
 * the link ends when `readable` becomes null (a fatal error) or the port fires `disconnect`.
 * Browser-pure: no Node imports.
 */
/// <reference types="w3c-web-serial" preserve="true" />
import { Listeners } from '../../util/listeners.ts';
import { withTimeout } from '../../util/timeout.ts';
import type { ByteLink } from '../byte-link.ts';
import { FramedSerialTransport } from '../framed-serial.ts';
import { LinkError } from '../link-error.ts';
import { SERIAL_MAX_PACKET } from '../serial-framing.ts';

export interface WebSerialOptions {
  /** Default 115200. */
  readonly baudRate?: number;
  /**
   * Largest SMP packet per request. Default: the framing's limit, so the upload sizes requests from
   * the device's reported buffer (or the serial kind's fallback), as the CLI's serial target does.
   */
  readonly mtu?: number;
  /**
   * The port's read and write buffer (SerialOptions.bufferSize). Default 4096: Chromium's own
   * default (255) hands a 1 KiB response over in five reads.
   */
  readonly bufferSize?: number;
  /** Idle time after which a partial console line (a prompt) is passed on as text. Default 50 ms. */
  readonly textFlushMs?: number;
  /** Longest wait for the port to open. Default 10 s. */
  readonly openTimeoutMs?: number;
  /** Longest wait for one write to be taken by the port (flow control can hold it). Default 10 s. */
  readonly writeTimeoutMs?: number;
}

export interface RequestWebSerialOptions extends WebSerialOptions {
  /** The Serial object; default `navigator.serial`. */
  readonly serial?: Serial;
  /** The ports the browser's chooser offers (by USB vendor and product id). Default: all. */
  readonly filters?: SerialPortFilter[];
}

const DEFAULT_BAUD = 115200;
const DEFAULT_BUFFER = 4096;
const DEFAULT_OPEN_TIMEOUT_MS = 10_000;
const DEFAULT_WRITE_TIMEOUT_MS = 10_000;
/** Each step of close (cancel the reader, release the writer, close the port). */
const CLOSE_STEP_MS = 2_000;
/** Line errors in a row with no byte between them: the port is not recovering. */
const MAX_LINE_ERRORS_IN_A_ROW = 20;

/**
 * Asks the user for a port with the browser's chooser, then opens it. Must be called from a user
 * gesture (a click); the chooser waits for the user, so that step has no timeout (closing the
 * chooser rejects it).
 */
export async function requestWebSerialTransport(
  options: RequestWebSerialOptions = {},
): Promise<FramedSerialTransport> {
  const serial = options.serial ?? webSerial();
  let port: SerialPort;
  try {
    port = await serial.requestPort(options.filters ? { filters: options.filters } : {});
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFoundError') {
      throw new Error('no serial port was chosen: pick the board in the browser’s port list', {
        cause: error,
      });
    }
    if (error instanceof Error && error.name === 'SecurityError') {
      throw new Error(
        `the browser refused to show its serial port list (${error.message}): call this from a click, on a page served over https or from localhost`,
        { cause: error },
      );
    }
    throw error;
  }
  return openWebSerialTransport(port, options);
}

/** Opens a port the page already has (from requestPort or getPorts) as an SMP transport. */
export async function openWebSerialTransport(
  port: SerialPort,
  options: WebSerialOptions = {},
): Promise<FramedSerialTransport> {
  const where = describeWebSerialPort(port);
  const link = await WebSerialLink.open(port, where, options);
  return new FramedSerialTransport(link, {
    where,
    mtu: options.mtu ?? SERIAL_MAX_PACKET,
    ...(options.textFlushMs !== undefined ? { textFlushMs: options.textFlushMs } : {}),
  });
}

/** The port in messages: its USB ids when the browser tells them (as `lsusb` prints them). */
export function describeWebSerialPort(port: SerialPort): string {
  const info = port.getInfo();
  if (info.usbVendorId !== undefined && info.usbProductId !== undefined) {
    return `Web Serial port USB ${hex4(info.usbVendorId)}:${hex4(info.usbProductId)}`;
  }
  if (info.bluetoothServiceClassId !== undefined) {
    return `Web Serial port (Bluetooth service ${String(info.bluetoothServiceClassId)})`;
  }
  return 'Web Serial port';
}

function hex4(id: number): string {
  return id.toString(16).padStart(4, '0');
}

function webSerial(): Serial {
  const serial = (globalThis as { navigator?: { serial?: Serial } }).navigator?.serial;
  if (serial === undefined) {
    throw new Error(
      'this browser has no Web Serial (navigator.serial): use Chrome, Edge or Opera (version 89 or later) on a page served over https or from localhost',
    );
  }
  return serial;
}

/** An open W3C SerialPort as a byte link. */
export class WebSerialLink implements ByteLink {
  private readonly dataListeners = new Listeners<Uint8Array>();
  private readonly closeListeners = new Listeners<Error | undefined>();
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private readonly reading: Promise<void>;
  private lost: LinkError | undefined;
  private closing = false;
  /** A write timed out: the port holds it, and close must not wait for it. */
  private writeStuck = false;
  private readonly writeTimeoutMs: number;
  private readonly onDisconnect = () => {
    this.ended(
      new LinkError(`${this.where} was disconnected: the device was unplugged or reset its USB`, true),
    );
  };

  private constructor(
    private readonly port: SerialPort,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    readonly where: string,
    options: WebSerialOptions,
  ) {
    this.writeTimeoutMs = options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    port.addEventListener('disconnect', this.onDisconnect);
    this.reading = this.readLoop();
  }

  static async open(port: SerialPort, where: string, options: WebSerialOptions = {}): Promise<WebSerialLink> {
    const baudRate = options.baudRate ?? DEFAULT_BAUD;
    const openTimeoutMs = options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
    const opening = port.open({ baudRate, bufferSize: options.bufferSize ?? DEFAULT_BUFFER });
    try {
      await withTimeout(
        opening,
        openTimeoutMs,
        () => new Error(`${where} did not open within ${openTimeoutMs / 1000} s at ${baudRate} baud`),
      );
    } catch (error) {
      // A late open still holds the port: close it again once it finishes.
      opening.then(() => port.close()).catch(() => undefined);
      throw new Error(`cannot open ${where} at ${baudRate} baud: ${openFailure(error)}`, { cause: error });
    }
    const writable = port.writable;
    if (port.readable === null || writable === null) {
      await port.close().catch(() => undefined);
      throw new Error(`cannot open ${where} at ${baudRate} baud: the port opened without data streams`);
    }
    return new WebSerialLink(port, writable.getWriter(), where, options);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.lost !== undefined) throw this.lost;
    if (this.closing) throw new Error(`${this.where} is closed`);
    try {
      await withTimeout(this.writer.write(bytes), this.writeTimeoutMs, () => {
        this.writeStuck = true;
        return new LinkError(
          `${this.where} did not take ${bytes.length} bytes within ${this.writeTimeoutMs / 1000} s: the device stopped reading (hardware flow control holding the line?)`,
          true,
        );
      });
    } catch (error) {
      if (this.closing) throw new Error(`${this.where} is closed`, { cause: error });
      this.ended(
        error instanceof LinkError
          ? error
          : new LinkError(`${this.where} failed while writing: ${messageOf(error)}`, true, { cause: error }),
      );
      throw this.lost;
    }
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
    this.port.removeEventListener('disconnect', this.onDisconnect);
    const step = (what: string) => () =>
      new Error(`${this.where}: ${what} took longer than ${CLOSE_STEP_MS / 1000} s`);
    // The reader: cancelling it ends the read loop, which releases its lock.
    await withTimeout(
      this.reader?.cancel() ?? Promise.resolve(),
      CLOSE_STEP_MS,
      step('cancelling the read'),
    ).catch(() => undefined);
    await withTimeout(this.reading, CLOSE_STEP_MS, step('ending the read loop')).catch(() => undefined);
    // The writer: a write still held by flow control is aborted rather than waited for (abort
    // itself waits for the write in flight, so it is not awaited).
    if (this.writeStuck) void this.writer.abort().catch(() => undefined);
    else {
      await withTimeout(this.writer.ready, CLOSE_STEP_MS, step('finishing the last write')).catch(() => {
        void this.writer.abort().catch(() => undefined);
      });
    }
    this.writer.releaseLock();
    try {
      await withTimeout(this.port.close(), CLOSE_STEP_MS, step('closing the port'));
    } catch (error) {
      // A port that is already gone (unplugged) has nothing left to release.
      if (this.lost === undefined) {
        throw new Error(`closing ${this.where} failed: ${messageOf(error)}`, { cause: error });
      }
    }
  }

  private async readLoop(): Promise<void> {
    let lineErrors = 0;
    let lastError: unknown;
    while (!this.closing && this.lost === undefined) {
      const readable = this.port.readable;
      if (readable === null) {
        this.ended(
          new LinkError(
            `${this.where} stopped delivering data${lastError === undefined ? '' : ` (${messageOf(lastError)})`}: the device was unplugged or its driver failed`,
            true,
            { cause: lastError },
          ),
        );
        return;
      }
      const reader = readable.getReader();
      this.reader = reader;
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value !== undefined && value.length > 0 && !this.closing) {
            lineErrors = 0;
            this.dataListeners.emit(value);
          }
        }
        // The stream ended without an error: the port closed (by us, or under us).
        if (!this.closing) this.ended(new LinkError(`${this.where} was closed`, true));
        return;
      } catch (error) {
        if (this.closing) return;
        lastError = error;
        if (++lineErrors >= MAX_LINE_ERRORS_IN_A_ROW) {
          this.ended(
            new LinkError(
              `${this.where} failed ${lineErrors} reads in a row (last: ${messageOf(error)}): check the baud rate and the cable`,
              true,
              { cause: error },
            ),
          );
          return;
        }
      } finally {
        reader.releaseLock();
        this.reader = undefined;
      }
    }
  }

  private ended(error: LinkError): void {
    if (this.closing || this.lost !== undefined) return;
    this.lost = error;
    this.closeListeners.emit(error);
  }
}

/** Why open failed, in words: Chromium's DOMException names carry the reason. */
function openFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'InvalidStateError') {
    return `${error.message} (the port is already open, in this page or another tab)`;
  }
  if (error instanceof Error && error.name === 'NetworkError') {
    return `${error.message} (another program holds the port, or the device is gone)`;
  }
  return messageOf(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
