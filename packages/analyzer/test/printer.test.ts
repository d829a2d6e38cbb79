import { readCaseJson } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import type { Term } from "../src/ast.js";
import {
  debugDictionary,
  debugPattern,
  debugTerm,
  debugTermList,
  debugValue,
  rustDebugFloat,
  rustDebugString,
  ruleToPolar,
  toPolar,
} from "../src/printer.js";
import { temporary } from "../src/terms.js";
import {
  bool,
  call,
  dict,
  dictPat,
  dot,
  fields,
  float,
  inst,
  int,
  list,
  op,
  param,
  rest,
  rule,
  str,
  v,
} from "./term-builders.js";

describe("toPolar", () => {
  const table: [string, Term, string][] = [
    ["integer", int(-42), "-42"],
    ["float without fraction", float(2), "2"],
    ["large float, no exponent", float(1e20), "100000000000000000000"],
    ["string is not escaped", str('a"b\\c'), '"a"b\\c"'],
    ["booleans", list(bool(true), bool(false)), "[true, false]"],
    ["list with rest", list(int(1), rest("r")), "[1, *r]"],
    ["dict keys sorted", dict({ b: int(1), a: int(2), B: int(3) }), "{B: 3, a: 2, b: 1}"],
    ["empty dict", dict({}), "{}"],
    ["bare class pattern", inst("Foo"), "Foo{}"],
    ["instance pattern", inst("Foo", { y: v("y"), x: int(1) }), "Foo{x: 1, y: y}"],
    ["dict pattern", dictPat({ a: int(1) }), "{a: 1}"],
    ["call", call("f", [v("x"), int(1)]), "f(x, 1)"],
    ["call kwargs sorted", call("f", [v("x")], { z: int(1), a: int(2) }), "f(x, a: 2, z: 1)"],
    ["call only kwargs", call("f", [], { k: int(1) }), "f(k: 1)"],
    ["call empty kwargs", call("f", [], {}), "f()"],
    ["new", op("New", call("Foo", [int(1)], { a: int(2) })), "new Foo(1, a: 2)"],
    ["dot field", dot(v("x"), "y"), "x.y"],
    ["dot method", dot(v("x"), call("m", [v("a")])), "x.m(a)"],
    ["dot with result", op("Dot", v("x"), str("y"), v("_value_1")), "x.y = _value_1"],
    ["chained dot", dot(dot(v("x"), "y"), "z"), "x.y.z"],
    ["isa prints matches", op("Isa", v("x"), inst("Foo")), "x matches Foo{}"],
    ["in", op("In", v("x"), v("xs")), "x in xs"],
    ["left assoc minus", op("Sub", op("Sub", int(1), op("Sub", int(2), int(3))), int(4)), "1 - 2 - 3 - 4"],
    ["lower precedence child", op("Mul", op("Add", int(1), int(2)), int(3)), "(1 + 2) * 3"],
    ["higher precedence child", op("Add", op("Mul", int(1), int(2)), int(3)), "1 * 2 + 3"],
    ["not of and", op("Not", op("And", v("a"), v("b"))), "not (a and b)"],
    ["not of call", op("Not", call("f", [])), "not f()"],
    ["and of or", op("And", op("Or", v("a"), v("b")), v("c")), "(a or b) and c"],
    ["or of and", op("Or", op("And", v("a"), v("b")), v("c")), "a and b or c"],
    ["empty and", op("And"), "(true)"],
    ["empty or", op("Or"), "(false)"],
    ["unify", op("Unify", v("x"), op("Add", int(1), int(2))), "x = 1 + 2"],
    ["assign", op("Assign", v("x"), int(1)), "x := 1"],
    ["comparisons", op("And", op("Geq", v("a"), int(1)), op("Neq", v("b"), int(2))), "a >= 1 and b != 2"],
    ["mod rem div", op("Mod", op("Rem", v("a"), op("Div", v("b"), v("c"))), v("d")), "a rem b / c mod d"],
    ["print", op("Print", v("x"), int(1)), "print(x, 1)"],
    ["debug", op("Debug"), "debug()"],
    ["cut", op("Cut"), "cut"],
    ["forall", op("ForAll", op("In", v("x"), v("y")), op("Gt", v("x"), int(1))), "forall(x in y, x > 1)"],
    ["or in call args is parenthesised", call("f", [op("Or", v("a"), v("b"))]), "f((a or b))"],
    ["or in list is parenthesised", list(op("Or", v("a"), v("b"))), "[(a or b)]"],
  ];
  it.each(table)("%s", (_name, t, expected) => {
    expect(toPolar(t)).toBe(expected);
  });
});

describe("ruleToPolar", () => {
  it.each([
    ["bodiless", rule("f", [int(1), v("x")]), "f(1, x);"],
    [
      "specializers and body",
      rule(
        "allow",
        [param(v("a"), inst("User")), v("b"), param(v("c"), inst("Repo", { id: int(1) }))],
        call("g", [v("a")]),
        op("Eq", v("b"), str("read")),
      ),
      'allow(a: User{}, b, c: Repo{id: 1}) if g(a) and b == "read";',
    ],
    ["or in body is parenthesised", rule("f", [v("x")], op("Or", v("x"), v("y"))), "f(x) if (x or y);"],
    ["no params", rule("f", []), "f();"],
  ] as const)("%s", (_name, r, expected) => {
    expect(ruleToPolar(r)).toBe(expected);
  });
});

describe("Rust Debug scalars", () => {
  it.each([
    ["plain", "abc", '"abc"'],
    ["quotes and backslash", 'a"b\\c', '"a\\"b\\\\c"'],
    ["single quote kept", "it's", '"it\'s"'],
    ["control escapes", "\t\r\n\0", '"\\t\\r\\n\\0"'],
    ["other control", "\u0001\u007f", '"\\u{1}\\u{7f}"'],
    ["combining mark", "e\u0301", '"e\\u{301}"'],
    ["non-breaking space", "a\u00a0b", '"a\\u{a0}b"'],
    ["BOM (Cf)", "\ufeff", '"\\u{feff}"'],
    ["printable unicode", "héllo ✓ 😀", '"héllo ✓ 😀"'],
  ])("string %s", (_name, input, expected) => {
    expect(rustDebugString(input)).toBe(expected);
  });

  it.each([
    [1e20, "1e20"],
    [1e-5, "1e-5"],
    [1.5e-7, "1.5e-7"],
    [1e16, "1e16"],
    [1e15, "1000000000000000.0"],
    [2, "2.0"],
    [1.5, "1.5"],
    [0.0001, "0.0001"],
    [0, "0.0"],
    [-3.25, "-3.25"],
    [Infinity, "inf"],
    [NaN, "NaN"],
  ])("float %s", (x, expected) => {
    expect(rustDebugFloat(x)).toBe(expected);
  });
});

describe("Rust Debug of terms", () => {
  it("compact Value Debug matches the engine's Display of values", () => {
    // Text of the engine's "Rule value … != rule type value …" for f({a: [1, "x"]}) vs type f([1]).
    const value = dict({ a: list(int(1), str("x")) }).value;
    expect(debugValue(value, false)).toBe(
      'Dictionary(Dictionary { fields: {Symbol("a"): Term { source_info: SourceInfo::Parser, value: List([Term { source_info: SourceInfo::Parser, value: Number(Integer(1)) }, Term { source_info: SourceInfo::Parser, value: String("x") }]) }} })',
    );
  });

  it("temporaries print SourceInfo::TemporaryVariable", () => {
    expect(debugTerm(temporary({ type: "Variable", name: "_value_1" }), false)).toBe(
      'Term { source_info: SourceInfo::TemporaryVariable, value: Variable(Symbol("_value_1")) }',
    );
  });

  it("pretty empty collections and structs", () => {
    expect(debugTerm(list())).toBe(
      "Term {\n    source_info: SourceInfo::Parser,\n    value: List(\n        [],\n    ),\n}",
    );
    expect(debugDictionary(fields({}))).toBe("Dictionary {\n    fields: {},\n}");
    expect(debugTermList([])).toBe("[]");
  });

  it("pretty pattern, call and expression", () => {
    expect(debugPattern(inst("Foo").value)).toBe(
      'Instance(\n    InstanceLiteral {\n        tag: Symbol(\n            "Foo",\n        ),\n        fields: Dictionary {\n            fields: {},\n        },\n    },\n)',
    );
    expect(debugValue(call("f", [], { k: bool(true) }).value, false)).toBe(
      'Call(Call { name: Symbol("f"), args: [], kwargs: Some({Symbol("k"): Term { source_info: SourceInfo::Parser, value: Boolean(true) }}) })',
    );
    expect(debugValue(call("f", [v("x")]).value, false)).toBe(
      'Call(Call { name: Symbol("f"), args: [Term { source_info: SourceInfo::Parser, value: Variable(Symbol("x")) }], kwargs: None })',
    );
    expect(debugValue(op("Add", rest("r"), float(1)).value, false)).toBe(
      'Expression(Operation { operator: Add, args: [Term { source_info: SourceInfo::Parser, value: RestVariable(Symbol("r")) }, Term { source_info: SourceInfo::Parser, value: Number(Float(1.0)) }] })',
    );
  });

  // Corpus messages embed `{:#?}` output; rebuild the same terms by hand and compare the pieces.
  const corpus = (name: string): string => {
    const expected = readCaseJson<{ diagnostics: { message: string }[] }>(name, "expected.json");
    return expected.diagnostics[0]?.message ?? "";
  };

  it("hand-val-rule-type-list-values", () => {
    const message = corpus("hand-val-rule-type-list-values");
    expect(message).toContain(
      `Rule type expected list ${debugTermList([int(1), int(2)])}, got list ${debugTermList([int(1)])}.\n`,
    );
  });

  it("hand-val-rule-type-dict-specializer", () => {
    const message = corpus("hand-val-rule-type-dict-specializer");
    expect(message).toContain(
      `Rule specializer fields ${debugDictionary(fields({ b: int(2) }))} do not match rule type specializer fields ${debugDictionary(fields({ a: int(1) }))}.\n`,
    );
  });

  it("hand-extra-invalid-rule-type-rest-nested", () => {
    const message = corpus("hand-extra-invalid-rule-type-rest-nested");
    expect(message).toContain(
      `Rule type expected list ${debugTermList([int(1), list(v("x"), rest("rest"))])}, got list ${debugTermList([int(1), list(int(2))])}.\n`,
    );
  });
});
