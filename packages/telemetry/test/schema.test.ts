import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES as ANALYZER_CODES } from "@polar-ide/analyzer";
import {
  CODE_PROPERTIES,
  DIAGNOSTIC_CODES,
  LSP_METHODS,
  PROPERTIES,
  PROPERTY_BY_NAME,
  codeProperty,
  lspMethodProperty,
  propertySafe,
} from "../src/index.js";

const EXAMPLE = JSON.parse(
  readFileSync(new URL("../../../examples/telemetry/diagnostic_load.json", import.meta.url), "utf8"),
) as { event: string; properties: Record<string, unknown> };

describe("schema", () => {
  it("uses the analyzer's own list of diagnostic codes as its allow-list, not a copy", () => {
    expect(DIAGNOSTIC_CODES).toBe(ANALYZER_CODES);
  });

  it.each([
    ["ParseError::UnrecognizedEOF", "ParseError_UnrecognizedEOF"],
    ["ValidationWarning::MissingAllowRule", "ValidationWarning_MissingAllowRule"],
    ["textDocument/didOpen", "textDocument_didOpen"],
    ["workspace/didChangeWatchedFiles", "workspace_didChangeWatchedFiles"],
  ])("turns %s into the property-name part %s", (input, expected) => {
    expect(propertySafe(input)).toBe(expected);
  });

  it("names code and LSP counters as docs/architecture.md §3 does", () => {
    expect(codeProperty("ParseError::UnrecognizedEOF")).toBe("ParseError_UnrecognizedEOF_count");
    expect(lspMethodProperty("textDocument/didChange")).toBe("LSP_method_textDocument_didChange_count");
  });

  it("maps codes to distinct property names that map back to the code", () => {
    const names = [...CODE_PROPERTIES.values()];
    expect(new Set(names).size).toBe(DIAGNOSTIC_CODES.length);
    for (const code of DIAGNOSTIC_CODES) {
      const name = CODE_PROPERTIES.get(code)!;
      expect(name.replace(/_count$/, "").replace("_", "::")).toBe(code);
    }
  });

  it("has unique property names with a kind, data and purpose each", () => {
    expect(PROPERTY_BY_NAME.size).toBe(PROPERTIES.length);
    for (const p of PROPERTIES) {
      expect(p.data.length, p.name).toBeGreaterThan(5);
      expect(p.purpose.length, p.name).toBeGreaterThan(5);
      expect(["identifier", "counter", "gauge", "environment", "protocol"]).toContain(p.kind);
    }
  });

  it("defines every property docs/architecture.md §3 names", () => {
    const names = [
      "distinct_id",
      "workspace_folder",
      "diagnostic_count",
      "error_count",
      "warning_count",
      "load_success_count",
      "load_failure_count",
      "unknown_diagnostic_count",
      "total_rules",
      "inline_queries",
      "longhand_rules",
      "polar_chars",
      "polar_files",
      "rule_types",
      "resource_blocks",
      "actors",
      "resources",
      "declarations",
      "roles",
      "permissions",
      "relations",
      "shorthand_rules",
      "cross_resource_shorthand_rules",
      "LSP_file_extensions",
      "$insert_id",
      "schema_version",
      "token",
      ...LSP_METHODS.map(lspMethodProperty),
      ...DIAGNOSTIC_CODES.map(codeProperty),
    ];
    for (const n of names) expect(PROPERTY_BY_NAME.has(n), n).toBe(true);
  });

  it("ships an example event that holds every property", () => {
    expect(EXAMPLE.event).toBe("diagnostic_load");
    expect(Object.keys(EXAMPLE.properties).sort()).toEqual(
      PROPERTIES.filter((p) => p.required || p.kind === "counter")
        .map((p) => p.name)
        .sort(),
    );
  });
});
