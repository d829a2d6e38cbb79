/**
 * `updatedFileStats` (issue 13: the counters of an edited file recounted from the lines its
 * re-parse did not reuse) must equal `fileStats` of a fresh parse of the new text after every edit
 * of a sequence, including edits that break the parse, mend it, add or remove resource blocks and
 * their declarations, and change surrogate pairs. `Policy` keeps these counters as its statistics.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import type { SourceFile } from "../src/ast.js";
import { reparseFile } from "../src/incremental-parse.js";
import { parseFile, type ParseResult } from "../src/parser.js";
import { Policy } from "../src/policy.js";
import { fileStats, updatedFileStats, type PolicyStatistics } from "../src/stats.js";

const SEED = 20261203;

const BIG: string = generateRbacPolicy(400, 1)
  .files.map((f) => f.text)
  .join("\n");

/** Insertions that change the counters: whole items, declarations, breakers and menders. */
const SNIPPETS = [
  "f(1);\n",
  "type f(x: Integer);\n",
  "?= f(1);\n",
  'actor Extra {}\nresource Doc { roles = ["a", "b"]; permissions = ["read"]; relations = { parent: Doc }; "read" if "a"; "a" if "b" on "parent"; }\n',
  'roles = ["x"];',
  '"read" if "reader";',
  "\uD83D\uDE00",
  "\uD83D",
  '"',
  ";",
  "}",
  "{",
  "#",
  "\n",
];

const position = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const edit = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: position, text: fc.constantFrom(...SNIPPETS) }),
  fc.record({ kind: fc.constant("delete" as const), at: position, length: fc.integer({ min: 1, max: 200 }) }),
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function apply(text: string, e: Edit): string {
  if (e.kind === "insert") {
    const i = Math.floor(e.at * (text.length + 1));
    return text.slice(0, i) + e.text + text.slice(i);
  }
  const i = Math.floor(e.at * text.length);
  return text.slice(0, i) + text.slice(i + e.length);
}

describe("updatedFileStats", () => {
  it("equals the counters of a fresh parse after every edit of a sequence", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), (edits) => {
        let file: SourceFile = { name: "big.polar", text: BIG };
        let parsed: ParseResult = parseFile(file);
        let stats: PolicyStatistics = fileStats(parsed, file.text);
        for (const e of edits) {
          const next: SourceFile = { name: file.name, text: apply(file.text, e) };
          const reparsed = reparseFile(file, parsed, next);
          stats = updatedFileStats(stats, parsed, reparsed, next.text);
          expect(stats).toEqual(fileStats(parseFile(next), next.text));
          file = next;
          parsed = reparsed;
        }
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it("recounts a block whose declarations changed in place", () => {
    const before = 'resource Doc { roles = ["a"]; }\nf(1);\n';
    const after = 'resource Doc { roles = ["a", "b", "c"]; permissions = ["p"]; }\nf(1);\n';
    const file: SourceFile = { name: "f.polar", text: before };
    const parsed = parseFile(file);
    const next: SourceFile = { name: "f.polar", text: after };
    const stats = updatedFileStats(fileStats(parsed, before), parsed, reparseFile(file, parsed, next), after);
    expect(stats.resource_block_stats.roles).toBe(3);
    expect(stats.resource_block_stats.permissions).toBe(1);
    expect(stats).toEqual(fileStats(parseFile(next), after));
  });

  it("is what Policy reports after edits of a big file", () => {
    const policy = new Policy();
    let text = BIG;
    policy.set("big.polar", text);
    for (const insert of ["f(1);\n", "resource Z {}\n", '"', "\uD83D\uDE00"]) {
      text = insert + text;
      policy.set("big.polar", text);
      expect(policy.analyze().stats).toEqual(fileStats(parseFile({ name: "big.polar", text }), text));
    }
  });
});
