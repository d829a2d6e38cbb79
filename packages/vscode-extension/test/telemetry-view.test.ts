/**
 * "Polar: Show Pending Telemetry": the view says whether collection is on and why not, shows the
 * endpoint, the exact pending payload and the exact last batch sent (UTC day only) — checked
 * against a real telemetry client, in each mode. `local` collects and shows, and sends nothing.
 */
import { describe, expect, it } from "vitest";
import type { TrackEvent } from "@polar-ide/telemetry";
import { TelemetryClient, type CollectionMode, type Sender, type Store } from "@polar-ide/telemetry/client";
import { collectionState } from "../src/consent.js";
import { batchJson, renderTelemetryView, type TelemetryViewModel } from "../src/telemetry-view.js";

const ENDPOINT = "http://127.0.0.1:8787/track";
const ROOT = "file:///home/alice/acme";

/** A `telemetry/event` payload in the language server's shape: one error, one warning. */
const PAYLOAD = {
  diagnostics: [
    { severity: 1, code: "ParseError::UnrecognizedToken", message: "x" },
    { severity: 2, code: "ValidationWarning::MissingAllowRule", message: "y" },
  ],
  lsp_event: { lsp_method: "textDocument/didChange", lsp_file_extensions: ["polar"] },
  policy_stats: { total_rules: 3, polar_files: 1, polar_chars: 120 },
  resource_block_stats: {},
};

function harness(mode: CollectionMode) {
  const data = new Map<string, unknown>();
  const store: Store = { get: (k) => data.get(k), set: (k, v) => void data.set(k, v) };
  const batches: TrackEvent[][] = [];
  const sender: Sender = {
    send: (events) => {
      batches.push(JSON.parse(JSON.stringify(events)) as TrackEvent[]);
      return Promise.resolve({ kind: "ok" });
    },
  };
  const client = new TelemetryClient({
    store,
    sender,
    environment: { os: "linux", extname: "polar-ide.polar-ide" },
    token: "polar-ide",
    mode,
    debounceMs: 0,
  });
  const view = (vscodeOn: boolean, setting: "default" | "local" | "off", endpoint: string | undefined) => {
    const state = collectionState(vscodeOn, setting, endpoint);
    client.setMode(state.mode);
    const model: TelemetryViewModel = {
      mode: client.mode,
      reasons: state.reasons,
      endpoint,
      flushIntervalSeconds: 3600,
      pending: client.pendingEvents(),
      lastSent: client.lastSent(),
    };
    return renderTelemetryView(model);
  };
  return { client, batches, view };
}

/** The JSON code blocks of the view, parsed. */
function blocks(text: string): unknown[] {
  return [...text.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]!) as unknown);
}

describe("the telemetry view", () => {
  it("local: aggregates and shows the aggregate, and nothing is sent (flush, shutdown)", async () => {
    const { client, batches, view } = harness("local");
    client.record(ROOT, PAYLOAD);
    client.record(ROOT, PAYLOAD);
    client.flushRecords();
    client.record(ROOT, PAYLOAD);
    client.flushRecords();
    await client.flush();
    const text = view(false, "local", undefined);
    expect(text).toContain("local only");
    expect(text).toContain("never sent");
    expect(text).toContain("Endpoint: none configured");
    const [pending] = blocks(text) as TrackEvent[][];
    expect(pending).toEqual(client.pendingEvents());
    expect(pending).toHaveLength(1);
    // The aggregate of the two merged loads (the first two payloads were one debounced burst).
    expect(pending![0]!.properties).toMatchObject({
      load_failure_count: 2,
      error_count: 2,
      warning_count: 2,
      ParseError_UnrecognizedToken_count: 2,
      total_rules: 3,
    });
    expect(text).toContain("Nothing has been sent");
    await client.shutdown();
    expect(batches).toEqual([]);
  });

  it("send: shows the endpoint and the exact next payload, then the exact batch sent with its UTC day", async () => {
    const { client, batches, view } = harness("send");
    client.record(ROOT, PAYLOAD);
    client.flushRecords();
    const before = view(true, "default", ENDPOINT);
    expect(before).toContain("Collection is on");
    expect(before).toContain(`\`${ENDPOINT}\``);
    expect(before).toContain(batchJson(client.pendingEvents()));
    const shown = blocks(before)[0];
    await client.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toEqual(shown);
    const after = view(true, "default", ENDPOINT);
    const today = new Date().toISOString().slice(0, 10);
    expect(after).toContain(`Last batch sent: ${today} (UTC day`);
    expect(after).toContain("accepted by the endpoint");
    expect(blocks(after)).toEqual([[], batches[0]]);
    // No time of day anywhere: only the day.
    expect(after).not.toMatch(/\d{2}:\d{2}/);
  });

  it("off: names every switch that is off, shows no pending data, still shows what was sent", async () => {
    const { client, view } = harness("send");
    client.record(ROOT, PAYLOAD);
    client.flushRecords();
    await client.flush();
    client.record(ROOT, PAYLOAD);
    client.flushRecords();
    const text = view(false, "off", undefined);
    expect(client.mode).toBe("off");
    expect(text).toContain("Collection is off");
    for (const why of ["telemetry.telemetryLevel", "oso.polarLanguageServer.metrics.enabled", "telemetry.endpoint"])
      expect(text).toContain(why);
    expect(text).toContain("Nothing (collection is off)");
    expect(client.pendingEvents()).toEqual([]);
    // The batch that left before is still shown (it is the one block).
    expect(blocks(text)).toEqual([client.lastSent()!.events]);
  });

  it("names only the switch that is off", () => {
    const { view } = harness("off");
    const text = view(true, "default", undefined);
    expect(text).toContain("no oso.polarLanguageServer.telemetry.endpoint is configured");
    expect(text).not.toContain("telemetryLevel");
    expect(text).not.toContain('metrics.enabled is "off"');
  });
});
