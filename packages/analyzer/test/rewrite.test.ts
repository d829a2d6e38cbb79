import { describe, expect, it } from "vitest";
import type { Rule } from "../src/ast.js";
import { debugTerm, ruleToPolar, toPolar } from "../src/printer.js";
import { createGensym, rewriteRule, rewriteTerm } from "../src/rewrite.js";
import { call, dict, dot, inst, int, list, op, param, rest, rule, v } from "./term-builders.js";

// Expected texts are the engine's (oso 0.27.3) printing of the rewritten rule, obtained from
// InvalidRule messages for these rules loaded after `type f();`.
const table: [string, Rule, string][] = [
  [
    "f(x) if g(x.y, x.z + 1, new Foo(a: x.b.c), _, x mod 2);",
    rule(
      "f",
      [v("x")],
      call("g", [
        dot(v("x"), "y"),
        op("Add", dot(v("x"), "z"), int(1)),
        op("New", call("Foo", [], { a: dot(dot(v("x"), "b"), "c") })),
        v("_"),
        op("Mod", v("x"), int(2)),
      ]),
    ),
    "f(x) if x.y = _value_1 and x.z = _value_2 and _value_2 + 1 = _op_3 and x.b = _value_4 and _value_4.c = _value_5 and new (Foo(a: _value_5), _instance_6) and x mod 2 = _temp_8 and g(_value_1, _op_3, _instance_6, _7, _temp_8);",
  ],
  [
    "f(x) if x.foo.bar = 1;",
    rule("f", [v("x")], op("Unify", dot(dot(v("x"), "foo"), "bar"), int(1))),
    "f(x) if _value_2 = 1 and x.foo = _value_1 and _value_1.bar = _value_2;",
  ],
  [
    "f(x) if x = new Foo(x: new Bar(x: 1));",
    rule(
      "f",
      [v("x")],
      op("Unify", v("x"), op("New", call("Foo", [], { x: op("New", call("Bar", [], { x: int(1) })) }))),
    ),
    "f(x) if new (Bar(x: 1), _instance_1) and new (Foo(x: _instance_1), _instance_2) and x = _instance_2;",
  ],
  [
    "f(x.a, y: Foo{b: y.c}) if x.d > 1 and not x.e = 2;",
    rule(
      "f",
      [dot(v("x"), "a"), param(v("y"), inst("Foo", { b: dot(v("y"), "c") }))],
      op("Gt", dot(v("x"), "d"), int(1)),
      op("Not", op("Unify", dot(v("x"), "e"), int(2))),
    ),
    "f(_value_3, y: Foo{b: _value_4}) if x.d = _value_1 and _value_1 > 1 and not (_value_2 = 2 and x.e = _value_2) and x.a = _value_3 and y.c = _value_4;",
  ],
  [
    "f(x) if forall(y in x.ys, y.a > x.b);",
    rule(
      "f",
      [v("x")],
      op("ForAll", op("In", v("y"), dot(v("x"), "ys")), op("Gt", dot(v("y"), "a"), dot(v("x"), "b"))),
    ),
    "f(x) if forall(y in _value_1 and x.ys = _value_1, _value_2 > _value_3 and y.a = _value_2 and x.b = _value_3);",
  ],
  [
    "f(x) if x.a = 1 or (x.b = 2 and x.c.d(1 + 2) = 3);",
    rule(
      "f",
      [v("x")],
      op(
        "Or",
        op("Unify", dot(v("x"), "a"), int(1)),
        op(
          "And",
          op("Unify", dot(v("x"), "b"), int(2)),
          op("Unify", dot(dot(v("x"), "c"), call("d", [op("Add", int(1), int(2))])), int(3)),
        ),
      ),
    ),
    "f(x) if (_value_1 = 1 and x.a = _value_1 or _value_2 = 2 and x.b = _value_2 and _value_5 = 3 and x.c = _value_3 and 1 + 2 = _op_4 and _value_3.d(_op_4) = _value_5);",
  ],
  [
    "f(x, _, [_, *_]) if x matches Foo{a: x.y} and {b: x.b, a: x.a} = x;",
    rule(
      "f",
      [v("x"), v("_"), list(v("_"), rest("_"))],
      op("Isa", v("x"), inst("Foo", { a: dot(v("x"), "y") })),
      op("Unify", dict({ b: dot(v("x"), "b"), a: dot(v("x"), "a") }), v("x")),
    ),
    "f(x, _4, [_5, *_6]) if x.y = _value_1 and x matches Foo{a: _value_1} and {a: _value_2, b: _value_3} = x and x.a = _value_2 and x.b = _value_3;",
  ],
];

describe("rewriteRule matches the engine", () => {
  it.each(table)("%s", (_src, r, expected) => {
    expect(ruleToPolar(rewriteRule(r, createGensym()))).toBe(expected);
  });
});

describe("rewrite details", () => {
  it("shares the caller's counter across rules", () => {
    const gensym = createGensym();
    rewriteRule(rule("f", [v("_")]), gensym);
    const second = rewriteRule(rule("g", [v("x")], call("h", [dot(v("x"), "a")])), gensym);
    expect(ruleToPolar(second)).toBe("g(x) if x.a = _value_2 and h(_value_2);");
  });

  it("keeps the expression's source on the temporary, marks the appended one temporary", () => {
    const r = rewriteRule(rule("f", [v("x")], call("h", [dot(v("x"), "a")])), createGensym());
    // The single conjunct becomes a nested And(lookup, call).
    const outer = r.body.value;
    const inner = outer.type === "Expression" ? outer.args[0]?.value : undefined;
    if (inner?.type !== "Expression") throw new Error("expected a nested And");
    const [lookup, h] = inner.args;
    expect(h && debugTerm(h, false)).toContain(
      'Term { source_info: SourceInfo::Parser, value: Variable(Symbol("_value_1")) }',
    );
    expect(lookup && debugTerm(lookup, false)).toContain(
      'Term { source_info: SourceInfo::TemporaryVariable, value: Variable(Symbol("_value_1")) }',
    );
  });

  it("leaves rules without lookups unchanged", () => {
    const r = rule("f", [v("x"), param(v("y"), inst("Foo"))], op("Eq", v("x"), v("y")));
    expect(ruleToPolar(rewriteRule(r, createGensym()))).toBe(ruleToPolar(r));
  });

  it("rewrite_term wraps a standalone term", () => {
    expect(toPolar(rewriteTerm(op("Unify", list(int(1), int(2)), list(v("_"), v("_"))), createGensym()))).toBe(
      "[1, 2] = [_1, _2]",
    );
    expect(toPolar(rewriteTerm(call("g", [dot(v("x"), "a")]), createGensym()))).toBe("x.a = _value_1 and g(_value_1)");
  });
});
