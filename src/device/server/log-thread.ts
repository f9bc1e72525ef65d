/**
 * Zephyr's deferred logging (subsys/logging/log_core.c, the default CONFIG_LOG_MODE_DEFERRED) for
 * the log lines of the app's own subsystems, such as the image manager: LOG_INF stamps and queues
 * the message; the first message in an empty queue starts a CONFIG_LOG_PROCESS_THREAD_SLEEP_MS
 * (1000 ms) timer, the CONFIG_LOG_PROCESS_TRIGGER_THRESHOLD-th (10) wakes the log thread at once
 * (z_log_msg_post_finalize); the log thread then prints everything queued. So a line such as
 * "Erased 0x20000 bytes of image slot" reaches the UART about a second after the erase, between
 * whatever SMP frames are on the wire by then. A reset loses what was still queued.
 */
export interface LogThreadOptions {
  /** Prints one formatted line on the console. */
  readonly print: (line: string) => void;
  readonly sleepMs?: number;
  readonly triggerThreshold?: number;
}

export class LogThread {
  private queued: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly sleepMs: number;
  private readonly threshold: number;

  constructor(private readonly options: LogThreadOptions) {
    this.sleepMs = options.sleepMs ?? 1000;
    this.threshold = options.triggerThreshold ?? 10;
  }

  /** A message already formatted with the time it was logged at. */
  post(line: string): void {
    this.queued.push(line);
    if (this.queued.length === 1) {
      this.timer = setTimeout(() => this.process(), this.sleepMs);
    } else if (this.queued.length === this.threshold) {
      clearTimeout(this.timer);
      // The log thread runs once the posting thread yields, not inside LOG_INF.
      this.timer = setTimeout(() => this.process(), 0);
    }
  }

  /** log_panic (a fatal error): everything queued is printed at once. */
  flush(): void {
    clearTimeout(this.timer);
    this.process();
  }

  /** Reset or power-off: the queue is RAM, so what was not printed yet is gone. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queued = [];
  }

  private process(): void {
    this.timer = undefined;
    const lines = this.queued;
    this.queued = [];
    for (const line of lines) this.options.print(line);
  }
}
