/**
 * docs/telemetry.md and telemetry.json are generated from the schema: these tests fail when either
 * is stale (regenerate with `npm run docs -w @polar-ide/vscode-extension`), and when a row's link
 * cannot point at the line computing its value.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as schema from "@polar-ide/telemetry";
import * as client from "@polar-ide/telemetry/client";
// @ts-expect-error -- plain ESM script without type declarations
import { DOC_PATH, renderFormattedTelemetryDocs, sampleEvent, TELEMETRY_JSON_PATH } from "../scripts/telemetry-doc.mjs";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const read = (p: string): string => readFileSync(REPO + p, "utf8");

interface Rendered {
  markdown: string;
  telemetryJson: string;
  unresolved: string[];
}

const sentNames = Object.keys((sampleEvent(client) as { properties: object }).properties);
const rendered = (await renderFormattedTelemetryDocs(schema, sentNames, REPO)) as Rendered;
// `UPDATE_GOLDEN=1` regenerates both files from the sources (same output as `npm run docs`).
if (process.env.UPDATE_GOLDEN === "1" && rendered.unresolved.length === 0) {
  writeFileSync(REPO + DOC_PATH, rendered.markdown);
  writeFileSync(REPO + TELEMETRY_JSON_PATH, rendered.telemetryJson);
}

describe("generated telemetry docs", () => {
  it("finds the line computing every value", () => {
    expect(rendered.unresolved).toEqual([]);
  });

  it(`${DOC_PATH} is up to date`, () => {
    expect(read(DOC_PATH)).toBe(rendered.markdown);
  });

  it(`${TELEMETRY_JSON_PATH} is up to date`, () => {
    expect(read(TELEMETRY_JSON_PATH)).toBe(rendered.telemetryJson);
  });

  it("has a row for every property the client sends, and only those", () => {
    const codes = new Set(schema.DIAGNOSTIC_CODES.map((c) => schema.codeProperty(c)));
    for (const name of sentNames) {
      if (codes.has(name)) continue;
      expect(rendered.markdown, name).toContain(`| \`${name}\`: `);
    }
    expect(rendered.markdown).toContain("`<code>_count`");
    expect(Object.keys(JSON.parse(rendered.telemetryJson).events["polar-ide/diagnostic_load"])).toEqual([
      "owner",
      "comment",
      ...schema.PROPERTIES.map((p) => p.name).filter((n) => sentNames.includes(n)),
    ]);
  });

  it("links point at lines that exist and mention the value", () => {
    const links = [...rendered.markdown.matchAll(/\]\(\.\.\/([^#)]+)#L(\d+)\)/g)];
    expect(links.length).toBeGreaterThan(20);
    for (const [, file, line] of links) {
      const text = read(file!).split("\n")[Number(line) - 1];
      expect(text, `${file}#L${line}`).toBeDefined();
      expect(text!.trim(), `${file}#L${line}`).not.toBe("");
    }
  });

  it("states what is never collected", () => {
    for (const word of ["file paths", "URIs", "user names", "host names", "session id", "timestamps", "IP address"]) {
      expect(rendered.markdown).toContain(word);
    }
    for (const name of schema.FORBIDDEN_PROPERTIES.keys()) expect(rendered.markdown).toContain(`\`${name}\``);
  });
});
