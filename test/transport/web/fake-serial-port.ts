/**
 * A W3C SerialPort (https://wicg.github.io/serial/#serialport-interface) built from Node's web
 * streams, for unit tests of the Web Serial transport: `readable` and `writable` are created
 * lazily while the port is open, a non-fatal read error replaces `readable`, a fatal one makes it
 * null, `close()` refuses while a stream is locked, and `disconnect` is an event on the port.
 * The far end is a callback for host → device bytes and `deliver` for device → host bytes.
 */

export class FakeSerialPort extends EventTarget implements SerialPort {
  onconnect: ((this: SerialPort, ev: Event) => void) | null = null;
  ondisconnect: ((this: SerialPort, ev: Event) => void) | null = null;
  connected = true;
  state: 'closed' | 'opening' | 'opened' = 'closed';
  openedWith: SerialOptions | undefined;
  /** What open() does: resolve (default), reject with this error, or never settle ('hang'). */
  openBehaviour: Error | 'hang' | undefined;
  /** A write the sink holds until released (models hardware flow control holding the line). */
  holdWrites = false;
  private fatal = false;
  private readableStream: ReadableStream<Uint8Array> | null = null;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private writableStream: WritableStream<Uint8Array> | null = null;

  constructor(
    private readonly info: SerialPortInfo,
    /** Bytes the host wrote, as the device's RX line receives them. */
    private readonly toDevice: (bytes: Uint8Array) => void,
  ) {
    super();
  }

  get readable(): ReadableStream<Uint8Array> | null {
    if (this.readableStream !== null) return this.readableStream;
    if (this.state !== 'opened' || this.fatal) return null;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
      },
      cancel: () => {
        this.forgetReadable(stream);
      },
    });
    this.readableStream = stream;
    return stream;
  }

  get writable(): WritableStream<Uint8Array> | null {
    if (this.writableStream !== null) return this.writableStream;
    if (this.state !== 'opened' || this.fatal) return null;
    this.writableStream = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.holdWrites) return new Promise<void>(() => undefined);
        this.toDevice(chunk.slice());
        return undefined;
      },
    });
    return this.writableStream;
  }

  /** Device → host bytes; lost when nobody reads, as on a UART. */
  deliver(bytes: Uint8Array): void {
    if (this.readableStream === null) return;
    this.controller?.enqueue(bytes.slice());
  }

  /** A line error on the read side: the stream errors; a fatal one leaves `readable` null. */
  failRead(name: string, message: string, fatal: boolean): void {
    if (fatal) this.fatal = true;
    const stream = this.readableStream;
    this.controller?.error(new DOMException(message, name));
    if (stream) this.forgetReadable(stream);
    if (fatal) {
      this.writableStream = null;
    }
  }

  unplug(): void {
    this.connected = false;
    this.failRead('NetworkError', 'The device has been lost.', true);
    this.dispatchEvent(new Event('disconnect'));
  }

  async open(options: SerialOptions): Promise<void> {
    if (this.state !== 'closed') throw new DOMException('The port is already open.', 'InvalidStateError');
    this.state = 'opening';
    if (this.openBehaviour === 'hang') return new Promise<void>(() => undefined);
    if (this.openBehaviour instanceof Error) {
      this.state = 'closed';
      throw this.openBehaviour;
    }
    this.openedWith = options;
    this.state = 'opened';
  }

  async close(): Promise<void> {
    if (this.readableStream?.locked || this.writableStream?.locked) {
      throw new TypeError('Cannot close a port with a locked stream.');
    }
    await Promise.all([this.readableStream?.cancel(), this.writableStream?.close()]);
    this.readableStream = null;
    this.writableStream = null;
    this.state = 'closed';
  }

  getInfo(): SerialPortInfo {
    return this.info;
  }

  async setSignals(): Promise<void> {}

  async getSignals(): Promise<SerialInputSignals> {
    return { dataCarrierDetect: false, clearToSend: true, ringIndicator: false, dataSetReady: true };
  }

  async forget(): Promise<void> {}

  private forgetReadable(stream: ReadableStream<Uint8Array>): void {
    if (this.readableStream === stream) {
      this.readableStream = null;
      this.controller = undefined;
    }
  }
}

/** A navigator.serial whose chooser picks `port`, or is closed by the user (no port). */
export class FakeSerial extends EventTarget implements Serial {
  onconnect: ((this: Serial, ev: Event) => void) | null = null;
  ondisconnect: ((this: Serial, ev: Event) => void) | null = null;
  requests: SerialPortRequestOptions[] = [];

  constructor(private readonly port: SerialPort | undefined) {
    super();
  }

  async getPorts(): Promise<SerialPort[]> {
    return this.port ? [this.port] : [];
  }

  async requestPort(options?: SerialPortRequestOptions): Promise<SerialPort> {
    this.requests.push(options ?? {});
    if (!this.port) throw new DOMException('No port selected by the user.', 'NotFoundError');
    return this.port;
  }
}
