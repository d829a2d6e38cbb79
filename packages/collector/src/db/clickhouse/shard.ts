/**
 * Which shard stores an event: declared once, here. The `Distributed` table `events` spreads rows
 * by `SHARDING_KEY` (ClickHouse's `cityHash64` of `distinct_id`, so a user's events all live on
 * one shard); the collector inserts each shard's rows into its `events_local` directly and
 * computes the same shard with `cityHash64` below (CityHash64 v1.0.2, the version ClickHouse
 * ships) and the cluster's shard weights (`system.clusters`), as the `Distributed` table would.
 * `test/clickhouse-shards.test.ts` checks the two agree.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { rows } from "./client.js";

/** The sharding key of the `Distributed` table (migrations splice it in). */
export const SHARDING_KEY = "cityHash64(distinct_id)";

const MASK = (1n << 64n) - 1n;
const K0 = 0xc3a5c85c97cb3127n;
const K1 = 0xb492b66fbe98f273n;
const K2 = 0x9ae16a3b2f90404fn;
const K3 = 0xc949d7c7509e6557n;
const KMUL = 0x9ddfea08eb382d69n;

const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const add = (...xs: bigint[]): bigint => xs.reduce((s, x) => s + x, 0n) & MASK;
const sub = (a: bigint, b: bigint): bigint => (a - b) & MASK;
const rotate = (v: bigint, shift: bigint): bigint => (shift === 0n ? v : ((v >> shift) | (v << (64n - shift))) & MASK);
const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, KMUL);
  a ^= a >> 47n;
  let b = mul(v ^ a, KMUL);
  b ^= b >> 47n;
  return mul(b, KMUL);
}

/** CityHash64 (v1.0.2) of a byte string, as ClickHouse's `cityHash64(String)`. */
export function cityHash64(data: Uint8Array): bigint {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const f64 = (i: number): bigint => buf.readBigUInt64LE(i);
  const f32 = (i: number): bigint => BigInt(buf.readUInt32LE(i));
  const len = buf.length;
  const L = BigInt(len);
  if (len <= 16) {
    if (len > 8) {
      const a = f64(0);
      const b = f64(len - 8);
      return hashLen16(a, rotate(add(b, L), L)) ^ b;
    }
    if (len >= 4) return hashLen16(add(L, f32(0) << 3n), f32(len - 4));
    if (len > 0) {
      const y = BigInt(buf[0]! + (buf[len >> 1]! << 8));
      const z = BigInt(len + (buf[len - 1]! << 2));
      return mul(shiftMix(mul(y, K2) ^ mul(z, K3)), K2);
    }
    return K2;
  }
  if (len <= 32) {
    const a = mul(f64(0), K1);
    const b = f64(8);
    const c = mul(f64(len - 8), K2);
    const d = mul(f64(len - 16), K0);
    return hashLen16(add(rotate(sub(a, b), 43n), rotate(c, 30n), d), add(sub(add(a, rotate(b ^ K3, 20n)), c), L));
  }
  if (len <= 64) {
    let z = f64(24);
    let a = add(f64(0), mul(add(L, f64(len - 16)), K0));
    let b = rotate(add(a, z), 52n);
    let c = rotate(a, 37n);
    a = add(a, f64(8));
    c = add(c, rotate(a, 7n));
    a = add(a, f64(16));
    const vf = add(a, z);
    const vs = add(b, rotate(a, 31n), c);
    a = add(f64(16), f64(len - 32));
    z = f64(len - 8);
    b = rotate(add(a, z), 52n);
    c = rotate(a, 37n);
    a = add(a, f64(len - 24));
    c = add(c, rotate(a, 7n));
    a = add(a, f64(len - 16));
    const wf = add(a, z);
    const ws = add(b, rotate(a, 31n), c);
    const r = shiftMix(add(mul(add(vf, ws), K2), mul(add(wf, vs), K0)));
    return mul(shiftMix(add(mul(r, K0), vs)), K2);
  }
  const weak = (at: number, a0: bigint, b0: bigint): [bigint, bigint] => {
    const w = f64(at);
    const x = f64(at + 8);
    const y = f64(at + 16);
    const z = f64(at + 24);
    let a = add(a0, w);
    let b = rotate(add(b0, a, z), 21n);
    const c = a;
    a = add(a, x, y);
    b = add(b, rotate(a, 44n));
    return [add(a, z), add(b, c)];
  };
  let x = f64(0);
  let y = f64(len - 16) ^ K1;
  let z = f64(len - 56) ^ K0;
  let v = weak(len - 64, L, y);
  let w = weak(len - 32, mul(L, K1), K0);
  z = add(z, mul(shiftMix(v[1]), K1));
  x = mul(rotate(add(z, x), 39n), K1);
  y = mul(rotate(y, 33n), K1);
  let left = (len - 1) & ~63;
  let s = 0;
  do {
    x = mul(rotate(add(x, y, v[0], f64(s + 16)), 37n), K1);
    y = mul(rotate(add(y, v[1], f64(s + 48)), 42n), K1);
    x ^= w[1];
    y ^= v[0];
    z = rotate(z ^ w[0], 33n);
    v = weak(s, mul(v[1], K1), add(x, w[0]));
    w = weak(s + 32, add(z, w[1]), y);
    [z, x] = [x, z];
    s += 64;
    left -= 64;
  } while (left !== 0);
  return hashLen16(add(hashLen16(v[0], w[0]), mul(shiftMix(y), K1), z), add(hashLen16(v[1], w[1]), x));
}

/**
 * The cluster's shards in the order the `Distributed` table picks them: `slots[h % slots.length]`
 * is the index (into the URL's `shards=` list) of the shard a row of sharding-key hash `h` goes
 * to (a shard of weight w holds w consecutive slots, in `shard_num` order).
 */
export class ShardMap {
  private readonly cache = new Map<string, number>();

  constructor(readonly slots: readonly number[]) {
    if (slots.length === 0) throw new Error("a cluster without shards");
  }

  /** The shard (index into the URL's `shards=`) that stores the events of `distinctId`. */
  shardOf(distinctId: string): number {
    let shard = this.cache.get(distinctId);
    if (shard === undefined) {
      shard = this.slots[Number(cityHash64(Buffer.from(distinctId, "utf8")) % BigInt(this.slots.length))]!;
      // Users come back: remember the last 100k (the hash costs ~10 µs).
      if (this.cache.size >= 100_000) this.cache.clear();
      this.cache.set(distinctId, shard);
    }
    return shard;
  }
}

/**
 * Reads the cluster's layout from every shard (`system.clusters`: the shard number each server
 * is, `is_local`, and the weights) and checks that the URL's `shards=` lists every shard of
 * `cluster` once; throws an Error naming what disagrees.
 */
export async function discoverShards(
  shards: readonly ClickHouseClient[],
  names: readonly string[],
  cluster: string,
): Promise<ShardMap> {
  const layouts = await Promise.all(
    shards.map((s) =>
      rows(
        s,
        `SELECT shard_num, shard_weight, is_local FROM system.clusters WHERE cluster = '${cluster}' ORDER BY shard_num`,
      ),
    ),
  );
  const numberOf = new Map<number, number>();
  let weights: { num: number; weight: number }[] | null = null;
  for (const [i, layout] of layouts.entries()) {
    if (layout.length === 0) throw new Error(`ClickHouse shard ${names[i]} has no cluster ${JSON.stringify(cluster)}`);
    const own = layout.filter((r) => Number(r.is_local) === 1).map((r) => Number(r.shard_num));
    if (new Set(own).size !== 1) {
      throw new Error(`ClickHouse shard ${names[i]} is not exactly one shard of cluster ${JSON.stringify(cluster)}`);
    }
    if (numberOf.has(own[0]!)) throw new Error(`shards= lists shard ${own[0]} of the cluster twice`);
    numberOf.set(own[0]!, i);
    weights ??= [
      ...new Map(
        layout.map((r) => [Number(r.shard_num), { num: Number(r.shard_num), weight: Number(r.shard_weight) }]),
      ).values(),
    ];
  }
  const all = weights!;
  if (all.length !== shards.length || all.some((s) => !numberOf.has(s.num))) {
    throw new Error(
      `shards= lists ${shards.length} shard(s) but cluster ${JSON.stringify(cluster)} has ${all.length}: list every shard's HTTP endpoint`,
    );
  }
  const slots: number[] = [];
  for (const s of all) for (let k = 0; k < s.weight; k++) slots.push(numberOf.get(s.num)!);
  return new ShardMap(slots);
}
