/**
 * Differential tests of the printer, rewriter, singleton and precedence checks against the real
 * engine (oso 0.27.3 wasm), on policies parsed by our parser.
 */
import { describe, expect, it } from "vitest";
import type { Rule } from "../src/ast.js";
import type { Diagnostic } from "../src/diagnostics.js";
import { parseFile } from "../src/parser.js";
import { ruleToPolar, toPolar } from "../src/printer.js";
import { createGensym, rewriteRule } from "../src/rewrite.js";
import { checkAmbiguousPrecedence } from "../src/validations/ambiguous-precedence.js";
import { checkSingletons } from "../src/validations/singletons.js";
import { engineLoad } from "./engine.js";

function parseRules(text: string): { rules: Rule[]; ruleTypes: Rule[]; all: { kind: string; rule: Rule }[] } {
  const parsed = parseFile({ name: "policy.polar", text });
  if (!parsed.ok) throw new Error(`parse error: ${parsed.error.message}`);
  const all: { kind: string; rule: Rule }[] = [];
  for (const line of parsed.value) {
    if (line.kind === "rule" || line.kind === "ruleType") all.push({ kind: line.kind, rule: line.rule });
  }
  return {
    rules: all.filter((l) => l.kind === "rule").map((l) => l.rule),
    ruleTypes: all.filter((l) => l.kind === "ruleType").map((l) => l.rule),
    all,
  };
}

/** Rewrite every rule and rule type in file order with one counter, as the KB does. */
function rewriteAll(text: string): Rule[] {
  const gensym = createGensym();
  return parseRules(text).all.map((l) => rewriteRule(l.rule, gensym));
}

// Rules without singletons; each is loaded after `type f();`, so the engine reports it as an
// InvalidRule whose message prints the rewritten rule.
const REWRITTEN_RULES = [
  "f(x) if g(x.y, x.z + 1, new Foo(a: x.b.c), x mod 2, x rem 3, x / 4, x * 5 - 6);",
  "f(x) if x.foo.bar = 1;",
  "f(x) if x = new Foo(x: new Bar(x: 1));",
  "f(x, y: Foo{b: y.c}) if x.d > 1 and not x.e = 2 and x.a = y;",
  "f(x) if forall(y in x.ys, y.a > x.b);",
  "f(x) if x.a = 1 or (x.b = 2 and x.c.d(1 + 2) = 3);",
  "f(x, _, [_, *_]) if x matches Foo{a: x.y} and {b: x.b, a: x.a} = x;",
  "f(x) if x.a(x.b(x.c)) in x.d.e and [x.f, {k: x.g}] = x.h;",
  "f(x) if y := 1 + 2 * 3 - x.a and x.a = y and x.b == (1 + 2) * 3 and x.c = -1 and x.d = 1.5e3;",
  'f(x) if x = "a\\"b" and x.m(k: x.y, j: 2) and print(x.z) and cut;',
  "f(x) if not (x.a or x.b) and (x.c and x.d or x.e);",
  "f(x.a.b, y + 1, new Z()) if x = y;",
  "f(x) if x = new Foo(1, k: x.y).bar.baz(2);",
  "f(x) if x in [1, 2, x.y] and x matches {a: 1} and x != x.n and x >= 0 and x <= 1 and x < 2;",
];

describe("rewritten rules print as the engine prints them", () => {
  it.each(REWRITTEN_RULES)("%s", (rule) => {
    const policy = `allow(_a, _b, _c);\ntype f();\n${rule}\n`;
    const engine = engineLoad(policy);
    const match = /^Invalid rule: (.*) Must match one of the following rule types:/.exec(engine.error?.message ?? "");
    expect(match, engine.error?.message).not.toBeNull();
    const ours = rewriteAll(policy).at(-1);
    expect(ours && ruleToPolar(ours)).toBe(match?.[1]);
  });
});

describe("the counter is shared across rules and rule types", () => {
  it("numbers continue after `_` in earlier lines", () => {
    const policy = "allow(_, _, _);\ntype g(_, x);\nh(x) if x.y = 1;\nf(x) if h(x.a + x.b);\ntype f();\n";
    const engine = engineLoad(policy);
    const ours = rewriteAll(policy).find((r) => r.name === "f");
    expect(engine.error?.message).toContain(`Invalid rule: ${ours ? ruleToPolar(ours) : "?"} Must match`);
  });
});

describe("undefined rule calls print rewritten arguments", () => {
  it.each(["f(x) if g(x.y, x.z + 1);", "f(x) if not g(new Foo(a: x));", "f(x) if x.a = 1 and g(x.b, k: x.c);"])(
    "%s",
    (rule) => {
      const policy = `allow(_a, _b, _c);\n${rule}\n`;
      const engine = engineLoad(policy);
      const ours = rewriteAll(policy).at(-1);
      // Find the call named g in the rewritten body.
      let call: string | null = null;
      const visit = (t: NonNullable<typeof ours>["body"]): void => {
        const v = t.value;
        if (v.type === "Call" && v.name === "g") call = toPolar(t);
        if (v.type === "Expression") v.args.forEach(visit);
      };
      if (ours) visit(ours.body);
      expect(engine.error?.message).toBe(`Call to undefined rule: ${call ?? "?"}`);
    },
  );
});

function lineColumn(d: Diagnostic): [number, number] | null {
  if (d.context === null) return null;
  const before = d.context.file.text.slice(0, d.context.start).split("\n");
  return [before.length, (before.at(-1)?.length ?? 0) + 1];
}

// Policies whose only errors can be singletons; warnings are UnknownSpecializer / AmbiguousPrecedence.
const VALIDATION_POLICIES = [
  "f(x, [y, *rest]) if z = 1 and x.q = _w;",
  "f(_x: integer, _y: Foo{a: Bar{}}) if _x matches Baz and _y matches Foo;",
  "f(a, b, c) if a and b or c;\nf(a, b, c) if (a and b or c);\nf(a, b, c) if a or b and c or (a and c);",
  "f(a, b, c) if ( # comment\n a and b) or c and a;",
  "f(a: hash, b) if b and Dict;",
  "f(_a: Actor, Resource, Foo: Foo, Mod::Thing);",
  "f(x) if forall(y in x, y and x or z);",
  "g(x, y) if x = y;\nf(x: Bar{a: u}) if g(x, v) and w.m(x);",
];

describe("singletons and ambiguous precedence match the engine", () => {
  it.each(VALIDATION_POLICIES)("%s", (body) => {
    const policy = `allow(_a, _b, _c);\n${body}\n`;
    const engine = engineLoad(policy);
    const ours: Diagnostic[] = [];
    for (const rule of parseRules(policy).rules) {
      ours.push(...checkSingletons(rule, () => false), ...checkAmbiguousPrecedence(rule));
    }
    const firstError = ours.find((d) => d.severity === "error");
    if (firstError) {
      expect([engine.error?.message, engine.error?.line, engine.error?.column]).toEqual([
        firstError.message,
        ...(lineColumn(firstError) ?? []),
      ]);
    } else {
      expect(engine.error).toBeNull();
    }
    const engineWarnings = engine.warnings
      .filter((w) => w.message.startsWith("Unknown specializer") || w.message.startsWith("Expression without"))
      .map((w) => [w.message, w.line, w.column]);
    const ourWarnings = ours.filter((d) => d.severity === "warning").map((d) => [d.message, ...(lineColumn(d) ?? [])]);
    expect(ourWarnings).toEqual(engineWarnings);
  });
});

describe("deeply nested expressions do not throw", () => {
  // The engine itself overflows its stack somewhere between 3000 and 4000 levels; we must not throw.
  it.each([
    ["arithmetic chain", (n: number) => `f(x) if x = ${"1 + ".repeat(n)}1;`],
    ["lookup chain", (n: number) => `f(x) if x${".a".repeat(n)} = 1;`],
  ])("%s", (_name, make) => {
    for (const n of [100, 20000]) {
      const { rules } = parseRules(make(n));
      const rule = rules[0];
      if (rule === undefined) throw new Error("no rule");
      expect(() => {
        ruleToPolar(rule);
        ruleToPolar(rewriteRule(rule, createGensym()));
        checkSingletons(rule, () => false);
        checkAmbiguousPrecedence(rule);
      }).not.toThrow();
    }
  });
});
