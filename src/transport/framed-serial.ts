/**
 * SMP with Zephyr's console framing (drivers/console/uart_mcumgr.c, subsys/mgmt/mcumgr/transport/
 * src/serial_util.c) over any byte link: a serial port through `serialport` (./serial.ts), Web
 * Serial (./web/web-serial.ts), a virtual board's UART in a tab. Console text between frames (logs,
 * MCUboot banners, shell prompts) goes to onText; frames dropped for a bad CRC, bad base64 or a
 * length overrun go to onBadFrame; the link ending under us becomes a LinkError with `closed` set.
 * Pure module: no Node imports.
 */
import { Listeners } from '../util/listeners.ts';
import type { ByteLink } from './byte-link.ts';
import { DEFAULT_SERIAL_MTU } from './kinds/serial.ts';
import { LinkError } from './link-error.ts';
import { encodeSerialFrame, type SerialEvent, SerialFrameDecoder } from './serial-framing.ts';
import type { TransportKind } from './transport.ts';
import { TransportBase } from './transport-base.ts';

/** Idle time after which a partial console line (a prompt) is passed on as text. */
export const DEFAULT_TEXT_FLUSH_MS = 50;

export interface FramedSerialOptions {
  /** The link in messages: "serial port /dev/ttyACM0", "Web Serial port (USB 2fe3:0100)". */
  readonly where: string;
  /** Largest SMP packet per request. Default 256 (Zephyr CONFIG_MCUMGR_TRANSPORT_UART_MTU). */
  readonly mtu?: number;
  /** Idle time after which a partial console line (a prompt) is passed on as text. Default 50 ms. */
  readonly textFlushMs?: number;
  /** Transport.kind; default 'serial' (the kind that sizes requests for this framing). */
  readonly kind?: TransportKind;
}

export class FramedSerialTransport extends TransportBase {
  readonly kind: TransportKind;
  readonly mtu: number;
  /** The link in messages (see FramedSerialOptions.where). */
  readonly where: string;
  private readonly decoder = new SerialFrameDecoder({ resync: true });
  private readonly badFrameListeners = new Listeners<string>();
  private readonly textFlushMs: number;
  /** Set when the link went away under us (hang-up); every later send fails with it. */
  private lost: LinkError | undefined;
  /** The first frame of a session is preceded by a newline (see send). */
  private sentAny = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly link: ByteLink,
    options: FramedSerialOptions,
  ) {
    super();
    this.where = options.where;
    this.kind = options.kind ?? 'serial';
    this.mtu = options.mtu ?? DEFAULT_SERIAL_MTU;
    this.textFlushMs = options.textFlushMs ?? DEFAULT_TEXT_FLUSH_MS;
    this.unsubscribe = [
      link.onData((bytes) => this.receive(bytes)),
      link.onClose((error) => {
        if (this.closed) return;
        this.linkLost(
          error instanceof LinkError
            ? error
            : new LinkError(`${this.where} was closed${error ? `: ${error.message}` : ''}`, true, {
                cause: error,
              }),
        );
      }),
    ];
  }

  async send(packet: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`${this.where} is closed`);
    if (this.lost !== undefined) throw this.lost;
    // Bytes left on the line by someone else (an interrupted client, a terminal) sit in the
    // device's line buffer; Zephyr's uart_mcumgr then drops our first line because it does not
    // start with a frame marker, and the request costs a whole timeout. A newline first ends that
    // stray line, which the device discards as not-a-frame (drivers/console/uart_mcumgr.c).
    const frame = this.sentAny ? encodeSerialFrame(packet) : withLeadingNewline(encodeSerialFrame(packet));
    this.sentAny = true;
    try {
      await this.link.write(frame);
    } catch (error) {
      if (this.closed) throw new Error(`${this.where} is closed`, { cause: error });
      // A write that fails on an open link means the link is gone (EIO, the port was unplugged).
      this.linkLost(
        error instanceof LinkError
          ? error
          : new LinkError(`${this.where} failed while writing: ${messageOf(error)}`, true, { cause: error }),
      );
      throw this.lost;
    }
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
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.clearListeners();
    this.badFrameListeners.clear();
    await this.link.close();
  }

  private linkLost(error: LinkError): void {
    if (this.lost !== undefined) return;
    this.lost = error;
    this.linkErrorListeners.emit(error);
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
