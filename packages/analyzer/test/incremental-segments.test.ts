/**
 * The loader's per-item and per-segment summaries (load-segments.ts) against a fresh load (issue
 * 13). A big file of a few hundred top-level items (several segments) is edited item by item:
 * items are inserted, removed and replaced by rules that define or rename called names, rules
 * that call undefined ones, rules whose rewrite takes gensym numbers (moving every later rewrite),
 * rule types (valid, with a dot lookup, required ones through blocks), resource blocks (new,
 * reopened, clashing, with shorthand rules), `has_permission` callers, `allow` rules and inline
 * queries. After every edit both views must equal a fresh parse and load of the text: the
 * published diagnostics, every diagnostic, and the rules, rule types and stage of the load.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareCodePoints } from "../src/code-points.js";
import type { LoadOptions } from "../src/environment.js";
import { diagnosticLoad } from "../src/load.js";
import { parseFile } from "../src/parser.js";
import { Policy, publishDiagnostics } from "../src/policy.js";
import { loadShape } from "./load-shape.js";

const NAME = "big.polar";

const ENVIRONMENT = { classes: ["User", "Org", ...Array.from({ length: 6 }, (_, i) => `Doc${i}`)] };
const VIEWS: readonly LoadOptions[] = [{}, { environment: ENVIRONMENT }];

/** Items an edit may insert (n: a small number that names things, so that names meet and part). */
const ITEM_KINDS: readonly ((n: number) => string)[] = [
  (n) => `f_${n}(x) if g_${(n + 1) % 6}(x);`,
  (n) => `g_${n}(x) if x = ${n};`,
  (n) => `h_${n}(x, y: Doc${n % 6}) if x.a.b = y.c and f_${n}(x);`,
  (n) => `k_${n}(d: Doc${n % 6}, d.owner) if d.n > ${n};`,
  (n) => `type f_${n}(x: Integer);`,
  (n) => `type g_${n}(x: Doc${n % 6});`,
  (n) => `type bad_${n}(x.y);`,
  (n) => `lonely_${n}(x, y: Unknown${n}) if x = 1;`,
  (n) => `prec_${n}(x) if x = 1 and x = 2 or x = 3;`,
  (n) => `allow(actor, "act_${n}", r: Doc${n % 6}) if has_permission(actor, "read", r);`,
  (n) => `allow_field(a, b, c, d) if q_${n}(a, b, c, d);`,
  (n) => `has_role(u: User, "reader", d: Doc${n % 6}) if u.n = ${n};`,
  (n) => `has_relation(o: Org, "parent", d: Doc${n % 6}) if d.org = o;`,
  (n) => `resource Doc${n % 6} { roles = ["reader", "r${n}"]; permissions = ["read"]; "read" if "reader"; }`,
  (n) =>
    `resource Doc${n % 6} { permissions = ["reader"]; relations = { parent: Org }; "read" if "reader" on "parent"; }`,
  // Its shorthand rule becomes a rule that calls has_permission.
  (n) => `resource Doc${n % 6} { permissions = ["read", "p${n}"]; "read" if "p${n}"; }`,
  (n) => `actor User { roles = ["u${n}"]; }`,
  () => `resource Org { roles = ["reader"]; }`,
  (n) => `resource Doc${n % 6} { roles = ["a", "a"]; }`,
  (n) => `resource Bad${n} { roles = ["x"]; "missing" if "x"; }`,
  (n) => `?= f_${n}(1);`,
  (n) => `p_${n}(x) if x.has_permission(x, "y", x);`,
  () => `# a comment`,
];

/**
 * Kinds of the base items: no `has_permission` caller, so that MissingHasPermissionRule comes and
 * goes with the edits (a caller inserted, or a block whose shorthand rules call it).
 */
const BASE_KINDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13];

/** The file as items: a fixed base of many items, so that the load spans several segments. */
function baseItems(): string[] {
  const items: string[] = ["actor User {}", 'resource Org { roles = ["reader"]; }'];
  for (let i = 0; i < 300; i++) {
    items.push((ITEM_KINDS[BASE_KINDS[i % BASE_KINDS.length] as number] as (n: number) => string)(i % 9));
  }
  return items;
}

type ItemEdit =
  | { readonly op: "insert"; readonly at: number; readonly kind: number; readonly n: number }
  | { readonly op: "remove"; readonly at: number }
  | { readonly op: "replace"; readonly at: number; readonly kind: number; readonly n: number };

const place = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const kind = fc.nat({ max: ITEM_KINDS.length - 1 });
const n = fc.nat({ max: 8 });
const itemEdit: fc.Arbitrary<ItemEdit> = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), at: place, kind, n }),
  fc.record({ op: fc.constant("remove" as const), at: place }),
  fc.record({ op: fc.constant("replace" as const), at: place, kind, n }),
);

function applyItemEdit(items: string[], e: ItemEdit): void {
  const at = Math.floor(e.at * (items.length + (e.op === "insert" ? 1 : 0)));
  if (e.op === "insert") items.splice(at, 0, (ITEM_KINDS[e.kind] as (n: number) => string)(e.n));
  else if (items.length > 0 && e.op === "remove") items.splice(at, 1);
  else if (items.length > 0 && e.op === "replace") items[at] = (ITEM_KINDS[e.kind] as (n: number) => string)(e.n);
}

function expectFresh(policy: Policy, text: string, where: string): void {
  const file = { name: NAME, text };
  const fresh = parseFile(file);
  for (const options of VIEWS) {
    const expected = diagnosticLoad([{ file, parsed: fresh }], options);
    const at = `${where} ${JSON.stringify(options)}`;
    // The published diagnostics first: in the editor view they come from a loader that never makes the dropped kinds.
    const actual = policy.analyze(options);
    expect(actual.diagnostics, at).toEqual(publishDiagnostics(expected.diagnostics, options.environment));
    expect(loadShape(actual.load), at).toEqual(loadShape(expected));
    expect(actual.all, at).toEqual(expected.diagnostics);
  }
}

describe("per-segment summaries equal a fresh load", () => {
  it("after random item insertions, removals and replacements in one big file", () => {
    fc.assert(
      fc.property(fc.array(itemEdit, { minLength: 1, maxLength: 12 }), (edits) => {
        const items = baseItems();
        const policy = new Policy();
        policy.set(NAME, items.join("\n"));
        expectFresh(policy, items.join("\n"), "initial");
        edits.forEach((e, step) => {
          applyItemEdit(items, e);
          const text = items.join("\n");
          policy.set(NAME, text);
          expectFresh(policy, text, `step ${step} ${JSON.stringify(e)}`);
        });
      }),
      { numRuns: 40 },
    );
  });

  it("across files: a segment summary never leaks between files or into a fork", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), itemEdit), { minLength: 1, maxLength: 8 }), (edits) => {
        const files = new Map([
          ["a.polar", baseItems().slice(0, 150)],
          ["b.polar", baseItems().slice(150)],
        ]);
        const policy = new Policy();
        for (const [name, items] of files) policy.set(name, items.join("\n"));
        policy.analyze();
        const fork = policy.fork();
        edits.forEach(([first, e], step) => {
          const name = first ? "a.polar" : "b.polar";
          const items = files.get(name) as string[];
          applyItemEdit(items, e);
          fork.set(name, items.join("\n"));
          const names = [...files.keys()].sort(compareCodePoints);
          const sources = names.map((f) => {
            const file = { name: f, text: (files.get(f) as string[]).join("\n") };
            return { file, parsed: parseFile(file) };
          });
          for (const options of VIEWS) {
            const expected = diagnosticLoad(sources, options);
            const actual = fork.analyze(options);
            const at = `step ${step} ${JSON.stringify(options)}`;
            expect(actual.diagnostics, at).toEqual(publishDiagnostics(expected.diagnostics, options.environment));
            expect(actual.all, at).toEqual(expected.diagnostics);
            expect(loadShape(actual.load), at).toEqual(loadShape(expected));
          }
        });
      }),
      { numRuns: 20 },
    );
  });
});
