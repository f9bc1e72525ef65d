/**
 * Paces bytes to a UART's line rate (start + 8 data + stop bits = 10 bits a byte), so the
 * virtual board is as slow as the real one at 115200 baud. A baud of 0 passes bytes at once.
 */
const TICK_MS = 5;

export class BaudPacer {
  private readonly bytesPerMs: number;
  private readonly queue: Uint8Array[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;
  private credit = 0;

  constructor(
    baud: number,
    private readonly sink: (bytes: Uint8Array) => void,
  ) {
    this.bytesPerMs = baud / 10 / 1000;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.bytesPerMs === 0) {
      this.sink(bytes);
      return;
    }
    this.queue.push(bytes);
    if (!this.timer) {
      this.lastTick = performance.now();
      this.credit = 0;
      this.timer = setInterval(() => this.tick(), TICK_MS);
    }
  }

  /** Bytes accepted but not yet on the line. */
  get backlog(): number {
    return this.queue.reduce((sum, chunk) => sum + chunk.length, 0);
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
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
    }
    for (const part of parts) this.sink(part);
    if (this.queue.length === 0) this.stop();
  }

  /** Drops whatever is still queued (a reset clears the UART FIFOs). */
  clear(): void {
    this.queue.length = 0;
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
