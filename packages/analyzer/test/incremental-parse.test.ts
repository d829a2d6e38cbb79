/**
 * `reparseFile` (the re-parse of only the top-level items an edit touched) must give exactly what
 * a fresh `parseFile` of the new text gives: the same lines (with the new file and offsets), the
 * same first error, and the same item boundaries for the next edit. Edits are aimed at what could
 * fool a resynchronisation: string quotes, comment marks, `;`, `{` and `}`, deletions that join or
 * split items, and text that opens a string or comment spanning later items.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import type { SourceFile } from "../src/ast.js";
import { materialize, reparseFile } from "../src/incremental-parse.js";
import { ok } from "../src/result.js";
import type { Line, Term } from "../src/ast.js";
import { pushChildren, ruleTermStack } from "../src/walk.js";
import { spansOf } from "../src/spans.js";
import { ITEM_ENDS, parseFile, type ParseResult } from "../src/parser.js";
import { corpusFiles, polarPolicy } from "./generators.js";

const SEED = 20261202;

/** One big file: an RBAC policy, then corpus cases that parse (strings, comments, every construct). */
const BIG: string = (() => {
  const parts = generateRbacPolicy(600, 1).files.map((f) => f.text);
  for (const f of corpusFiles()) {
    if (parts.length > 60) break;
    if (parseFile({ name: "x", text: f.text }).ok) parts.push(f.text);
  }
  return parts.join("\n");
})();

/** Snippets that change lexing or item boundaries when inserted. */
const SNIPPETS = ['"', "#", ";", "}", "{", "\n", '";', "# x;\n", 'f(";");', "resource R {", "x", "(", " "];

const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

type Edit =
  | { op: "insert"; at: number; text: string }
  | { op: "delete"; at: number; length: number }
  | { op: "replace"; at: number; length: number; text: string }
  | { op: "deleteChar"; which: number; char: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), at: position, text: fc.constantFrom(...SNIPPETS) }),
  fc.record({ op: fc.constant("delete" as const), at: position, length: fc.integer({ min: 1, max: 60 }) }),
  // A span replaced at once (a paste over a selection): text before and after both change length.
  fc.record({
    op: fc.constant("replace" as const),
    at: position,
    length: fc.integer({ min: 1, max: 40 }),
    text: fc.constantFrom(...SNIPPETS, "f(1);", "g(x) if x = 1;\nh(2);", "}\nresource X {", '"a;b"'),
  }),
  // Delete one occurrence of a structural character: a `;`, `}`, `{`, `"` or `#`.
  fc.record({
    op: fc.constant("deleteChar" as const),
    which: position,
    char: fc.constantFrom(";", "}", "{", '"', "#"),
  }),
);

function apply(text: string, e: Edit): string {
  switch (e.op) {
    case "insert": {
      const i = Math.floor(e.at * (text.length + 1));
      return text.slice(0, i) + e.text + text.slice(i);
    }
    case "delete": {
      const i = Math.floor(e.at * text.length);
      return text.slice(0, i) + text.slice(i + e.length);
    }
    case "replace": {
      const i = Math.floor(e.at * text.length);
      return text.slice(0, i) + e.text + text.slice(i + e.length);
    }
    case "deleteChar": {
      const at: number[] = [];
      for (let i = text.indexOf(e.char); i >= 0; i = text.indexOf(e.char, i + 1)) at.push(i);
      const i = at[Math.floor(e.which * at.length)];
      return i === undefined ? text : text.slice(0, i) + text.slice(i + 1);
    }
  }
}

/** A re-parse placed through its position table: what a fresh parse of `file` gives. */
function placed(file: SourceFile, result: ParseResult): ParseResult {
  return result.ok ? ok(materialize(file, result.value)) : result;
}

/** Calls `f` on every term of `lines` (heads, bodies, blocks and their productions). */
function forEachTerm(lines: readonly Line[], f: (t: Term) => void): void {
  const stack: Term[] = [];
  for (const line of lines) {
    if (line.kind === "rule" || line.kind === "ruleType") stack.push(...ruleTermStack(line.rule));
    else if (line.kind === "query") stack.push(line.term);
    else {
      if (line.keyword !== null) stack.push(line.keyword);
      stack.push(line.resource);
      for (const p of line.productions) {
        if (p.kind === "declaration") stack.push(p.name, p.value);
        else {
          stack.push(p.head, p.implier);
          if (p.relation !== null) stack.push(p.relation.keyword, p.relation.name);
        }
      }
    }
    for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
      f(t);
      pushChildren(stack, t.value);
    }
  }
}

/**
 * Applies the edits, re-parsing incrementally from the previous (incremental) result after each
 * one, or (`together`) after each pair: two edits far apart change one span that holds both.
 */
function check(initial: string, edits: readonly Edit[], together = false): void {
  let file: SourceFile = { name: "big.polar", text: initial };
  let parsed: ParseResult = parseFile(file);
  const steps: Edit[][] = [];
  for (let i = 0; i < edits.length; i += together ? 2 : 1) steps.push(edits.slice(i, i + (together ? 2 : 1)));
  steps.forEach((es, step) => {
    const next: SourceFile = { name: file.name, text: es.reduce(apply, file.text) };
    const incremental = reparseFile(file, parsed, next);
    const fresh = parseFile(next);
    // Placed through the snapshot's position table, the reused items are exactly a fresh parse.
    const placedParse = placed(next, incremental);
    expect(placedParse, `step ${step}`).toEqual(fresh);
    if (incremental.ok && fresh.ok) {
      expect(ITEM_ENDS.get(incremental.value), `step ${step}`).toEqual(ITEM_ENDS.get(fresh.value));
      // Every placed term names the new file: none is left pointing at an old text.
      const stale = JSON.stringify(placedParse.ok ? placedParse.value : [], (k, v: unknown) =>
        k === "file" ? (v === next ? "new" : "OLD") : typeof v === "bigint" ? String(v) : v instanceof Map ? [...v] : v,
      );
      expect(stale.includes('"OLD"'), `step ${step}`).toBe(false);
      // Every term's own text (its generation's) is the text the placed span covers now.
      const spans = spansOf(next, incremental.value);
      forEachTerm(incremental.value, (t) => {
        const span = spans.span(t);
        if (span === null || t.source.kind !== "parser") return;
        expect(next.text.slice(span.start, span.end)).toBe(t.source.file.text.slice(t.source.start, t.source.end));
      });
    }
    file = next;
    parsed = incremental;
  });
}

describe("incremental re-parse equals a fresh parse", () => {
  it("the big file parses and has many items", () => {
    const parsed = parseFile({ name: "big.polar", text: BIG });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.length).toBeGreaterThan(200);
  });

  it("on random edits of one big file", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), (es) => check(BIG, es)),
      { seed: SEED, numRuns: 120 },
    );
  });

  it("on pairs of random edits of one big file re-parsed at once", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 2, maxLength: 8 }), (es) => check(BIG, es, true)),
      { seed: SEED + 2, numRuns: 80 },
    );
  });

  it("on random edits of generated policies", () => {
    fc.assert(
      fc.property(polarPolicy, fc.array(edit, { minLength: 1, maxLength: 8 }), fc.boolean(), (text, es, together) =>
        check(text, es, together),
      ),
      { seed: SEED + 1, numRuns: 200 },
    );
  });

  it("reuses the lines the edit did not touch (by content) and re-parses a string spanning items", () => {
    const text = 'f(1);\ng("a;b");\nh(2);\n';
    // Opening a string in g's line swallows `;` up to the next quote: the rest must be re-parsed.
    check(text, [
      { op: "insert", at: 8 / (text.length + 1), text: '"' },
      { op: "insert", at: 0, text: "# " },
    ]);
    const file = { name: "a.polar", text };
    const parsed = parseFile(file);
    const next = { name: "a.polar", text: text.replace("h(2)", "h(3)") };
    const again = reparseFile(file, parsed, next);
    expect(placed(next, again)).toEqual(parseFile(next));
    // The untouched items are the old line objects themselves, not copies.
    expect(again.ok && parsed.ok && again.value[0] === parsed.value[0] && again.value[2] !== parsed.value[2]).toBe(
      true,
    );
    expect(again.ok && parsed.ok && again.value[1] === parsed.value[1]).toBe(true);
  });

  it("resumes reusing old items only where the rest of the text is the old text", () => {
    // The first re-parsed item `x(1);` ends where, shifted by the edit's length, an old item ended
    // (at `a(1);`), but the text after it is new: `y(2);` must be parsed, not the old `b(2);`.
    const file = { name: "a.polar", text: "a(1);b(2);c(3);" };
    const next = { name: "a.polar", text: "a(1);x(1);y(2);c(3);" };
    const again = reparseFile(file, parseFile(file), next);
    expect(placed(next, again)).toEqual(parseFile(next));
    expect(again.ok && again.value.map((l) => (l.kind === "rule" ? l.rule.name : l.kind))).toEqual([
      "a",
      "x",
      "y",
      "c",
    ]);
  });
});
