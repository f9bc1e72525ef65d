/**
 * The gateway's ways to wait: sleeps that end early when the gateway closes, and slots that
 * bound how many devices update at once (--parallel). A device waits for a slot at most once per
 * action, so the queue of waiters never holds more than the number of devices. Pure module.
 */

/** Resolves after `ms`, or at once (without throwing) when `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts. */
export function sleepOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const aborted = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', aborted);
        resolve();
      },
      Math.max(0, ms),
    );
    signal.addEventListener('abort', aborted, { once: true });
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
