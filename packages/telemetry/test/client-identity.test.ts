/**
 * Privacy of the identifiers: nobody without the installation's secret can compute or confirm
 * an id, two installations never share one, and nothing one installation sends in one month can
 * be joined with what it sends in another. Each test plays the operator of the sink, who holds
 * every stored event and knows (or guesses) the machineId, the public salt and folder paths.
 */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  APP_HOSTS,
  OTHER,
  PROPERTY_BY_NAME,
  REMOTE_NAMES,
  type EventProperties,
  type TrackEvent,
} from "../src/schema.js";
import { validateEvent } from "../src/validate.js";
import { TelemetryClient, normalizeEnvironment, type TelemetryClientOptions } from "../src/client/index.js";
import { FakeClock, FakeSender, FakeStore, HOST, MACHINE_ID, payload } from "./client-fakes.js";

const DAY = 24 * 3_600_000;
const ROOT = "file:///home/alice/acme";
/** The salt of the identifier an earlier version sent (public: it was in the source). */
const OLD_SALT = "polar-ide.telemetry.distinct_id.v1";

function client(store: FakeStore, clock: FakeClock, sender = new FakeSender(), extra: object = {}) {
  const options = {
    store,
    sender,
    clock,
    environment: HOST,
    token: "polar-ide",
    mode: "send",
    ...extra,
  } as TelemetryClientOptions;
  const c = new TelemetryClient(options);
  c.start();
  return { c, sender };
}

/** One load of `root` in the client's session, flushed; returns the event sent. */
async function sendOne(store: FakeStore, clock: FakeClock, root = ROOT, extra: object = {}): Promise<EventProperties> {
  const { c, sender } = client(store, clock, new FakeSender(), extra);
  c.record(root, payload({}));
  await clock.advance(1000);
  await c.flush();
  await c.shutdown();
  expect(sender.events).toHaveLength(1);
  return sender.events[0]!.properties;
}

const hmac = (secret: string, text: string) =>
  createHmac("sha256", Buffer.from(secret, "hex")).update(text).digest("hex");

describe("identifiers an operator cannot compute", () => {
  it("are HMAC-SHA-256 under the installation secret of the label and UTC month (and the folder URI)", async () => {
    const store = new FakeStore();
    const clock = new FakeClock(Date.UTC(2025, 4, 10, 9, 0, 0));
    const p = await sendOne(store, clock);
    const secret = store.get("polarTelemetry.secret") as string;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(p.distinct_id).toBe(hmac(secret, "distinct_id\n2025-05"));
    expect(p.workspace_folder).toBe(hmac(secret, `workspace_folder\n2025-05\n${ROOT}`));
    // The same installation, next session, same month: the same ids (one user, one folder).
    const again = await sendOne(store, clock);
    expect([again.distinct_id, again.workspace_folder]).toEqual([p.distinct_id, p.workspace_folder]);
  });

  it("cannot be recomputed from the machineId and the public salt (the old formula is not what is sent)", async () => {
    const store = new FakeStore();
    const clock = new FakeClock(Date.UTC(2025, 4, 10, 9, 0, 0));
    const p = await sendOne(store, clock, ROOT, { machineId: MACHINE_ID });
    const month = "2025-05";
    const guesses = [
      createHash("sha256").update(`${OLD_SALT}\n${month}\n${MACHINE_ID}`).digest("hex"),
      createHash("sha256").update(MACHINE_ID).digest("hex"),
      createHash("sha256").update(`${month}${MACHINE_ID}`).digest("hex"),
      createHmac("sha256", MACHINE_ID).update(`distinct_id\n${month}`).digest("hex"),
      createHmac("sha256", Buffer.from(MACHINE_ID, "hex")).update(`distinct_id\n${month}`).digest("hex"),
      createHmac("sha256", OLD_SALT).update(`distinct_id\n${month}`).digest("hex"),
      createHash("sha256").update(ROOT).digest("hex"),
      createHmac("sha256", OLD_SALT).update(ROOT).digest("hex"),
    ];
    for (const guess of guesses) {
      expect(p.distinct_id).not.toBe(guess);
      expect(p.workspace_folder).not.toBe(guess);
    }
    // The machineId is not an input at all: a different one (same installation) changes nothing.
    const other = await sendOne(store, clock, ROOT, { machineId: "f".repeat(64) });
    expect(other.distinct_id).toBe(p.distinct_id);
    expect(JSON.stringify(p)).not.toContain(MACHINE_ID);
  });

  it("differ between two installations with the same machineId (two secrets)", async () => {
    const clock = new FakeClock(Date.UTC(2025, 4, 10, 9, 0, 0));
    const a = await sendOne(new FakeStore(), clock, ROOT, { machineId: MACHINE_ID });
    const b = await sendOne(new FakeStore(), clock, ROOT, { machineId: MACHINE_ID });
    expect(a.distinct_id).not.toBe(b.distinct_id);
    // Not even the same folder on the same machine can be matched across installations.
    expect(a.workspace_folder).not.toBe(b.workspace_folder);
  });
});

/** Properties whose equality across two events says nothing about who sent them. */
function linkable(a: EventProperties, b: EventProperties): string[] {
  const shared: string[] = [];
  for (const [name, value] of Object.entries(a)) {
    if (JSON.stringify(value) !== JSON.stringify(b[name])) continue;
    const kind = PROPERTY_BY_NAME.get(name)?.kind;
    // Counters, gauges and environment values are low-cardinality facts shared by many
    // installations; the schema version and project token are the same for every installation.
    if (kind === "counter" || kind === "gauge" || kind === "environment") continue;
    if (name === "schema_version" || name === "token") continue;
    shared.push(name);
  }
  return shared;
}

describe("months cannot be linked", () => {
  it("two months of one installation share no identifier and no other high-cardinality value", async () => {
    const store = new FakeStore();
    const clock = new FakeClock(Date.UTC(2025, 0, 31, 23, 0, 0));
    const jan = await sendOne(store, clock);
    clock.t = Date.UTC(2025, 1, 1, 1, 0, 0);
    const feb = await sendOne(store, clock);
    expect(jan.distinct_id).not.toBe(feb.distinct_id);
    expect(jan.workspace_folder).not.toBe(feb.workspace_folder);
    expect(linkable(jan, feb)).toEqual([]);
    // Same month, same installation: the identifiers do match (the check above can fail).
    const jan2 = await sendOne(store, new FakeClock(Date.UTC(2025, 0, 15)));
    expect(linkable(jan, jan2).sort()).toEqual(["distinct_id", "workspace_folder"]);
  });

  it("loads on both sides of a month boundary make two events, each with the ids of its own month", async () => {
    const store = new FakeStore();
    const clock = new FakeClock(Date.UTC(2025, 0, 31, 23, 59, 0));
    const { c, sender } = client(store, clock);
    c.record(ROOT, payload({ rules: 1 }));
    await clock.advance(1000); // merged in January
    await clock.advance(DAY / 24); // February, before the hourly flush
    c.record(ROOT, payload({ rules: 2 }));
    await clock.advance(1000);
    await c.flush();
    const secret = store.get("polarTelemetry.secret") as string;
    const byRules = new Map(sender.events.map((e) => [e.properties.total_rules, e.properties]));
    const jan = byRules.get(1)!;
    const feb = byRules.get(2)!;
    expect(sender.events).toHaveLength(2);
    // Two requests: one batch never carries the ids of two months.
    expect(sender.batches.map((b) => b.length)).toEqual([1, 1]);
    expect([jan.distinct_id, jan.workspace_folder]).toEqual([
      hmac(secret, "distinct_id\n2025-01"),
      hmac(secret, `workspace_folder\n2025-01\n${ROOT}`),
    ]);
    expect([feb.distinct_id, feb.workspace_folder]).toEqual([
      hmac(secret, "distinct_id\n2025-02"),
      hmac(secret, `workspace_folder\n2025-02\n${ROOT}`),
    ]);
    expect(linkable(jan, feb)).toEqual([]);
  });
});

describe("upgrade from state version 1", () => {
  it("keeps the secret and sends none of the old, non-rotating values", async () => {
    const store = new FakeStore();
    const secret = "ab".repeat(32);
    const oldFolderKey = hmac(secret, ROOT); // v1: month-less HMAC of the folder
    const oldDistinct = createHash("sha256").update(`${OLD_SALT}\n2025-05\n${MACHINE_ID}`).digest("hex");
    // A v1 state with a pending aggregate and a sealed batch, written by a v1 client.
    const sealed: TrackEvent = await (async () => {
      const s = new FakeStore();
      const clock = new FakeClock(Date.UTC(2025, 4, 10));
      const sender = new FakeSender();
      const { c } = client(s, clock, sender);
      c.record(ROOT, payload({ rules: 7 }));
      await clock.advance(1000);
      await c.flush();
      const e = sender.events[0]!;
      return { ...e, properties: { ...e.properties, distinct_id: oldDistinct, workspace_folder: oldFolderKey } };
    })();
    const aggregate = {
      insertId: "c".repeat(32),
      counters: { load_success_count: 2, LSP_method_textDocument_didChange_count: 2 },
      gauges: { total_rules: 3 },
      extensions: ["polar"],
    };
    store.set("polarTelemetry.secret", secret);
    store.set("polarTelemetry.state", {
      v: 1,
      pending: [[oldFolderKey, aggregate]],
      outbox: { events: [sealed], attempts: 1, notBefore: 0 },
      caps: { day: "2025-05-10", dayCount: 1, month: "2025-05", monthCount: 1 },
    });
    const clock = new FakeClock(Date.UTC(2025, 4, 10, 12));
    const { c, sender } = client(store, clock);
    await c.flush();
    await c.shutdown();
    expect(store.get("polarTelemetry.secret")).toBe(secret);
    const sent = sender.events;
    expect(sent.map((e) => e.properties.$insert_id).sort()).toEqual(
      [sealed.properties.$insert_id, "c".repeat(32)].sort(),
    );
    const bytes = JSON.stringify(sender.batches);
    expect(bytes).not.toContain(oldDistinct);
    expect(bytes).not.toContain(oldFolderKey);
    for (const e of sent) {
      expect(validateEvent(e).ok).toBe(true);
      expect(e.properties.distinct_id).toBe(hmac(secret, "distinct_id\n2025-05"));
    }
    // Both migrated events came from the same folder key, so they keep one (new) folder id.
    expect(new Set(sent.map((e) => e.properties.workspace_folder)).size).toBe(1);
  });
});

describe("environment allow-lists", () => {
  it("sends only listed values: a remote's host, a custom embedder or a fork's publisher become `other`", () => {
    const env = normalizeEnvironment({
      ...HOST,
      remotename: "ssh-remote+alice-laptop.corp.example.com",
      product: "alice-corp-embed",
      extname: "alice-smith.polar",
      os: "alice-os",
      nodeArch: "alice64",
    });
    expect(env).toMatchObject({
      remotename: "ssh-remote",
      product: OTHER,
      extname: OTHER,
      os: OTHER,
      nodeArch: OTHER,
    });
    expect(normalizeEnvironment({ ...HOST, remotename: "k8s-alice+x" }).remotename).toBe(OTHER);
    for (const host of APP_HOSTS) expect(normalizeEnvironment({ ...HOST, product: host }).product).toBe(host);
    for (const kind of REMOTE_NAMES.filter((r) => r !== "none"))
      expect(normalizeEnvironment({ ...HOST, remotename: `${kind}+somewhere` }).remotename).toBe(kind);
  });

  it.each([
    ["product", "alice-corp-embed"],
    ["remotename", "my-remote"],
    ["os", "alice"],
    ["nodeArch", "alice64"],
    ["extname", "alice.polar"],
  ])("the collector's validator rejects a %s off the list (%s)", async (name, value) => {
    const clock = new FakeClock(Date.UTC(2025, 4, 10));
    const p = await sendOne(new FakeStore(), clock);
    expect(validateEvent({ event: "diagnostic_load", properties: p }).ok).toBe(true);
    const r = validateEvent({ event: "diagnostic_load", properties: { ...p, [name]: value } });
    expect(r.ok ? "accepted" : r.property).toBe(name);
  });
});
