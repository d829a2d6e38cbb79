/**
 * The formatter on every real policy we have: the conformance corpus (each case's files loaded
 * together), the repository's examples and Oso's own policies (conformance/oso-policies). Each
 * must come out idempotent, with the same diagnostic codes and statistics and every comment.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT, corpusFiles } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import { parseFile } from "../src/parser.js";
import { formatPolar } from "../src/format/index.js";
import { checkFormatted, type PolicyFile } from "./format-support.js";

function polarFilesUnder(dir: string): PolicyFile[] {
  const out: PolicyFile[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".polar")) out.push({ name: relative(REPO_ROOT, p), text: readFileSync(p, "utf8") });
    }
  };
  walk(dir);
  return out;
}

describe("formatter on the conformance corpus", () => {
  const byCase = new Map<string, PolicyFile[]>();
  for (const f of corpusFiles()) {
    const files = byCase.get(f.case) ?? [];
    files.push({ name: `${f.case}/${f.name}`, text: f.text });
    byCase.set(f.case, files);
  }

  it("has cases", () => {
    expect(byCase.size).toBeGreaterThan(100);
  });

  it.each([...byCase.keys()])("%s", (name) => {
    checkFormatted(byCase.get(name) ?? []);
  });
});

describe("formatter on real policies", () => {
  const oso = polarFilesUnder(join(REPO_ROOT, "conformance", "oso-policies"));
  const examples = polarFilesUnder(join(REPO_ROOT, "examples"));

  it("finds Oso's policies and the examples", () => {
    expect(oso.length).toBeGreaterThan(50);
    expect(examples.length).toBeGreaterThan(1);
  });

  it.each([...oso, ...examples].map((f) => [f.name, f] as const))("%s", (_name, file) => {
    checkFormatted([file]);
  });

  it("formats every one of them that parses", () => {
    const parsing = [...oso, ...examples].filter((f) => parseFile(f).ok);
    expect(parsing.length).toBeGreaterThan(50);
    for (const f of parsing) expect(formatPolar(f.text), f.name).not.toBeNull();
  });

  it("leaves the examples formatted (polar-format --check examples passes in CI)", () => {
    for (const f of examples) expect(formatPolar(f.text)?.text, f.name).toBe(f.text);
  });
});
