/**
 * A block's declaration index (`DeclarationIndex`, resource-blocks/registry.ts): one array
 * searched in order for small blocks, with a map of positions past 16 declarations. Random
 * blocks of up to 60 declarations (duplicates and reopened blocks included) must index, clash
 * and merge as a plain map in insertion order does (polar-core's `index_declarations` and
 * `add_to_kb`): the first key term kept, the latest declaration winning, the first clash inside
 * a block dropping it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Term } from "../src/ast.js";
import { parseFile } from "../src/parser.js";
import { BlockRegistry, readResourceBlock, type Declaration } from "../src/resource-blocks/index.js";
import { stringValue } from "../src/terms.js";

type Kind = "role" | "permission" | "relation";

/** One block: its declared names by kind (the relation type is the name, capitalized). */
interface BlockSpec {
  roles: string[];
  permissions: string[];
  relations: string[];
}

const NAMES = Array.from({ length: 70 }, (_, i) => `n${i}`);

/** Roles, permissions and relations from overlapping ranges of names: a clash is possible, not the rule. */
const blockSpec: fc.Arbitrary<BlockSpec> = fc.record({
  roles: fc.uniqueArray(fc.constantFrom(...NAMES.slice(0, 40)), { maxLength: 30 }),
  permissions: fc.uniqueArray(fc.constantFrom(...NAMES.slice(38, 70)), { maxLength: 25 }),
  relations: fc.uniqueArray(fc.constantFrom(...NAMES.slice(25, 45)), { maxLength: 3 }),
});

function blockText(spec: BlockSpec): string {
  const list = (xs: string[]): string => xs.map((x) => `"${x}"`).join(", ");
  const parts = ["resource Repo {"];
  if (spec.roles.length > 0) parts.push(`  roles = [${list(spec.roles)}];`);
  if (spec.permissions.length > 0) parts.push(`  permissions = [${list(spec.permissions)}];`);
  if (spec.relations.length > 0)
    parts.push(`  relations = { ${spec.relations.map((r) => `${r}: T${r}`).join(", ")} };`);
  parts.push("}");
  return parts.join("\n");
}

/** What the engine's map holds after indexing `spec`: null on a clash inside the block. */
function indexOf(spec: BlockSpec): Map<string, Kind> | null {
  const index = new Map<string, Kind>();
  const add = (name: string, kind: Kind): boolean => {
    if (index.has(name)) return false;
    index.set(name, kind);
    return true;
  };
  for (const r of spec.roles) if (!add(r, "role")) return null;
  for (const p of spec.permissions) if (!add(p, "permission")) return null;
  // Relations are indexed in key order (a BTreeMap).
  for (const r of [...spec.relations].sort()) if (!add(r, "relation")) return null;
  return index;
}

function kindOf(d: Declaration | undefined): string {
  if (d === undefined) return "-";
  return d.kind === "relation" ? `relation ${d.type.value.type === "Variable" ? d.type.value.name : "?"}` : d.kind;
}

describe("declaration index", () => {
  it("indexes, clashes and merges reopened blocks as an insertion-ordered map, small and large", () => {
    let large = 0;
    fc.assert(
      fc.property(fc.array(blockSpec, { minLength: 1, maxLength: 3 }), (specs) => {
        const text = specs.map(blockText).join("\n");
        const parsed = parseFile({ name: "p.polar", text });
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const registry = new BlockRegistry();
        // The expected merged map: names to kind and type; the first key term's offset per name.
        let expected: Map<string, string> | null = null;
        const firstKey = new Map<string, number>();
        const keyTerms = new Map<string, Term>();
        let b = 0;
        for (const line of parsed.value) {
          if (line.kind !== "resourceBlock") continue;
          const spec = specs[b++] as BlockSpec;
          const diagnostics = registry.add(readResourceBlock(line).block, () => true);
          const index = indexOf(spec);
          if (index === null) {
            // The first clash inside the block drops it.
            expect(diagnostics.map((d) => d.code)).toEqual(["ValidationError::DuplicateResourceBlockDeclaration"]);
            continue;
          }
          if (index.size > 16) large++;
          let clashes = 0;
          const merged: Map<string, string> = expected ?? new Map<string, string>();
          for (const [name, kind] of index) {
            const value = kind === "relation" ? `relation T${name}` : kind;
            const old = merged.get(name);
            if (old !== undefined && old !== value) clashes++;
            merged.set(name, value);
          }
          expected = merged;
          expect(diagnostics.length).toBe(clashes);
          // The key term kept is the first one seen (its source); the block's own terms otherwise.
          const entry = registry.lookup("Repo");
          expect(entry).toBeDefined();
          if (entry === undefined) continue;
          for (let i = 0; i < entry.declarations.size; i++) {
            const name = entry.declarations.nameAt(i);
            const key = entry.declarations.keyAt(i);
            expect(stringValue(key)).toBe(name);
            if (!keyTerms.has(name)) keyTerms.set(name, key);
            expect(key).toBe(keyTerms.get(name));
            if (!firstKey.has(name)) firstKey.set(name, i);
            expect(i).toBe(firstKey.get(name));
          }
        }
        const entry = registry.lookup("Repo");
        if (expected === null) {
          expect(entry).toBeUndefined();
          return;
        }
        expect(entry).toBeDefined();
        if (entry === undefined) return;
        const declarations = entry.declarations;
        // Order, names and declarations by position and by lookup; undeclared names are not found.
        const byPosition: [string, string][] = [];
        for (let i = 0; i < declarations.size; i++)
          byPosition.push([declarations.nameAt(i), kindOf(declarations.declarationAt(i))]);
        expect(byPosition).toEqual([...expected]);
        for (const name of NAMES) expect(kindOf(declarations.declaration(name))).toBe(expected.get(name) ?? "-");
        expect(declarations.declaration("")).toBeUndefined();
        expect(
          [...(registry.declarationsOf("Repo") ?? new Map<string, Declaration>())].map(([k, d]) => [k, kindOf(d)]),
        ).toEqual([...expected]);
      }),
      { numRuns: 300, seed: 20261203 },
    );
    // Both the searched array and the map of positions were exercised.
    expect(large).toBeGreaterThan(20);
  });
});
