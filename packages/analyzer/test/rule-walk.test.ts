/**
 * The loader's one walk per rule (issue 13) gives what the five walks it replaced give: singleton
 * variables and unknown specializers, ambiguous precedence, the gensym numbers of the rewrite
 * (body and parameters), the names called (not below `.`/`new`), whether `has_permission` is
 * called anywhere. On the conformance corpus, an RBAC policy, hand-written edge cases and random
 * policies.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import type { Rule } from "../src/ast.js";
import { parseFile } from "../src/parser.js";
import { rewriteCounts } from "../src/rewrite.js";
import { checkAmbiguousPrecedence } from "../src/validations/ambiguous-precedence.js";
import { ruleCallsHasPermission } from "../src/validations/missing-rules.js";
import { walkRule } from "../src/validations/rule-walk.js";
import { checkSingletons } from "../src/validations/singletons.js";
import { addCalledNames } from "../src/validations/undefined-rule-calls.js";
import { calledInOrder } from "./engine-order.js";
import { CLASS_NAMES, corpusFiles, polarPolicy } from "./generators.js";

function rulesOf(text: string): Rule[] {
  const parsed = parseFile({ name: "p.polar", text });
  if (!parsed.ok) return [];
  return parsed.value.flatMap((line) => (line.kind === "rule" || line.kind === "ruleType" ? [line.rule] : []));
}

const constants = new Set([...CLASS_NAMES, "User", "Org", "Integer", "String", "nil"]);
const isConstant = (name: string): boolean => constants.has(name);

/** Compares the one walk with the separate ones; returns a few features of the rule for coverage. */
function compare(rule: Rule): { calls: boolean; counted: boolean; tooDeep: boolean; diagnostics: boolean } {
  const facts = walkRule(rule, isConstant);
  const expected = [...checkSingletons(rule, isConstant), ...checkAmbiguousPrecedence(rule)];
  expect(facts.diagnostics).toEqual(expected);
  // Without the singleton check: the precedence warnings only.
  expect(walkRule(rule, null).diagnostics).toEqual(checkAmbiguousPrecedence(rule));
  const called = new Set<string>();
  addCalledNames(rule, called);
  expect([...facts.called].sort()).toEqual([...called].sort());
  // In the engine's visiting order (first seen), as written apart from src/walk.ts.
  expect(facts.called).toEqual(calledInOrder(rule));
  expect(new Set(facts.called).size).toBe(facts.called.length);
  expect(facts.callsHasPermission).toBe(ruleCallsHasPermission(rule));
  const counts = rewriteCounts(rule);
  expect({ body: facts.body, params: facts.params }).toEqual(counts);
  return {
    calls: facts.called.length > 0,
    counted: counts.body > 0 || counts.params > 0,
    tooDeep: counts.body < 0 || counts.params < 0,
    diagnostics: expected.length > 0,
  };
}

describe("the loader's one walk per rule", () => {
  it("finds what the separate walks find, on corpus, RBAC, edge-case and random rules", () => {
    const seen = { calls: 0, counted: 0, tooDeep: 0, diagnostics: 0, rules: 0 };
    const tally = (f: ReturnType<typeof compare>): void => {
      seen.rules++;
      if (f.calls) seen.calls++;
      if (f.counted) seen.counted++;
      if (f.tooDeep) seen.tooDeep++;
      if (f.diagnostics) seen.diagnostics++;
    };
    // Hand-written cases, each of which must parse.
    const cases = [
      // Nested past the depth where counting gives up (and just not), in the body and in a parameter.
      ...[98, 99, 100, 101].map((n) => `f(x) if x = ${"[".repeat(n)}_${"]".repeat(n)};`),
      `f(x) if x = ${Array.from({ length: 150 }, () => "(1 + ").join("")}1${")".repeat(150)};`,
      `f(x: ${"[".repeat(120)}1${"]".repeat(120)}, _) if g(_);`,
      // Calls below `.` and `new` are not rule calls, `has_permission` counts anywhere.
      "f(x) if x.has_permission(a);",
      "f(x) if x = new Foo(1) and y = x.has_permission(1) and m(x.y);",
      "f(x) if x.k(1) and k(2);",
      "f(_, x.y) if g(x.z, _);",
      "f(x) if forall(a in x, b(a)) and not h(x) or (y(1) and z(2) or w(3));",
      "f(x) if a(x) and b(x) or c(x);",
      "f(x, y: Foo{b: 1, a: _}, {d: 1, c: [_, 2]}) if g(x, {c: x, a: _}, _) and y matches Foo{a: 1, b: _};",
      "f(x) if g(x, y: 1, w: _) and has_permission(x, y: 1);",
      "f(x, y) if x = y and g(Integer, z);",
      // Called names across operations, a `not` and a `forall`, first seen in the engine's order.
      "f(x) if (z(x) or y(x)) and x.w(1) and not (v(x) and u(x)) and forall(a in x, t(a));",
    ];
    for (const text of cases) {
      const rules = rulesOf(text);
      expect(rules.length, text).toBe(1);
      for (const rule of rules) tally(compare(rule));
    }
    const texts = [...corpusFiles().map((f) => f.text), generateRbacPolicy(400, 1).files[0]?.text ?? ""];
    for (const text of texts) for (const rule of rulesOf(text)) tally(compare(rule));
    fc.assert(
      fc.property(polarPolicy, (text) => {
        for (const rule of rulesOf(text)) tally(compare(rule));
      }),
      { numRuns: 300 },
    );
    expect(seen.rules).toBeGreaterThan(500);
    for (const k of ["calls", "counted", "tooDeep", "diagnostics"] as const) expect(seen[k]).toBeGreaterThan(0);
  });
});
