/**
 * Phase 3 reuses a shorthand rule's translation while what it read from the registry is the same
 * (`GeneratedRule.readsSame`, issue 13). A shorthand rule keeps its object while its file is not
 * edited, yet what it reads can change in another file: a block reopened there declares its
 * head, implier or relation, or the related block lives there. Every edit of that other file
 * below changes one of those inputs; after each, the incremental analysis must equal a fresh one.
 */
import { describe, expect, it } from "vitest";
import type { LoadOptions } from "../src/environment.js";
import { diagnosticLoad } from "../src/load.js";
import { Policy } from "../src/policy.js";
import { loadShape } from "./load-shape.js";

/** The shorthand rules, in a file nobody edits. */
const RULES = [
  "actor User {}",
  'resource Repo { relations = { parent: Org }; "read" if "reader"; "reader" if "owner" on "parent"; "write" if "owner"; }',
  "allow(actor, action, resource) if has_permission(actor, action, resource);",
  'has_relation(org: Org, "parent", repo: Repo) if repo.org = org;',
  'has_relation(team: Team, "parent", repo: Repo) if repo.team = team;',
  "has_role(user: User, name: String, resource: Resource) if name in user.roles and resource = resource;",
].join("\n");

/** Versions of the other file: each changes what some shorthand rule of RULES reads. */
const DECLARATIONS: readonly string[] = [
  // Everything declared: read a permission, reader and owner roles, parent an Org.
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read", "write"]; relations = { parent: Org }; }\nresource Org { roles = ["owner"]; }',
  // The head "read" becomes a role (has_role instead of has_permission).
  'resource Repo { roles = ["reader", "owner", "read"]; permissions = ["write"]; relations = { parent: Org }; }\nresource Org { roles = ["owner"]; }',
  // The implier "owner" of the related block becomes a permission.
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read", "write"]; relations = { parent: Org }; }\nresource Org { permissions = ["owner"]; }',
  // The relation's type changes (another related block).
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read", "write"]; relations = { parent: Team }; }\nresource Team { roles = ["owner"]; }',
  // The related block is gone.
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read", "write"]; relations = { parent: Org }; }',
  // The implier "owner" is no longer declared in the block.
  'resource Repo { roles = ["reader"]; permissions = ["read", "write"]; relations = { parent: Org }; }\nresource Org { roles = ["owner"]; }',
  // "parent" is a role, not a relation.
  'resource Repo { roles = ["reader", "owner", "parent"]; permissions = ["read", "write"]; }\nresource Org { roles = ["owner"]; }',
  // The head "write" becomes a relation.
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read"]; relations = { parent: Org, write: User }; }\nresource Org { roles = ["owner"]; }',
  // The related block without the implier, then no related block (the relation declared in RULES).
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read", "write"]; }\nresource Org { roles = ["member"]; }',
  'resource Repo { roles = ["reader", "owner"]; permissions = ["read", "write"]; }\nresource Team { roles = ["member"]; }',
];

const VIEWS: readonly LoadOptions[] = [{}, { environment: { classes: ["User", "Repo", "Org", "Team"] } }];

function fresh(files: readonly { name: string; text: string }[], options: LoadOptions): unknown {
  const load = diagnosticLoad(files, options);
  return { shape: loadShape(load), diagnostics: load.diagnostics.map((d) => `${d.code}: ${d.message}`) };
}

describe("reopened blocks in another file", () => {
  it("an incremental analysis equals a fresh one after each edit of the other file", () => {
    for (const options of VIEWS) {
      const policy = new Policy();
      policy.set("a.polar", RULES);
      // Every version after every other one, both ways.
      const order = DECLARATIONS.flatMap((_, i) => DECLARATIONS.map((__, j) => [i, j] as const)).flat();
      let distinct = new Set<string>();
      for (const k of order) {
        const text = DECLARATIONS[k] as string;
        policy.set("b.polar", text);
        const files = [
          { name: "a.polar", text: RULES },
          { name: "b.polar", text },
        ];
        const got = policy.analyze(options);
        const all = got.all;
        const incremental = {
          shape: loadShape(got.load),
          diagnostics: all.map((d) => `${d.code}: ${d.message}`),
        };
        const expected = fresh(files, options);
        expect(incremental, `version ${k} of b.polar`).toEqual(expected);
        distinct = distinct.add(JSON.stringify(expected));
      }
      // The versions load differently: the edits changed what phase 3 makes.
      expect(distinct.size).toBeGreaterThan(DECLARATIONS.length / 2);
    }
  });
});
