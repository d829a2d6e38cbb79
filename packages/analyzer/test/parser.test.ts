import { describe, expect, it } from "vitest";
import { parseFile } from "../src/parser.js";
import { toPolar } from "../src/printer.js";
import { spanOf, type Line, type Term, type Value } from "../src/ast.js";
import { pushChildren } from "../src/walk.js";

/** First parse error of `text`: [code, message, start, end], or "ok". */
function firstError(text: string): "ok" | [string, string, number, number] {
  const r = parseFile({ name: "p.polar", text });
  if (r.ok) return "ok";
  return [r.error.code, r.error.message, r.error.context?.start ?? -1, r.error.context?.end ?? -1];
}

function lines(text: string): readonly Line[] {
  const r = parseFile({ name: "p.polar", text });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const unexpected = (tok: string) => `did not expect to find the token '${tok}'`;
const EOF_MSG = "hit the end of the file unexpectedly. Did you forget a semi-colon";

describe("parse errors", () => {
  // Each row: source, expected first error (as the engine reports it).
  const rows: [string, string, "ok" | [string, string, number, number]][] = [
    ["empty file", "", "ok"],
    ["comments only", "# hi\n  # there", "ok"],
    ["missing semicolon at EOF", "f(x)", ["ParseError::UnrecognizedEOF", EOF_MSG, 4, 4]],
    ["EOF position ignores trailing comments", "f(x) if x  # c\n", ["ParseError::UnrecognizedEOF", EOF_MSG, 9, 9]],
    ["unexpected token", "f(x) if x = 1 2;", ["ParseError::UnrecognizedToken", unexpected("2"), 14, 15]],
    [
      "string token printed without quotes",
      'f() if "a\\tb" "c";',
      ["ParseError::UnrecognizedToken", unexpected("c"), 14, 15],
    ],
    [
      "reserved word at top level",
      "debug;",
      ["ParseError::ReservedWord", "debug is a reserved Polar word and cannot be used here", 0, 5],
    ],
    [
      "reserved word in specializer",
      "f(x: new);",
      ["ParseError::ReservedWord", "new is a reserved Polar word and cannot be used here", 5, 8],
    ],
    ["other keywords are plain unexpected tokens", "and;", ["ParseError::UnrecognizedToken", unexpected("and"), 0, 3]],
    ["isa token is never accepted", "f(x) if x isa y;", ["ParseError::UnrecognizedToken", unexpected("isa"), 10, 13]],
    [
      "integer overflow",
      "f(9223372036854775808);",
      ["ParseError::IntegerOverflow", "'9223372036854775808' caused an integer overflow", 2, 21],
    ],
    ["max i64 is fine", "f(9223372036854775807);", "ok"],
    ["invalid float", "f(1e);", ["ParseError::InvalidFloat", "1e was parsed as a float, but is invalid", 2, 4]],
    ["float forms Rust accepts", "f(1.) if x = 1.e3 and y = 1e400;", "ok"],
    [
      "invalid character",
      "f($);",
      ["ParseError::InvalidTokenCharacter", "'$' is not a valid character. Found in ", 2, 2],
    ],
    ["? without =", "f(x?)", ["ParseError::UnrecognizedEOF", EOF_MSG, 5, 5]],
    ["lone ?", "f() if ? 1", ["ParseError::InvalidTokenCharacter", "' ' is not a valid character. Found in ?=", 8, 8]],
    ["? at EOF", "?", ["ParseError::InvalidTokenCharacter", "'\\0' is not a valid character. Found in ?=", 1, 1]],
    [
      "newline in string",
      'f("ab\nc");',
      ["ParseError::InvalidTokenCharacter", "'\\n' is not a valid character. Found in ab", 5, 5],
    ],
    [
      "EOF in string",
      'f("ab',
      ["ParseError::InvalidTokenCharacter", "'\\0' is not a valid character. Found in ab", 2, 2],
    ],
    [
      "symbol ending in ::",
      "f(Foo::);",
      ["ParseError::InvalidTokenCharacter", "':' is not a valid character. Found in Foo::", 6, 6],
    ],
    [
      "value where logical expected",
      "f(x) if not 1;",
      ["ParseError::WrongValueType", "Wrong value type: 1. Expected a logical expression", 12, 13],
    ],
    [
      "logical where value expected",
      "f(x) if g(x) + 1;",
      ["ParseError::WrongValueType", "Wrong value type: g(x). Expected a value", 8, 12],
    ],
    [
      "span without parentheses",
      "f(x) if (g(x)) + 1;",
      ["ParseError::WrongValueType", "Wrong value type: g(x). Expected a value", 9, 13],
    ],
    [
      "invalid lookahead wins over a pending check",
      "f(x) if not 1 ]",
      ["ParseError::UnrecognizedToken", unexpected("]"), 14, 15],
    ],
    [
      "comparison chains are not values",
      "f(x) if 1 < 2 < 3;",
      ["ParseError::WrongValueType", "Wrong value type: 1 < 2. Expected a value", 8, 13],
    ],
    ["call in parameter", "f(g(x));", ["ParseError::WrongValueType", "Wrong value type: g(x). Expected a value", 2, 6]],
    ["comparison not allowed in parameter", "f(x > 1);", ["ParseError::UnrecognizedToken", unexpected(">"), 4, 5]],
    ["not not", "f(x) if not not x;", ["ParseError::UnrecognizedToken", unexpected("not"), 12, 15]],
    [
      "positional arguments take no trailing comma",
      "f(x) if g(x,);",
      ["ParseError::UnrecognizedToken", unexpected(")"), 12, 13],
    ],
    ["keyword arguments do", "f(x) if g(x, a: 1,);", "ok"],
    ["positional after keyword", "f(x) if g(a: 1, x);", ["ParseError::UnrecognizedToken", unexpected(")"), 17, 18]],
    ["duplicate dict key", "f(x) if x = {a: 1, b: 2, a: 3};", ["ParseError::DuplicateKey", "Duplicate key: a", 13, 14]],
    ["duplicate kwarg", "f(x) if g(k: 1, k: 2);", ["ParseError::DuplicateKey", "Duplicate key: k", 10, 11]],
    [
      "duplicate key with shorthand field",
      "f(x) if x = {a, a: 1};",
      ["ParseError::DuplicateKey", "Duplicate key: a", 13, 14],
    ],
    ["extra commas in lists and dicts", "f(x) if x = [1,,2,] and y = {a: 1,,};", "ok"],
    ["assignment needs a variable", "f(x) if (x) := 1;", ["ParseError::UnrecognizedToken", unexpected(":="), 12, 14]],
    ["block keyword", 'resource Repo { roles = ["a"]; }', "ok"],
    [
      "block shorthand with in",
      'resource Repo { "a" if "b" in "c"; }',
      ["ParseError::ReservedWord", "in is a reserved Polar word and cannot be used here", 27, 29],
    ],
    ["rule type takes no body", "type f(x) if x;", ["ParseError::UnrecognizedToken", unexpected("if"), 10, 12]],
    ["inline query", "?= f(1);", "ok"],
    [
      "float printing in messages",
      "f(x) if x = 1 2.5e-7;",
      ["ParseError::UnrecognizedToken", unexpected("0.00000025"), 14, 24],
    ],
    [
      "lexer error only when the token is read",
      "f(x) if g(x) + $",
      ["ParseError::WrongValueType", "Wrong value type: g(x). Expected a value", 8, 12],
    ],
    [
      "non-printable characters are escaped",
      "f(x) if x = 1 \u00a0;",
      ["ParseError::UnrecognizedToken", unexpected("\\u{a0}"), 14, 15],
    ],
  ];
  it.each(rows)("%s", (_name, text, expected) => {
    expect(firstError(text)).toEqual(expected);
  });
});

describe("syntax trees", () => {
  it("prints operators with engine precedence", () => {
    const [line] = lines("?= x = 1 + 2 * 3 and (a or b) and not c in d;");
    expect(line?.kind).toBe("query");
    if (line?.kind === "query") expect(toPolar(line.term)).toBe("x = 1 + 2 * 3 and (a or b) and not c in d");
  });

  it("flattens right-nested and chains, including a parenthesised tail", () => {
    const [line] = lines("f() if a and b and (c and d);");
    if (line?.kind !== "rule") throw new Error("not a rule");
    const body = line.rule.body.value;
    expect(body.type === "Expression" && body.args.length).toBe(4);
  });

  it("keeps each list's own elements when lists nest (arguments, elements, parameters, productions)", () => {
    const ls = lines(
      "f(x: Foo, [a, [b, *c]], {k: [1, [2]]}) if " +
        "x.m(y, [z + w * v, 4], k: 5) and print(p, [q, r.s(1, [2])]) and not (a and (b and c)) and (t and u);\n" +
        'resource R { roles = ["a", "b", "c"]; relations = { o: O, p: P }; "a" if "b"; "c" if "a" on "o"; }\n' +
        "?= [1, [2, [3, [4]]], 5] = [*n];\n",
    );
    const [rule, block, query] = ls;
    if (rule?.kind !== "rule" || block?.kind !== "resourceBlock" || query?.kind !== "query") throw new Error("shape");
    expect(rule.rule.params.map((p) => toPolar(p.parameter))).toEqual(["x", "[a, [b, *c]]", "{k: [1, [2]]}"]);
    expect(rule.rule.params.map((p) => p.specializer && toPolar(p.specializer))).toEqual(["Foo{}", null, null]);
    const body = rule.rule.body.value;
    if (body.type !== "Expression") throw new Error("body");
    // The parenthesised `and` tail is flattened into the body; the one inside the list stays nested.
    expect(body.args.map((a) => toPolar(a))).toEqual([
      "x.m(y, [z + w * v, 4], k: 5)",
      "print(p, [q, r.s(1, [2])])",
      "not (a and b and c)",
      "t",
      "u",
    ]);
    const call = body.args[0]?.value;
    if (call?.type !== "Expression") throw new Error("dot");
    const method = call.args[1]?.value;
    if (method?.type !== "Call") throw new Error("call");
    expect(method.args.length).toBe(2);
    const list = method.args[1]?.value;
    if (list?.type !== "List") throw new Error("list");
    expect(list.elements.length).toBe(2);
    const inner = list.elements[0]?.value;
    expect(inner?.type === "Expression" && inner.args.length).toBe(2);
    const not = body.args[2]?.value;
    const chain = not?.type === "Expression" ? not.args[0]?.value : undefined;
    expect(chain?.type === "Expression" && chain.args.length).toBe(3);
    expect(block.productions.map((p) => p.kind)).toEqual(["declaration", "declaration", "shorthand", "shorthand"]);
    const roles = block.productions[0];
    expect(roles?.kind === "declaration" && toPolar(roles.value)).toBe('["a", "b", "c"]');
    expect(toPolar(query.term)).toBe("[1, [2, [3, [4]]], 5] = [*n]");
  });

  it("turns a bare class specializer into an instance pattern", () => {
    const [line] = lines("f(x: Foo, y: {a: 1}, z: Bar{b: 2});");
    if (line?.kind !== "rule") throw new Error("not a rule");
    expect(line.rule.params.map((p) => p.specializer?.value.type)).toEqual([
      "InstancePattern",
      "DictionaryPattern",
      "InstancePattern",
    ]);
    // Each pattern spans its own text; `matches` reads a bare class name the same way.
    expect(line.rule.params.map((p) => p.specializer && spanOf(p.specializer))).toEqual([
      { start: 5, end: 8 },
      { start: 13, end: 19 },
      { start: 24, end: 33 },
    ]);
    const [query] = lines("?= x matches Foo and y matches Foo{};");
    if (query?.kind !== "query" || query.term.value.type !== "Expression") throw new Error("not a query");
    const patterns = query.term.value.args.map((a) => (a.value.type === "Expression" ? a.value.args[1] : undefined));
    expect(patterns.map((p) => p && [p.value, spanOf(p)])).toEqual([
      [
        { type: "InstancePattern", tag: "Foo", fields: new Map() },
        { start: 13, end: 16 },
      ],
      [
        { type: "InstancePattern", tag: "Foo", fields: new Map() },
        { start: 31, end: 36 },
      ],
    ]);
  });

  it("records rule head and block spans like the engine", () => {
    const text = "f(x) ;\nresource Repo {}\n";
    const ls = lines(text);
    const rule = ls[0];
    const block = ls[1];
    if (rule?.kind !== "rule" || block?.kind !== "resourceBlock") throw new Error("shape");
    // A bodiless rule's span ends where the `;` starts (grammar: `<start:@L> ";"`).
    expect(rule.rule.source.kind === "parser" && [rule.rule.source.start, rule.rule.source.end]).toEqual([0, 5]);
    expect(block.resource.source.kind === "parser" && [block.resource.source.start, block.resource.source.end]).toEqual(
      [7, 23],
    );
  });

  it("survives deep nesting without overflowing the stack", () => {
    const r = parseFile({ name: "deep", text: "f() if " + "(".repeat(100_000) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("ParseError::NestingTooDeep");
    // Nesting up to the limit parses.
    const ok = parseFile({ name: "ok", text: "f(x) if " + "(".repeat(200) + "x" + ")".repeat(200) + ";" });
    expect(ok.ok).toBe(true);
    const chain = parseFile({
      name: "long",
      text: "f() if " + Array.from({ length: 100_000 }, (_, i) => `x${i} = 1`).join(" and ") + ";",
    });
    expect(chain.ok).toBe(true);
  });
});

describe("leaf values", () => {
  /** Every term of `ls` (parameters, specializers, bodies, queries, block terms), in any order. */
  function allTerms(ls: readonly Line[]): Term[] {
    const stack: Term[] = [];
    for (const l of ls) {
      if (l.kind === "rule" || l.kind === "ruleType") {
        stack.push(l.rule.body);
        for (const p of l.rule.params) stack.push(p.parameter, ...(p.specializer === null ? [] : [p.specializer]));
      } else if (l.kind === "query") stack.push(l.term);
      else {
        stack.push(l.resource, ...(l.keyword === null ? [] : [l.keyword]));
        for (const p of l.productions) {
          if (p.kind === "declaration") stack.push(p.name, p.value);
          else stack.push(p.head, p.implier, ...(p.relation === null ? [] : [p.relation.keyword, p.relation.name]));
        }
      }
    }
    const out: Term[] = [];
    while (stack.length > 0) {
      const t = stack.pop() as Term;
      out.push(t);
      pushChildren(stack, t.value);
    }
    return out;
  }

  it("share one value object per symbol name, string, boolean and bare class pattern within a parse", () => {
    const text = [
      'actor User {}\nresource Repo { roles = ["reader", "writer"]; "reader" if "writer"; }',
      'f(x, y: Repo) if x = "reader" and y.owner = x and g(x, "writer", true) and h(true, {reader: x});',
      'g(a, "writer", _b) if a matches User and [a, "reader"] = [a, "reader"];',
      'h(true, d) if d.reader = "reader" or false;',
      "k(u: User, r: Repo, v: User) if u matches User and r matches Repo{} and v matches Repo;",
    ].join("\n");
    const terms = allTerms(lines(text));
    const byKey = new Map<string, Value>();
    let leaves = 0;
    for (const t of terms) {
      const v = t.value;
      const span = spanOf(t);
      // A bare class name (`x: Repo`, `matches Repo`), not `Repo{}`.
      const bare = v.type === "InstancePattern" && span !== null && span.end - span.start === v.tag.length;
      let name: string;
      if (v.type === "Variable") name = v.name;
      else if (v.type === "String" || v.type === "Boolean") name = String(v.value);
      else if (bare) name = v.tag;
      else continue;
      leaves++;
      const key = `${v.type}:${name}`;
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, v);
      else expect(v, key).toBe(seen);
    }
    expect(byKey.get("Variable:x")).toEqual({ type: "Variable", name: "x" });
    expect(byKey.get("String:reader")).toEqual({ type: "String", value: "reader" });
    expect(byKey.get("Boolean:true")).toEqual({ type: "Boolean", value: true });
    expect(byKey.get("InstancePattern:User")).toEqual({ type: "InstancePattern", tag: "User", fields: new Map() });
    // `Repo{}` has its own (empty) fields: only bare class names share.
    const patterns = terms.filter((t) => t.value.type === "InstancePattern" && t.value.tag === "Repo");
    expect(new Set(patterns.map((t) => t.value)).size).toBe(2);
    // The policy repeats its names: far fewer value objects than leaf terms.
    expect(byKey.size).toBeLessThan(leaves / 2);
  });

  it("makes each parsed term its own source info: one object per term", () => {
    const text = 'f(x: Repo, "s") if x.owner = [1, {a: _}] and not g(x) or h(new Foo(x));\n?= f(_, "s");';
    const ls = lines(text);
    const terms = allTerms(ls);
    expect(terms.length).toBeGreaterThan(20);
    for (const t of terms) {
      expect(t.source).toBe(t);
      expect(t.source.kind).toBe("parser");
      // Own properties are the value and the span only (no separate source object); an operation
      // is its own value too (no separate value object).
      if (t.value.type === "Expression") {
        expect(t.value).toBe(t);
        expect(Object.keys(t).sort()).toEqual(["args", "end", "file", "operator", "start", "type"]);
        // A copy of the value is still an expression value.
        expect({ ...t.value }).toMatchObject({ type: "Expression", operator: t.value.operator, args: t.value.args });
      } else {
        expect(Object.keys(t).sort()).toEqual(["end", "file", "start", "value"]);
      }
      const s = spanOf(t);
      expect(s !== null && s.start <= s.end && s.end <= text.length).toBe(true);
    }
  });

  it("makes every operation one object that is its term, its value and its source", () => {
    const text =
      "f(x) if x = 1 and not g(x) or x.a in [1, 2] and x matches Foo and cut and forall(y in x.b, y > 0);\ng(_x);";
    const ls = lines(text);
    const expressions = allTerms(ls).filter((t) => t.value.type === "Expression");
    const operators = new Set(expressions.map((t) => (t.value.type === "Expression" ? t.value.operator : "")));
    expect([...operators].sort()).toEqual(
      ["And", "Cut", "Dot", "ForAll", "Gt", "In", "Isa", "Not", "Or", "Unify"].sort(),
    );
    for (const t of expressions) {
      expect(t.value).toBe(t);
      expect(t.source).toBe(t);
      expect(t.source.kind).toBe("parser");
      expect(t.value.type).toBe("Expression");
    }
    // The printers see the same operations.
    const [rule] = ls;
    if (rule?.kind !== "rule") throw new Error("not a rule");
    expect(toPolar(rule.rule.body)).toBe(
      "(x = 1 and not g(x) or x.a in [1, 2] and x matches Foo{} and cut and forall(y in x.b, y > 0))",
    );
  });

  it("shares one number value per sign and spelling within a parse", () => {
    const text = "f(x) if x = 1 and x = 1 and x = -1 and x = - 1 and x = 1.0 and x = 0.0 and x = -0.0 and x = 1.0;";
    const numbers = allTerms(lines(text)).flatMap((t) => (t.value.type === "Number" ? [t.value] : []));
    expect(numbers.map((v) => String(v.number.value))).toEqual(["1", "1", "-1", "-1", "1", "0", "0", "1"].reverse());
    const distinct = new Set(numbers);
    expect(distinct.size).toBe(5); // 1, -1, 1.0, 0.0, -0.0
    const floats = [...distinct].flatMap((v) => (v.number.kind === "float" ? [v.number.value] : []));
    expect(floats.map((f) => Object.is(f, -0))).toEqual(expect.arrayContaining([true, false]));
    const [zeros] = lines("f(x) if x = -0.0 and x = 0.0 and x = -0.0;");
    if (zeros?.kind !== "rule") throw new Error("not a rule");
    expect(toPolar(zeros.rule.body)).toBe("x = -0 and x = 0 and x = -0");
  });

  it("keeps the values of different parses apart", () => {
    const [a] = lines("f(x);");
    const [b] = lines("f(x);");
    if (a?.kind !== "rule" || b?.kind !== "rule") throw new Error("not a rule");
    expect(a.rule.params[0]?.parameter.value).toEqual(b.rule.params[0]?.parameter.value);
    expect(a.rule.params[0]?.parameter.value).not.toBe(b.rule.params[0]?.parameter.value);
  });
});
