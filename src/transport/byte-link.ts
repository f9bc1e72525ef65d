/**
 * A byte link: the raw, ordered byte stream under a framing (a serial port through `serialport`,
 * a W3C Web Serial port, a virtual board's UART, a WebSocket bridge). The serial framing
 * (./framed-serial.ts) runs over any of them, so each runtime writes only how bytes move, as
 * esptool-js's `Transport` does over its port. Pure type module: no Node imports.
 */

export interface ByteLink {
  /**
   * Hands bytes to the link; resolves once they are on their way (drained to the port). Rejects
   * when the link is gone; a link that can say so rejects with a LinkError naming the port.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribes to bytes from the peer, in order; returns the unsubscribe function. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /**
   * Subscribes to the link ending without `close()` having been called (hang-up, unplugged, the
   * peer went away); `error` says why, or is undefined when the far end closed normally. Called
   * at most once.
   */
  onClose(listener: (error?: Error) => void): () => void;
  /** Releases the port; no data or close event follows. Calling it again does nothing. */
  close(): Promise<void>;
}
