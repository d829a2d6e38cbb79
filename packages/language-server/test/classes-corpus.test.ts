/**
 * The server with a polar.json agrees with `polar-check --classes`: on every corpus case whose
 * engine-view expectations hold UnregisteredClass, UnknownSpecializer or SingletonVariable, the
 * case's files and a polar.json listing the case's registered classes (and MRO) are written to a
 * folder; the built polar-check reads the folder with `--classes`/`--mro`, and the server (through
 * the LSP connection, the folder as its root) publishes for every file exactly the diagnostics
 * polar-check reports for it (code, severity, message, range), in the same order.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "vscode-languageserver";
import { caseNames, casePolarFiles, readCaseFile, readCaseJson, REPO_ROOT } from "@polar-ide/testing";
import { parseClassesSetting } from "../src/project-config.js";
import { inProcess } from "./helpers.js";

const ENGINE_ONLY = ["UnregisteredClass", "UnknownSpecializer", "SingletonVariable"];
const CLI = join(REPO_ROOT, "packages/cli/dist/main.js");

interface Expected {
  diagnostics: { code: string }[];
  environment: { builtins: boolean; classes: string[]; mro: Record<string, string[]> };
}
interface CaseOptions {
  load?: unknown;
}
interface CliDiagnostic {
  file: string | null;
  code: string;
  severity: "error" | "warning";
  message: string;
  range: Diagnostic["range"];
}

/** The corpus cases in scope, and why the others are left out. */
function selectCases(): { name: string; classes: Record<string, { bases?: string[] }> }[] {
  const out: { name: string; classes: Record<string, { bases?: string[] }> }[] = [];
  for (const name of caseNames()) {
    const expected = readCaseJson<Expected>(name, "expected.json");
    if (!expected.diagnostics.some((d) => ENGINE_ONLY.some((k) => d.code.endsWith(`::${k}`)))) continue;
    // polar.json cannot say "no built-ins", nor load a file under another name.
    if (!expected.environment.builtins || readCaseJson<CaseOptions>(name, "case.json").load !== undefined) continue;
    const classes: Record<string, { bases?: string[] }> = {};
    for (const c of expected.environment.classes) classes[c] = {};
    for (const [sub, bases] of Object.entries(expected.environment.mro)) classes[sub] = { bases };
    if (parseClassesSetting(classes)?.ok !== true) continue;
    // The server orders files by URI, polar-check by path: keep cases where both orders agree.
    const files = casePolarFiles(name);
    const uris = files.map((f) => pathToFileURL(join("/x", f)).href);
    if (JSON.stringify([...uris].sort()) !== JSON.stringify(uris)) continue;
    out.push({ name, classes });
  }
  return out;
}

const CASES = selectCases();
let dir = "";

beforeAll(() => {
  // polar-check is not a dependency of the server: build it for this comparison (incremental).
  execFileSync(process.execPath, [join(REPO_ROOT, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  dir = mkdtempSync(join(tmpdir(), "pls-classes-corpus-"));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the server with polar.json agrees with polar-check --classes", () => {
  it("covers the corpus's engine-view cases", () => {
    // 39 cases expect one of the three kinds; a few cannot be written as a polar.json.
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)("$name", async ({ name, classes }) => {
    const folder = mkdtempSync(join(dir, `${name}-`));
    const files = casePolarFiles(name);
    for (const f of files) writeFileSync(join(folder, f), readCaseFile(name, f));
    writeFileSync(join(folder, "polar.json"), JSON.stringify({ classes }));

    const mro = Object.entries(classes).flatMap(([sub, c]) => (c.bases ?? []).map((b) => `${sub}:${b}`));
    const args = [CLI, "--format", "json", `--classes=${Object.keys(classes).join(",")}`];
    if (mro.length > 0) args.push(`--mro=${mro.join(",")}`);
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, [...args, folder], { encoding: "utf8" });
    } catch (e) {
      stdout = (e as { stdout: string }).stdout; // exit status 1: errors were found
    }
    const report = JSON.parse(stdout) as { diagnostics: CliDiagnostic[] };

    const c = inProcess();
    try {
      const root = pathToFileURL(folder).href;
      await c.initialize({ existenceCheckIntervalMs: 0 }, {}, root);
      const uris = files.map((f) => pathToFileURL(join(folder, f)).href);
      for (const [i, f] of files.entries()) await c.open(uris[i] ?? "", readCaseFile(name, f));
      // One more (unchanged) didChange: its load comes after every didOpen, with all files.
      const last = files.at(-1) ?? "";
      await c.load(() => c.change(uris.at(-1) ?? "", readCaseFile(name, last), 2));

      const shape = (d: {
        code?: unknown;
        severity?: unknown;
        message: string;
        range: Diagnostic["range"];
      }): object => ({
        code: d.code,
        severity: d.severity,
        message: d.message,
        range: d.range,
      });
      let engineOnly = 0;
      for (const [i, f] of files.entries()) {
        const path = join(folder, f);
        const expected = report.diagnostics
          .filter((d) => d.file === path || d.file === null)
          .map((d) => shape({ ...d, severity: d.severity === "error" ? 1 : 2 }));
        const got = (c.latest(uris[i] ?? "")?.diagnostics ?? []).map(shape);
        expect(got, f).toEqual(expected);
        engineOnly += (c.latest(uris[i] ?? "")?.diagnostics ?? []).filter((d) =>
          ENGINE_ONLY.some((k) => String(d.code).endsWith(`::${k}`)),
        ).length;
      }
      // The engine view is on: the kinds the editor view drops are published.
      expect(engineOnly).toBeGreaterThan(0);
    } finally {
      c.dispose();
    }
  });
});
