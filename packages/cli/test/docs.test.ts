/**
 * The help text and the READMEs describe what the binary does: every option, every JSON field it
 * prints, every stage and skipped check, every exit status and what it does not do.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { USAGE } from "../src/options.js";
import { checksNotRun, type JsonErrorDocument, type JsonReport } from "../src/report.js";
import { ALLOW, cli, CLI_ROOT, REPO_ROOT, useTempDir } from "./helpers.js";

const { tree } = useTempDir();

const README = readFileSync(join(CLI_ROOT, "README.md"), "utf8");
const ROOT_README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
/** The root README's polar-check section. */
const ROOT_SECTION = ROOT_README.slice(ROOT_README.indexOf("## polar-check"), ROOT_README.indexOf("## Layout"));

/** A report with every kind of entry: a diagnostic, a context-less diagnostic and a note. */
function fullReport(): JsonReport {
  const root = tree({ "p.polar": "f(x) if g(x);\n?= f(1);\n" });
  return JSON.parse(cli("--format", "json", "--classes", "User", root).stdout) as JsonReport;
}

function errorDocument(): JsonErrorDocument {
  return JSON.parse(cli("--format", "json", "/nonexistent/x.polar").stdout) as JsonErrorDocument;
}

describe("documentation", () => {
  it("every option is in --help and in the README", () => {
    for (const option of ["--format", "--stats", "--classes", "--mro", "--help", "-h"]) {
      expect(USAGE).toContain(option);
      expect(README).toContain(`\`${option}`);
    }
  });

  it("every JSON field printed is documented in the README and named in --help", () => {
    const report = fullReport();
    const [diagnostic] = report.diagnostics;
    const [note] = report.notes;
    expect(diagnostic).toBeDefined();
    expect(note).toBeDefined();
    const fields = [
      ...Object.keys(report),
      ...Object.keys(diagnostic ?? {}).map((k) => `diagnostics[].${k}`),
      ...Object.keys(report.load).map((k) => `load.${k}`),
      ...Object.keys(report.stats),
    ];
    for (const field of fields) expect(README, field).toContain(`\`${field}\``);
    // A note has exactly the fields of a diagnostic.
    expect(Object.keys(note ?? {})).toEqual(Object.keys(diagnostic ?? {}));
    for (const key of Object.keys(report)) expect(USAGE).toContain(`"${key}"`);

    const error = errorDocument();
    for (const key of [...Object.keys(error), ...Object.keys(error.error)]) {
      expect(README, key).toContain(`"${key}"`);
      expect(USAGE, key).toContain(`"${key}"`);
    }
  });

  it("every stage and every check that can be skipped is documented", () => {
    for (const stage of ["complete", "stopped-after-files", "stopped-after-shorthand"] as const) {
      expect(README).toContain(`"${stage}"`);
      expect(USAGE).toContain(`"${stage}"`);
      for (const check of checksNotRun(stage)) expect(README).toContain(`\`${check.id}\``);
    }
  });

  it("the README's examples of output are what the binary prints", () => {
    const root = tree({ "p.polar": "f(" });
    const stopNotice = cli(root).stdout.split("\n")[1] ?? "";
    expect(stopNotice).toMatch(/^loading stopped/);
    expect(README).toContain(stopNotice);
    const usage = cli("--frobnicate", "x").stderr.trimEnd().split("\n");
    expect(usage).toHaveLength(2);
    for (const line of usage) expect(README).toContain(`  ${line}\n`);
    expect(README).toContain(`"message": "no such file or directory: policy/missing.polar"`);
    expect(cli("policy/missing.polar").stderr).toBe("polar-check: no such file or directory: policy/missing.polar\n");
  });

  it("both say what polar-check does not do", () => {
    for (const text of [USAGE, README]) {
      expect(text).toMatch(/never runs inline queries/);
      expect(text).toContain("?= 1 = 2;");
      expect(text).toContain("InlineQueryNotRun");
      expect(text).toMatch(/does not know your application/);
    }
  });

  it("exit statuses 0, 1 and 2 are documented", () => {
    for (const status of ["0", "1", "2"]) expect(README).toMatch(new RegExp(`^\\| ${status} +\\|`, "m"));
    expect(cli(tree({ "p.polar": ALLOW })).status).toBe(0);
  });

  it("the root README's polar-check section matches", () => {
    expect(ROOT_SECTION).toContain('`{"files", "diagnostics", "stats", "notes", "load"}`');
    expect(Object.keys(fullReport())).toEqual(["files", "diagnostics", "stats", "notes", "load"]);
    expect(ROOT_SECTION).toContain("packages/cli/README.md");
    expect(ROOT_SECTION).toMatch(/never runs inline queries/);
    for (const option of ["--format", "--stats", "--classes", "--mro"]) expect(ROOT_SECTION).toContain(option);
  });
});
