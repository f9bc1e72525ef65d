/**
 * The device's SMP endpoint on Bluetooth LE, as Zephyr's smp_bt.c (subsys/mgmt/mcumgr/transport/
 * src/smp_bt.c) with CONFIG_MCUMGR_TRANSPORT_BT_REASSEMBLY (smp_reassembly.c): each write of the
 * SMP characteristic carries an SMP request, or part of one collected by its header length. Its
 * drop rules, each counted in `stats`: a request's first write shorter than the 8-byte header; a
 * header naming a request larger than the SMP buffer (NETBUF_SIZE); writes carrying more bytes
 * than the header named (the whole request is dropped). Turning notifications off or
 * disconnecting drops a partial request. Responses go back as notifications of at most
 * ATT_MTU − 3 bytes each (`notifications`). The bleno peripheral it sits on is ./ble-peripheral.ts.
 * Pure: no Node imports.
 */
import type { SmpBuffer, SmpBufferPool } from './smp-buffers.ts';

const SMP_HEADER_SIZE = 8;
/** The smallest ATT MTU (23) leaves 20 bytes per notification. */
const MIN_NOTIFICATION = 20;

export interface BleEndpointOptions {
  /** CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE: the largest request collected. */
  readonly netbufSize: number;
  /** The device's SMP buffers (CONFIG_MCUMGR_TRANSPORT_NETBUF_COUNT), shared with its other transports. */
  readonly buffers: SmpBufferPool;
  /**
   * The SMP work queue: takes a whole request with the buffer it arrived in, releases that buffer
   * once it has handled it, and resolves to the responses.
   */
  readonly handle: (packet: Uint8Array, buffer: SmpBuffer) => Promise<Uint8Array[]>;
}

export interface BleEndpointStats {
  requests: number;
  droppedShortHeader: number;
  droppedOversize: number;
  droppedOverrun: number;
  droppedPartial: number;
  droppedNoBuffer: number;
}

export class BleEndpoint {
  readonly stats: BleEndpointStats = {
    requests: 0,
    droppedShortHeader: 0,
    droppedOversize: 0,
    droppedOverrun: 0,
    droppedPartial: 0,
    droppedNoBuffer: 0,
  };
  /** Per connection: the request being collected, in the buffer taken at its first write. */
  private readonly collecting = new Map<string, { data: Uint8Array; expected: number; buffer: SmpBuffer }>();

  constructor(private readonly options: BleEndpointOptions) {}

  /** One write from connection `connection`; resolves to the responses (none: no answer yet or dropped). */
  write(connection: string, data: Uint8Array): Promise<Uint8Array[]> {
    let current = this.collecting.get(connection);
    if (current === undefined) {
      if (data.length < SMP_HEADER_SIZE) {
        this.stats.droppedShortHeader++;
        return Promise.resolve([]);
      }
      const expected = SMP_HEADER_SIZE + (((data[2] ?? 0) << 8) | (data[3] ?? 0));
      if (expected > this.options.netbufSize) {
        this.stats.droppedOversize++;
        return Promise.resolve([]);
      }
      const buffer = this.options.buffers.take();
      if (buffer === undefined) {
        this.stats.droppedNoBuffer++;
        return Promise.resolve([]);
      }
      current = { data: new Uint8Array(0), expected, buffer };
    }
    const collected = new Uint8Array(current.data.length + data.length);
    collected.set(current.data);
    collected.set(data, current.data.length);
    if (collected.length > current.expected) {
      this.collecting.delete(connection);
      this.options.buffers.release(current.buffer);
      this.stats.droppedOverrun++;
      return Promise.resolve([]);
    }
    if (collected.length < current.expected) {
      this.collecting.set(connection, { ...current, data: collected });
      return Promise.resolve([]);
    }
    this.collecting.delete(connection);
    this.stats.requests++;
    return this.options.handle(collected, current.buffer);
  }

  /** Notifications turned off, or the central disconnected: its partial request is dropped. */
  forget(connection: string): void {
    const partial = this.collecting.get(connection);
    if (partial === undefined) return;
    this.collecting.delete(connection);
    this.options.buffers.release(partial.buffer);
    this.stats.droppedPartial++;
  }

  /** Every connection is gone (the board resets). */
  forgetAll(): void {
    for (const connection of [...this.collecting.keys()]) this.forget(connection);
  }
}

/** A response cut into notifications of at most `maxValueSize` (ATT_MTU − 3) bytes, in order. */
export function notifications(response: Uint8Array, maxValueSize: number): Uint8Array[] {
  const size = Math.max(MIN_NOTIFICATION, maxValueSize);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < response.length; at += size) pieces.push(response.subarray(at, at + size));
  return pieces;
}
