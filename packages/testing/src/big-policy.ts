/**
 * One big Polar policy for the tests of edits inside a big file (issue 13): a header (an actor,
 * `allow`, `has_role`) and numbered sections, each a resource block with its permissions, roles and
 * relations, the two `has_relation` rules relating it to the previous section's block and to a user,
 * then whatever rules the suite adds to each section (`extra(i)`), so that each suite can plant
 * the diagnostics and lookups it checks.
 */

/** The policy's first lines: the actor and the rules every section's block relies on. */
export const BIG_POLICY_HEADER = [
  "actor User {}",
  "allow(actor, action, resource) if has_permission(actor, action, resource);",
  "has_role(user: User, name: String, resource: Resource) if role in user.roles and role.name = name and role.resource = resource;",
].join("\n");

/** Section `i`: its comment, the block `Doc{i}`, its relations' rules, then `extra` lines. */
export function bigPolicySection(i: number, extra: readonly string[]): string {
  const prev = i === 0 ? 0 : i - 1;
  return [
    `# section ${i}`,
    `resource Doc${i} {`,
    `  permissions = ["read", "write"];`,
    `  roles = ["reader", "owner"];`,
    `  relations = { parent: Doc${prev}, creator: User };`,
    `  "read" if "reader";`,
    `  "write" if "owner";`,
    `  "reader" if "owner" on "parent";`,
    `}`,
    `has_relation(p: Doc${prev}, "parent", c: Doc${i}) if c.parent = p;`,
    `has_relation(u: User, "creator", d: Doc${i}) if d.creator = u;`,
    ...extra,
  ].join("\n");
}

/** The header and `sections` sections (blank lines between), ending with a newline. */
export function bigPolicy(sections: number, extra: (i: number) => readonly string[]): string {
  const body = Array.from({ length: sections }, (_, i) => bigPolicySection(i, extra(i)));
  return [BIG_POLICY_HEADER, ...body].join("\n\n") + "\n";
}
