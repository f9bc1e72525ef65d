/**
 * The device's SMP endpoint on the console UART, as Zephyr's smp_uart.c over
 * drivers/console/uart_mcumgr.c and smp/src/serial_util.c. Its drop rules: bytes are captured into
 * line buffers and a line longer than the buffer (CONFIG_UART_MCUMGR_RX_BUF_SIZE) is dropped
 * whole; only lines that start with a frame marker are decoded; a packet whose length, CRC and
 * body do not fit one netbuf (CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE) is dropped; every framing error
 * is silent: the client must time out and retry. Pure: no Node imports (the PTY is wired in
 * ./uart-pty.ts).
 */
import { SERIAL_NETBUF_OVERHEAD } from '../../transport/kinds/serial.ts';
import { encodeSerialFrame, SerialFrameDecoder } from '../../transport/serial-framing.ts';
import type { SmpHandler } from './endpoint.ts';

export interface UartEndpointOptions {
  /** CONFIG_UART_MCUMGR_RX_BUF_SIZE: one line, newline included. */
  rxLineBufferSize: number;
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: holds length + packet + CRC. */
  netbufSize: number;
  handle: SmpHandler;
  /** Puts bytes on the UART's TX line. */
  transmit: (bytes: Uint8Array) => void;
}

export interface UartEndpointStats {
  packets: number;
  droppedLongLines: number;
  droppedOversize: number;
  badFrames: number;
}

const NEWLINE = 0x0a;

export class UartEndpoint {
  private readonly line: Uint8Array;
  private lineLength = 0;
  private overflowed = false;
  private readonly decoder = new SerialFrameDecoder();
  readonly stats: UartEndpointStats = { packets: 0, droppedLongLines: 0, droppedOversize: 0, badFrames: 0 };

  constructor(private readonly options: UartEndpointOptions) {
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
        if (event.packet.length + SERIAL_NETBUF_OVERHEAD > this.options.netbufSize) {
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
