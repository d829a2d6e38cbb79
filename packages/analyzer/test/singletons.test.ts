import { describe, expect, it } from "vitest";
import type { Rule, SourceFile } from "../src/ast.js";
import { checkSingletons } from "../src/validations/singletons.js";
import { at, call, dot, inst, int, list, op, param, rest, rule, v } from "./term-builders.js";

interface Case {
  name: string;
  src: string;
  build: (f: SourceFile) => Rule;
  constants?: string[];
  /** [code suffix, message, spanned text] in order. */
  expected: [string, string, string][];
}

const singleton = (x: string): [string, string, string] => [
  "SingletonVariable",
  `Singleton variable ${x} is unused or undefined; try renaming to _${x} or _`,
  x,
];

const cases: Case[] = [
  {
    // Engine: first error is "Singleton variable y" at column 7.
    name: "variables and rest variables, in source order",
    src: "f(x, [y, *rest]) if z = 1 and x.q = _w;",
    build: (f) =>
      rule(
        "f",
        [at(f, v("x"), "x"), at(f, list(at(f, v("y"), "y"), at(f, rest("rest"), "*rest")), "[y, *rest]")],
        at(f, op("Unify", at(f, v("z"), "z"), int(1)), "z = 1"),
        op("Unify", dot(at(f, v("x"), "x", 1), "q"), at(f, v("_w"), "_w")),
      ),
    expected: [singleton("y"), singleton("*rest"), singleton("z")],
  },
  {
    // Engine: warnings integer (with suggestion), Bar, Baz, in that order; Foo occurs twice.
    name: "unknown specializers",
    src: "f(_x: integer, _y: Foo{a: Bar{}}) if _x matches Baz and _y matches Foo;",
    build: (f) =>
      rule(
        "f",
        [
          param(at(f, v("_x"), "_x"), at(f, inst("integer"), "integer")),
          param(at(f, v("_y"), "_y"), at(f, inst("Foo", { a: at(f, inst("Bar"), "Bar{}") }), "Foo{a: Bar{}}")),
        ],
        op("Isa", at(f, v("_x"), "_x", 1), at(f, inst("Baz"), "Baz")),
        op("Isa", at(f, v("_y"), "_y", 1), at(f, inst("Foo"), "Foo", 1)),
      ),
    expected: [
      ["UnknownSpecializer", "Unknown specializer integer, did you mean Integer?", "integer"],
      ["UnknownSpecializer", "Unknown specializer Bar", "Bar{}"],
      ["UnknownSpecializer", "Unknown specializer Baz", "Baz"],
    ],
  },
  {
    name: "errors and warnings interleave by position; constants are skipped",
    src: "f(x: hash, y) if y = nil and g(Dict);",
    constants: ["nil"],
    build: (f) =>
      rule(
        "f",
        [param(at(f, v("x"), "x"), at(f, inst("hash"), "hash")), at(f, v("y"), "y")],
        op("Unify", at(f, v("y"), "y", 1), at(f, v("nil"), "nil")),
        call("g", [at(f, v("Dict"), "Dict")]),
      ),
    expected: [
      singleton("x"),
      ["UnknownSpecializer", "Unknown specializer hash, did you mean Dictionary?", "hash"],
      singleton("Dict"),
    ],
  },
  {
    name: "unions, namespaced names, and a tag shared with a variable",
    src: "f(_a: Actor, Resource, Foo: Foo, Mod::Thing, [*Actor]);",
    build: (f) =>
      rule("f", [
        param(at(f, v("_a"), "_a"), at(f, inst("Actor"), "Actor")),
        at(f, v("Resource"), "Resource"),
        param(at(f, v("Foo"), "Foo"), at(f, inst("Foo"), "Foo", 1)),
        at(f, v("Mod::Thing"), "Mod::Thing"),
        list(at(f, rest("Actor"), "*Actor")),
      ]),
    // A rest variable named Actor is not a union (only variables and patterns are).
    expected: [singleton("*Actor")],
  },
  {
    name: "suggestions for every built-in",
    src: "f(_a: int, _b: double, _c: str, _d: Array);",
    build: (f) =>
      rule(
        "f",
        ["int", "double", "str", "Array"].map((t, i) =>
          param(at(f, v(`_${"abcd"[i] ?? ""}`), `_${"abcd"[i] ?? ""}`), at(f, inst(t), t)),
        ),
      ),
    expected: [
      ["UnknownSpecializer", "Unknown specializer int, did you mean Integer?", "int"],
      ["UnknownSpecializer", "Unknown specializer double, did you mean Float?", "double"],
      ["UnknownSpecializer", "Unknown specializer str, did you mean String?", "str"],
      ["UnknownSpecializer", "Unknown specializer Array, did you mean List?", "Array"],
    ],
  },
];

describe("checkSingletons", () => {
  it.each(cases)("$name", ({ src, build, constants, expected }) => {
    const file: SourceFile = { name: "policy.polar", text: src };
    const consts = new Set(constants ?? []);
    const got = checkSingletons(build(file), (n) => consts.has(n));
    expect(
      got.map((d) => [
        d.code.split("::")[1],
        d.message,
        d.context === null ? null : d.context.file.text.slice(d.context.start, d.context.end),
      ]),
    ).toEqual(expected);
    for (const d of got) {
      expect(d.severity).toBe(d.code === "ValidationError::SingletonVariable" ? "error" : "warning");
      expect(d.unrecoverable).toBe(false);
    }
  });
});
