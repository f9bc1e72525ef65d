/**
 * What a transport kind (serial, udp; later ble, Web Serial, Web Bluetooth, WebSocket) owns:
 * how its target is written in a connection string (mcumgr's spelling), parsed and written back,
 * how it is named in messages, and the largest request it carries for a device's SMP buffer.
 * Opening a link is not here: that needs Node (or a browser), so each runtime keeps its own
 * openers (Node: ./node.ts). Pure: no Node imports.
 *
 * "mtu" means one thing everywhere in zdfu: the largest SMP packet (8-byte header + CBOR body)
 * one request may be. The connstring's `mtu=`, Transport.mtu and every request limit use it; a
 * device's buffer size (MCUmgr params `buf_size`, Zephyr's CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE)
 * is a different number, turned into a request limit by the kind (deviceRequestLimit).
 */

/**
 * The target of each kind, by name. A kind's module adds its own entry by augmentation:
 *   declare module './kind.ts' { interface KindTargets { ble: BleTarget } }
 * so ConnType and ConnTarget grow with the registered kinds.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by each kind's module augmentation
export interface KindTargets {}

/** A connection type's name: "serial", "udp", … */
export type ConnType = keyof KindTargets;
/** A parsed connection target of any kind; `type` names the kind. */
export type ConnTarget = KindTargets[ConnType];

export interface KindDescriptor<K extends ConnType = ConnType> {
  /** The name used by `--conntype`, `conn add type=` and Transport.kind. */
  readonly type: K;
  /** How a target is written, for help texts: `dev=PATH[,baud=N][,mtu=N]`. */
  readonly syntax: string;
  /** Parses a connstring; bad input throws ConnStringError naming the part and the fix. */
  parse(connstring: string): KindTargets[K];
  /** The canonical connstring of a target (what profiles store); parse(format(t)) equals t. */
  format(target: KindTargets[K]): string;
  /**
   * The target in messages: `where` ("serial port /dev/ttyACM0", "UDP [::1]:1337") and `id`, the
   * part an error from the link names when it already says where (the path, the host).
   */
  describe(target: KindTargets[K]): { readonly where: string; readonly id: string };
  /**
   * Largest SMP packet (header + CBOR) one request may be for a device whose SMP receive buffer
   * (MCUmgr params `buf_size`) is `bufSize` bytes, after what this kind's framing keeps in it.
   */
  deviceRequestLimit(bufSize: number): number;
  /**
   * Largest request when the device does not report its buffer; undefined: the link's mtu alone.
   */
  readonly unreportedRequestLimit: number | undefined;
  /**
   * Most upload requests in flight for a device with `bufCount` SMP buffers (MCUmgr params
   * `buf_count`) when each request is up to `requestLimit` bytes.
   */
  pipelineWindow(bufCount: number, requestLimit: number): number;
}

/**
 * Zephyr shares buf_count netbufs between queued requests and the response being built, so at most
 * buf_count − 1 requests can wait without one being dropped. Beyond 4 the link, not the device,
 * is the bottleneck, and a loss would cost a larger burst of stale requests. Links whose requests
 * reach the device as fast as it takes them (UART, UDP) use this.
 */
export function bufferBoundWindow(bufCount: number): number {
  return Math.max(1, Math.min(bufCount - 1, 4));
}

/** A descriptor of whichever kind (what the registry holds). */
export type AnyKindDescriptor = { [K in ConnType]: KindDescriptor<K> }[ConnType];

export class ConnStringError extends Error {
  override readonly name = 'ConnStringError';
  constructor(
    message: string,
    readonly connstring: string,
  ) {
    super(message);
  }
}

/** Reads a whole number in min..max for connstring key `what`, in the words users see. */
export function parseConnInt(
  value: string,
  what: string,
  connstring: string,
  min: number,
  max: number,
): number {
  if (!/^\d+$/.test(value)) {
    throw new ConnStringError(`Connstring ${what} "${value}" is not a whole number.`, connstring);
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw new ConnStringError(`Connstring ${what} ${n} is out of range (${min}..${max}).`, connstring);
  }
  return n;
}

/** An upload's first request needs room for the 32-byte image header plus its fields. */
export const MIN_MTU = 96;
