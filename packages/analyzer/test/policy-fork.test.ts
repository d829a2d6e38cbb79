/**
 * `Policy.fork()`: a fork shares the original's parses and incremental loaders, yet each side
 * reports exactly what a fresh load of its own files reports, whichever side changes or analyses
 * first (the loaders' memos are moved back and forth between the two), and a change to one side
 * never shows on the other.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import { compareCodePoints } from "../src/code-points.js";
import { diagnosticLoad } from "../src/load.js";
import { parseFile } from "../src/parser.js";
import { Policy, publishDiagnostics } from "../src/policy.js";
import { corpusFiles, roughTokens } from "./generators.js";

const SEED = 20261202;
const RBAC = generateRbacPolicy(160, 4);

/** Corpus cases with several files (their files interact), as file lists. */
const CASES: { name: string; text: string }[][] = (() => {
  const byCase = new Map<string, { name: string; text: string }[]>();
  for (const f of corpusFiles()) {
    const list = byCase.get(f.case) ?? [];
    list.push({ name: f.name, text: f.text });
    byCase.set(f.case, list);
  }
  return [...byCase.values()];
})();

/** Words a rename or a typo puts in place of an identifier or a string's content. */
const WORDS = ["reader", "writer", "admin", "parent", "Repo", "Org", "User", "has_role", "x", "read"];

interface Step {
  /** Which side changes: the original or the fork. */
  readonly side: "original" | "fork";
  readonly file: number;
  readonly at: number;
  readonly word: string;
  /** Which side analyses first after the change. */
  readonly first: "original" | "fork";
}

const step: fc.Arbitrary<Step> = fc.record({
  side: fc.constantFrom("original" as const, "fork" as const),
  file: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  word: fc.constantFrom(...WORDS),
  first: fc.constantFrom("original" as const, "fork" as const),
});

/** Replaces one word-like token (an identifier, or the text of a string) of a file. */
function replaceWord(files: Map<string, string>, s: Step): void {
  const names = [...files.keys()].sort(compareCodePoints);
  const name = names[Math.floor(s.file * names.length)];
  if (name === undefined) return;
  const tokens = roughTokens(files.get(name) ?? "");
  const words = tokens.flatMap((t, i) => (/^"?[A-Za-z]/.test(t) ? [i] : []));
  const k = words[Math.floor(s.at * words.length)];
  if (k === undefined) return;
  tokens[k] = (tokens[k] ?? "").startsWith('"') ? `"${s.word}"` : s.word;
  files.set(name, tokens.join(""));
}

function expectFresh(policy: Policy, files: ReadonlyMap<string, string>, where: string): void {
  const sources = [...files.keys()].sort(compareCodePoints).map((name) => {
    const file = { name, text: files.get(name) ?? "" };
    return { file, parsed: parseFile(file) };
  });
  const expected = diagnosticLoad(sources);
  const actual = policy.analyze();
  expect(actual.all, where).toEqual(expected.diagnostics);
  expect(actual.diagnostics, where).toEqual(publishDiagnostics(expected.diagnostics, undefined));
  expect(actual.load.stage, where).toBe(expected.stage);
  expect(policy.names(), where).toEqual(sources.map((s) => s.file.name));
}

/** Forks a policy of `initial` after analysing it, then applies the steps to either side. */
function checkSteps(initial: readonly { name: string; text: string }[], steps: readonly Step[]): void {
  const texts = { original: new Map(initial.map((f) => [f.name, f.text])), fork: new Map<string, string>() };
  const original = new Policy();
  for (const [name, text] of texts.original) original.set(name, text);
  expectFresh(original, texts.original, "before the fork");
  const policies = { original, fork: original.fork() };
  texts.fork = new Map(texts.original);
  expectFresh(policies.fork, texts.fork, "the fresh fork");
  steps.forEach((s, i) => {
    replaceWord(texts[s.side], s);
    for (const [name, text] of texts[s.side]) policies[s.side].set(name, text);
    const second = s.first === "original" ? "fork" : "original";
    expectFresh(policies[s.first], texts[s.first], `step ${i}, ${s.first}`);
    expectFresh(policies[second], texts[second], `step ${i}, ${second}`);
  });
}

describe("Policy.fork", () => {
  it("starts with the original's files, analysis and statistics, sharing their parses", () => {
    const original = new Policy();
    for (const f of RBAC.files) original.set(f.name, f.text);
    const before = original.analyze();
    const fork = original.fork();
    expect(fork.names()).toEqual(original.names());
    for (const name of original.names()) expect(fork.parsed(name)).toBe(original.parsed(name));
    const forked = fork.analyze();
    expect(forked.diagnostics).toBe(before.diagnostics);
    expect(forked.stats).toEqual(before.stats);
  });

  it("keeps files, statistics and analysis apart once either side changes", () => {
    const original = new Policy();
    original.set(
      "a.polar",
      'actor User {}\nresource Repo {\n  roles = ["reader"];\n  permissions = ["read"];\n  "read" if "reader";\n}\nallow(actor, action, resource) if has_permission(actor, action, resource);\n',
    );
    const fork = original.fork();
    const before = original.analyze();
    expect(
      fork.set("a.polar", (original.get("a.polar") ?? "").replace('"read" if "reader"', '"read" if "writer"')),
    ).toBe(true);
    fork.set("b.polar", "f(x) if g(x);\n");
    const after = fork.analyze();
    expect(after.diagnostics.some((d) => d.message.includes("writer"))).toBe(true);
    expect(after.stats.policy_stats.polar_files).toBe(2);
    // The original is untouched: same files, same cached analysis, and a fresh analysis agrees.
    expect(original.names()).toEqual(["a.polar"]);
    expect(original.get("a.polar")).toContain('"read" if "reader"');
    expect(original.analyze()).toEqual(before);
    expect(original.analyze().stats.policy_stats.polar_files).toBe(1);
    expectFresh(
      original,
      new Map([["a.polar", original.get("a.polar") ?? ""]]),
      "the original after the fork's change",
    );
    fork.delete("b.polar");
    expect(original.has("b.polar")).toBe(false);
  });

  it("gives fresh-load results on both sides, however their changes and analyses interleave (RBAC)", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => checkSteps(RBAC.files, steps)),
      { seed: SEED, numRuns: 40 },
    );
  });

  it("gives fresh-load results on both sides, however their changes and analyses interleave (corpus)", () => {
    fc.assert(
      fc.property(fc.nat(CASES.length - 1), fc.array(step, { minLength: 1, maxLength: 6 }), (i, steps) =>
        checkSteps(CASES[i] ?? [], steps),
      ),
      { seed: SEED + 1, numRuns: 150 },
    );
  });
});
