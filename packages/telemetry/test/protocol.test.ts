/**
 * The `telemetry/event` protocol's reader: what it refuses (with the reason), how it reads a
 * malformed payload part by part, and that nothing but the declared fields comes out of it.
 */
import { describe, expect, it } from "vitest";
import * as telemetry from "../src/index.js";
import { LSP_METHODS, isLspMethod, parseTelemetryEvent, TELEMETRY_EVENT_METHOD } from "../src/protocol.js";
import * as schema from "../src/schema.js";

const GOOD = {
  diagnostics: [
    {
      severity: 1,
      code: "ParseError::UnrecognizedEOF",
      message: "unexpected end of file at /home/alice/acme/authz.polar",
      source: "Polar Language Server",
      range: { start: { line: 1, character: 3 }, end: { line: 1, character: 3 } },
    },
    { severity: 2, code: "ValidationWarning::MissingAllowRule", message: "no allow rule" },
  ],
  lsp_event: { lsp_method: "textDocument/didChange", lsp_file_extensions: ["polar"] },
  policy_stats: { total_rules: 2, polar_files: 1 },
  resource_block_stats: { resource_blocks: 0, roles: 0 },
};

describe("parseTelemetryEvent", () => {
  it("reads the server's payload: severities, codes, method, extensions and stats", () => {
    expect(parseTelemetryEvent(GOOD)).toEqual({
      ok: true,
      event: {
        diagnostics: [
          { severity: 1, code: "ParseError::UnrecognizedEOF" },
          { severity: 2, code: "ValidationWarning::MissingAllowRule" },
        ],
        lsp_event: { lsp_method: "textDocument/didChange", lsp_file_extensions: ["polar"] },
        policy_stats: { total_rules: 2, polar_files: 1 },
        resource_block_stats: { resource_blocks: 0, roles: 0 },
      },
    });
  });

  it("copies nothing but the declared fields: no message, range, URI or unknown property", () => {
    const parsed = parseTelemetryEvent({ ...GOOD, uri: "file:///home/alice/acme", sessionId: "s-123" });
    const text = JSON.stringify(parsed);
    for (const leak of ["alice", "no allow rule", "Polar Language Server", '"range"', '"uri"', "s-123"]) {
      expect(text).not.toContain(leak);
    }
  });

  it("refuses a payload that is not an object", () => {
    for (const value of [null, undefined, 3, "x", [GOOD]]) {
      expect(parseTelemetryEvent(value)).toEqual({ ok: false, reason: "payload is not an object" });
    }
  });

  it("refuses a payload whose method is missing or not one of the four", () => {
    for (const lsp_event of [undefined, null, [], {}, { lsp_method: "textDocument/didSave" }, { lsp_method: 1 }]) {
      expect(parseTelemetryEvent({ ...GOOD, lsp_event })).toEqual({
        ok: false,
        reason: "payload has no known lsp_event.lsp_method",
      });
    }
    for (const method of LSP_METHODS) {
      expect(parseTelemetryEvent({ ...GOOD, lsp_event: { lsp_method: method } }).ok).toBe(true);
    }
  });

  it("reads malformed parts tolerantly, each on its own", () => {
    const parsed = parseTelemetryEvent({
      diagnostics: [null, 7, { severity: "1", code: {} }, { severity: 3, code: 42 }, { code: "X" }],
      lsp_event: { lsp_method: "workspace/didDeleteFiles", lsp_file_extensions: ["polar", 5, null, "txt"] },
      policy_stats: { total_rules: "2", polar_files: Number.NaN, polar_chars: 10, rule_types: Infinity },
      resource_block_stats: [1, 2],
    });
    expect(parsed).toEqual({
      ok: true,
      event: {
        diagnostics: [{}, { severity: 3, code: 42 }, { code: "X" }],
        lsp_event: { lsp_method: "workspace/didDeleteFiles", lsp_file_extensions: ["polar", "txt"] },
        policy_stats: { polar_chars: 10 },
        resource_block_stats: {},
      },
    });
    expect(parseTelemetryEvent({ lsp_event: { lsp_method: "textDocument/didOpen" }, diagnostics: "x" })).toEqual({
      ok: true,
      event: {
        diagnostics: [],
        lsp_event: { lsp_method: "textDocument/didOpen", lsp_file_extensions: [] },
        policy_stats: {},
        resource_block_stats: {},
      },
    });
  });
});

describe("the protocol's declarations", () => {
  it("names LSP's telemetry notification and the four methods", () => {
    expect(TELEMETRY_EVENT_METHOD).toBe("telemetry/event");
    expect(LSP_METHODS).toEqual([
      "textDocument/didOpen",
      "textDocument/didChange",
      "workspace/didChangeWatchedFiles",
      "workspace/didDeleteFiles",
    ]);
    expect(isLspMethod("textDocument/didOpen")).toBe(true);
    expect(isLspMethod("textDocument/didClose")).toBe(false);
    expect(isLspMethod(undefined)).toBe(false);
  });

  it("is the one declaration the schema and the package index re-export", () => {
    expect(schema.LSP_METHODS).toBe(LSP_METHODS);
    expect(telemetry.LSP_METHODS).toBe(LSP_METHODS);
    expect(telemetry.parseTelemetryEvent).toBe(parseTelemetryEvent);
  });
});
