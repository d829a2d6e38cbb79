/**
 * A loader reuses three things of its previous load (issue 13): the block registry when the same
 * blocks are registered (or blocks replaced by blocks of the same name and kind that alone
 * registered their name), the lists it joined for a rule name defined by several lists, and the
 * rule-type checks of each list of a name's rules. Each edit of `b.polar` below changes one of
 * those inputs; after each, the incremental analysis must equal a fresh load, including what the
 * registry says of every block and the rules of a result read only after later loads.
 */
import { describe, expect, it } from "vitest";
import type { LoadOptions } from "../src/environment.js";
import { diagnosticLoad, type LoadResult } from "../src/load.js";
import { Policy } from "../src/policy.js";
import type { Term } from "../src/ast.js";
import type { Declaration } from "../src/resource-blocks/read.js";
import { loadShape } from "./load-shape.js";

/** A file nobody edits: blocks, shorthand rules, and rules of the names `b.polar` also defines. */
const A = [
  "actor User {}",
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read"]; relations = { parent: Org }; "read" if "reader"; "reader" if "owner" on "parent"; }',
  "allow(actor, action, resource) if has_permission(actor, action, resource);",
  'has_relation(org: Org, "parent", repo: Repo) if repo.org = org;',
  "has_role(user: User, name: String, resource: Resource) if name in user.roles and resource = resource;",
].join("\n");

/** Versions of the edited file. */
const B: readonly string[] = [
  // A block of its own, and more rules of A's names.
  'resource Org { roles = ["owner"]; }\nhas_role(user: User, "owner", org: Org) if org.owner = user;',
  // The same block with other declarations (replaced in place): Org's owner is a permission now.
  'resource Org { permissions = ["owner"]; }\nhas_role(user: User, "owner", org: Org) if org.owner = user;',
  // The block becomes an actor block (another kind: the unions change).
  'actor Org { roles = ["owner"]; }\nhas_role(user: User, "owner", org: Org) if org.owner = user;',
  // Repo reopened here: its declarations merge, and a clash with A's is reported.
  'resource Org { roles = ["owner"]; }\nresource Repo { permissions = ["reader"]; }',
  // A rule of a typed name that fails its rule type, after a good one.
  'resource Org { roles = ["owner"]; }\nhas_relation(org: Org, "parent", repo: Repo) if repo.org = org;\nhas_relation(x: User, "nothing", y: User);',
  // Another name's rules only, and Org twice (reopened in the same file).
  'resource Org { roles = ["owner"]; }\nresource Org { roles = ["member"]; }\nallow(actor: User, "read", org: Org) if has_role(actor, "member", org);',
  // The second Org block changed: a block that merged into another registration is not replaced alone.
  'resource Org { roles = ["owner"]; }\nresource Org { roles = ["admin"]; }\nallow(actor: User, "read", org: Org) if has_role(actor, "member", org);',
  // A required relation (has_relation of Team and Org) that a rule of this file implements...
  'resource Org { roles = ["owner"]; relations = { team: Team }; "owner" if "owner" on "team"; }\nresource Team { roles = ["owner"]; }\nhas_relation(team: Team, "team", org: Org) if org.team = team;',
  // ... and that nothing implements (MissingRequiredRule): what the rules matched is not reused.
  'resource Org { roles = ["owner"]; relations = { team: Team }; "owner" if "owner" on "team"; }\nresource Team { roles = ["owner"]; }\nhas_role(user: User, "owner", team: Team) if team.owner = user;',
  // No block at all.
  "has_role(user: User, name: String, org: Org) if name = org.role_of(user);",
  // Org under another name: a block replaced by one of another name.
  'resource Team { roles = ["owner"]; }\nhas_role(user: User, "owner", team: Team) if team.owner = user;',
];

const VIEWS: readonly LoadOptions[] = [{}, { environment: { classes: ["User", "Repo", "Org", "Team"] } }];

function termText(t: Term): string {
  return JSON.stringify(t.value);
}

function declarationText(d: Declaration): string {
  return d.kind === "relation" ? `relation ${termText(d.type)}` : d.kind;
}

/** What a load says: its shape, its diagnostics, and the registry's view of every block. */
function summary(load: LoadResult, diagnostics: readonly { code: string; message: string }[]): unknown {
  const blocks = load.blocks;
  return {
    shape: loadShape(load),
    diagnostics: diagnostics.map((d) => `${d.code}: ${d.message}`),
    blockNames: blocks.blockNames(),
    actors: [...blocks.actors],
    resources: [...blocks.resources],
    // Declarations and relations by name and kind (a block's terms keep the source of the parse that made them).
    declarations: blocks
      .blockNames()
      .map((name) => [...(blocks.declarationsOf(name) ?? [])].map(([key, d]) => [key, declarationText(d)])),
    relations: blocks.relationTuples().map((t) => [termText(t.subject), termText(t.name), termText(t.object)]),
    hasRoles: blocks.hasRoles(),
  };
}

function files(b: string): { name: string; text: string }[] {
  return [
    { name: "a.polar", text: A },
    { name: "b.polar", text: b },
  ];
}

function fresh(b: string, options: LoadOptions): unknown {
  const load = diagnosticLoad(files(b), options);
  return summary(load, load.diagnostics);
}

describe("what a loader reuses of its previous load", () => {
  it("an incremental analysis equals a fresh one after each edit of another file", () => {
    for (const options of VIEWS) {
      const policy = new Policy();
      policy.set("a.polar", A);
      // Every version after every other one, both ways.
      const order = B.flatMap((_, i) => B.map((__, j) => [i, j] as const)).flat();
      const distinct = new Set<string>();
      for (const k of order) {
        const text = B[k] as string;
        policy.set("b.polar", text);
        const got = policy.analyze(options);
        const expected = fresh(text, options);
        expect(summary(got.load, got.all), `version ${k} of b.polar`).toEqual(expected);
        distinct.add(JSON.stringify(expected));
      }
      // The versions load differently.
      expect(distinct.size).toBe(B.length);
    }
  });

  it("an edit inside one block keeps every other registration and the rules of earlier results", () => {
    const options = VIEWS[1] as LoadOptions;
    const policy = new Policy();
    policy.set("a.polar", A);
    const results: { b: string; load: LoadResult }[] = [];
    for (const k of [0, 1, 0, 4, 0, 2, 0]) {
      const text = B[k] as string;
      policy.set("b.polar", text);
      results.push({ b: text, load: policy.analyze(options).load });
    }
    // Rules are joined when first read, here after every later load: each result keeps its own.
    for (const { b, load } of results) {
      const expected = diagnosticLoad(files(b), options);
      expect(loadShape(load)).toEqual(loadShape(expected));
      expect([...(load.blocks.declarationsOf("Org") ?? [])]).toEqual([
        ...(expected.blocks.declarationsOf("Org") ?? []),
      ]);
    }
  });

  it("a failing rule is reported where it is, whichever list of its name holds it", () => {
    const options = VIEWS[1] as LoadOptions;
    const bad = 'has_relation(x: User, "nothing", y: User);';
    const good = 'has_relation(org: Org, "parent", repo: Repo) if repo.org = org;';
    const org = 'resource Org { roles = ["owner"]; }';
    const versions = [
      [org, good, bad].join("\n"),
      [org, good].join("\n"),
      [org, bad, good].join("\n"),
      [org, good].join("\n"),
      [org, bad].join("\n"),
    ];
    const policy = new Policy();
    policy.set("a.polar", A);
    for (const b of versions) {
      policy.set("b.polar", b);
      const got = policy.analyze(options).all.map((d) => `${d.code}: ${d.message}`);
      const expected = diagnosticLoad(files(b), options).diagnostics.map((d) => `${d.code}: ${d.message}`);
      expect(got, b).toEqual(expected);
    }
  });
});
