/**
 * Deterministic generator of realistic RBAC policies of a requested size: an actor block, a chain
 * of resource blocks with roles, permissions, relations, local and cross-resource shorthand rules,
 * the `has_relation` rules they need, and ordinary rules. The policy loads without errors in the
 * engine view when the classes of `classes` are registered. Used by the benchmark and by the
 * analyzer's linear-growth test.
 */

/**
 * One resource block and its companion rules (about 25 lines).
 * @param {number} i index of the resource; resource i's parent is resource i - 1 (the first one's is an `Org`)
 * @returns {string[]} lines
 */
function resourceUnit(i) {
  const name = `Resource${i}`;
  const parent = i === 0 ? "Org" : `Resource${i - 1}`;
  return [
    `# ${name}: roles inherited from ${parent}`,
    `resource ${name} {`,
    `  permissions = ["read", "write", "delete", "admin_${i}"];`,
    `  roles = ["reader", "writer", "maintainer", "owner"];`,
    `  relations = { parent: ${parent}, creator: User };`,
    ``,
    `  "read" if "reader";`,
    `  "write" if "writer";`,
    `  "delete" if "maintainer";`,
    `  "admin_${i}" if "owner";`,
    `  "reader" if "writer";`,
    `  "writer" if "maintainer";`,
    `  "maintainer" if "owner";`,
    `  "owner" if "creator";`,
    `  "reader" if "reader" on "parent";`,
    `  "maintainer" if "owner" on "parent";`,
    `}`,
    ``,
    `has_relation(parent: ${parent}, "parent", child: ${name}) if child.parent = parent;`,
    `has_relation(user: User, "creator", resource: ${name}) if resource.creator = user;`,
    `is_visible_${i}(user: User, resource: ${name}) if`,
    `  resource.is_public = true or`,
    `  has_permission(user, "read", resource);`,
    `count_${i}(resource: ${name}, n: Integer) if n = resource.items.length * 2 + 1 and n > 0;`,
    ``,
  ];
}

const HEADER = [
  "# Generated RBAC policy",
  "actor User {}",
  "",
  "resource Org {",
  '  roles = ["reader", "writer", "maintainer", "owner"];',
  '  permissions = ["read", "write"];',
  '  "read" if "reader";',
  '  "write" if "owner";',
  '  "reader" if "owner";',
  '  "writer" if "owner";',
  '  "maintainer" if "owner";',
  "}",
  "",
  "allow(actor, action, resource) if has_permission(actor, action, resource);",
  "has_role(user: User, name: String, resource: Resource) if",
  "  role in user.roles and",
  "  role.name = name and",
  "  role.resource = resource;",
  "",
];

/**
 * Generates a policy of about `lines` lines split into `files` files (contiguous chunks of whole
 * units, named `policy-000.polar`, … so that the load order is the chunk order).
 * @param {number} lines
 * @param {number} [files]
 * @returns {{ files: { name: string, text: string }[], classes: string[], lines: number }}
 */
export function generateRbacPolicy(lines, files = 1) {
  const units = [HEADER];
  let count = HEADER.length;
  for (let i = 0; count < lines; i++) {
    const u = resourceUnit(i);
    units.push(u);
    count += u.length;
  }
  const classes = ["User", "Org", ...Array.from({ length: units.length - 1 }, (_, i) => `Resource${i}`)];
  const out = [];
  const perFile = Math.ceil(units.length / files);
  for (let f = 0; f < files; f++) {
    const chunk = units.slice(f * perFile, (f + 1) * perFile);
    // Every file gets a distinct header comment (identical texts would be a FileLoading error).
    const text = [`# file ${f}`, ...chunk.flat()].join("\n") + "\n";
    out.push({ name: `policy-${String(f).padStart(3, "0")}.polar`, text });
  }
  return { files: out, classes, lines: count + files };
}
