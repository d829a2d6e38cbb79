/**
 * Phase 3 reused across loads (issue 13): `BlockPhaseCache.shorthandOutput` (each block's rules
 * grouped by name, merged per name, the whole output reused while no block memo changed) must give
 * what the rule-by-rule `rewriteShorthandRules` gives: the same diagnostics in order, and the same
 * rules in the same order once grouped by name in order of first appearance. And a list the
 * knowledge base took over from a shared output is never changed by a later `addRule`.
 */
import { corpusFiles } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import { generateRbacPolicy } from "../../../bench/lib/rbac.mjs";
import type { Rule } from "../src/ast.js";
import { ClassTable, KnowledgeBase } from "../src/kb.js";
import { parseFile } from "../src/parser.js";
import {
  BlockPhaseCache,
  BlockRegistry,
  readResourceBlock,
  rewriteShorthandRules,
  type ShorthandOutput,
} from "../src/resource-blocks/index.js";

const isConstant = (name: string): boolean => ["User", "Org", "Repo", "Issue", "Team"].includes(name);

function registryOf(text: string): BlockRegistry | null {
  const parsed = parseFile({ name: "p.polar", text });
  if (!parsed.ok) return null;
  const registry = new BlockRegistry();
  for (const line of parsed.value) {
    if (line.kind !== "resourceBlock") continue;
    registry.add(readResourceBlock(line).block, isConstant);
  }
  return registry;
}

/**
 * A rule as plain data: a generated rule's parameters and body are getters, which `toEqual`
 * would not compare.
 */
function plain(r: Rule): Rule {
  return { name: r.name, params: r.params, body: r.body, source: r.source, generated: r.generated };
}

/** `rules` grouped by name, names in order of first appearance, as plain data. */
function grouped(rules: readonly Rule[]): [string, Rule[]][] {
  const byName = new Map<string, Rule[]>();
  for (const r of rules) {
    const list = byName.get(r.name);
    if (list === undefined) byName.set(r.name, [plain(r)]);
    else list.push(plain(r));
  }
  return [...byName];
}

/** An output's rule lists as plain data. */
function outputRules(output: ShorthandOutput): [string, Rule[]][] {
  return output.rules.map(([name, list]) => [name, list.map(plain)]);
}

const TEXTS: string[] = [
  generateRbacPolicy(300, 1)
    .files.map((f) => f.text)
    .join("\n"),
  ...corpusFiles()
    .map((f) => f.text)
    .filter((t) => t.includes("resource") || t.includes("actor")),
];

describe("BlockPhaseCache.shorthandOutput", () => {
  it("equals rewriteShorthandRules on generated and corpus policies", () => {
    let checked = 0;
    for (const text of TEXTS) {
      const registry = registryOf(text);
      if (registry === null) continue;
      const expected = rewriteShorthandRules(registry, isConstant);
      const output = new BlockPhaseCache(isConstant).shorthandOutput(registry);
      expect(output.diagnostics).toEqual(expected.diagnostics);
      expect(outputRules(output)).toEqual(grouped(expected.rules));
      expect(output.generatedRules).toBe(expected.rules.length);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("follows a changed block and is reused while nothing changed", () => {
    const cache = new BlockPhaseCache(isConstant);
    const base = TEXTS[0] as string;
    const first = cache.shorthandOutput(registryOf(base) as BlockRegistry);
    // A new registry of the same blocks (another load): new block objects, recomputed, equal.
    const again = registryOf(base) as BlockRegistry;
    expect(outputRules(cache.shorthandOutput(again))).toEqual(outputRules(first));
    expect(cache.shorthandOutput(again).diagnostics).toEqual(first.diagnostics);
    expect(cache.shorthandOutput(again)).toBe(cache.shorthandOutput(again));
    const edited = base + '\nresource Extra { roles = ["a", "b"]; permissions = ["p"]; "p" if "a"; "a" if "b"; }\n';
    const registry = registryOf(edited) as BlockRegistry;
    const output = cache.shorthandOutput(registry);
    const expected = rewriteShorthandRules(registry, isConstant);
    expect(outputRules(output)).toEqual(grouped(expected.rules));
    expect(output.generatedRules).toBe(first.generatedRules + 2);
  });

  it("a list taken over by the knowledge base is copied, not changed, by a later addRule", () => {
    const registry = registryOf(TEXTS[0] as string) as BlockRegistry;
    const output = new BlockPhaseCache(isConstant).shorthandOutput(registry);
    const [name, list] = output.rules[0] as readonly [string, readonly Rule[]];
    const before = [...list];
    const kb = new KnowledgeBase(new ClassTable(null));
    kb.addRules(name, list);
    kb.addRule(list[0] as Rule);
    expect(list).toEqual(before);
    expect(kb.rules.get(name)?.length).toBe(before.length + 1);
  });
});
