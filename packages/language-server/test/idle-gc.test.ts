/**
 * The idle collection (`idle-gc.ts`): one full collection after loads once the server is quiet, only
 * when the heap has grown enough, never while loads keep coming; and the built server, started with
 * SERVER_NODE_FLAGS, really runs it (its log says so), while without `--expose-gc` it cannot.
 */
import { execFileSync } from "node:child_process";
import { bigPolicy } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import { IDLE_GC_DELAY_MS, IDLE_GC_MIN_GROWTH_BYTES, IdleCollector, type IdleGcHost } from "../src/idle-gc.js";
import { SERVER_NODE_FLAGS } from "../src/node-flags.js";
import { overStdio, uri } from "./helpers.js";

/** A host with a hand-driven clock and heap. */
class FakeHost implements IdleGcHost {
  heap = 10_000_000;
  now = 0;
  collections = 0;
  /** Heap left after a collection. */
  live = 10_000_000;
  private timers = new Map<number, { at: number; run: () => void }>();
  private next = 0;
  readonly gc: (() => void) | undefined;

  constructor(exposed = true) {
    this.gc = exposed
      ? () => {
          this.collections++;
          this.heap = this.live;
        }
      : undefined;
  }
  heapUsed(): number {
    return this.heap;
  }
  heapCommitted(): number {
    return this.heap + 1_000_000;
  }
  setTimer(run: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, run });
    return id;
  }
  clearTimer(timer: unknown): void {
    this.timers.delete(timer as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.timers]) {
      if (t.at <= this.now) {
        this.timers.delete(id);
        t.run();
      }
    }
  }
}

describe("IdleCollector", () => {
  it("collects once the loads have stopped for IDLE_GC_DELAY_MS, not during a burst", () => {
    const host = new FakeHost();
    const log: [number, number, number, number][] = [];
    const idle = new IdleCollector(host, (used, committed) =>
      log.push([used.before, used.after, committed.before, committed.after]),
    );
    // A burst: a load every half delay, the heap growing each time.
    for (let i = 0; i < 20; i++) {
      host.heap += 4_000_000;
      idle.loaded();
      host.advance(IDLE_GC_DELAY_MS / 2);
    }
    expect(host.collections).toBe(0);
    expect(host.pending).toBe(1);
    host.advance(IDLE_GC_DELAY_MS / 2);
    expect(host.collections).toBe(1);
    expect(log).toEqual([[90_000_000, 10_000_000, 91_000_000, 11_000_000]]);
    // Quiet afterwards: nothing more.
    host.advance(10 * IDLE_GC_DELAY_MS);
    expect(host.collections).toBe(1);
  });

  it("skips the pause when the heap grew less than IDLE_GC_MIN_GROWTH_BYTES since the last collection", () => {
    const host = new FakeHost();
    const idle = new IdleCollector(host);
    host.heap += IDLE_GC_MIN_GROWTH_BYTES - 1;
    idle.loaded();
    host.advance(IDLE_GC_DELAY_MS);
    expect(host.collections).toBe(0);
    // The growth counts from the heap after the last collection, so more loads add up to it.
    host.heap += 2;
    idle.loaded();
    host.advance(IDLE_GC_DELAY_MS);
    expect(host.collections).toBe(1);
    // A second burst measured from what the collection left (live data held is not growth).
    host.live = 40_000_000;
    host.heap = 40_000_000 + IDLE_GC_MIN_GROWTH_BYTES;
    idle.loaded();
    host.advance(IDLE_GC_DELAY_MS);
    expect(host.collections).toBe(2);
    host.heap += IDLE_GC_MIN_GROWTH_BYTES / 2;
    idle.loaded();
    host.advance(IDLE_GC_DELAY_MS);
    expect(host.collections).toBe(2);
  });

  it("does nothing without an exposed gc, and nothing after dispose", () => {
    const bare = new FakeHost(false);
    const off = new IdleCollector(bare);
    expect(off.enabled).toBe(false);
    bare.heap += 10 * IDLE_GC_MIN_GROWTH_BYTES;
    off.loaded();
    expect(bare.pending).toBe(0);

    const host = new FakeHost();
    const idle = new IdleCollector(host);
    expect(idle.enabled).toBe(true);
    host.heap += 10 * IDLE_GC_MIN_GROWTH_BYTES;
    idle.loaded();
    idle.dispose();
    host.advance(10 * IDLE_GC_DELAY_MS);
    expect(host.collections).toBe(0);
  });
});

describe("the process's idle collection", () => {
  /**
   * The heap committed (MB) after one collection of a fragmented heap — 400k small objects of
   * which every 16th is kept — in a fresh Node with SERVER_NODE_FLAGS: by the built server's
   * host (`processIdleGcHost().gc`), or by plain `gc()`.
   */
  function committedAfter(how: "host" | "plain"): { committed: number; used: number } {
    const module = new URL("../dist/idle-gc.js", import.meta.url).href;
    const script = `
      import { getHeapStatistics } from "node:v8";
      import { processIdleGcHost } from ${JSON.stringify(module)};
      const keep = [];
      let all = [];
      for (let i = 0; i < 400000; i++) { const o = { i, a: [i, i + 1], s: "x" + i }; all.push(o); if (i % 16 === 0) keep.push(o); }
      all = null;
      if (${JSON.stringify(how)} === "host") processIdleGcHost().gc(); else globalThis.gc();
      const h = getHeapStatistics();
      console.log(JSON.stringify({ committed: h.total_heap_size / 1048576, used: h.used_heap_size / 1048576, kept: keep.length }));`;
    const out = execFileSync(process.execPath, [...SERVER_NODE_FLAGS, "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    return JSON.parse(out) as { committed: number; used: number };
  }

  it("compacts: the heap keeps far less committed than after a plain full collection", () => {
    const plain = committedAfter("plain");
    const host = committedAfter("host");
    // The same live data either way; a plain collection leaves most of the sparse pages committed.
    expect(Math.abs(host.used - plain.used)).toBeLessThan(2);
    expect(host.committed).toBeLessThan(plain.committed / 2);
  });
});

describe("the built server's idle collection", () => {
  // Enough policy that one load and a few edits leave more than IDLE_GC_MIN_GROWTH_BYTES of garbage.
  const text = bigPolicy(1500, (i) => [`allow(actor, "read", d: Doc${i}) if has_permission(actor, "read", d);`]);
  const doc = uri("big.polar");

  async function loadAndEdit(flags: readonly string[]): Promise<string[]> {
    const { client } = overStdio(flags);
    try {
      await client.initialize();
      await client.load(() => client.open(doc, text), 30_000);
      for (let v = 2; v <= 4; v++) await client.load(() => client.change(doc, `${text}# edit ${v}\n`, v), 30_000);
      // Wait for the log line, or a generous multiple of the idle delay without one.
      await client
        .waitFor(() => client.logs.some((l) => l.includes("idle collection")), 6 * IDLE_GC_DELAY_MS)
        .catch(() => undefined);
      return client.logs.filter((l) => l.includes("idle collection"));
    } finally {
      client.dispose();
    }
  }

  it("runs once the server is quiet, with SERVER_NODE_FLAGS", async () => {
    expect(SERVER_NODE_FLAGS).toContain("--expose-gc");
    const lines = await loadAndEdit(SERVER_NODE_FLAGS);
    expect(lines.length).toBe(1);
    const m = /heap ([\d.]+) → ([\d.]+) MB \(committed [\d.]+ → [\d.]+ MB\)/.exec(lines[0] ?? "");
    expect(m, lines[0]).not.toBeNull();
    expect(Number(m?.[2])).toBeLessThan(Number(m?.[1]));
  }, 60_000);

  it("cannot run without --expose-gc", async () => {
    const lines = await loadAndEdit(SERVER_NODE_FLAGS.filter((f) => f !== "--expose-gc"));
    expect(lines).toEqual([]);
  }, 60_000);
});
