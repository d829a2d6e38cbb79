/**
 * polar-format: printing, --check, --write (atomic, mode kept, nothing written when a path
 * cannot be read), files with a syntax error (reported, never changed), directories, the command
 * line's mistakes, and the built binary on the repository's examples (as CI runs it).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { formatPolar } from "@polar-ide/analyzer";
import { runFormat } from "../src/format-cli.js";
import { CLI_ROOT, REPO_ROOT, useTempDir, type Outcome } from "./helpers.js";

const { tree } = useTempDir();

function format(...argv: string[]): Outcome {
  let stdout = "";
  let stderr = "";
  const status = runFormat(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

const MESSY = "allow(actor,action,resource)if has_permission(actor,action,resource);\n\n\n\nactor User{}\n";
const TIDY = "allow(actor, action, resource) if has_permission(actor, action, resource);\n\nactor User {}\n";
const BROKEN = "allow(actor, action, resource) if\n  has_permission(actor,;\n";

describe("polar-format", () => {
  it("prints the formatted text of a file", () => {
    const root = tree({ "p.polar": MESSY });
    const r = format(join(root, "p.polar"));
    expect(r).toEqual({ status: 0, stdout: TIDY, stderr: "" });
    expect(TIDY).toBe(formatPolar(MESSY)?.text);
  });

  it("--check lists the files that are not formatted and exits 1, changing nothing", () => {
    const root = tree({ "a.polar": MESSY, "b.polar": TIDY, "sub/c.polar": MESSY, "notes.txt": MESSY });
    const r = format("--check", root);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${join(root, "a.polar")}\n${join(root, "sub/c.polar")}\n`);
    expect(readFileSync(join(root, "a.polar"), "utf8")).toBe(MESSY);
    expect(format("--check", join(root, "b.polar"))).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("--write rewrites the files that are not formatted, keeps their mode, and leaves no temporary file", () => {
    const root = tree({ "a.polar": MESSY, "b.polar": TIDY });
    chmodSync(join(root, "a.polar"), 0o640);
    const before = statSync(join(root, "b.polar")).mtimeMs;
    const r = format("--write", root);
    expect(r).toEqual({ status: 0, stdout: `${join(root, "a.polar")}\n`, stderr: "" });
    expect(readFileSync(join(root, "a.polar"), "utf8")).toBe(TIDY);
    expect(statSync(join(root, "a.polar")).mode & 0o777).toBe(0o640);
    expect(statSync(join(root, "b.polar")).mtimeMs).toBe(before);
    expect(readdirSync(root).sort()).toEqual(["a.polar", "b.polar"]);
    expect(format("--check", root).status).toBe(0);
  });

  it("reports a file with a syntax error, never changes it, and formats the others", () => {
    const root = tree({ "a.polar": BROKEN, "b.polar": MESSY });
    const r = format("--write", root);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `${join(root, "a.polar")}:2:24: ParseError::UnrecognizedToken: did not expect to find the token ';' (not formatted)\n`,
    );
    expect(readFileSync(join(root, "a.polar"), "utf8")).toBe(BROKEN);
    expect(readFileSync(join(root, "b.polar"), "utf8")).toBe(TIDY);
    const printed = format(join(root, "a.polar"));
    expect(printed.status).toBe(1);
    expect(printed.stdout).toBe(BROKEN);
  });

  it("writes nothing when a path cannot be read", () => {
    const root = tree({ "a.polar": MESSY });
    const r = format("--write", join(root, "a.polar"), join(root, "missing.polar"));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`polar-format: no such file or directory: ${join(root, "missing.polar")}\n`);
    expect(readFileSync(join(root, "a.polar"), "utf8")).toBe(MESSY);
  });

  it.each([
    [["--check", "--write", "x"], "--check and --write cannot be used together"],
    [["--fix", "x"], "unknown option '--fix'"],
    [["--check=yes", "x"], "option '--check' takes no value"],
    [["--check"], "no PATH given (name at least one Polar file or directory)"],
  ])("%j is a usage error", (argv, message) => {
    const r = format(...argv);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")[0]).toBe(`polar-format: ${message}.`);
  });

  it("prints its help", () => {
    const r = format("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: polar-format [--check | --write] PATH...");
  });
});

describe("the built polar-format binary", () => {
  beforeAll(() => {
    execFileSync("npx", ["tsc", "-b", "packages/cli"], { cwd: REPO_ROOT, stdio: "pipe" });
  }, 120_000);

  it("is declared in package.json and on the repo's npx path; the examples are formatted", () => {
    const pkg = JSON.parse(readFileSync(join(CLI_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin["polar-format"]).toBe("bin/polar-format.js");
    const r = spawnSync("npx", ["--no-install", "polar-format", "--check", "examples"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("exits 1 on an unformatted file", () => {
    const root = tree({ "p.polar": MESSY });
    const r = spawnSync(process.execPath, [join(CLI_ROOT, "bin/polar-format.js"), "--check", root], {
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${join(root, "p.polar")}\n`);
  });
});
