/**
 * Both ends of `telemetry/event` agree: every payload the server sends, for each of the four
 * methods, is accepted by the telemetry protocol's parser (what the extension's client runs) and
 * reads back as the server's severities, codes, method, extensions and stats.
 */
import { parseTelemetryEvent, type TelemetryEventParams } from "@polar-ide/telemetry/protocol";
import { afterEach, describe, expect, it } from "vitest";
import type { TelemetryEvent } from "../src/server.js";
import { inProcess, uri, type TestClient } from "./helpers.js";

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

/** What the parser should read out of a payload the server sent. */
function expectedReading(e: TelemetryEvent): TelemetryEventParams {
  return {
    diagnostics: e.diagnostics.map((d) => ({ severity: d.severity, code: d.code })),
    lsp_event: { lsp_method: e.lsp_event.lsp_method, lsp_file_extensions: [...e.lsp_event.lsp_file_extensions] },
    policy_stats: { ...e.policy_stats },
    resource_block_stats: { ...e.resource_block_stats },
  };
}

describe("telemetry/event payloads", () => {
  it("are read by the telemetry protocol exactly as the server sent them", async () => {
    const c = inProcess();
    client = c;
    await c.initialize();
    const a = uri("a.polar");
    const b = uri("b.txt", "/virtual/policy/sub");
    await c.load(() => c.open(a, "f(x) if g(x);\nallow(_, _, _) if 1 = ;\n", 1));
    await c.load(() => c.open(b, 'resource Repo { roles = ["r"]; }\n', 1));
    await c.load(() => c.change(a, "f(1);\n", 2));
    await c.load(() =>
      c.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: a, type: 3 }] }),
    );
    await c.load(() => c.open(a, "f(1);\n", 3));
    await c.load(() =>
      c.connection.sendNotification("workspace/didDeleteFiles", { files: [{ uri: "file:///virtual/policy/sub" }] }),
    );

    expect(c.telemetry.map((e) => e.lsp_event.lsp_method)).toEqual([
      "textDocument/didOpen",
      "textDocument/didOpen",
      "textDocument/didChange",
      "workspace/didChangeWatchedFiles",
      "textDocument/didOpen",
      "workspace/didDeleteFiles",
    ]);
    expect(c.telemetry.some((e) => e.diagnostics.length > 0)).toBe(true);
    for (const event of c.telemetry) {
      const parsed = parseTelemetryEvent(event);
      expect(parsed).toEqual({ ok: true, event: expectedReading(event) });
    }
  });
});
