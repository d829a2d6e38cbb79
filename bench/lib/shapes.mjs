/**
 * Generated policies of several shapes for the CLI benchmark, each about `lines` lines in one file
 * and clean in the engine view when `classes` are registered:
 * - `small-blocks`: many small resource blocks (the RBAC generator: a block every ~25 lines);
 * - `large-blocks`: four resource blocks with thousands of permissions, roles and shorthand rules;
 * - `long-bodies`: ordinary rules whose bodies are ~40-line conjunctions.
 */
import { generateRbacPolicy } from "./rbac.mjs";

const HEADER = [
  "actor User {}",
  "allow(actor, action, resource) if has_permission(actor, action, resource);",
  "has_role(user: User, name: String, resource: Resource) if",
  "  role in user.roles and",
  "  role.name = name and",
  "  role.resource = resource;",
  "",
];

/** A few resource blocks, each a quarter of the policy. */
function largeBlocks(lines) {
  const blocks = 4;
  // Per block: one line per permission, per role, per permission shorthand, per role shorthand.
  const n = Math.max(4, Math.floor((lines - HEADER.length) / blocks / 2.5));
  const roles = Math.max(2, Math.floor(n / 4));
  const out = [...HEADER];
  for (let b = 0; b < blocks; b++) {
    out.push(`resource Big${b} {`, "  permissions = [");
    for (let j = 0; j < n; j++) out.push(`    "perm_${j}"${j < n - 1 ? "," : ""}`);
    out.push("  ];", "  roles = [");
    for (let j = 0; j < roles; j++) out.push(`    "role_${j}"${j < roles - 1 ? "," : ""}`);
    out.push("  ];");
    for (let j = 0; j < n; j++) out.push(`  "perm_${j}" if "role_${j % roles}";`);
    for (let j = 0; j + 1 < roles; j++) out.push(`  "role_${j}" if "role_${j + 1}";`);
    out.push("}", "");
  }
  return { text: out.join("\n") + "\n", classes: ["User", ...Array.from({ length: blocks }, (_, b) => `Big${b}`)] };
}

/** Rules with ~40-line bodies. */
function longBodies(lines) {
  const out = ["actor User {}", 'allow(user: User, "read", x: Integer) if long_0(user, x);', ""];
  for (let i = 0; out.length < lines; i++) {
    out.push(`long_${i}(user: User, x: Integer) if`, "  x > 0 and");
    for (let j = 0; j < 36; j++) {
      out.push(
        j % 6 === 5
          ? `  (user.f${j} = x * ${j} or user.g${j} in [x, ${j}, "s${j}"]) and`
          : `  user.f${j} = x + ${j} and`,
      );
    }
    out.push(`  long_${i + 1}(user, x - 1);`, "");
  }
  // The last rule called.
  const last = out.filter((l) => l.startsWith("long_")).length;
  out.push(`long_${last}(_user: User, x: Integer) if x = 0;`);
  return { text: out.join("\n") + "\n", classes: ["User"] };
}

/**
 * @param {"small-blocks" | "large-blocks" | "long-bodies"} shape
 * @param {number} lines
 * @returns {{ text: string, classes: string[], lines: number }}
 */
export function generateShape(shape, lines) {
  let policy;
  if (shape === "small-blocks") {
    const rbac = generateRbacPolicy(lines, 1);
    policy = { text: rbac.files[0].text, classes: rbac.classes };
  } else if (shape === "large-blocks") {
    policy = largeBlocks(lines);
  } else if (shape === "long-bodies") {
    policy = longBodies(lines);
  } else {
    throw new Error(`unknown shape ${shape}`);
  }
  return { ...policy, lines: policy.text.split("\n").length - 1 };
}

export const SHAPES = ["small-blocks", "large-blocks", "long-bodies"];
