/**
 * polar.json and the classes setting on their own: the JSON reader with spans (against
 * `JSON.parse`), the schema validator (good and bad documents, each problem's place and words),
 * and the schema using only keywords the validator interprets.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJson, valueOf } from "../src/json-spans.js";
import {
  CLASSES_SETTING_SCHEMA,
  environmentOf,
  parseClassesSetting,
  parseProjectConfig,
  POLAR_JSON_SCHEMA,
  unknownSchemaKeywords,
  type ConfigResult,
} from "../src/project-config.js";

function problemsOf(result: ConfigResult | null): { path: string; message: string }[] {
  if (result === null || result.ok) throw new Error(`expected problems, got ${JSON.stringify(result)}`);
  return result.problems.map((p) => ({ path: p.path, message: p.message }));
}

describe("parseJson", () => {
  it("reads what JSON.parse reads, with the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const parsed = parseJson(text);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(valueOf(parsed.node)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts exactly what JSON.parse accepts, on broken documents", () => {
    const mutate = fc
      .tuple(
        fc.jsonValue(),
        fc.nat(),
        fc.constantFrom("", ",", "}", "]", '"', ":", "x", "\\", "\n", "0", "-", "{", "[", "tru"),
      )
      .map(([value, at, insert]) => {
        const text = JSON.stringify(value);
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (insert === "" ? 1 : 0));
      });
    fc.assert(
      fc.property(mutate, (text) => {
        let accepted = true;
        try {
          JSON.parse(text);
        } catch {
          accepted = false;
        }
        const parsed = parseJson(text);
        expect(parsed.ok).toBe(accepted);
        if (!parsed.ok) {
          expect(parsed.offset).toBeGreaterThanOrEqual(0);
          expect(parsed.offset).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps the span of every key and value", () => {
    const text = '{ "classes": { "User": { "bases": ["Base"] } } }';
    const parsed = parseJson(text);
    if (!parsed.ok) throw new Error(parsed.message);
    const classes = parsed.node.kind === "object" ? parsed.node.entries[0] : undefined;
    expect(text.slice(classes?.keySpan.start, classes?.keySpan.end)).toBe('"classes"');
    const user = classes?.value.kind === "object" ? classes.value.entries[0] : undefined;
    expect(text.slice(user?.value.start, user?.value.end)).toBe('{ "bases": ["Base"] }');
  });

  it("says where a syntax error is", () => {
    const text = '{ "classes": { "User": {} ';
    const parsed = parseJson(text);
    expect(parsed).toMatchObject({
      ok: false,
      offset: text.length,
      message: "expected ',' or '}', found the end of the file",
    });
    expect(parseJson('{"a": 1,}')).toMatchObject({ ok: false, offset: 8 });
  });

  it("refuses nesting deeper than its limit instead of overflowing the stack", () => {
    expect(parseJson("[".repeat(100_000) + "]".repeat(100_000))).toMatchObject({ ok: false });
  });
});

describe("the schema", () => {
  it("uses only keywords the validator interprets", () => {
    expect(unknownSchemaKeywords(POLAR_JSON_SCHEMA)).toEqual([]);
    expect(unknownSchemaKeywords(CLASSES_SETTING_SCHEMA)).toEqual([]);
    expect(unknownSchemaKeywords({ ...POLAR_JSON_SCHEMA, oneOf: [] } as never)).toEqual(["#/oneOf"]);
  });
});

describe("parseProjectConfig", () => {
  it("reads the classes and their bases", () => {
    const result = parseProjectConfig(
      JSON.stringify({
        $schema: "./schema.json",
        classes: { User: {}, Resource_: {}, "App::Org": { bases: ["Resource_"] } },
      }),
    );
    expect(result).toEqual({
      ok: true,
      classes: new Map([
        ["User", []],
        ["Resource_", []],
        ["App::Org", ["Resource_"]],
      ]),
    });
  });

  it("accepts no class at all (the application registers only the built-ins)", () => {
    expect(parseProjectConfig('{"classes": {}}')).toEqual({ ok: true, classes: new Map() });
  });

  const bad: readonly (readonly [string, string, string])[] = [
    ["", "", "not valid JSON: expected a value, found the end of the file"],
    ['{"classes": {"User": {}}', "", "not valid JSON"],
    ["[]", "", "the file must be an object, not a list"],
    ["{}", "", 'the file needs a "classes" property'],
    ['{"classes": {}, "clases": {}}', "clases", 'unknown property "clases" in the file (allowed: $schema, classes)'],
    ['{"classes": ["User"]}', "classes", "classes must be an object, not a list"],
    ['{"classes": {"User": true}}', "classes.User", "classes.User must be an object, not a boolean"],
    [
      '{"classes": {"User": {"base": []}}}',
      "classes.User.base",
      'unknown property "base" in classes.User (allowed: bases)',
    ],
    [
      '{"classes": {"User": {"bases": "Base"}}}',
      "classes.User.bases",
      "classes.User.bases must be a list, not a string",
    ],
    [
      '{"classes": {"User": {"bases": [1]}}}',
      "classes.User.bases[0]",
      "classes.User.bases[0] must be a string, not a number",
    ],
    ['{"classes": {"Actor": {}}}', "classes.Actor", '"Actor" is not allowed here'],
    ['{"classes": {"String": {}}}', "classes.String", "Oso registers the built-in classes itself"],
    ['{"classes": {"my class": {}}}', 'classes."my class"', "A class name is a Polar name"],
    ['{"classes": {"User": {}, "User": {}}}', "classes.User", "class User is listed twice in classes"],
    [
      '{"classes": {"Org": {"bases": ["Base"]}}}',
      "classes.Org.bases[0]",
      "base Base of Org is not a class listed in classes",
    ],
    ['{"classes": {"Org": {"bases": ["Org"]}}}', "classes.Org.bases[0]", "class Org cannot be its own base"],
    ['{"classes": {"B": {}, "Org": {"bases": ["B", "B"]}}}', "classes.Org.bases[1]", '"B" is listed twice'],
  ];
  it.each(bad)("%s → %s: %s", (text, path, message) => {
    const [first] = problemsOf(parseProjectConfig(text));
    expect(first?.path).toBe(path);
    expect(first?.message).toContain(message);
  });

  it("puts each problem on the text that causes it", () => {
    const text = '{\n  "classes": {\n    "User": { "bases": ["Nope"] }\n  }\n}\n';
    const result = parseProjectConfig(text);
    if (result.ok) throw new Error("expected a problem");
    const [p] = result.problems;
    expect(p === undefined ? "" : text.slice(p.span.start, p.span.end)).toBe('"Nope"');
    const syntax = parseProjectConfig('{"classes": {"User" {}}}');
    if (syntax.ok) throw new Error("expected a problem");
    expect(syntax.problems[0]?.span.start).toBe(20);
  });
});

describe("any input", () => {
  it("a polar.json text never throws: its classes, or problems placed inside the text", () => {
    const texts = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .dictionary(fc.string(), fc.oneof(fc.constant({}), fc.record({ bases: fc.array(fc.string()) }), fc.jsonValue()))
        .map((classes) => JSON.stringify({ classes })),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const result = parseProjectConfig(text);
        if (result.ok) return;
        expect(result.problems.length).toBeGreaterThan(0);
        for (const p of result.problems) {
          expect(p.message).not.toBe("");
          expect(0 <= p.span.start && p.span.start <= p.span.end && p.span.end <= text.length).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a setting value never throws", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = parseClassesSetting(value);
        if (result !== null && !result.ok) expect(result.problems[0]?.message).toBeTruthy();
      }),
      { numRuns: 500 },
    );
  });
});

describe("parseClassesSetting", () => {
  it("is not set when absent or null", () => {
    expect(parseClassesSetting(undefined)).toBeNull();
    expect(parseClassesSetting(null)).toBeNull();
  });

  it("reads the same shape as polar.json's classes", () => {
    expect(parseClassesSetting({ User: {}, Org: { bases: ["User"] } })).toEqual({
      ok: true,
      classes: new Map([
        ["User", []],
        ["Org", ["User"]],
      ]),
    });
  });

  it("names the problem with the setting's path", () => {
    expect(problemsOf(parseClassesSetting(["User"]))[0]?.message).toBe("classes must be an object, not a list");
    expect(problemsOf(parseClassesSetting({ Resource: {} }))[0]?.path).toBe("classes.Resource");
    expect(problemsOf(parseClassesSetting({ User: { bases: [Number.NaN] } }))[0]?.message).toContain(
      "not a JSON value",
    );
  });
});

describe("environmentOf", () => {
  it("is what polar-check --classes A,B --mro B:A builds, over several roots", () => {
    expect(
      environmentOf([
        new Map([
          ["A", []],
          ["B", ["A"]],
        ]),
        new Map([
          ["B", ["C"]],
          ["C", []],
        ]),
      ]),
    ).toEqual({ classes: ["A", "B", "C"], mro: { B: ["A", "C"] }, builtins: true });
  });
});
