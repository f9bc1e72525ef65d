/**
 * Transfer speed and time left, measured over a sliding window of recent progress samples so the
 * figures follow the link as it is now (a slow first chunk that erased the slot, or a stall,
 * fades out of the window). Bounded: at most `maxSamples` samples are kept. Pure.
 */

export interface RateSample {
  /** Time in ms (any monotonic clock). */
  readonly atMs: number;
  /** Bytes done so far. */
  readonly bytes: number;
}

export interface RateEstimate {
  /** Bytes per second over the window; undefined until two samples span some time. */
  readonly bytesPerSecond: number | undefined;
  /** Time left at that speed; undefined while the speed is unknown, 0 when done. */
  readonly etaMs: number | undefined;
}

export class RateMeter {
  private samples: RateSample[] = [];

  constructor(
    /** How far back the speed looks. */
    private readonly windowMs = 3_000,
    private readonly maxSamples = 256,
  ) {}

  /** Records progress; a sample that goes back in bytes (a restart) starts the window afresh. */
  add(sample: RateSample): void {
    const last = this.samples[this.samples.length - 1];
    if (last && (sample.bytes < last.bytes || sample.atMs < last.atMs)) this.samples = [];
    this.samples.push(sample);
    const oldest = sample.atMs - this.windowMs;
    // Keep one sample at or before the window start so the window is always spanned.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= oldest) this.samples.shift();
    if (this.samples.length > this.maxSamples) this.samples.splice(0, this.samples.length - this.maxSamples);
  }

  reset(): void {
    this.samples = [];
  }

  estimate(total: number): RateEstimate {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last) return { bytesPerSecond: undefined, etaMs: undefined };
    if (total > 0 && last.bytes >= total) return { bytesPerSecond: this.speed(first, last), etaMs: 0 };
    const bytesPerSecond = this.speed(first, last);
    if (bytesPerSecond === undefined || bytesPerSecond <= 0 || !(total > 0)) {
      return { bytesPerSecond, etaMs: undefined };
    }
    return { bytesPerSecond, etaMs: ((total - last.bytes) / bytesPerSecond) * 1000 };
  }

  private speed(first: RateSample, last: RateSample): number | undefined {
    const spanMs = last.atMs - first.atMs;
    if (spanMs <= 0) return undefined;
    return ((last.bytes - first.bytes) / spanMs) * 1000;
  }
}
