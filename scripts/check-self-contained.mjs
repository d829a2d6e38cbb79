#!/usr/bin/env node
// The repository stands alone: a user clones it into an empty folder and everything works. This
// check fails when a tracked file reads or names something outside the repository:
//   - a relative path that climbs above the repository root ("../" chains resolved from the file);
//   - an absolute path of a build machine (its workspace /work or root's home). Fake user paths
//     (/home/alice/…) are allowed: the privacy tests send them as hostile input on purpose;
//   - the sibling folder some earlier set-ups kept reference material in.
// It reads `git ls-files`, so it checks exactly what a clone contains. Exit 1 lists every hit as
// `file:line: reason`. Data folders (the conformance corpus) and the lock file are not code and are
// skipped. `node scripts/check-self-contained.mjs --self-test` proves the patterns still fire.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Tracked paths that are data, not code or docs. */
const SKIP = [
  /^conformance\/cases\//,
  /^package-lock\.json$/,
  /\.(png|jpg|ico|woff2?)$/,
  /^scripts\/check-self-contained\.mjs$/, // its own patterns and self-test
];

// Built from pieces so that this file does not match itself.
const SIBLING = ["..", "shared"].join("/");
const ABSOLUTE = [
  { re: new RegExp(`(^|[^\\w.])/${"work"}/`), why: "absolute path of a build machine (/work/…)" },
  { re: new RegExp(`(^|[^\\w.~])/${"root"}/`), why: "absolute path in root's home (/root/…)" },
];
/** A `../` chain inside a string or a path-like token. */
const CLIMB = /(?:^|[\s"'`(=,:])((?:\.\.\/)+)(?=[\w.@$-]|["'`\s)]|$)/g;

/** Returns the reasons one line of one file escapes the repository. */
export function problems(file, line) {
  const out = [];
  if (line.includes(SIBLING) || line.includes(SIBLING.replace("/", "\\"))) {
    out.push(`names the sibling folder ${SIBLING}`);
  }
  for (const { re, why } of ABSOLUTE) if (re.test(line)) out.push(why);
  for (const m of line.matchAll(CLIMB)) {
    const chain = m[1] ?? "";
    const target = resolve(ROOT, dirname(file), chain);
    const rel = relative(ROOT, target);
    if (rel === ".." || rel.startsWith(`..${sep}`)) out.push(`"${chain}" climbs above the repository root`);
  }
  return out;
}

function selfTest() {
  const cases = [
    ["packages/a/test/x.ts", `const C = join(here, "../../../${SIBLING}/cases");`, true],
    ["packages/a/test/x.ts", `const C = "/${"work"}/${"shared"}/cases";`, true],
    ["packages/a/test/x.ts", `new URL("../../../../x/", import.meta.url)`, true],
    ["packages/a/test/x.ts", `new URL("../../..", import.meta.url)`, false],
    ["packages/a/test/x.ts", `import { x } from "../src/y.js";`, false],
    ["scripts/a.sh", `cd "$(dirname "$0")/.."`, false],
    ["README.md", "installed in `/" + "root/.cache/x`", true],
    ["packages/t/test/p.ts", `const leak = "/${"home"}/alice/repo/policy.polar";`, false],
  ];
  let failed = 0;
  for (const [file, line, expected] of cases) {
    const got = problems(file, line).length > 0;
    if (got !== expected) {
      failed++;
      console.error(`self-test: ${file}: ${JSON.stringify(line)} → ${got}, expected ${expected}`);
    }
  }
  if (failed > 0) process.exit(1);
  console.log(`check-self-contained: self-test passed (${cases.length} cases)`);
}

function main() {
  if (process.argv.includes("--self-test")) return selfTest();
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && !SKIP.some((re) => re.test(f)));
  const hits = [];
  for (const file of files) {
    let text;
    try {
      text = readFileSync(join(ROOT, file), "utf8");
    } catch {
      continue; // deleted in the work tree
    }
    if (text.includes("\0")) continue; // binary
    text.split("\n").forEach((line, i) => {
      for (const why of problems(file, line)) hits.push(`${file}:${i + 1}: ${why}`);
    });
  }
  if (hits.length > 0) {
    console.error(`check-self-contained: ${hits.length} escape(s) from the repository:\n${hits.join("\n")}`);
    process.exit(1);
  }
  console.log(`check-self-contained: ${files.length} tracked files, nothing outside the repository`);
}

main();
