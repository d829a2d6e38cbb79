/**
 * Token buckets in memory only (sources are never written anywhere), and the key a client is
 * counted under: its IPv4 address, or its IPv6 /64 (one subscriber usually holds a whole /64, so
 * per-address buckets would give one client 2^64 of them).
 *
 * Bounded without stalls: buckets live in two generations. A bucket untouched for a minute has
 * refilled completely and is as good as forgotten, so every minute (or when the current
 * generation reaches half the cap) the older generation is dropped whole and the current one
 * becomes the older. A touched bucket moves to the current generation. No call ever walks the
 * table — an earlier version swept it entry by entry, which stalled the event loop at the cap.
 */
import { isIPv4, isIPv6 } from "node:net";

const MAX_SOURCES = 100_000;

/** One source's bucket. */
export interface Bucket {
  tokens: number;
  at: number;
}

/** How the limiter makes its tables (tests count what is done with them). */
export type MapFactory = () => Map<string, Bucket>;

/**
 * Token-bucket limiter: `perMinute` tokens a minute per key, bursts up to `perMinute`. A request
 * for more tokens than the burst is allowed when the bucket is full and leaves it in debt, so
 * that a large batch is never refused forever.
 */
export class RateLimiter {
  private current: Map<string, Bucket>;
  private previous: Map<string, Bucket>;
  private rotatedAt: number;
  private readonly ratePerMs: number;
  /** A bucket untouched this long has refilled completely. */
  private readonly refillMs = 60_000;
  /** Generations dropped so far (tests). */
  rotations = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
    private readonly maxSources = MAX_SOURCES,
    private readonly newMap: MapFactory = () => new Map(),
  ) {
    this.ratePerMs = perMinute / 60_000;
    this.current = newMap();
    this.previous = newMap();
    this.rotatedAt = now();
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
    return this.secondsUntil(b.tokens, need);
  }

  /** The seconds until `key` has one token again (0: it has one now). Takes nothing. */
  wait(key: string): number {
    if (this.perMinute === 0) return 0;
    const b = this.current.get(key) ?? this.previous.get(key);
    if (b === undefined) return 0;
    const tokens = Math.min(this.perMinute, b.tokens + (this.now() - b.at) * this.ratePerMs);
    return tokens >= 1 ? 0 : this.secondsUntil(tokens, 1);
  }

  /** Number of keys tracked (tests). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private secondsUntil(tokens: number, need: number): number {
    return Math.max(1, Math.ceil((need - tokens) / this.ratePerMs / 1000));
  }

  /** The refilled bucket of `key`, in the current generation. */
  private bucket(key: string, t: number): Bucket {
    // Everything in `previous` was last touched before the last rotation; once a minute has
    // passed since, it is all full again: forget it (a new bucket starts full).
    if (t - this.rotatedAt >= this.refillMs) this.rotate(t);
    let b = this.current.get(key);
    if (b === undefined) {
      b = this.previous.get(key);
      if (b !== undefined) this.previous.delete(key);
      else b = { tokens: this.perMinute, at: t };
      // At half the cap the current generation becomes the previous one (and the previous,
      // still draining buckets of the least recently seen sources, is dropped): a flood of new
      // sources costs old idle ones their state, never memory or time.
      if (this.current.size >= this.maxSources / 2) this.rotate(t);
      this.current.set(key, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.ratePerMs);
    b.at = t;
    return b;
  }

  private rotate(t: number): void {
    this.previous = this.current;
    this.current = this.newMap();
    this.rotatedAt = t;
    this.rotations++;
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
