/**
 * The load scheduler on its own: a burst is one load, a stream that never pauses still loads
 * (the cap), nothing requested is lost, and a failing load is contained.
 */
import { describe, expect, it } from "vitest";
import { LoadScheduler, MAX_LOAD_DELAY_MS, type PendingLoad } from "../src/load-scheduler.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await turn();
}

function recorder(now: () => number = () => 0): { runs: PendingLoad[]; errors: string[]; loads: LoadScheduler } {
  const runs: PendingLoad[] = [];
  const errors: string[] = [];
  const loads = new LoadScheduler((load) => runs.push({ method: load.method, uris: [...load.uris] }), now, {
    error: (m) => errors.push(m),
  });
  return { runs, errors, loads };
}

describe("LoadScheduler", () => {
  it("merges a burst into one load: the last method, every URI", async () => {
    const { runs, loads } = recorder();
    loads.request("textDocument/didOpen", ["a"]);
    loads.request("textDocument/didChange", ["b"]);
    loads.request("workspace/didDeleteFiles", ["c", "d"]);
    expect(runs).toEqual([]);
    await settle();
    expect(runs).toEqual([{ method: "workspace/didDeleteFiles", uris: ["a", "b", "c", "d"] }]);
  });

  it("waits for a turn without requests before loading", async () => {
    const { runs, loads } = recorder();
    loads.request("textDocument/didOpen", ["a"]);
    await turn();
    loads.request("textDocument/didChange", ["b"]); // the burst goes on in the next turn
    await settle();
    expect(runs).toEqual([{ method: "textDocument/didChange", uris: ["a", "b"] }]);
  });

  it(`loads at least every ${MAX_LOAD_DELAY_MS} ms under a stream that never pauses, losing no request`, async () => {
    let clock = 0;
    const { runs, loads } = recorder(() => clock);
    for (let i = 0; i < 100; i++) {
      clock += 1;
      loads.request("textDocument/didChange", [`u${i}`]);
      await turn();
    }
    await settle();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) expect(run.uris.length).toBeLessThanOrEqual(MAX_LOAD_DELAY_MS + 2);
    expect(runs.flatMap((r) => r.uris)).toEqual(Array.from({ length: 100 }, (_, i) => `u${i}`));
  });

  it("logs a load that throws and keeps scheduling", async () => {
    const errors: string[] = [];
    let calls = 0;
    const loads = new LoadScheduler(
      () => {
        calls++;
        if (calls === 1) throw new Error("boom");
      },
      () => 0,
      { error: (m) => errors.push(m) },
    );
    loads.request("textDocument/didOpen", ["a"]);
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("boom");
    loads.request("textDocument/didOpen", ["a"]);
    await settle();
    expect(calls).toBe(2);
  });
});
