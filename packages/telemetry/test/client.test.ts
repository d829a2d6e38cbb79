import { describe, expect, it } from "vitest";
import {
  CODE_PROPERTIES,
  LSP_METHODS,
  lspMethodProperty,
  type DiagnosticCode,
  type TrackEvent,
} from "../src/schema.js";
import { validateBatch, validateEvent } from "../src/validate.js";
import { TelemetryClient, normalizeEnvironment, type TelemetryClientOptions } from "../src/client/index.js";
import { FakeClock, FakeSender, FakeStore, HOST, payload, settle } from "./client-fakes.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ROOT_A = "file:///home/alice/acme";
const ROOT_B = "file:///home/alice/other";

function setup(
  overrides: Partial<TelemetryClientOptions> = {},
  shared?: { clock?: FakeClock; store?: FakeStore; sender?: FakeSender },
) {
  const clock = shared?.clock ?? new FakeClock();
  const store = shared?.store ?? new FakeStore();
  const sender = shared?.sender ?? new FakeSender();
  const logs: string[] = [];
  const client = new TelemetryClient({
    store,
    sender,
    clock,
    environment: HOST,
    token: "polar-ide",
    mode: "send",
    log: (m) => logs.push(m),
    random: () => 0.5,
    ...overrides,
  });
  client.start();
  return { client, clock, store, sender, logs };
}

/** Records one load and lets its debounce expire. */
async function load(clock: FakeClock, client: TelemetryClient, root: string, p: unknown): Promise<void> {
  client.record(root, p);
  await clock.advance(1000);
}

function props(e: TrackEvent | undefined): Record<string, unknown> {
  if (e === undefined) throw new Error("no event");
  return e.properties;
}

function expectValid(events: readonly TrackEvent[]): void {
  const r = validateBatch(events);
  expect(r.ok ? "valid" : r.message).toBe("valid");
}

describe("aggregation", () => {
  it("merges the loads of a folder into one event: counters summed, gauges of the last load", async () => {
    const { client, clock, sender } = setup();
    const loads = [
      payload({
        method: "textDocument/didOpen",
        diagnostics: [
          { severity: 1, code: "ParseError::UnrecognizedToken" },
          { severity: 2, code: "ValidationWarning::MissingAllowRule" },
        ],
        extensions: ["polar"],
        rules: 3,
      }),
      payload({
        method: "textDocument/didChange",
        diagnostics: [{ severity: 2, code: "ValidationWarning::MissingAllowRule" }],
        rules: 5,
        roles: 2,
      }),
      payload({
        method: "textDocument/didChange",
        diagnostics: [
          { severity: 1, code: "Made::Up" },
          { severity: 1, code: 42 },
          { severity: 1, code: "ParseError::UnrecognizedToken" },
        ],
        extensions: ["POLAR", ".txt", "a/b", "x".repeat(40)],
        rules: 7,
      }),
    ];
    for (const p of loads) await load(clock, client, ROOT_A, p);
    await client.flush();

    expect(sender.batches).toHaveLength(1);
    const events = sender.events;
    expect(events).toHaveLength(1);
    expectValid(events);
    const p = props(events[0]);
    // Expected values derived from the inputs above.
    const all = loads.flatMap((l) => l.diagnostics);
    expect(p.diagnostic_count).toBe(all.length);
    expect(p.error_count).toBe(all.filter((d) => d.severity === 1).length);
    expect(p.warning_count).toBe(all.filter((d) => d.severity === 2).length);
    expect(p.load_success_count).toBe(1);
    expect(p.load_failure_count).toBe(2);
    expect(p.unknown_diagnostic_count).toBe(2);
    expect(p[CODE_PROPERTIES.get("ParseError::UnrecognizedToken")!]).toBe(2);
    expect(p[CODE_PROPERTIES.get("ValidationWarning::MissingAllowRule")!]).toBe(2);
    expect(p[CODE_PROPERTIES.get("ParseError::IntegerOverflow")!]).toBe(0);
    expect(p[lspMethodProperty("textDocument/didOpen")]).toBe(1);
    expect(p[lspMethodProperty("textDocument/didChange")]).toBe(2);
    expect(p[lspMethodProperty("workspace/didDeleteFiles")]).toBe(0);
    // Gauges: last load wins.
    expect(p.total_rules).toBe(7);
    expect(p.roles).toBe(0);
    // Extension set: united, leading dot dropped, case folded; anything but `polar` is `other`.
    expect(p.LSP_file_extensions).toEqual(["other", "polar"]);
    // No code name ever appears as a value or key besides the allow-list.
    expect(JSON.stringify(events)).not.toContain("Made");
  });

  it("debounces per root: a burst counts once, as its last payload; roots are independent", async () => {
    const { client, clock, sender } = setup();
    client.record(ROOT_A, payload({ method: "textDocument/didOpen", rules: 1 }));
    await clock.advance(500);
    client.record(ROOT_A, payload({ method: "textDocument/didChange", rules: 2 }));
    client.record(ROOT_B, payload({ method: "textDocument/didOpen", rules: 9 }));
    await clock.advance(999);
    expect(client.pendingEvents().length).toBe(2); // the preview includes debounced payloads
    client.record(ROOT_A, payload({ method: "workspace/didChangeWatchedFiles", rules: 3 }));
    await clock.advance(1000);
    await client.flush();
    const events = sender.events;
    expect(events).toHaveLength(2);
    expectValid(events);
    const byRules = new Map(events.map((e) => [props(e).total_rules, props(e)]));
    const a = byRules.get(3)!;
    expect(a.load_success_count).toBe(1);
    expect(a[lspMethodProperty("workspace/didChangeWatchedFiles")]).toBe(1);
    expect(a[lspMethodProperty("textDocument/didOpen")]).toBe(0);
    expect(byRules.get(9)![lspMethodProperty("textDocument/didOpen")]).toBe(1);
    expect(a.workspace_folder).not.toBe(byRules.get(9)!.workspace_folder);
  });

  it("counts a root under the workspace folder it is given", async () => {
    const { client, clock, sender } = setup();
    client.record(`${ROOT_A}/api`, payload({}), ROOT_A);
    client.record(`${ROOT_A}/web`, payload({}), ROOT_A);
    await clock.advance(1000);
    await client.flush();
    expect(sender.events).toHaveLength(1);
    expect(props(sender.events[0]).load_success_count).toBe(2);
  });

  it.each([
    ["null", null],
    ["a string", "load"],
    [
      "an unknown method",
      { ...payload({}), lsp_event: { lsp_method: "textDocument/didSave", lsp_file_extensions: [] } },
    ],
    ["no lsp_event", { diagnostics: [] }],
  ])("ignores a malformed payload (%s) without throwing", async (_name, bad) => {
    const { client, clock, sender, logs } = setup();
    expect(() => client.record(ROOT_A, bad)).not.toThrow();
    await clock.advance(1000);
    await client.flush();
    expect(sender.batches).toHaveLength(0);
    expect(logs.some((l) => l.includes("ignored"))).toBe(true);
  });

  it("fills every schema property, including all LSP method counters", async () => {
    const { client, clock, sender } = setup();
    for (const method of LSP_METHODS) await load(clock, client, ROOT_A, payload({ method }));
    await client.flush();
    const p = props(sender.events[0]);
    for (const method of LSP_METHODS) expect(p[lspMethodProperty(method)]).toBe(1);
    const checked = validateEvent(sender.events[0]);
    expect(checked.ok).toBe(true);
    // Sent exactly what the validator returns (no property left to be filled in).
    if (checked.ok) expect(Object.keys(p).sort()).toEqual(Object.keys(checked.event.properties).sort());
  });
});

describe("environment", () => {
  it("normalizes host values so that each passes the schema", () => {
    const env = normalizeEnvironment({
      ...HOST,
      platformversion: "10.0.22631",
      remotename: "SSH-Remote",
      uikind: "Web",
      os: "/etc/x",
    });
    expect(env).toMatchObject({
      platformversion: "10.0.22631",
      remotename: "ssh-remote",
      uikind: "web",
      os: "other",
    });
    expect(normalizeEnvironment(HOST).platformversion).toBe("6.8.0");
    expect(normalizeEnvironment(HOST).remotename).toBe("none");
    expect(normalizeEnvironment({}).extversion).toBe("0.0.0");
  });
});

describe("caps", () => {
  async function folders(clock: FakeClock, client: TelemetryClient, n: number, tag = "f"): Promise<void> {
    for (let i = 0; i < n; i++) client.record(`file:///w/${tag}${i}`, payload({}));
    await clock.advance(1000);
  }

  it("sends at most 60 events a day (default); the rest wait, still aggregating, for the next day", async () => {
    const clock = new FakeClock(Date.UTC(2025, 10, 24, 10, 0, 0));
    const { client, sender, logs } = setup({}, { clock });
    await folders(clock, client, 61);
    await client.flush();
    expect(sender.events).toHaveLength(60);
    expect(logs.some((l) => l.includes("daily cap"))).toBe(true);
    await folders(clock, client, 61); // more loads of the same 61 folders
    await client.flush();
    expect(sender.events).toHaveLength(60);
    await clock.advance(DAY); // next calendar day: hourly flushes resume
    const later = sender.events.slice(60);
    expect(later).toHaveLength(60);
    const total = sender.events.reduce((s, e) => s + (props(e).load_success_count as number), 0);
    expect(total).toBeLessThanOrEqual(122);
    // The 61st folder's first load was not lost: it is sent or still pending.
    const pendingLoads = client.pendingEvents().reduce((s, e) => s + (props(e).load_success_count as number), 0);
    expect(total + pendingLoads).toBe(122);
  });

  it("the monthly cap triggers on its own", async () => {
    const clock = new FakeClock(Date.UTC(2025, 10, 1, 10, 0, 0));
    const { client, sender } = setup({ dailyCap: 100, monthlyCap: 5 }, { clock });
    await folders(clock, client, 3);
    await client.flush();
    await clock.advance(DAY);
    await folders(clock, client, 3);
    await client.flush();
    expect(sender.events).toHaveLength(5); // 3 on day one, 2 on day two: the month is full
    await clock.advance(DAY);
    await folders(clock, client, 3);
    await client.flush();
    expect(sender.events).toHaveLength(5);
    await clock.advance(30 * DAY); // December
    expect(sender.events.length).toBeGreaterThan(5);
  });

  it("the daily cap triggers on its own (caps are OR, not AND)", async () => {
    const { client, clock, sender } = setup({ dailyCap: 2, monthlyCap: 3000 });
    await folders(clock, client, 3);
    await client.flush();
    expect(sender.events).toHaveLength(2);
  });

  it("cap counters survive a restart and switching telemetry off and on", async () => {
    const store = new FakeStore();
    const clock = new FakeClock();
    const first = setup({ dailyCap: 2 }, { store, clock });
    await folders(clock, first.client, 2);
    await first.client.flush();
    first.client.setMode("off");
    first.client.setMode("send");
    await first.client.shutdown();
    const second = setup({ dailyCap: 2 }, { store, clock });
    await folders(clock, second.client, 2, "g");
    await second.client.flush();
    expect(second.sender.events).toHaveLength(0);
  });
});

describe("persistence", () => {
  it("a crash before the flush loses nothing: the next session sends the same event", async () => {
    const store = new FakeStore();
    const clock = new FakeClock();
    const first = setup({}, { store, clock });
    await load(
      clock,
      first.client,
      ROOT_A,
      payload({ diagnostics: [{ severity: 1, code: "ParseError::ExtraToken" }] }),
    );
    await load(clock, first.client, ROOT_A, payload({}));
    await first.client.persisted();
    const before = first.client.pendingEvents();
    // Crash: no shutdown. A new client on the same store.
    const second = setup({}, { store, clock });
    expect(second.client.pendingEvents()).toEqual(before);
    await second.client.flush();
    expect(second.sender.events).toEqual(before);
    expect(props(second.sender.events[0]).load_failure_count).toBe(1);
    expect(props(second.sender.events[0]).load_success_count).toBe(1);
  });

  it("a crash during the send re-sends the sealed batch with the same $insert_id, counted once", async () => {
    const store = new FakeStore();
    const clock = new FakeClock();
    const hanging = new FakeSender();
    hanging.script.push(new Promise(() => undefined)); // the answer never comes
    const first = setup({}, { store, clock, sender: hanging });
    await load(clock, first.client, ROOT_A, payload({}));
    void first.client.flush();
    await settle();
    expect(hanging.batches).toHaveLength(1);
    // Crash. New loads in the next session go into a new event.
    const second = setup({}, { store, clock });
    await settle();
    await load(clock, second.client, ROOT_A, payload({ method: "textDocument/didOpen" }));
    await second.client.flush();
    const sent = second.sender.batches;
    expect(sent[0]).toEqual(hanging.batches[0]);
    const ids = second.sender.events.map((e) => props(e).$insert_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(second.sender.events.reduce((s, e) => s + (props(e).load_success_count as number), 0)).toBe(2);
    expectValid(second.sender.events);
  });

  it("writes the state on every change", async () => {
    const { client, clock, store } = setup();
    const w0 = store.writes;
    await load(clock, client, ROOT_A, payload({}));
    await client.persisted();
    expect(store.writes).toBeGreaterThan(w0);
    const saved = JSON.stringify(store.get("polarTelemetry.state"));
    expect(saved).not.toContain("alice"); // folders are kept by their HMAC only
    expect(saved).toContain((client.pendingEvents()[0]?.properties.$insert_id as string) ?? "missing");
  });

  it("ignores garbage in the store", async () => {
    const store = new FakeStore();
    store.set("polarTelemetry.state", {
      v: 1,
      pending: [["x", 1], null],
      outbox: { events: [{ event: "nope" }] },
      caps: "?",
    });
    store.set("polarTelemetry.secret", "short");
    const { client, clock, sender } = setup({}, { store });
    await load(clock, client, ROOT_A, payload({}));
    await client.flush();
    expect(sender.events).toHaveLength(1);
    expectValid(sender.events);
  });
});

describe("delivery", () => {
  it("flushes every hour and at shutdown, one request per batch", async () => {
    const { client, clock, sender } = setup();
    await load(clock, client, ROOT_A, payload({}));
    await load(clock, client, ROOT_B, payload({}));
    expect(sender.batches).toHaveLength(0);
    await clock.advance(HOUR);
    expect(sender.batches).toHaveLength(1);
    expect(sender.batches[0]).toHaveLength(2);
    client.record(ROOT_A, payload({})); // still debounced at shutdown: merged and sent
    await client.shutdown();
    expect(sender.batches).toHaveLength(2);
    client.record(ROOT_A, payload({}));
    await clock.advance(10 * HOUR);
    expect(sender.batches).toHaveLength(2);
  });

  it("retries a failed batch unchanged, without double counting", async () => {
    const { client, clock, sender } = setup({ retryBaseMs: 1000 });
    sender.script.push({ kind: "retry", reason: "HTTP 503" }, { kind: "retry", reason: "network error" });
    await load(clock, client, ROOT_A, payload({}));
    await client.flush();
    await load(clock, client, ROOT_A, payload({})); // arrives while the batch waits
    await clock.advance(60_000);
    expect(sender.batches.length).toBeGreaterThanOrEqual(4);
    expect(sender.batches[1]).toEqual(sender.batches[0]);
    expect(sender.batches[2]).toEqual(sender.batches[0]);
    // Accepted: batch 0 (third try) and the new load's batch.
    const accepted = [sender.batches[2]!, ...sender.batches.slice(3)].flat();
    expect(accepted.reduce((s, e) => s + (props(e).load_success_count as number), 0)).toBe(2);
    expectValid(accepted);
  });

  it("backs off exponentially with jitter", async () => {
    const jitter = [0, 1, 0, 1];
    const { client, clock, sender } = setup({ retryBaseMs: 1000, retryMaxMs: 8000, random: () => jitter.shift() ?? 0 });
    for (let i = 0; i < 6; i++) sender.script.push({ kind: "retry", reason: "HTTP 500" });
    await load(clock, client, ROOT_A, payload({}));
    const start = clock.now();
    await client.flush();
    const times: number[] = [];
    const origSend = sender.send.bind(sender);
    sender.send = (events, signal) => {
      times.push(clock.now() - start);
      return origSend(events, signal);
    };
    await clock.advance(60_000);
    // Delays: [exp/2, exp] with exp = 1 s, 2 s, 4 s, 8 s, 8 s (capped); jitter 0 → exp/2, 1 → exp.
    const gaps = times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]!));
    expect(gaps.slice(0, 5)).toEqual([500, 2000, 2000, 8000, 4000]);
  });

  it("never retries sooner than Retry-After", async () => {
    const { client, clock, sender } = setup({ retryBaseMs: 1000 });
    sender.script.push({ kind: "retry", reason: "HTTP 429", retryAfterMs: 120_000 });
    await load(clock, client, ROOT_A, payload({}));
    await client.flush();
    await clock.advance(119_999);
    expect(sender.batches).toHaveLength(1);
    await clock.advance(1);
    expect(sender.batches).toHaveLength(2);
  });

  it("a back-off survives a restart, and shutdown does not send during it", async () => {
    const store = new FakeStore();
    const clock = new FakeClock();
    const first = setup({ retryBaseMs: 10_000 }, { store, clock });
    first.sender.script.push({ kind: "retry", reason: "HTTP 503", retryAfterMs: 60_000 });
    await load(clock, first.client, ROOT_A, payload({}));
    await first.client.flush();
    await first.client.shutdown();
    expect(first.sender.batches).toHaveLength(1);
    const second = setup({ retryBaseMs: 10_000 }, { store, clock });
    await clock.advance(59_000);
    expect(second.sender.batches).toHaveLength(0);
    await clock.advance(1000);
    expect(second.sender.batches).toEqual(first.sender.batches);
  });

  it("drops a batch the sink rejects (4xx) and does not retry it", async () => {
    const { client, clock, sender, logs } = setup({ retryBaseMs: 1000 });
    sender.script.push({ kind: "drop", reason: "HTTP 400" });
    await load(clock, client, ROOT_A, payload({}));
    await client.flush();
    await clock.advance(2 * HOUR);
    expect(sender.batches).toHaveLength(1);
    expect(logs.some((l) => l.includes("dropped"))).toBe(true);
    expect(client.pendingEvents()).toEqual([]);
  });

  it("pendingPayload() is exactly the JSON that is then sent", async () => {
    const { client, clock, sender } = setup();
    await load(
      clock,
      client,
      ROOT_A,
      payload({ diagnostics: [{ severity: 2, code: "ValidationWarning::UnknownSpecializer" }] }),
    );
    client.record(ROOT_B, payload({}));
    const shown = JSON.parse(client.pendingPayload()) as unknown;
    await clock.advance(1000);
    await client.flush();
    expect(sender.batches[0]).toEqual(shown);
  });
});

describe("switching off", () => {
  it("deletes pending data at once and sends nothing", async () => {
    const { client, clock, sender, store } = setup();
    await load(clock, client, ROOT_A, payload({}));
    client.record(ROOT_B, payload({}));
    await client.persisted();
    expect(client.pendingEvents()).toHaveLength(2);
    client.setMode("off");
    await client.persisted();
    expect(client.pendingEvents()).toEqual([]);
    const saved = store.get("polarTelemetry.state") as { pending: unknown[]; outbox: unknown };
    expect(saved.pending).toEqual([]);
    expect(saved.outbox).toBeNull();
    client.record(ROOT_A, payload({}));
    await clock.advance(2 * HOUR);
    await client.flush();
    await client.shutdown();
    expect(sender.batches).toHaveLength(0);
  });

  it("aborts a send in progress and keeps nothing of it", async () => {
    const { client, clock, sender, store } = setup();
    let answer: (r: { kind: "retry"; reason: string }) => void = () => undefined;
    sender.script.push(new Promise((resolve) => (answer = resolve)));
    await load(clock, client, ROOT_A, payload({}));
    void client.flush();
    await settle();
    client.setMode("off");
    expect(sender.signals[0]?.aborted).toBe(true);
    answer({ kind: "retry", reason: "aborted" });
    await settle();
    await client.persisted();
    expect((store.get("polarTelemetry.state") as { outbox: unknown }).outbox).toBeNull();
    client.setMode("send");
    await clock.advance(2 * HOUR);
    expect(sender.batches).toHaveLength(1);
  });

  it("deletes what a previous session left when it starts switched off", async () => {
    const store = new FakeStore();
    const clock = new FakeClock();
    const first = setup({}, { store, clock });
    await load(clock, first.client, ROOT_A, payload({}));
    await first.client.persisted();
    const second = setup({ mode: "off" }, { store, clock });
    await second.client.persisted();
    expect((store.get("polarTelemetry.state") as { pending: unknown[] }).pending).toEqual([]);
    await second.client.shutdown();
    expect(second.sender.batches).toHaveLength(0);
  });
});

describe("never throws", () => {
  const boom = () => {
    throw new Error("boom");
  };

  it("with a store, sender, logger and clock that throw", async () => {
    const store = { get: boom, set: boom };
    const sender = { send: boom };
    const clock = { now: () => Date.UTC(2025, 0, 1), setTimeout: boom, clearTimeout: boom };
    let client: TelemetryClient | undefined;
    expect(() => {
      client = new TelemetryClient({
        store,
        sender,
        clock,
        environment: HOST,
        token: "t",
        mode: "send",
        log: boom,
      });
    }).not.toThrow();
    const c = client!;
    expect(() => c.start()).not.toThrow();
    expect(() => c.record(ROOT_A, payload({}))).not.toThrow();
    expect(() => c.flushRecords()).not.toThrow();
    await expect(c.flush()).resolves.toBeUndefined();
    expect(() => c.pendingPayload()).not.toThrow();
    expect(() => c.setMode("off")).not.toThrow();
    expect(() => c.setMode("send")).not.toThrow();
    await expect(c.shutdown()).resolves.toBeUndefined();
  });

  it("with a sender that rejects or returns garbage: the batch is kept for a retry", async () => {
    const { client, clock, sender } = setup({ retryBaseMs: 1000 });
    sender.script.push(
      () => Promise.reject(new Error("socket hang up")),
      () => ({ nonsense: true }) as never,
    );
    await load(clock, client, ROOT_A, payload({}));
    await expect(client.flush()).resolves.toBeUndefined();
    await clock.advance(10_000);
    expect(sender.batches.length).toBe(3);
    expect(sender.batches[2]).toEqual(sender.batches[0]);
  });

  it("with an async store that rejects every write", async () => {
    const logs: string[] = [];
    const store = { get: () => undefined, set: () => Promise.reject(new Error("disk full")) };
    const sender = new FakeSender();
    const clock = new FakeClock();
    const client = new TelemetryClient({
      store,
      sender,
      clock,
      environment: HOST,
      token: "t",
      mode: "send",
      log: (m) => logs.push(m),
    });
    client.record(ROOT_A, payload({}));
    await clock.advance(1000);
    await client.flush();
    expect(sender.events).toHaveLength(1);
    expect(logs.some((l) => l.includes("disk full"))).toBe(true);
  });

  it("with a code that maps to a known property and every severity", async () => {
    const { client, clock, sender } = setup();
    const codes = [...CODE_PROPERTIES.keys()] as DiagnosticCode[];
    await load(
      clock,
      client,
      ROOT_A,
      payload({
        diagnostics: [
          ...codes.map((code) => ({ severity: 1, code })),
          { severity: 3, code: codes[0] },
          { severity: 4, code: null },
        ],
      }),
    );
    await client.flush();
    expectValid(sender.events);
    expect(props(sender.events[0]).diagnostic_count).toBe(codes.length);
  });
});

describe("local mode", () => {
  it("aggregates and shows, but never seals or sends: not hourly, not on flush, not at shutdown", async () => {
    const { client, clock, sender, store } = setup({ mode: "local" });
    await load(clock, client, ROOT_A, payload({ diagnostics: [{ severity: 1, code: "ParseError::ExtraToken" }] }));
    await load(clock, client, ROOT_A, payload({}));
    client.record(ROOT_B, payload({}));
    await clock.advance(5 * HOUR);
    await client.flush();
    const shown = client.pendingEvents();
    expect(shown).toHaveLength(2);
    expectValid(shown);
    const a = shown.find((e) => props(e).load_failure_count === 1);
    expect(props(a).load_success_count).toBe(1);
    await client.shutdown();
    expect(sender.batches).toHaveLength(0);
    expect(client.lastSent()).toBeNull();
    // Nothing sealed: the cap counters did not move.
    expect((store.get("polarTelemetry.state") as { caps: { dayCount: number } }).caps.dayCount).toBe(0);
  });

  it("keeps what it aggregated when switched to send (then sends it) and stops a send when switched to local", async () => {
    const { client, clock, sender } = setup({ mode: "local" });
    await load(clock, client, ROOT_A, payload({}));
    client.setMode("send");
    await client.flush();
    expect(sender.events).toHaveLength(1);
    let answer: (r: { kind: "ok" }) => void = () => undefined;
    sender.script.push(new Promise((resolve) => (answer = resolve)));
    await load(clock, client, ROOT_B, payload({}));
    void client.flush();
    await settle();
    client.setMode("local");
    expect(sender.signals[1]?.aborted).toBe(true);
    answer({ kind: "ok" });
    await settle();
    // The interrupted batch is still pending, shown, and not sent while local.
    expect(client.pendingEvents()).toEqual(sender.batches[1]);
    await clock.advance(3 * HOUR);
    expect(sender.batches).toHaveLength(2);
  });
});

describe("last batch sent", () => {
  it("is kept with its UTC day only (no time), exactly as sent, across a restart and after switching off", async () => {
    const store = new FakeStore();
    const clock = new FakeClock(Date.UTC(2025, 10, 24, 16, 42, 17));
    const first = setup({}, { store, clock });
    expect(first.client.lastSent()).toBeNull();
    await load(clock, first.client, ROOT_A, payload({}));
    await first.client.flush();
    const last = first.client.lastSent();
    expect(last).toEqual({ day: "2025-11-24", outcome: "accepted", events: first.sender.batches[0] });
    await first.client.shutdown();
    // Stored: the day, never the time.
    const saved = JSON.stringify(store.get("polarTelemetry.state"));
    expect(saved).toContain('"day":"2025-11-24"');
    expect(saved).not.toMatch(/T\d\d:\d\d|16:42|1764002537/);
    const second = setup({ mode: "off" }, { store, clock });
    expect(second.client.lastSent()).toEqual(last);
  });

  it("records a rejected and a failed attempt as such", async () => {
    const { client, clock, sender } = setup({ retryBaseMs: 1000 });
    sender.script.push({ kind: "retry", reason: "HTTP 503" }, { kind: "drop", reason: "HTTP 400" });
    await load(clock, client, ROOT_A, payload({}));
    await client.flush();
    expect(client.lastSent()?.outcome).toBe("failed");
    await clock.advance(5000);
    expect(client.lastSent()?.outcome).toBe("rejected");
    expect(client.lastSent()?.events).toEqual(sender.batches[1]);
  });
});
