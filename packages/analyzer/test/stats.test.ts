import { describe, expect, it } from "vitest";
import type { Line, Term } from "../src/ast.js";
import { temporary } from "../src/terms.js";
import { parseFile } from "../src/parser.js";
import { countChars, emptyStats, fileStats, sumStats, type PolicyStatistics } from "../src/stats.js";

const sym = (name: string): Term => temporary({ type: "Variable", name });
const str = (value: string): Term => temporary({ type: "String", value });
const list = (...elements: Term[]): Term => temporary({ type: "List", elements });
const dict = (fields: Record<string, Term>): Term =>
  temporary({ type: "Dictionary", fields: new Map(Object.entries(fields)) });

function block(keyword: string | null, productions: Extract<Line, { kind: "resourceBlock" }>["productions"]): Line {
  return {
    kind: "resourceBlock",
    keyword: keyword === null ? null : sym(keyword),
    resource: sym("R"),
    nameStart: 0,
    nameEnd: 0,
    productions,
  };
}

/** Only the non-zero counters, to keep the table readable. */
function nonZero(s: PolicyStatistics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...Object.entries(s.policy_stats), ...Object.entries(s.resource_block_stats)]) {
    if (v !== 0) out[k] = v;
  }
  return out;
}

describe("countChars (Rust chars().count())", () => {
  it.each([
    ["", 0],
    ["abc", 3],
    ["a\r\nb", 4],
    ["é", 1],
    ["😀", 1],
    ["a😀b", 3],
    ["\ud800", 1],
    ["\ud800x", 2],
  ])("%j has %i", (text, n) => {
    expect(countChars(text)).toBe(n);
  });
});

describe("fileStats from hand-built lines", () => {
  it("counts valid declarations only and block keywords exactly", () => {
    const lines: Line[] = [
      block("actor", []),
      block("resource", [
        { kind: "declaration", name: sym("roles"), value: list(str("a"), str("b"), str("a")) },
        { kind: "declaration", name: sym("permissions"), value: dict({ x: sym("X") }) },
        { kind: "declaration", name: sym("relations"), value: dict({ p: sym("P"), q: sym("Q") }) },
        { kind: "declaration", name: sym("other"), value: list(str("z")) },
        { kind: "shorthand", head: str("a"), implier: str("b"), relation: null },
        { kind: "shorthand", head: str("a"), implier: str("b"), relation: { keyword: sym("in"), name: str("p") } },
      ]),
      block("Resource", []),
      block(null, []),
    ];
    expect(nonZero(fileStats({ ok: true, value: lines }, "x"))).toEqual({
      polar_chars: 1,
      polar_files: 1,
      total_rules: 2,
      actors: 1,
      resources: 1,
      resource_blocks: 4,
      declarations: 4,
      roles: 3,
      relations: 2,
      shorthand_rules: 2,
      cross_resource_shorthand_rules: 1,
    });
  });

  it("a file that failed to parse contributes its characters and its file only", () => {
    expect(nonZero(fileStats({ ok: false, error: null }, "f(;"))).toEqual({ polar_chars: 3, polar_files: 1 });
  });
});

describe("fileStats from parsed text", () => {
  it.each<[string, Record<string, number>]>([
    ["", { polar_files: 1 }],
    ["f(1);\ng(x) if x = 1;", { polar_chars: 20, polar_files: 1, longhand_rules: 2, total_rules: 2 }],
    ["?= f(1);\ntype f(x: Integer);", { polar_chars: 28, polar_files: 1, inline_queries: 1, rule_types: 1 }],
    [
      'resource Repo { roles = ["r"]; permissions = ["read", "push"]; relations = {o: Org}; "read" if "r"; "r" if "m" on "o"; }',
      {
        polar_chars: 120,
        polar_files: 1,
        total_rules: 2,
        resource_blocks: 1,
        resources: 1,
        declarations: 3,
        roles: 1,
        permissions: 2,
        relations: 1,
        shorthand_rules: 2,
        cross_resource_shorthand_rules: 1,
      },
    ],
    ["f(1);\ng(", { polar_chars: 8, polar_files: 1 }],
  ])("%j", (text, expected) => {
    const file = { name: "a.polar", text };
    expect(nonZero(fileStats(parseFile(file), text))).toEqual(expected);
  });
});

describe("sumStats", () => {
  it("adds every counter and counts deleted files in polar_files only", () => {
    const a = fileStats({ ok: false, error: null }, "ab");
    const b = fileStats({ ok: true, value: [block("actor", [])] }, "c");
    const s = sumStats([a, b], { deletedFiles: 2 });
    expect(nonZero(s)).toEqual({ polar_chars: 3, polar_files: 4, resource_blocks: 1, actors: 1 });
  });

  it("of nothing is all zero, with keys in the engine's (sorted) order", () => {
    const s = sumStats([]);
    expect(s).toEqual(emptyStats());
    expect(Object.keys(s.policy_stats)).toEqual([...Object.keys(s.policy_stats)].sort());
    expect(Object.keys(s.resource_block_stats)).toEqual([...Object.keys(s.resource_block_stats)].sort());
  });
});
