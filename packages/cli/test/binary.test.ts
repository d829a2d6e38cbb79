/** The promises made to CI, checked on the built binary (the build runs first). */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { JsonErrorDocument, JsonReport } from "../src/report.js";
import { ALLOW, BIN, bin, EXAMPLES, REPO_ROOT, useTempDir } from "./helpers.js";

const { tree } = useTempDir();

beforeAll(() => {
  execFileSync("npx", ["tsc", "-b", "packages/cli"], { cwd: REPO_ROOT, stdio: "pipe" });
}, 120_000);

describe("the built binary", () => {
  it("starts with a node shebang", () => {
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("a clean run exits 0 and says what it checked", () => {
    const r = bin([join(EXAMPLES, "github.polar")]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^checked 1 file, \d+ rules: no problems\n$/);
  });

  it("exits 1 and prints diagnostics on errors", () => {
    const root = tree({ "p.polar": "f(" });
    const r = bin(["--format", "json", root]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as JsonReport;
    expect(out.diagnostics[0]?.code).toBe("ParseError::UnrecognizedEOF");
    expect(out.load.stage).toBe("stopped-after-files");
  });

  it("in JSON mode stdout is exactly one JSON document", () => {
    const root = tree({ "p.polar": ALLOW + "?= 1 = 2;\n" });
    const r = bin(["--format", "json", "--stats", "--classes", "User", root]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as JsonReport;
    expect(out.notes).toHaveLength(1);
  });

  it("a missing path is a plain sentence, exit 2", () => {
    const r = bin(["missing.polar"], { cwd: tree({}) });
    expect(r).toEqual({ status: 2, stdout: "", stderr: "polar-check: no such file or directory: missing.polar\n" });
  });

  it("a missing path in JSON mode is a JSON document, exit 2", () => {
    const r = bin(["--format", "json", "missing.polar"], { cwd: tree({}) });
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout) as JsonErrorDocument).toEqual({
      error: {
        kind: "io",
        message: "no such file or directory: missing.polar",
        paths: ["missing.polar"],
        code: "ENOENT",
      },
    });
  });

  it("usage errors: one sentence and the valid options, exit 2", () => {
    const r = bin(["--format"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "polar-check: option '--format' needs a value.\n" +
        "Valid options: --format text|json, --stats, --classes A,B,..., --mro Sub:Base,..., -h/--help; see 'polar-check --help'.\n",
    );
  });

  it("--classes Actor is refused with the reason", () => {
    const r = bin(["--classes", "Actor", EXAMPLES]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^polar-check: --classes cannot list 'Actor': it is Oso's built-in union .*Oso refuses to register/,
    );
  });

  it("-- ends the options: a path starting with a dash is a path", () => {
    const root = tree({ "-odd.polar": ALLOW });
    const r = bin(["--", "-odd.polar"], { cwd: root });
    expect(r).toEqual({ status: 0, stdout: "checked 1 file, 1 rule: no problems\n", stderr: "" });
  });
});
