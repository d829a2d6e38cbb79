/**
 * A block registry made by replacing blocks of the previous load's registry shares that
 * registry's entries and holds the replaced ones apart, then all of them in a map of its own once
 * there are many (issue 13: an edit of one block copied the entries of thousands). A long session
 * of edits, each of one block of a 100-file policy, must give what a fresh load gives after every
 * edit: diagnostics, load shape, and the registry's view of every block; and an earlier result
 * must keep its own view.
 */
import { describe, expect, it } from "vitest";
import type { Term } from "../src/ast.js";
import { diagnosticLoad, type LoadResult } from "../src/load.js";
import { Policy } from "../src/policy.js";
import { loadShape } from "./load-shape.js";

const FILES = 100;
const CLASSES = ["User", ...Array.from({ length: FILES }, (_, i) => `R${i}`)];

/** File `i` at version `v`: one resource block (its permission renamed by each version), and a rule. */
function fileText(i: number, v: number): string {
  const parent = i === 0 ? "" : ` relations = { parent: R${i - 1} };`;
  const lines = [
    i === 0 ? "actor User {}\nallow(actor, action, resource) if has_permission(actor, action, resource);" : "",
    `resource R${i} { roles = ["r${v % 3}"]; permissions = ["p${v}"];${parent} "p${v}" if "r${v % 3}"; }`,
  ];
  if (i > 0) lines.push(`has_relation(p: R${i - 1}, "parent", c: R${i}) if c.parent = p;`);
  return lines.join("\n");
}

function termText(t: Term): string {
  return JSON.stringify(t.value);
}

function summary(load: LoadResult): unknown {
  const blocks = load.blocks;
  return {
    shape: loadShape(load),
    diagnostics: load.diagnostics.map((d) => `${d.code}: ${d.message}`),
    blockNames: blocks.blockNames(),
    declarations: blocks
      .blockNames()
      .map((name) => [...(blocks.declarationsOf(name) ?? [])].map(([key, d]) => `${key} ${d.kind}`)),
    relations: blocks.relationTuples().map((t) => [termText(t.subject), termText(t.name), termText(t.object)]),
    hasRoles: blocks.hasRoles(),
  };
}

describe("a registry made by replacing blocks", () => {
  it("equals a fresh load's after each of a long session's edits of one block, and earlier results keep theirs", () => {
    const options = { environment: { classes: CLASSES } };
    const versions = new Array<number>(FILES).fill(0);
    const texts = (): { name: string; text: string }[] =>
      versions.map((v, i) => ({ name: `f${String(i).padStart(3, "0")}.polar`, text: fileText(i, v) }));
    const policy = new Policy();
    for (const f of texts()) policy.set(f.name, f.text);
    policy.analyze(options);
    const earlier: { load: LoadResult; expected: unknown }[] = [];
    // More distinct blocks than a registry holds apart (every block once, in a scattered order), then some again.
    for (let step = 0; step < 160; step++) {
      const i = (step * 37) % FILES;
      versions[i] = (versions[i] ?? 0) + 1;
      const name = `f${String(i).padStart(3, "0")}.polar`;
      policy.set(name, fileText(i, versions[i] as number));
      const got = policy.analyze(options).load;
      const expected = summary(diagnosticLoad(texts(), options));
      expect(summary(got), `step ${step}`).toEqual(expected);
      if (step % 20 === 0) earlier.push({ load: got, expected });
    }
    for (const { load, expected } of earlier) expect(summary(load)).toEqual(expected);
  });
});
