/**
 * Runs in the page (an init script, bundled by ../web-serial-bridge.ts): a `navigator.serial`
 * shaped like the Web Serial spec (https://wicg.github.io/serial/) whose ports are real serial
 * ports opened by the test process. Headless Chromium 156 has a navigator.serial but no chooser and
 * lists no PTYs (/work/shared/reference/ble-and-browser-testing.md §2.2, §2.5), so the app's own
 * Web Serial code is tested against this stand-in, bridged to a virtual board's real PTY.
 *
 * Faithful where an app can go wrong: requestPort needs a user gesture; open twice, close with a
 * locked stream, and writing a non-BufferSource fail as the spec says; chunks are Uint8Array; a
 * lost device errors `readable` with a NetworkError and fires `disconnect` at the port and at
 * navigator.serial. Node side: window.__zdfuSerial (a Playwright binding) lists, opens, writes and
 * closes; the test pushes received bytes with window.__zdfuSerialPush.
 */

type BindingCall =
  | ['list']
  | ['open', number, number]
  | ['write', number, string]
  | ['close', number]
  | ['signals', number, SerialOutputSignals];

interface PortEntry {
  readonly index: number;
  readonly info: SerialPortInfo;
}

declare global {
  interface Window {
    __zdfuSerial(...call: BindingCall): Promise<unknown>;
    /** From the test: bytes (base64) arrived on the open port `handle`, or the port was lost (null). */
    __zdfuSerialPush(handle: number, base64: string | null): void;
  }
}

(() => {
  const binding = (...call: BindingCall) => window.__zdfuSerial(...call);
  const toBase64 = (bytes: Uint8Array): string => {
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  };
  const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  /** Per open port: where the test's pushes go. */
  const sinks = new Map<number, { data(bytes: Uint8Array): void; lost(): void }>();

  class StandInSerialPort extends EventTarget {
    onconnect: ((this: StandInSerialPort, ev: Event) => void) | null = null;
    ondisconnect: ((this: StandInSerialPort, ev: Event) => void) | null = null;
    #handle: number | undefined;
    #opening = false;
    #readable: ReadableStream<Uint8Array> | null = null;
    #writable: WritableStream<Uint8Array> | null = null;
    #connected = true;

    constructor(
      readonly entry: PortEntry,
      private readonly serial: StandInSerial,
    ) {
      super();
    }

    get connected(): boolean {
      return this.#connected;
    }
    get readable(): ReadableStream<Uint8Array> | null {
      return this.#readable;
    }
    get writable(): WritableStream<Uint8Array> | null {
      return this.#writable;
    }

    getInfo(): SerialPortInfo {
      return { ...this.entry.info };
    }

    async open(options: SerialOptions): Promise<void> {
      if (this.#handle !== undefined || this.#opening) {
        throw new DOMException('The port is already open.', 'InvalidStateError');
      }
      if (!options || typeof options.baudRate !== 'number' || options.baudRate <= 0) {
        throw new TypeError(
          "Failed to execute 'open' on 'SerialPort': Requested baud rate must be non-zero.",
        );
      }
      if (!this.#connected) throw new DOMException('The device has been lost.', 'NetworkError');
      this.#opening = true;
      let handle: number;
      try {
        handle = (await binding('open', this.entry.index, options.baudRate)) as number;
      } catch (error) {
        throw new DOMException(`Failed to open serial port. (${String(error)})`, 'NetworkError');
      } finally {
        this.#opening = false;
      }
      this.#handle = handle;
      const bufferSize = options.bufferSize ?? 255;
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      this.#readable = new ReadableStream<Uint8Array>(
        {
          start: (c) => {
            controller = c;
          },
          cancel: () => {
            this.#readable = null;
          },
        },
        // The spec's bufferSize is the receive buffer; far past it (the app stopped reading) the
        // stream errors with BufferOverrunError instead of growing without bound.
        new ByteLengthQueuingStrategy({ highWaterMark: bufferSize }),
      );
      this.#writable = new WritableStream<Uint8Array>({
        write: async (chunk: unknown) => {
          // The spec's writable takes any BufferSource; anything else is the app's bug.
          if (!(chunk instanceof ArrayBuffer) && !ArrayBuffer.isView(chunk)) {
            throw new TypeError('The provided value is not of type (ArrayBuffer or ArrayBufferView).');
          }
          const bytes =
            chunk instanceof ArrayBuffer
              ? new Uint8Array(chunk)
              : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          try {
            await binding('write', handle, toBase64(bytes));
          } catch {
            // What Chromium reports when the device went away under a write (EIO on the tty).
            throw new DOMException('The device has been lost.', 'NetworkError');
          }
        },
        close: () => {
          this.#writable = null;
        },
        abort: () => {
          this.#writable = null;
        },
      });
      sinks.set(handle, {
        data: (bytes) => {
          if (!controller || this.#readable === null) return;
          if ((controller.desiredSize ?? 0) < -(1 << 20)) {
            controller.error(new DOMException('Buffer overrun', 'BufferOverrunError'));
            this.#readable = null;
            return;
          }
          controller.enqueue(bytes);
        },
        lost: () => {
          if (this.#readable !== null) {
            controller?.error(new DOMException('The device has been lost.', 'NetworkError'));
          }
          this.#readable = null;
          this.#writable = null;
          this.#handle = undefined;
          sinks.delete(handle);
          this.#connected = false;
          this.dispatchEvent(new Event('disconnect', { bubbles: true }));
          this.ondisconnect?.call(this, new Event('disconnect'));
          this.serial.portLost(this);
        },
      });
    }

    async setSignals(signals: SerialOutputSignals): Promise<void> {
      if (this.#handle === undefined) throw new DOMException('The port is closed.', 'InvalidStateError');
      await binding('signals', this.#handle, signals);
    }

    async getSignals(): Promise<SerialInputSignals> {
      if (this.#handle === undefined) throw new DOMException('The port is closed.', 'InvalidStateError');
      return { dataCarrierDetect: false, clearToSend: true, ringIndicator: false, dataSetReady: true };
    }

    async close(): Promise<void> {
      if (this.#handle === undefined)
        throw new DOMException('The port is already closed.', 'InvalidStateError');
      // As the spec: close() cancels both streams, which fails while the app still holds a lock.
      if (this.#readable?.locked || this.#writable?.locked) {
        throw new TypeError("Failed to execute 'close' on 'SerialPort': Cannot cancel a locked stream");
      }
      const handle = this.#handle;
      await Promise.all([this.#readable?.cancel(), this.#writable?.abort()]);
      this.#readable = null;
      this.#writable = null;
      this.#handle = undefined;
      sinks.delete(handle);
      await binding('close', handle);
    }

    async forget(): Promise<void> {
      if (this.#handle !== undefined && !this.#readable?.locked && !this.#writable?.locked)
        await this.close();
      this.serial.forgetPort(this);
    }
  }

  class StandInSerial extends EventTarget {
    onconnect: ((this: StandInSerial, ev: Event) => void) | null = null;
    ondisconnect: ((this: StandInSerial, ev: Event) => void) | null = null;
    /** Ports the user has granted (by requestPort), like Chromium's per-origin permission. */
    #granted = new Map<number, StandInSerialPort>();

    async #available(): Promise<PortEntry[]> {
      return (await binding('list')) as PortEntry[];
    }

    async getPorts(): Promise<SerialPort[]> {
      const available = new Set((await this.#available()).map((entry) => entry.index));
      return [...this.#granted.values()].filter((port) =>
        available.has(port.entry.index),
      ) as unknown as SerialPort[];
    }

    async requestPort(options: SerialPortRequestOptions = {}): Promise<SerialPort> {
      if (!navigator.userActivation.isActive) {
        throw new DOMException(
          "Failed to execute 'requestPort' on 'Serial': Must be handling a user gesture to show a permission request.",
          'SecurityError',
        );
      }
      const filters = options.filters ?? [];
      const matches = (entry: PortEntry) =>
        filters.length === 0 ||
        filters.some(
          (f) =>
            (f.usbVendorId === undefined || f.usbVendorId === entry.info.usbVendorId) &&
            (f.usbProductId === undefined || f.usbProductId === entry.info.usbProductId),
        );
      // The test stands for the user: the chooser picks the first port that matches.
      const chosen = (await this.#available()).find(matches);
      if (!chosen) throw new DOMException('No port selected by the user.', 'NotFoundError');
      let port = this.#granted.get(chosen.index);
      if (!port) {
        port = new StandInSerialPort(chosen, this);
        this.#granted.set(chosen.index, port);
      }
      return port as unknown as SerialPort;
    }

    portLost(port: StandInSerialPort): void {
      this.ondisconnect?.call(this, new Event('disconnect'));
      // The event bubbled from the port reached no listener here (ports are not in the DOM tree).
      this.dispatchEvent(new Event('disconnect'));
      this.#granted.delete(port.entry.index);
    }

    forgetPort(port: StandInSerialPort): void {
      this.#granted.delete(port.entry.index);
    }
  }

  const serial = new StandInSerial();
  Object.defineProperty(Navigator.prototype, 'serial', { configurable: true, get: () => serial });
  window.__zdfuSerialPush = (handle, base64) => {
    const sink = sinks.get(handle);
    if (!sink) return;
    if (base64 === null) sink.lost();
    else sink.data(fromBase64(base64));
  };
})();

export {};
