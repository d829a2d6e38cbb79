/**
 * The canonical layout, construct by construct (docs/formatting.md): exact expected output for
 * small inputs, comments, blank lines, parentheses, range formatting and the refusals.
 */
import { describe, expect, it } from "vitest";
import { FORMAT_WIDTH, formatDocumentEdits, formatPolar, formatRangeEdits } from "../src/format/index.js";
import { checkFormatted } from "./format-support.js";

function fmt(text: string): string | undefined {
  return formatPolar(text)?.text;
}

/** Formats, checks the formatter's promises on the case too, and returns the output. */
function checked(text: string): string | undefined {
  checkFormatted([{ name: "t.polar", text }]);
  return fmt(text);
}

describe("layout", () => {
  it.each([
    ["spacing of a rule", "allow( a,b ,c )if a=b  and b=c ;", "allow(a, b, c) if a = b and b = c;\n"],
    ["bodiless rule and rule type", 'f(1,"x");type  f(x:Integer);', 'f(1, "x");\ntype f(x: Integer);\n'],
    ["specializers", "f(x:User,y:User{id:1},z:{a:1},w:User{});", "f(x: User, y: User{id: 1}, z: {a: 1}, w: User{});\n"],
    ["inline query", "?=f( 1 );", "?= f(1);\n"],
    [
      "lists, dicts, rest",
      "f(x) if x=[1,2,*r] and r=[] and x={a:1,b:[2]} and y={};",
      "f(x) if x = [1, 2, *r] and r = [] and x = {a: 1, b: [2]} and y = {};\n",
    ],
    ["dict shorthand fields kept", "f(x) if {x, y: 1} = {x: x, y};", "f(x) if {x, y: 1} = {x: x, y};\n"],
    [
      "calls, kwargs, lookups",
      'f(x) if x.a.b( 1 , k : 2 ) and x.(y) and x.("a-b") and g(k: 1);',
      'f(x) if x.a.b(1, k: 2) and x.(y) and x.("a-b") and g(k: 1);\n',
    ],
    [
      "numbers keep their spelling",
      "f(x) if x = - 1 and x = 1e3 and x = 1.50 and x = +2;",
      "f(x) if x = -1 and x = 1e3 and x = 1.50 and x = +2;\n",
    ],
    ["strings keep their escapes", 'f(x) if x = "a\\"b\\n";', 'f(x) if x = "a\\"b\\n";\n'],
    [
      "operators",
      "f(x) if x matches Foo and x in [1] and x != 1 and x := 2 and x mod 2 = 0 and x rem 3 = 1;",
      "f(x) if x matches Foo and x in [1] and x != 1 and x := 2 and x mod 2 = 0 and x rem 3 = 1;\n",
    ],
    [
      "print, debug, cut, forall, new",
      "f(x) if print(x,1) and debug() and cut and forall(y in x, y > 0) and x = new Foo(1, a: 2);",
      "f(x) if print(x, 1) and debug() and cut and forall(y in x, y > 0) and x = new Foo(1, a: 2);\n",
    ],
    [
      "rewritten forms keep their form",
      'f(x) if .(x, "y") and in(x, [1]) and new(Foo());',
      'f(x) if .(x, "y") and in(x, [1]) and new(Foo());\n',
    ],
  ])("%s", (_name, input, expected) => {
    expect(checked(input)).toBe(expected);
  });

  it("parenthesises exactly where the grammar needs it, and around operations under `not`", () => {
    expect(checked("f(a, b, c) if a = ((b - c)) and a = b - (c - 1) and a = (b * c) + 1 and a = b * (c + 1);")).toBe(
      "f(a, b, c) if a = b - c and a = b - (c - 1) and a = b * c + 1 and a = b * (c + 1);\n",
    );
    expect(checked("f(x) if not (not x) and not x = 1 and not (x.y) and not f(x);")).toBe(
      "f(x) if not (not x) and not (x = 1) and not x.y and not f(x);\n",
    );
    expect(checked("f(x) if ((x or x) and x) and (x and x) and x;")).toBe(
      "f(x) if ((x or x) and x) and (x and x) and x;\n",
    );
    expect(checked("f(x) if x and (x and x);")).toBe("f(x) if x and x and x;\n");
    expect(checked("f(x) if x = (1).foo and x = (x + 1).bar;")).toBe("f(x) if x = (1).foo and x = (x + 1).bar;\n");
  });

  it("keeps `and` inside `or` parenthesised exactly as written (the AmbiguousPrecedence warning depends on it)", () => {
    expect(checked("f(a, b, c) if a and b or c;")).toBe("f(a, b, c) if a and b or c;\n");
    expect(checked("f(a, b, c) if (a and b) or c;")).toBe("f(a, b, c) if (a and b) or c;\n");
    expect(checked("f(a, b, c) if a and (b or c);")).toBe("f(a, b, c) if a and (b or c);\n");
  });

  it("breaks a long body after `if`, one operand per line, operators at line ends", () => {
    const long =
      'allow(actor, action, resource) if has_role(actor, "maintainer", resource) and resource.is_public = true and action = "read";';
    expect(long.length).toBeGreaterThan(FORMAT_WIDTH);
    expect(checked(long)).toBe(
      "allow(actor, action, resource) if\n" +
        '  has_role(actor, "maintainer", resource) and\n' +
        "  resource.is_public = true and\n" +
        '  action = "read";\n',
    );
    const disjunction = `f(${"x".repeat(40)}) if ${"x".repeat(40)} = 1 and ${"x".repeat(40)} = 2 or ${"x".repeat(40)} = 3;`;
    expect(checked(disjunction)).toBe(
      `f(${"x".repeat(40)}) if\n  ${"x".repeat(40)} = 1 and\n  ${"x".repeat(40)} = 2 or\n  ${"x".repeat(40)} = 3;\n`,
    );
    const single = `f(x) if x = ${JSON.stringify("y".repeat(100))};`;
    expect(checked(single)).toBe(`f(x) if\n  x = ${JSON.stringify("y".repeat(100))};\n`);
  });

  it("joins a short body written over several lines", () => {
    expect(checked("allow(actor, action, resource) if\n    has_permission(actor, action, resource);")).toBe(
      "allow(actor, action, resource) if has_permission(actor, action, resource);\n",
    );
  });

  it("lays out resource blocks", () => {
    const input =
      'resource Repo{permissions=["read","push"];roles=["reader"];relations={parent:Org,owner : User};"read" if "reader";\n\n\n"push" if "owner" on "parent";}\nactor   User  {  }\nFoo{}';
    expect(checked(input)).toBe(
      "resource Repo {\n" +
        '  permissions = ["read", "push"];\n' +
        '  roles = ["reader"];\n' +
        "  relations = { parent: Org, owner: User };\n" +
        '  "read" if "reader";\n' +
        "\n" +
        '  "push" if "owner" on "parent";\n' +
        "}\n" +
        "actor User {}\n" +
        "Foo {}\n",
    );
  });

  it("breaks a long declaration list one entry per line, with a trailing comma", () => {
    const roles = Array.from({ length: 12 }, (_, i) => `"role_number_${i}"`);
    const out = checked(`resource R { roles = [${roles.join(",")}]; }`);
    expect(out).toBe(`resource R {\n  roles = [\n${roles.map((r) => `    ${r},\n`).join("")}  ];\n}\n`);
  });

  it("keeps blank lines between items (at most one) and drops them at the edges", () => {
    expect(checked("\n\n\nf(1);\n\n\n\ng(1);\nh(1);\n\n\n")).toBe("f(1);\n\ng(1);\nh(1);\n");
  });

  it("keeps CRLF line endings", () => {
    expect(checked("f(1);\r\n\r\n\r\ng(1) if\r\n  f(1);\r\n")).toBe("f(1);\r\n\r\ng(1) if f(1);\r\n");
  });

  it("formats an empty or blank file to nothing, and a file of comments to its comments", () => {
    expect(fmt("")).toBe("");
    expect(fmt("  \n\n")).toBe("");
    expect(checked("# a   \n\n\n   # b\n")).toBe("# a\n\n# b\n");
  });
});

describe("comments", () => {
  it("keeps own-line and end-of-line comments around items", () => {
    const input = "# header\n\nf(1);   # one\n# about g\ng(1);\n# footer";
    expect(checked(input)).toBe("# header\n\nf(1); # one\n# about g\ng(1);\n# footer\n");
  });

  it("puts comments between body operands on their lines, breaking the body", () => {
    const input = "f(x) if # why\n  # first\n  x = 1 and # one\n  # second\n  x = 2; # done";
    expect(checked(input)).toBe("f(x) if # why\n  # first\n  x = 1 and # one\n  # second\n  x = 2; # done\n");
    expect(checked("f(x) if x = 1 and x = 2 # end\n;")).toBe("f(x) if x = 1 and x = 2; # end\n");
  });

  it("keeps comments in resource blocks and declaration lists", () => {
    const input =
      'resource Repo { # open\n  # roles\n  roles = [ # list\n "a", # first\n  # before b\n "b" # second\n # dangling\n ]; # end\n\n  "a" if "b"; # rule\n  # last\n} # close';
    expect(checked(input)).toBe(
      "resource Repo { # open\n" +
        "  # roles\n" +
        "  roles = [ # list\n" +
        '    "a", # first\n' +
        "    # before b\n" +
        '    "b", # second\n' +
        "    # dangling\n" +
        "  ]; # end\n" +
        "\n" +
        '  "a" if "b"; # rule\n' +
        "  # last\n" +
        "} # close\n",
    );
  });

  it("copies an item with a comment the layout has no place for as written", () => {
    const input = "f(x) if g(x, # inside a call\n  1);\ng(   1);";
    expect(checked(input)).toBe("f(x) if g(x, # inside a call\n  1);\ng(1);\n");
    const head = "allow(actor, action, resource) # head\n  if has_permission(actor, action, resource);";
    expect(checked(head)).toBe(`${head}\n`);
  });
});

describe("refusals", () => {
  it("does not format a file with a syntax error, and returns no edits", () => {
    for (const text of [
      "f(x) if x = ;",
      "resource R { roles = [1]; }",
      'f("unterminated);',
      "f(x) if x = 1 and\n g(1);\n h(;",
    ]) {
      expect(formatPolar(text)).toBeNull();
      expect(formatDocumentEdits(text)).toEqual([]);
      expect(formatRangeEdits(text, 0, text.length)).toEqual([]);
    }
  });

  it("never throws on pathological input", () => {
    const deep = `f(x) if x = ${"1 + ".repeat(20000)}1;`;
    expect(() => formatPolar(deep)).not.toThrow();
    const nested = `f(x) if x = ${"[".repeat(200)}${"]".repeat(200)};`;
    expect(() => formatPolar(nested)).not.toThrow();
    const chain = `f(x) if ${Array.from({ length: 20000 }, () => "x = 1").join(" and ")};`;
    expect(formatPolar(chain)?.text.split("\n").length).toBe(20002);
  });
});

describe("edits", () => {
  const text = "f( 1 );\n\n  g( 1 );   # g\nh( 1 ) if\n  g(1);\n";

  it("formats the whole document with one minimal edit, none when formatted", () => {
    const edits = formatDocumentEdits(text);
    expect(edits).toHaveLength(1);
    const formatted = fmt(text) ?? "";
    expect(formatDocumentEdits(formatted)).toEqual([]);
  });

  it("formats only the items a range touches", () => {
    const at = text.indexOf("g( 1 )");
    const edits = formatRangeEdits(text, at + 1, at + 1);
    let out = text;
    for (const e of edits) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    expect(out).toBe("f( 1 );\n\ng(1); # g\nh( 1 ) if\n  g(1);\n");
    const both = formatRangeEdits(text, text.indexOf("g("), text.indexOf("h(") + 1);
    out = text;
    for (const e of both) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    expect(out).toBe("f( 1 );\n\ng(1); # g\nh(1) if g(1);\n");
  });
});
