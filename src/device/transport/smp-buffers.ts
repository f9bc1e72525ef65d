/**
 * Zephyr's SMP buffer pool (subsys/mgmt/mcumgr/transport/src/smp.c, smp_packet_alloc: one
 * net_buf pool of CONFIG_MCUMGR_TRANSPORT_NETBUF_COUNT buffers, taken with K_NO_WAIT). Every
 * transport takes one for a request as it starts to arrive (smp_bt's reassembly, smp_uart's
 * first fragment, smp_udp's datagram) and the work queue frees it once the request is handled;
 * the work queue takes one more for the response it builds (smp_alloc_rsp). When none is left the
 * request is dropped without an answer. One pool per device, shared by all its transports.
 * Pure: no Node imports.
 */
/** A buffer taken from the pool; releasing it after the board reset frees nothing. */
export interface SmpBuffer {
  readonly epoch: number;
}

export class SmpBufferPool {
  private used = 0;
  private epoch = 0;
  /** Buffers asked for when none was left (each a request, or a response, dropped). */
  refused = 0;

  constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`an SMP buffer pool needs at least one buffer (got ${count})`);
    }
  }

  get inUse(): number {
    return this.used;
  }

  /** Takes a buffer; undefined (and counted) when every one is in use. */
  take(): SmpBuffer | undefined {
    if (this.used >= this.count) {
      this.refused++;
      return undefined;
    }
    this.used++;
    return { epoch: this.epoch };
  }

  release(buffer: SmpBuffer): void {
    if (buffer.epoch !== this.epoch) return; // taken before the board reset
    if (this.used === 0) throw new Error('an SMP buffer was released twice');
    this.used--;
  }

  /** The board resets: every buffer is free again, and those taken before stay forgotten. */
  clear(): void {
    this.used = 0;
    this.epoch++;
  }
}
