/**
 * Per-source token buckets, in memory only (sources are never written anywhere). Bounded: the
 * map is swept of full buckets and capped, so a flood of distinct sources cannot exhaust memory.
 */

const MAX_SOURCES = 100_000;

/** Token-bucket limiter: `perMinute` requests a minute per source, bursts up to `perMinute`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly ratePerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.ratePerMs = perMinute / 60_000;
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(source: string): number {
    if (this.perMinute === 0) return 0;
    const t = this.now();
    let b = this.buckets.get(source);
    if (b === undefined) {
      if (this.buckets.size >= MAX_SOURCES) this.sweep(t);
      b = { tokens: this.perMinute, at: t };
      this.buckets.set(source, b);
    } else {
      b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.ratePerMs);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.ratePerMs / 1000));
  }

  /** Forgets sources whose bucket has refilled (they are as good as new), else the oldest. */
  private sweep(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.ratePerMs >= this.perMinute) this.buckets.delete(k);
    }
    if (this.buckets.size >= MAX_SOURCES) {
      let drop = this.buckets.size - MAX_SOURCES / 2;
      for (const k of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }

  /** Number of sources tracked (tests). */
  get size(): number {
    return this.buckets.size;
  }
}
