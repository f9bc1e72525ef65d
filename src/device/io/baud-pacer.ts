/**
 * One direction of a UART wire: bytes leave at the line rate (start + 8 data + stop bits = 10 bits
 * a byte), so the virtual board is as slow as the real one at 115200 baud. A baud of 0 passes
 * bytes at once.
 *
 * The queue in front of the wire is bounded, as the buffers of a real link are:
 * - push() answers false once `highWater` bytes wait: the sender should stop (the sim host then
 *   stops reading the PTY master, so a writer blocks in the kernel as it would on a real tty or
 *   USB-UART bridge) until onDrain() says the queue is down to half;
 * - past `capacity`, bytes are dropped and counted (`overrun`), like a bridge without flow
 *   control whose buffer is full: a sender that ignores backpressure loses bytes, memory stays flat.
 */
const TICK_MS = 5;

export interface BaudPacerLimits {
  /** Queued bytes at which push() asks the sender to wait. */
  highWater?: number;
  /** Queued bytes past which new bytes are dropped. */
  capacity?: number;
}

export interface BaudPacerStats {
  /** Bytes accepted but not yet on the line. */
  backlog: number;
  /** The most that ever waited. */
  peakBacklog: number;
  /** Bytes dropped because the queue was full. */
  overrun: number;
}

const DEFAULT_HIGH_WATER = 4 * 1024;
const DEFAULT_CAPACITY = 64 * 1024;

export class BaudPacer {
  private readonly bytesPerMs: number;
  private readonly highWater: number;
  private readonly capacity: number;
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private peak = 0;
  private dropped = 0;
  private throttled = false;
  private readonly drainListeners = new Set<() => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;
  private credit = 0;

  constructor(
    baud: number,
    private readonly sink: (bytes: Uint8Array) => void,
    limits: BaudPacerLimits = {},
  ) {
    this.bytesPerMs = baud / 10 / 1000;
    this.capacity = limits.capacity ?? DEFAULT_CAPACITY;
    this.highWater = Math.min(limits.highWater ?? DEFAULT_HIGH_WATER, this.capacity);
  }

  /** Queues bytes for the line; false means "stop sending until onDrain". */
  push(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return !this.throttled;
    if (this.bytesPerMs === 0) {
      this.sink(bytes);
      return true;
    }
    const room = this.capacity - this.queued;
    if (bytes.length > room) {
      this.dropped += bytes.length - Math.max(room, 0);
      bytes = bytes.subarray(0, Math.max(room, 0));
    }
    if (bytes.length > 0) {
      // Copy: the caller may reuse its buffer (a stream's chunk) once push returns.
      this.queue.push(bytes.slice());
      this.queued += bytes.length;
      this.peak = Math.max(this.peak, this.queued);
      if (!this.timer) {
        this.lastTick = performance.now();
        this.credit = 0;
        this.timer = setInterval(() => this.tick(), TICK_MS);
      }
    }
    if (this.queued >= this.highWater) this.throttled = true;
    return !this.throttled;
  }

  /** Called when a sender told to wait may send again. */
  onDrain(listener: () => void): () => void {
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
  }

  /** Bytes accepted but not yet on the line. */
  get backlog(): number {
    return this.queued;
  }

  get stats(): BaudPacerStats {
    return { backlog: this.queued, peakBacklog: this.peak, overrun: this.dropped };
  }

  private tick(): void {
    const now = performance.now();
    this.credit += (now - this.lastTick) * this.bytesPerMs;
    this.lastTick = now;
    const parts: Uint8Array[] = [];
    while (this.credit >= 1 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const take = Math.min(head.length, Math.floor(this.credit));
      parts.push(head.subarray(0, take));
      this.credit -= take;
      this.queued -= take;
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
    }
    if (this.queue.length === 0) this.stop();
    for (const part of parts) this.sink(part);
    this.releaseIfDrained();
  }

  /** Drops whatever is still queued (a reset clears the UART FIFOs). */
  clear(): void {
    this.queue.length = 0;
    this.queued = 0;
    this.stop();
    this.releaseIfDrained();
  }

  private releaseIfDrained(): void {
    if (!this.throttled || this.queued > this.highWater / 2) return;
    this.throttled = false;
    for (const listener of [...this.drainListeners]) listener();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
