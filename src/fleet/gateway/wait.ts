/**
 * The gateway's ways to wait (its sleeps are src/util/timeout.ts's): work that ends early when the
 * gateway closes, and slots that bound how many devices update at once (--parallel). A device waits for a slot at most once per
 * action, so the queue of waiters never holds more than the number of devices. Pure module.
 */

/**
 * `work`'s result, or a rejection with the signal's reason as soon as `signal` aborts (the work
 * goes on for whoever else waits for it: a download shared by several devices).
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const aborted = () => reject(signal.reason);
    signal.addEventListener('abort', aborted, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', aborted);
        reject(error);
      },
    );
  });
}

/** Counting slots, handed out first come, first served. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`slots must be a whole number ≥ 1, not ${size}`);
    this.free = size;
  }

  /** Waits for a slot; returns its release function. Rejects with the signal's reason on abort. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.free > 0) {
      this.free -= 1;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const granted = () => {
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        const index = this.waiting.indexOf(granted);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal.reason);
      };
      this.waiting.push(granted);
      signal.addEventListener('abort', aborted, { once: true });
    });
    return this.releaser();
  }

  /** How many wait for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; only with none waiting is it free again.
      if (next) next();
      else this.free += 1;
    };
  }
}
