/**
 * A parsed shorthand rule is one object (`ParsedShorthand`, ast.ts): its strings' values and spans,
 * its terms built when first read and kept, so that every read gives the same terms, equal to the
 * terms a parse used to make. A load reads only the values: it builds no shorthand rule's terms.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ParsedRelationShorthand,
  ParsedShorthand,
  shorthandHeadTerm,
  type Line,
  type Production,
  type SourceFile,
  type Term,
} from "../src/ast.js";
import { materialize, reparseFile } from "../src/incremental-parse.js";
import { diagnosticLoad } from "../src/load.js";
import { parseFile } from "../src/parser.js";

const TEXT = [
  "actor User {}",
  "resource Org {",
  '  roles = ["member", "owner"];',
  "}",
  "resource Repo {",
  '  permissions = ["read", "wr\\"ite"];',
  '  roles = ["reader", "writer"];',
  "  relations = { parent: Org };",
  '  "read" if "reader";',
  '  "wr\\"ite" if "writer";',
  '  "reader" if "member" on "parent";',
  '  "writer" if "owner"   under   "parent";',
  "}",
  'has_relation(org: Org, "parent", repo: Repo) if repo.org = org;',
  "",
].join("\n");

function shorthands(lines: readonly Line[]): Extract<Production, { kind: "shorthand" }>[] {
  return lines.flatMap((l) => (l.kind === "resourceBlock" ? l.productions : [])).filter((p) => p.kind === "shorthand");
}

function parsed(file: SourceFile): Line[] {
  const r = parseFile(file);
  if (!r.ok) throw new Error(r.error.message);
  return [...r.value];
}

/** The term's value and the text its span covers. */
function shape(term: Term): { value: unknown; text: string } {
  const s = term.source;
  if (s.kind !== "parser") throw new Error("not a parsed term");
  return { value: term.value, text: s.file.text.slice(s.start, s.end) };
}

function strings(p: Extract<Production, { kind: "shorthand" }>): unknown {
  return {
    head: shape(p.head),
    implier: shape(p.implier),
    relation: p.relation === null ? null : { keyword: shape(p.relation.keyword), name: shape(p.relation.name) },
  };
}

const STRING = (value: string, text: string) => ({ value: { type: "String", value }, text });
const EXPECTED = [
  { head: STRING("read", '"read"'), implier: STRING("reader", '"reader"'), relation: null },
  { head: STRING('wr"ite', '"wr\\"ite"'), implier: STRING("writer", '"writer"'), relation: null },
  {
    head: STRING("reader", '"reader"'),
    implier: STRING("member", '"member"'),
    relation: { keyword: { value: { type: "Variable", name: "on" }, text: "on" }, name: STRING("parent", '"parent"') },
  },
  {
    head: STRING("writer", '"writer"'),
    implier: STRING("owner", '"owner"'),
    relation: {
      keyword: { value: { type: "Variable", name: "under" }, text: "under" },
      name: STRING("parent", '"parent"'),
    },
  },
];

describe("parsed shorthand rules", () => {
  afterEach(() => vi.restoreAllMocks());

  it("build their terms when read, the same objects on every read, with the values and spans of the text", () => {
    const rules = shorthands(parsed({ name: "a.polar", text: TEXT }));
    expect(rules.map((r) => r.constructor)).toEqual([
      ParsedShorthand,
      ParsedShorthand,
      ParsedRelationShorthand,
      ParsedRelationShorthand,
    ]);
    expect(rules.map(strings)).toEqual(EXPECTED);
    for (const r of rules) {
      expect(r.kind).toBe("shorthand");
      expect(r.head).toBe(r.head);
      expect(r.implier).toBe(r.implier);
      expect(r.relation).toBe(r.relation);
      if (r.relation !== null) {
        expect(r.relation.keyword).toBe(r.relation.keyword);
        expect(r.relation.name).toBe(r.relation.name);
      }
    }
  });

  it("give a rule-type check a head equal to the rule's head, and the head itself once it is built", () => {
    const rules = shorthands(parsed({ name: "a.polar", text: TEXT }));
    for (const r of rules) {
      const before = shorthandHeadTerm(r);
      expect(shape(before)).toEqual(shape(r.head));
      expect(shorthandHeadTerm(r)).toBe(r.head);
    }
  });

  it("are not read as terms by a load (engine and editor view), only when something reads the rules", () => {
    const terms = vi.spyOn(ParsedShorthand.prototype as unknown as { terms(): unknown }, "terms");
    // Without the rule whose keyword is not `on` (an error, whose message reads the terms).
    const file = { name: "a.polar", text: TEXT.replace(/^.*under.*$/m, "") };
    const engine = diagnosticLoad([file], { environment: { classes: ["User", "Org", "Repo"] } });
    const editor = diagnosticLoad([file]);
    expect(engine.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // Nothing registered: only the classes are unregistered.
    const editorErrors = editor.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
    expect(new Set(editorErrors)).toEqual(new Set(["ValidationError::UnregisteredClass"]));
    expect(terms).not.toHaveBeenCalled();
    // The generated rules read them: the spy sees it.
    const sources = (engine.rules.get("has_role") ?? []).map((rule) => rule.source);
    expect(sources.length).toBe(1);
    expect(terms).toHaveBeenCalled();
  });

  it("move with their item in a materialized snapshot, as a fresh parse places them", () => {
    const file = { name: "a.polar", text: TEXT };
    const before = parseFile(file);
    const edited = { name: "a.polar", text: `# a comment\n${TEXT}` };
    const snapshot = reparseFile(file, before, edited);
    if (!snapshot.ok) throw new Error(snapshot.error.message);
    const rules = shorthands(materialize(edited, snapshot.value));
    expect(rules.map((r) => r.constructor)).toEqual(shorthands(parsed(edited)).map((r) => r.constructor));
    expect(rules.map(strings)).toEqual(EXPECTED);
    expect(rules).toEqual(shorthands(parsed(edited)));
  });
});
