import { describe, expect, it } from "vitest";
import type { Rule, SourceFile } from "../src/ast.js";
import { temporary } from "../src/terms.js";
import { AMBIGUOUS_PRECEDENCE_MESSAGE, checkAmbiguousPrecedence } from "../src/validations/ambiguous-precedence.js";
import { at, call, op, rule, v } from "./term-builders.js";

// Expected counts and positions are the engine's (oso 0.27.3 warnings for these bodies).
const cases: { src: string; build: (f: SourceFile) => Rule; expected: string[] }[] = [
  {
    src: "f(a, b, c) if a and b or c;",
    build: (f) => rule("f", [], op("Or", at(f, op("And", v("a"), v("b")), "a and b", 0), v("c"))),
    expected: ["a and b"],
  },
  {
    src: "f(a, b, c) if (a and b or c);",
    build: (f) => rule("f", [], op("Or", at(f, op("And", v("a"), v("b")), "a and b"), v("c"))),
    expected: [],
  },
  {
    src: "f(a, b, c) if ( # comment\n a and b) or c;",
    build: (f) => rule("f", [], op("Or", at(f, op("And", v("a"), v("b")), "a and b"), v("c"))),
    expected: ["a and b"],
  },
  {
    src: "f(a, b, c) if a or b and c or (a and c);",
    build: (f) =>
      rule(
        "f",
        [],
        op("Or", v("a"), at(f, op("And", v("b"), v("c")), "b and c"), at(f, op("And", v("a"), v("c")), "a and c")),
      ),
    expected: ["b and c"],
  },
  {
    src: "f(a, b, c) if a and b or c and a;",
    build: (f) =>
      rule("f", [], op("Or", at(f, op("And", v("a"), v("b")), "a and b"), at(f, op("And", v("c"), v("a")), "c and a"))),
    expected: ["a and b", "c and a"],
  },
  {
    src: "f(a, b, c) if (a or b) and (c or a) and not (a and b or c);",
    build: (f) =>
      rule(
        "f",
        [],
        at(f, op("Or", v("a"), v("b")), "a or b"),
        at(f, op("Or", v("c"), v("a")), "c or a"),
        op("Not", op("Or", at(f, op("And", v("a"), v("b")), "a and b"), v("c"))),
      ),
    expected: [],
  },
  {
    src: "f(a, b, c) if forall(a, b and c or a);",
    build: (f) => rule("f", [], op("ForAll", v("a"), op("Or", at(f, op("And", v("b"), v("c")), "b and c"), v("a")))),
    expected: ["b and c"],
  },
  {
    // Nested: the outer warning comes first (pre-order), temporaries (no source) never warn.
    src: "f() if x and (y or z and w) or g(1);",
    build: (f) =>
      rule(
        "f",
        [],
        op(
          "Or",
          at(
            f,
            op("And", v("x"), at(f, op("Or", v("y"), at(f, op("And", v("z"), v("w")), "z and w")), "y or z and w")),
            "x and (y or z and w)",
          ),
          temporary(op("And", temporary(op("Or", v("p"), v("q")).value), call("g", [])).value),
        ),
      ),
    expected: ["x and (y or z and w)", "z and w"],
  },
];

describe("checkAmbiguousPrecedence", () => {
  it.each(cases)("$src", ({ src, build, expected }) => {
    const file: SourceFile = { name: "policy.polar", text: src };
    const got = checkAmbiguousPrecedence(build(file));
    expect(got.map((d) => (d.context ? src.slice(d.context.start, d.context.end) : null))).toEqual(expected);
    for (const d of got) {
      expect(d.code).toBe("ValidationWarning::AmbiguousPrecedence");
      expect(d.severity).toBe("warning");
      expect(d.message).toBe(AMBIGUOUS_PRECEDENCE_MESSAGE);
    }
  });
});
