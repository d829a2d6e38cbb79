/**
 * Rules rewritten on demand (issue 13): `rewriteAt` counts the gensym numbers a rewrite takes
 * without building it, and a `RewrittenRule` builds the rewritten terms when first read. Whatever
 * is read must equal the rewrite done at once with the counter at the same place: the numbers
 * taken, the rule as Polar text, the parameters a rule-type check reads. And a clean load never
 * builds one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import type { Rule } from "../src/ast.js";
import { diagnosticLoad } from "../src/load.js";
import { parseFile } from "../src/parser.js";
import { ruleToPolar } from "../src/printer.js";
import { rewriteAt, RewrittenRule } from "../src/rewrite.js";
import { corpusFiles, polarPolicy } from "./generators.js";

/** The rules and rule types of `text` (none when it does not parse). */
function rulesOf(text: string): Rule[] {
  const parsed = parseFile({ name: "p.polar", text });
  if (!parsed.ok) return [];
  return parsed.value.flatMap((line) => (line.kind === "rule" || line.kind === "ruleType" ? [line.rule] : []));
}

/** Compares the on-demand rewrite of `rule` with the one done at once; returns whether it was on demand. */
function compare(rule: Rule, base: number): boolean {
  const now = rewriteAt(rule, base, false);
  const lazy = rewriteAt(rule, base);
  expect(lazy.used).toBe(now.used);
  expect(lazy.base).toBe(base);
  if (!(lazy.rule instanceof RewrittenRule)) {
    // Not on demand: the rule as parsed when the rewrite changes nothing, else rewritten at once.
    expect(ruleToPolar(lazy.rule)).toBe(ruleToPolar(now.rule));
    if (lazy.used === 0) expect(lazy.rule).toBe(rule);
    return false;
  }
  expect(lazy.rule.parsed).toBe(rule);
  // The parameters a check reads, before anything is built: the rewritten ones' values.
  const values = (r: readonly { parameter: { value: unknown }; specializer: { value: unknown } | null }[]): unknown =>
    r.map((p) => [p.parameter.value, p.specializer?.value ?? null]);
  expect(values(lazy.rule.paramsForCheck())).toEqual(values(now.rule.params));
  expect(lazy.rule.name).toBe(now.rule.name);
  expect(lazy.rule.source).toBe(now.rule.source);
  expect(ruleToPolar(lazy.rule)).toBe(ruleToPolar(now.rule));
  return true;
}

describe("rules rewritten on demand", () => {
  it("take the numbers and give the rule the rewrite at once gives, on corpus, RBAC and random rules", () => {
    let lazy = 0;
    let compared = 0;
    const texts = [
      ...corpusFiles().map((f) => f.text),
      generateRbacPolicy(200, 1).files[0]?.text ?? "",
      // Deeply nested arithmetic: rewritten at once (the recursive rewriter may overflow).
      `f(x) if x = ${Array.from({ length: 300 }, () => "x.a").join(" + ")};`,
      "f(_, x.y) if g(x.z, _);",
    ];
    for (const text of texts) {
      for (const rule of rulesOf(text)) {
        if (compare(rule, 1 + (compared % 7))) lazy++;
        compared++;
      }
    }
    fc.assert(
      fc.property(polarPolicy, fc.integer({ min: 1, max: 1000 }), (text, base) => {
        for (const rule of rulesOf(text)) {
          if (compare(rule, base)) lazy++;
          compared++;
        }
      }),
      { numRuns: 300 },
    );
    expect(compared).toBeGreaterThan(500);
    // Both kinds were met: rewritten on demand and not.
    expect(lazy).toBeGreaterThan(100);
    expect(lazy).toBeLessThan(compared);
  });

  it("are never built by a clean load", () => {
    const policy = generateRbacPolicy(2000, 3);
    const load = diagnosticLoad(
      policy.files.map((f) => ({ name: f.name, text: f.text })),
      { environment: { classes: policy.classes } },
    );
    expect(load.diagnostics).toEqual([]);
    const rewritten = [...load.rules.values()].flat().filter((r) => r instanceof RewrittenRule);
    expect(rewritten.length).toBeGreaterThan(100);
    expect(rewritten.filter((r) => r.built)).toEqual([]);
    // Reading one builds it.
    const first = rewritten[0] as RewrittenRule;
    expect(ruleToPolar(first)).toContain("_value_");
    expect(first.built).toBe(true);
  });
});
