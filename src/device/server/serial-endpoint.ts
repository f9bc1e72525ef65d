/**
 * The device side of SMP over the console UART, as Zephyr's uart_mcumgr + serial_util: bytes are
 * captured into line buffers (a line longer than the buffer is dropped whole), only lines that
 * start with a frame marker are decoded, a packet larger than one netbuf is dropped, and every
 * framing error is silent: the client must time out and retry.
 */
import { encodeSerialFrame, SerialFrameDecoder } from '../../transport/serial-framing.ts';

export interface SerialEndpointOptions {
  /** CONFIG_UART_MCUMGR_RX_BUF_SIZE: one line, newline included. */
  rxLineBufferSize: number;
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: holds length + packet + CRC. */
  netbufSize: number;
  handle: (packet: Uint8Array) => Promise<Uint8Array[]>;
  /** Puts bytes on the UART's TX line. */
  transmit: (bytes: Uint8Array) => void;
}

export interface SerialEndpointStats {
  packets: number;
  droppedLongLines: number;
  droppedOversize: number;
  badFrames: number;
}

const NEWLINE = 0x0a;
/** Length field and CRC around the SMP packet inside the netbuf. */
const FRAMING_OVERHEAD = 4;

export class SerialEndpoint {
  private readonly line: Uint8Array;
  private lineLength = 0;
  private overflowed = false;
  private readonly decoder = new SerialFrameDecoder();
  readonly stats: SerialEndpointStats = { packets: 0, droppedLongLines: 0, droppedOversize: 0, badFrames: 0 };

  constructor(private readonly options: SerialEndpointOptions) {
    this.line = new Uint8Array(options.rxLineBufferSize);
  }

  /** Bytes arriving on the UART's RX line. */
  receive(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (this.overflowed) {
        if (byte === NEWLINE) this.overflowed = false;
        continue;
      }
      if (this.lineLength === this.line.length) {
        // The line does not fit the RX buffer: Zephyr drops it up to the next newline.
        this.stats.droppedLongLines++;
        this.lineLength = 0;
        this.overflowed = byte !== NEWLINE;
        continue;
      }
      this.line[this.lineLength++] = byte;
      if (byte === NEWLINE) this.endLine();
    }
  }

  /** A reset clears the line buffers and any packet in progress. */
  reset(): void {
    this.lineLength = 0;
    this.overflowed = false;
    this.decoder.reset();
  }

  private endLine(): void {
    const line = this.line.slice(0, this.lineLength);
    this.lineLength = 0;
    const first = line[0];
    const second = line[1];
    const isFrame = (first === 0x06 && second === 0x09) || (first === 0x04 && second === 0x14);
    if (!isFrame) return;
    for (const event of this.decoder.push(line)) {
      if (event.kind === 'bad-frame') {
        this.stats.badFrames++;
      } else if (event.kind === 'packet') {
        if (event.packet.length + FRAMING_OVERHEAD > this.options.netbufSize) {
          this.stats.droppedOversize++;
          continue;
        }
        this.stats.packets++;
        this.options.handle(event.packet).then(
          (responses) => {
            for (const response of responses) this.options.transmit(encodeSerialFrame(response));
          },
          () => undefined,
        );
      }
    }
  }
}
