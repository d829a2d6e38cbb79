import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAX_BATCH_EVENTS, describeSensitive, validateBatch, validateEvent } from "../src/index.js";

const EXAMPLE = JSON.parse(
  readFileSync(new URL("../../../examples/telemetry/diagnostic_load.json", import.meta.url), "utf8"),
) as { event: string; properties: Record<string, unknown> };

function withProps(change: Record<string, unknown>, remove: string[] = []): unknown {
  const properties: Record<string, unknown> = { ...EXAMPLE.properties, ...change };
  for (const r of remove) delete properties[r];
  return { event: EXAMPLE.event, properties };
}

describe("validateEvent", () => {
  it("accepts the shipped example", () => {
    const r = validateEvent(EXAMPLE);
    expect(r.ok).toBe(true);
  });

  it("fills absent code and LSP counters with 0", () => {
    const r = validateEvent(
      withProps({ diagnostic_count: 0, error_count: 0, warning_count: 0 }, [
        "ParseError_UnrecognizedEOF_count",
        "ValidationError_InvalidRuleType_count",
        "ValidationWarning_MissingHasPermissionRule_count",
        "LSP_method_workspace_didDeleteFiles_count",
      ]),
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.event.properties["ParseError_UnrecognizedEOF_count"]).toBe(0);
      expect(r.event.properties["LSP_method_workspace_didDeleteFiles_count"]).toBe(0);
    }
  });

  it.each<[string, unknown, string, RegExp]>([
    ["unknown property", withProps({ favourite_colour: "blue" }), "favourite_colour", /unknown property/],
    ["time", withProps({ time: 1730000000 }), "time", /timestamps are never collected/],
    ["$time", withProps({ $time: 1730000000 }), "$time", /timestamps are never collected/],
    ["ip", withProps({ ip: "10.0.0.1" }), "ip", /IP addresses/],
    ["wrong type", withProps({ total_rules: "14" }), "total_rules", /must be an integer, got string/],
    ["negative", withProps({ roles: -1 }), "roles", /between 0 and/],
    ["fraction", withProps({ roles: 1.5 }), "roles", /must be an integer/],
    ["too large", withProps({ polar_files: 1e12 }), "polar_files", /between 0 and/],
    ["non-hex id", withProps({ distinct_id: "Z".repeat(64) }), "distinct_id", /invalid format/],
    [
      "base64 id",
      withProps({ distinct_id: "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=" }),
      "distinct_id",
      /invalid format/,
    ],
    ["path", withProps({ remotename: "/home/alice/project" }), "remotename", /looks like a path/],
    ["windows path", withProps({ product: "C:\\Users\\alice" }), "product", /looks like a path/],
    ["uri", withProps({ workspace_folder: "file:///home/alice/policy" }), "workspace_folder", /looks like a URI/],
    ["e-mail", withProps({ extname: "alice@example.com" }), "extname", /looks like an e-mail/],
    [
      "timestamp string",
      withProps({ platformversion: "2024-05-01T10:00" }),
      "platformversion",
      /looks like a timestamp/,
    ],
    ["extension path", withProps({ LSP_file_extensions: ["/etc/passwd"] }), "LSP_file_extensions", /looks like a path/],
    ["repeated extension", withProps({ LSP_file_extensions: ["polar", "polar"] }), "LSP_file_extensions", /repeated/],
    ["missing", withProps({}, ["workspace_folder"]), "workspace_folder", /missing/],
    ["bad boolean", withProps({ isnewappinstall: "false" }), "isnewappinstall", /boolean/],
    ["schema version", withProps({ schema_version: 2 }), "schema_version", /between 1 and 1/],
    ["inconsistent counts", withProps({ diagnostic_count: 8 }), "diagnostic_count", /must equal diagnostic_count/],
    ["inconsistent loads", withProps({ load_success_count: 10 }), "load_success_count", /add up/],
  ])("rejects %s", (_name, event, property, message) => {
    const r = validateEvent(event);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.property).toBe(property);
      expect(r.message).toMatch(message);
    }
  });

  it("rejects other event names and shapes", () => {
    expect(validateEvent({ ...EXAMPLE, event: "other" }).ok).toBe(false);
    expect(validateEvent(null).ok).toBe(false);
    expect(validateEvent({ event: "diagnostic_load", properties: [] }).ok).toBe(false);
    expect(validateEvent({ ...EXAMPLE, extra: 1 }).ok).toBe(false);
  });
});

describe("describeSensitive", () => {
  it.each([
    ["linux", null],
    ["1.100.3", null],
    ["ssh-remote", null],
    ["/tmp/x", "a path"],
    ["https://example.com", "a URI"],
    ["bob@example.org", "an e-mail address"],
    ["1730000000000", "a timestamp"],
    ["192.168.1.1", "an IP address"],
  ])("%s → %s", (value, expected) => {
    expect(describeSensitive(value)).toBe(expected);
  });
});

describe("validateBatch", () => {
  it("names the index of the first invalid event", () => {
    const r = validateBatch([EXAMPLE, EXAMPLE, withProps({ time: 1 })]);
    expect(r).toMatchObject({ ok: false, index: 2, property: "time" });
    if (!r.ok) expect(r.message).toMatch(/^event 2: /);
  });

  it("accepts a single object and arrays up to the limit", () => {
    expect(validateBatch(EXAMPLE).ok).toBe(true);
    expect(validateBatch(new Array(MAX_BATCH_EVENTS).fill(EXAMPLE)).ok).toBe(true);
    expect(validateBatch(new Array(MAX_BATCH_EVENTS + 1).fill(EXAMPLE)).ok).toBe(false);
    expect(validateBatch([]).ok).toBe(false);
  });
});
