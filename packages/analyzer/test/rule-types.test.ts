import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Rule } from "../src/ast.js";
import { KnowledgeBase, type RuleType } from "../src/kb.js";
import { parseFile } from "../src/parser.js";
import { rewriteRule } from "../src/rewrite.js";
import { matchedTypes, numbersEqual, ruleParamsMatch, RuleTypeGroup, type MatchResult } from "../src/rule-types.js";

/** Parses `text` and returns its rules and rule types (rewritten, as the load stores them). */
function parse(kb: KnowledgeBase, text: string): { rules: Rule[]; types: Rule[] } {
  const parsed = parseFile({ name: "t.polar", text });
  if (!parsed.ok) throw new Error(parsed.error.message);
  const rules: Rule[] = [];
  const types: Rule[] = [];
  for (const line of parsed.value) {
    if (line.kind === "rule") rules.push(rewriteRule(line.rule, kb.gensym));
    if (line.kind === "ruleType") types.push(rewriteRule(line.rule, kb.gensym));
  }
  return { rules, types };
}

function reason(r: MatchResult): string {
  return r.kind === "match" ? "match" : r.kind === "mismatch" ? r.reason : `error: ${r.error.message}`;
}

describe("ruleParamsMatch reasons", () => {
  const engine = { classes: ["Foo", "Base", "Sub"], mro: { Sub: ["Base"] } };
  const cases: { type: string; rule: string; env: typeof engine | null; expected: string }[] = [
    {
      type: "f(_x)",
      rule: "f(1, 2)",
      env: null,
      expected: "Different number of parameters. Rule has 2 parameter(s) but rule type has 1.",
    },
    {
      type: "f(_x: Foo)",
      rule: "f(y)",
      env: engine,
      expected: "Parameter `y` expects a Foo type constraint.\n\n\ty: Foo",
    },
    {
      type: "f(_x: 1)",
      rule: "f(y)",
      env: engine,
      expected: "Invalid rule parameter 1. Rule type expected Number(Integer(1))",
    },
    { type: "f(_x: Base)", rule: "f(_y: Sub)", env: engine, expected: "match" },
    {
      type: "f(_x: Sub)",
      rule: "f(_y: Base)",
      env: engine,
      expected: "Rule specializer Base on parameter 1 must match rule type specializer Sub",
    },
    {
      type: "f(_x: Foo)",
      rule: "f(_y: Bar)",
      env: engine,
      expected: "Rule specializer Bar on parameter 1 is not registered as a class.",
    },
    { type: "f(_x: Bar)", rule: "f(_y: Foo)", env: engine, expected: "error: Unregistered class: Bar" },
    { type: "f(_x: Foo)", rule: "f(_y: Bar)", env: null, expected: "error: Unregistered class: Foo" },
    { type: "f(_x: Float)", rule: "f(1)", env: engine, expected: "match" },
    {
      type: "f(_x: Integer)",
      rule: "f(1.5)",
      env: engine,
      expected: "Rule specializer Float on parameter 1 must match rule type specializer Integer",
    },
    {
      type: "f(_x: Actor)",
      rule: "f(_y: Resource)",
      env: engine,
      expected: "Rule specializer Resource on parameter 1 does not match rule type specializer Actor",
    },
    {
      type: "f(_x: Resource)",
      rule: "f(_y: Foo)",
      env: engine,
      expected:
        "Rule specializer Foo on parameter 1 must be a member of rule type specializer Resource\n\n\tPerhaps you meant to add a resource block to your policy, like this:\n\n\t  resource Foo { .. }",
    },
    {
      type: "f(_x: Foo{a: 1})",
      rule: "f(_y: Foo{a: 2})",
      env: engine,
      expected:
        "Rule specializer Foo{a: 2} on parameter 1 did not match rule type specializer Foo{a: 1} because the specializer fields did not match.",
    },
    {
      type: "f(_x: {a: 1})",
      rule: "f({a: 2})",
      env: engine,
      expected:
        "Invalid parameter 1. Rule type expected Dictionary with fields {a: 1}, got dictionary with fields {a: 2}.",
    },
    {
      type: "f(_x: {a: 1})",
      rule: "f(1)",
      env: engine,
      expected: "Invalid parameter 1. Rule type expected Dictionary, got Number(Integer(1)).",
    },
    {
      type: "f(1)",
      rule: "f(2)",
      env: engine,
      expected: "Invalid parameter 1. Rule value Number(Integer(2)) != rule type value Number(Integer(1))",
    },
    { type: "f(1)", rule: "f(1.0)", env: engine, expected: "match" },
    {
      type: 'f("a")',
      rule: "f(_x: String)",
      env: engine,
      expected: 'Invalid parameter 1. Rule parameter _x: String{} does not match rule type parameter "a"',
    },
    {
      type: "f([1, *_r])",
      rule: "f([1])",
      env: engine,
      expected: "error: Invalid rule type: f([1, *_r]);\n\tRule types cannot contain *rest variables.",
    },
    { type: "f([1, 2])", rule: "f([2, 1, 3])", env: engine, expected: "match" },
  ];
  it.each(cases)("type $type vs rule $rule", ({ type, rule, env, expected }) => {
    const kb = new KnowledgeBase(env);
    const t = parse(kb, `type ${type};`).types[0];
    const r = parse(kb, `${rule};`).rules[0];
    expect(t).toBeDefined();
    expect(r).toBeDefined();
    expect(reason(ruleParamsMatch(kb, r as Rule, t as Rule))).toBe(expected);
  });
});

describe("numbersEqual", () => {
  it.each([
    [{ kind: "integer", value: 1n }, { kind: "float", value: 1 }, true],
    [{ kind: "integer", value: 0n }, { kind: "float", value: -0 }, true],
    [{ kind: "integer", value: 1n }, { kind: "float", value: NaN }, false],
    [{ kind: "integer", value: 9007199254740993n }, { kind: "float", value: 9007199254740992 }, false],
    [{ kind: "integer", value: 9223372036854775807n }, { kind: "float", value: 2 ** 63 }, false],
  ] as const)("%o == %o is %s", (a, b, eq) => {
    expect(numbersEqual(a, b)).toBe(eq);
    expect(numbersEqual(b, a)).toBe(eq);
  });
});

describe("RuleTypeGroup index", () => {
  // The index must give the same outcome as checking every type in order (the engine's loop).
  function bruteForce(kb: KnowledgeBase, rule: Rule, types: readonly RuleType[]) {
    const matched: number[] = [];
    for (let i = 0; i < types.length; i++) {
      const t = types[i] as RuleType;
      const r = ruleParamsMatch(kb, rule, t.rule);
      if (r.kind === "error") return { kind: "error", message: r.error.message };
      if (r.kind === "match") matched.push(i);
    }
    return { kind: "checked", matched };
  }

  const tags = ["A", "B", "C", "Actor", "Resource", "Dictionary", "String", "Integer", "Float"];
  const typeParam = fc.oneof(
    fc.constantFrom(...tags).map((t) => `_x: ${t}`),
    fc.constantFrom('"p"', '"q"', "1", "_x", "_x: {a: 1}", "[1, *_r]", "_x: 2", "A{a: 1}".replace(/^/, "_x: ")),
  );
  const ruleParam = fc.oneof(
    fc.constantFrom(...tags, "D").map((t) => `_y: ${t}`),
    fc.constantFrom('"p"', '"q"', "1", "1.5", "_y", "_y: {a: 1}", "[1]", "{a: 1}", "_y: A{a: 1}", "true"),
  );
  const env = fc.record({
    registered: fc.subarray(["A", "B", "C"]),
    blocks: fc.subarray(["actor A {}", "resource B {}", "resource C {}"]),
    editor: fc.boolean(),
  });

  it("agrees with checking every type", () => {
    fc.assert(
      fc.property(
        env,
        fc.array(fc.array(typeParam, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.array(ruleParam, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        ({ registered, blocks, editor }, typeParams, ruleParams) => {
          const kb = new KnowledgeBase(editor ? null : { classes: registered, mro: { C: ["A"] } });
          const blockFile = parseFile({ name: "b.polar", text: blocks.join("\n") });
          if (blockFile.ok) {
            for (const line of blockFile.value) {
              if (line.kind !== "resourceBlock") continue;
              const name = line.resource.value.type === "Variable" ? line.resource.value.name : "";
              const keyword = line.keyword?.value.type === "Variable" ? line.keyword.value.name : "resource";
              kb.blocks.add(
                {
                  blockType: keyword === "actor" ? "actor" : "resource",
                  keyword: line.keyword,
                  resource: line.resource,
                  name,
                  nameStart: line.nameStart,
                  nameEnd: line.nameEnd,
                  roles: null,
                  permissions: null,
                  relations: null,
                  declarations: [],
                  shorthandRules: [],
                },
                () => true,
              );
            }
          }
          const types = parse(kb, typeParams.map((ps) => `type f(${ps.join(", ")});`).join("\n")).types;
          const entries: RuleType[] = types.map((rule) => ({ rule, required: false, builtin: false }));
          const group = new RuleTypeGroup(kb, entries);
          for (const rule of parse(kb, ruleParams.map((ps) => `f(${ps.join(", ")});`).join("\n")).rules) {
            const got = group.check(rule);
            const want = bruteForce(kb, rule, entries);
            if (typeof got !== "number" && got.kind === "error") {
              expect({ kind: "error", message: got.error.message }).toEqual(want);
            } else expect({ kind: "checked", matched: [...(matchedTypes(got) ?? [])] }).toEqual(want);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
