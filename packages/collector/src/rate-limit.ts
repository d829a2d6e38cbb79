/**
 * Token buckets in memory only (sources are never written anywhere), and the key a client is
 * counted under: its IPv4 address, or its IPv6 /64 (one subscriber usually holds a whole /64, so
 * per-address buckets would give one client 2^64 of them).
 *
 * Bounded without stalls: buckets are kept in least-recently-used order, each `take` forgets at
 * most a few buckets that have been idle long enough to be full again, and at the cap the least
 * recently used bucket makes room. No call ever walks the whole table.
 */
import { isIPv4, isIPv6 } from "node:net";

const MAX_SOURCES = 100_000;
/** Idle buckets forgotten per `take`: amortised O(1), and faster than sources can be added. */
const SWEEP_PER_TAKE = 4;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token-bucket limiter: `perMinute` tokens a minute per key, bursts up to `perMinute`. A request
 * for more tokens than the burst is allowed when the bucket is full and leaves it in debt, so
 * that a large batch is never refused forever.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;
  /** A bucket untouched this long has refilled completely: it is as good as new. */
  private readonly refillMs: number;
  /** Buckets inspected by sweeps so far (tests: sweeping is incremental). */
  swept = 0;
  /** Most buckets one call inspected (tests). */
  maxSweptPerCall = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
    private readonly maxSources = MAX_SOURCES,
  ) {
    this.ratePerMs = perMinute / 60_000;
    this.refillMs = 60_000;
  }

  /** Takes `n` tokens from `key`'s bucket; returns 0 when allowed, else the seconds to wait. */
  take(key: string, n = 1): number {
    if (this.perMinute === 0) return 0;
    const t = this.now();
    const b = this.bucket(key, t);
    const need = Math.min(n, this.perMinute);
    if (b.tokens >= need) {
      b.tokens -= n;
      return 0;
    }
    return this.secondsUntil(b, need);
  }

  /** The seconds until `key` has one token again (0: it has one now). Takes nothing. */
  wait(key: string): number {
    if (this.perMinute === 0) return 0;
    const b = this.buckets.get(key);
    if (b === undefined) return 0;
    const tokens = Math.min(this.perMinute, b.tokens + (this.now() - b.at) * this.ratePerMs);
    return tokens >= 1 ? 0 : this.secondsUntil({ tokens, at: 0 }, 1);
  }

  /** Number of keys tracked (tests). */
  get size(): number {
    return this.buckets.size;
  }

  private secondsUntil(b: Bucket, need: number): number {
    return Math.max(1, Math.ceil((need - b.tokens) / this.ratePerMs / 1000));
  }

  /** The refilled bucket of `key`, moved to the most-recently-used end. */
  private bucket(key: string, t: number): Bucket {
    let b = this.buckets.get(key);
    if (b === undefined) {
      this.sweep(t);
      if (this.buckets.size >= this.maxSources) {
        // Still full of active keys: the least recently used one makes room.
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
      b = { tokens: this.perMinute, at: t };
    } else {
      this.buckets.delete(key);
      b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.ratePerMs);
      b.at = t;
    }
    this.buckets.set(key, b);
    return b;
  }

  /** Forgets up to SWEEP_PER_TAKE least recently used buckets that have refilled. */
  private sweep(t: number): void {
    let visited = 0;
    for (const [k, b] of this.buckets) {
      if (visited === SWEEP_PER_TAKE) break;
      visited++;
      if (t - b.at < this.refillMs && b.tokens + (t - b.at) * this.ratePerMs < this.perMinute) break;
      this.buckets.delete(k);
    }
    this.swept += visited;
    this.maxSweptPerCall = Math.max(this.maxSweptPerCall, visited);
  }
}

/**
 * The key a client address is counted under: IPv4 addresses as they are (IPv4-mapped IPv6
 * addresses included), IPv6 addresses by their /64 prefix.
 */
export function sourceKey(address: string | undefined): string {
  if (address === undefined || address === "") return "unknown";
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (isIPv4(address)) return address;
  const bare = address.split("%", 1)[0]!;
  if (!isIPv6(bare)) return address;
  return `${ipv6Groups(bare).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in lowercase hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  let text = address;
  // A trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
