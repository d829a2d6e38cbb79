/**
 * `src/walk.ts` declares the engine's visiting order once (`visitChildrenReversed`): an
 * explicit-stack walk through `pushChildrenReversed` visits every term of a rule in the order of
 * the recursive walk of `engine-order.ts`, on hand-written rules (keyword arguments and fields out
 * of key order, keys past U+FFFF), the conformance corpus, an RBAC policy and random policies.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import type { Rule, Term } from "../src/ast.js";
import { parseFile } from "../src/parser.js";
import { pushChildrenReversed, ruleTermStack } from "../src/walk.js";
import { engineOrder } from "./engine-order.js";
import { corpusFiles, polarPolicy } from "./generators.js";

function rulesOf(text: string): Rule[] {
  const parsed = parseFile({ name: "p.polar", text });
  if (!parsed.ok) return [];
  return parsed.value.flatMap((line) => (line.kind === "rule" || line.kind === "ruleType" ? [line.rule] : []));
}

function stackOrder(rule: Rule): Term[] {
  const out: Term[] = [];
  const stack = ruleTermStack(rule);
  for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
    out.push(t);
    pushChildrenReversed(stack, t.value);
  }
  return out;
}

/** Whether some map of `rule` has keys whose order differs from code point order (the case that must sort). */
function hasUnsortedMap(rule: Rule): boolean {
  const terms = engineOrder(rule).map((visit) => visit.term);
  return terms.some((t) => {
    const v = t.value;
    const fields =
      v.type === "Call"
        ? v.kwargs
        : v.type === "Dictionary" || v.type === "DictionaryPattern" || v.type === "InstancePattern"
          ? v.fields
          : null;
    if (fields === null || fields.size < 2) return false;
    const keys = [...fields.keys()];
    return keys.some((k, i) => i > 0 && Buffer.compare(Buffer.from(keys[i - 1] as string), Buffer.from(k)) > 0);
  });
}

describe("the engine's visiting order (walk.ts)", () => {
  it("an explicit-stack walk visits the terms of a rule in the engine's pre-order", () => {
    let rules = 0;
    let unsorted = 0;
    const check = (rule: Rule): void => {
      rules++;
      if (hasUnsortedMap(rule)) unsorted++;
      const expected = engineOrder(rule).map((visit) => visit.term);
      const got = stackOrder(rule);
      expect(got.length).toBe(expected.length);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBe(expected[i]);
    };
    const cases = [
      "f(x, y: Foo{b: 1, a: _}, {d: 1, c: [_, 2]}) if g(x, {c: x, a: _}, _) and y matches Foo{a: 1, b: _};",
      "f(x) if g(x, y: 1, a: _, m: [3, {q: 1, p: 2}]) and x = {d: 1, c: [2], b: 3} and h(x);",
      // Code point order puts U+FB01 before U+1D465; UTF-16 code units put it after.
      "f(x) if x = {\u{1D465}: 1, \uFB01: 2, \u00E9: 3, b: [4, {z: 5, y: 6}]};",
      "f(x) if x.m(1, 2).n(3) and new Foo(a: 1, b: 2) = x and forall(y in x, g(y));",
    ];
    for (const text of cases) {
      const parsed = rulesOf(text);
      expect(parsed.length, text).toBe(1);
      for (const rule of parsed) check(rule);
    }
    const texts = [...corpusFiles().map((f) => f.text), generateRbacPolicy(200, 1).files[0]?.text ?? ""];
    for (const text of texts) for (const rule of rulesOf(text)) check(rule);
    fc.assert(
      fc.property(polarPolicy, (text) => {
        for (const rule of rulesOf(text)) check(rule);
      }),
      { numRuns: 200 },
    );
    expect(rules).toBeGreaterThan(300);
    expect(unsorted).toBeGreaterThan(3);
  });
});
