/**
 * A rule's phase-1 record is also the rule rewritten on demand at the first gensym counter it is
 * loaded at (load-segments.ts, issue 13). A later load that reaches the same parsed rule at another
 * counter must not move that rule: a result read after later loads keeps its own numbers, and
 * each load's rules print as a fresh load of the same texts prints them.
 */
import { describe, expect, it } from "vitest";
import { diagnosticLoad, type LoadResult } from "../src/load.js";
import { Policy } from "../src/policy.js";
import { ruleToPolar } from "../src/printer.js";
import { RewrittenRule } from "../src/rewrite.js";
import { loadShape } from "./load-shape.js";

/** First lines that take 0, 1 or 3 gensym numbers, so that the rules after them move. */
const FIRST = ["g(x) if x = 1;", "g(x) if x.a = 1;", "g(x, _) if x.a.b = 1 and x.c = _;"];
/** Rules nobody edits, each taking numbers (dot lookups, `_`, a rewritten parameter). */
const REST = [
  "f(x) if x.b = 2;",
  "f(x, _y) if x.c.d > 1 or x.e = 3;",
  "h(_, y: Foo{a: 1}) if y.z = _;",
  "k(x) if k(x.next);",
].join("\n");

const text = (first: string): string => `${first}\n${REST}\n`;

function fresh(first: string): LoadResult {
  return diagnosticLoad([{ name: "a.polar", text: text(first) }]);
}

describe("rule records", () => {
  it("keep the rules of earlier results where they were when a later load moves the counter", () => {
    for (const readAt of ["once", "end"] as const) {
      const policy = new Policy();
      const results: { first: string; load: LoadResult }[] = [];
      for (const k of [0, 1, 2, 0, 2, 1, 1, 0]) {
        const first = FIRST[k] as string;
        policy.set("a.polar", text(first));
        const { load } = policy.analyze();
        results.push({ first, load });
        if (readAt === "once") expect(loadShape(load)).toEqual(loadShape(fresh(first)));
      }
      // Read only now, after every later load (nothing was built before, with readAt "end").
      for (const { first, load } of results) expect(loadShape(load)).toEqual(loadShape(fresh(first)));
      // The unedited rules were rewritten on demand, at several counters.
      const fs = results.map(({ load }) => load.rules.get("f")?.[0]);
      expect(fs.every((r) => r instanceof RewrittenRule)).toBe(true);
      expect(new Set(fs.map((r) => (r === undefined ? "" : ruleToPolar(r)))).size).toBe(3);
    }
  });
});
