/**
 * Robustness: the parser and the whole-policy analysis never throw, return well-formed results
 * (codes from the catalogue, ranges inside the text) in bounded time, on random bytes, random
 * Unicode, mutated generated policies, truncations and mutations of every corpus file, and on
 * pathological shapes (100k-deep nesting, 100k-long chains); and the analysis grows linearly with
 * the policy (a doubling test on generated RBAC policies).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES, type Diagnostic } from "../src/diagnostics.js";
import { parseFile } from "../src/parser.js";
import { Policy, type PolicyAnalysis } from "../src/policy.js";
import { applyMutations, corpusFiles, mutatedPolicy, mutations, polarFiles } from "./generators.js";

const SEED = 7031;
/**
 * Codes a result may carry: the engine's catalogue plus the parser's documented refusal of
 * nesting deeper than it supports (the engine itself crashes on such input).
 */
const ALLOWED_CODES: ReadonlySet<string> = new Set<string>([...DIAGNOSTIC_CODES, "ParseError::NestingTooDeep"]);
const CLASSES = ["User", "Repo", "Org"];

type Files = readonly { name: string; text: string }[];

/** Problems with one diagnostic, or null. */
function diagnosticProblem(d: Diagnostic, files: Files): string | null {
  if (!ALLOWED_CODES.has(d.code)) return `unknown code ${d.code}: ${d.message}`;
  if (d.severity !== "error" && d.severity !== "warning") return `bad severity ${String(d.severity)}`;
  if (typeof d.message !== "string" || d.message.length === 0) return `empty message for ${d.code}`;
  if (d.context === null) return null;
  const file = files.find((f) => f.name === d.context?.file.name);
  if (file === undefined) return `${d.code} points into unknown file ${d.context.file.name}`;
  const { start, end } = d.context;
  // The end may lie past the text: like the engine, an UnrecognizedToken span covers the token's
  // *printed* text (`1e21` is reported as '1000000000000000000000'). Published ranges are clamped.
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || start > file.text.length) {
    return `${d.code} has range ${start}..${end} outside 0..${file.text.length}`;
  }
  return null;
}

/**
 * Lengths of the lines of a text (LSP line breaks: \n, \r\n, \r), each including its line break:
 * an offset between the \r and the \n of a \r\n (the engine reports a raw newline in a string
 * there) is a position one past the visible end of its line.
 */
function lineLengths(text: string): number[] {
  return (text.match(/[^\r\n]*(?:\r\n|\r|\n|$)/gu) ?? [""]).map((l) => l.length);
}

/** Problems with a whole analysis (diagnostics, published ranges, statistics), or []. */
function analysisProblems(a: PolicyAnalysis, files: Files): string[] {
  const problems: string[] = [];
  for (const d of a.all) {
    const p = diagnosticProblem(d, files);
    if (p !== null) problems.push(p);
  }
  const lines = new Map(files.map((f) => [f.name, lineLengths(f.text)]));
  for (const d of a.diagnostics) {
    if (d.file === null) continue;
    const lengths = lines.get(d.file);
    if (lengths === undefined) {
      problems.push(`published on unknown file ${d.file}`);
      continue;
    }
    const { start, end } = d.range;
    for (const p of [start, end]) {
      const length = lengths[p.line];
      if (length === undefined || p.character < 0 || p.character > length) {
        problems.push(`published position ${JSON.stringify(p)} outside the text`);
      }
    }
    if (start.line > end.line || (start.line === end.line && start.character > end.character)) {
      problems.push(`published range ${JSON.stringify(d.range)} is reversed`);
    }
  }
  for (const group of [a.stats.policy_stats, a.stats.resource_block_stats]) {
    for (const [k, v] of Object.entries(group)) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) problems.push(`stat ${k} = ${String(v)}`);
    }
  }
  return problems;
}

/**
 * Parses each file and analyses the policy in both views; returns the problems (a throw is one).
 * Nothing here is timed: a hang fails the test by its timeout, and speed is measured by
 * `npm run bench:analyzer`, which prints the figures at growing sizes (tests hold no timings).
 */
function exercise(files: Files): { problems: string[] } {
  const problems: string[] = [];
  try {
    for (const f of files) {
      const r = parseFile(f);
      if (!r.ok) {
        const p = diagnosticProblem(r.error, files);
        if (p !== null) problems.push(`parseFile: ${p}`);
      }
    }
    const policy = new Policy();
    for (const f of files) policy.set(f.name, f.text);
    problems.push(...analysisProblems(policy.analyze(), files));
    problems.push(...analysisProblems(policy.analyze({ environment: { classes: CLASSES } }), files));
  } catch (e) {
    problems.push(`threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`.slice(0, 600));
  }
  return { problems };
}

/** Asserts robustness on one input; the message names the input so a failure is reproducible. */
function expectRobust(files: Files): void {
  const { problems } = exercise(files);
  expect(problems, JSON.stringify(files).slice(0, 400)).toEqual([]);
}

const one = (text: string): Files => [{ name: "policy.polar", text }];

describe("robustness: arbitrary input", () => {
  it("random bytes, decoded as UTF-8 and as Latin-1", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        expectRobust(one(new TextDecoder().decode(bytes)));
        expectRobust(one(String.fromCharCode(...bytes)));
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it("random Unicode, lone surrogates included", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ unit: "grapheme", maxLength: 300 }),
        (a, b) => {
          expectRobust(one(a));
          expectRobust(one(b));
        },
      ),
      { seed: SEED + 1, numRuns: 1500 },
    );
  });

  it("mutated generated policies and multi-file policies", () => {
    fc.assert(
      fc.property(mutatedPolicy, polarFiles, (text, files) => {
        expectRobust(one(text));
        expectRobust(files);
      }),
      { seed: SEED + 2, numRuns: 1500 },
    );
  });
});

describe("robustness: corpus files", () => {
  const corpus = corpusFiles();

  it("has a corpus", () => {
    expect(corpus.length).toBeGreaterThan(100);
  });

  it("every truncation point (sampled) and mutations of every corpus file", () => {
    const failures: string[] = [];
    for (const f of corpus) {
      const texts: string[] = [f.text];
      // About 40 truncation points per file, always including every offset of short files.
      const step = Math.max(1, Math.floor(f.text.length / 40));
      for (let i = 0; i < f.text.length; i += step) texts.push(f.text.slice(0, i));
      for (const ms of fc.sample(mutations, { seed: SEED + f.text.length, numRuns: 8 }))
        texts.push(applyMutations(f.text, ms));
      for (const text of texts) {
        const { problems } = exercise(one(text));
        if (problems.length > 0)
          failures.push(`${f.case}/${f.name} ${JSON.stringify(text).slice(0, 200)}: ${problems.join("; ")}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

const N = 100_000;
const repeat = (s: string, n: number, sep: string): string => Array.from({ length: n }, () => s).join(sep);

/** Pathological shapes: [name, text]. Deep nesting must be refused or parsed, never crash. */
const PATHOLOGICAL: [string, string][] = [
  ["100k nested parentheses", `allow(x, y, z) if ${"(".repeat(N)}x = y${")".repeat(N)} and z = 1;`],
  ["100k unclosed parentheses", "(".repeat(N)],
  ["100k nested lists", `allow(x, y, z) if x = ${"[".repeat(N)}${"]".repeat(N)} and y = z;`],
  ["100k nested dicts", `allow(x, y, z) if x = ${"{a: ".repeat(N)}1${"}".repeat(N)} and y = z;`],
  ["100k nested new", `allow(x, y, z) if x = ${"new Foo(".repeat(N)}${")".repeat(N)} and y = z;`],
  ["100k nested calls", `allow(x, y, z) if ${"f(".repeat(N)}x${")".repeat(N)} and y = z;`],
  ["100k-long and chain", `allow(x, y, z) if ${repeat("x = y", N, " and ")} and z = 1;`],
  ["100k-long or chain", `allow(x, y, z) if ${repeat("x = y", N, " or ")} and z = 1;`],
  ["100k-long mixed and/or chain", `allow(x, y, z) if ${repeat("x = y and z = 1", N / 2, " or ")};`],
  ["100k-long + chain", `allow(x, y, z) if x = ${repeat("y", N, " + ")} and z = 1;`],
  ["100k-long dot chain", `allow(x, y, z) if x = y${".a".repeat(N)} and z = 1;`],
  ["100k-long method chain", `allow(x, y, z) if x = y${".m(z)".repeat(N)} and z = 1;`],
  ["100k-element list", `allow(x, y, z) if x = [${repeat("y", N, ", ")}] and z = 1;`],
  ["100k arguments", `allow(x, y, z) if f(${repeat("y", N, ", ")}) and x = z;`],
  ["100k unify chain", `allow(x, y, z) if ${repeat("x", N, " = ")} and y = z;`],
  ["100k not", `allow(x, y, z) if ${"not ".repeat(N)}x = y and z = 1;`],
  ["10k rules", Array.from({ length: N / 10 }, (_, i) => `f${i}(x) if g(x, ${i});`).join("\n")],
  ["unterminated 100k string", `"${"a".repeat(N)}`],
  ["100k-character comment", "#".repeat(N)],
];

describe("robustness: pathological shapes", () => {
  it.each(PATHOLOGICAL)("%s", (_name, text) => {
    expectRobust(one(text));
  });
});
