/**
 * UndefinedRuleCall, MissingAllowRule and MissingHasPermissionRule as the product reports them:
 * through `diagnosticLoad` (the loader's whole-policy checks), not through a test-only copy.
 */
import { describe, expect, it } from "vitest";
import type { Rule } from "../src/ast.js";
import type { Diagnostic } from "../src/diagnostics.js";
import type { LoadOptions } from "../src/environment.js";
import { KnowledgeBase } from "../src/kb.js";
import { diagnosticLoad } from "../src/load.js";
import { parseFile } from "../src/parser.js";
import { rewriteRule } from "../src/rewrite.js";
import { checkNoAllowRule } from "../src/validations/missing-rules.js";
import { collectCallSites } from "../src/validations/undefined-rule-calls.js";

function rules(text: string): Rule[] {
  const kb = new KnowledgeBase();
  const parsed = parseFile({ name: "t.polar", text });
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value.flatMap((l) => (l.kind === "rule" ? [rewriteRule(l.rule, kb.gensym)] : []));
}

/** The diagnostics of one code that `diagnosticLoad` reports for `text` (which must load to the end). */
function reported(text: string, code: Diagnostic["code"], options: LoadOptions = {}): Diagnostic[] {
  const result = diagnosticLoad([{ name: "t.polar", text }], options);
  expect(result.stage).toBe("complete");
  return result.diagnostics.filter((d) => d.code === code);
}

describe("UndefinedRuleCall", () => {
  it.each([
    { text: "f() if g();", undefinedCalls: ["Call to undefined rule: g()"] },
    { text: "f(x) if g(x.y, x.z + 1);", undefinedCalls: ["Call to undefined rule: g(_value_1, _op_3)"] },
    {
      text: "f(x) if not g(x) or (h(x) and forall(y in x, k(y)));",
      undefinedCalls: ["g(x)", "h(x)", "k(y)"].map((c) => `Call to undefined rule: ${c}`),
    },
    { text: "f(x) if x.g(x) and new Foo(x) = x.h();", undefinedCalls: [] },
    { text: "f(x) if f(x) and g(x, a: 1);", undefinedCalls: ["Call to undefined rule: g(x, a: 1)"] },
  ])("$text", ({ text, undefinedCalls }) => {
    expect(reported(text, "ValidationError::UndefinedRuleCall").map((d) => d.message)).toEqual(undefinedCalls);
  });

  it("points each diagnostic at its call term", () => {
    const text = "f() if g() and g();";
    const ds = reported(text, "ValidationError::UndefinedRuleCall");
    expect(ds.map((d) => text.slice(d.context?.start, d.context?.end))).toEqual(["g()", "g()"]);
    expect(ds.map((d) => d.context?.start)).toEqual([7, 15]);
  });
});

describe("collectCallSites", () => {
  it("visits rules in order and calls in pre-order", () => {
    expect(collectCallSites(rules("a() if b() and (c() or a()); d() if e();")).map((c) => c.name)).toEqual([
      "b",
      "c",
      "a",
      "e",
    ]);
  });
});

describe("whole-policy warnings", () => {
  it.each([
    [["allow"], false],
    [["allow_field"], false],
    [["allow_request"], false],
    [["Allow", "f"], true],
    [[], true],
  ] as const)("rules %o -> MissingAllowRule %s", (names, warns) => {
    const set = new Set<string>(names);
    expect(checkNoAllowRule((n) => set.has(n)) !== null).toBe(warns);
  });

  // `blocks` adds an (accepted) resource block to the policy.
  it.each([
    { text: "allow(a, b, c) if has_permission(a, b, c);", blocks: true, warns: false },
    { text: "allow(a, b, c) if a.has_permission(b, c);", blocks: true, warns: false },
    { text: "allow(_a, _b, _c);", blocks: true, warns: true },
    { text: "allow(_a, _b, _c);", blocks: false, warns: false },
  ])("$text (blocks: $blocks)", ({ text, blocks, warns }) => {
    const policy = blocks ? `${text}\nresource Repo {}` : text;
    const ds = reported(policy, "ValidationWarning::MissingHasPermissionRule", { environment: { classes: ["Repo"] } });
    expect(ds.length).toBe(warns ? 1 : 0);
  });

  it("counts a has_permission call in a rule generated from a shorthand rule", () => {
    const policy = 'allow(_a, _b, _c);\nresource Repo { permissions = ["read", "write"]; "read" if "write"; }';
    const ds = reported(policy, "ValidationWarning::MissingHasPermissionRule", { environment: { classes: ["Repo"] } });
    expect(ds).toEqual([]);
  });
});
