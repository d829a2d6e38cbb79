import { symlinkSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ioError } from "../src/files.js";
import type { JsonErrorDocument } from "../src/report.js";
import { ALLOW, cli, useTempDir } from "./helpers.js";

const { tree } = useTempDir();

describe("I/O problems are plain sentences, exit 2", () => {
  it("a missing path", () => {
    const missing = "/nonexistent/definitely/missing.polar";
    const r = cli(missing);
    expect(r).toEqual({ status: 2, stdout: "", stderr: `polar-check: no such file or directory: ${missing}\n` });
  });

  it("a path below a file", () => {
    const root = tree({ "p.polar": ALLOW });
    const path = join(root, "p.polar", "q.polar");
    expect(cli(path)).toEqual({ status: 2, stdout: "", stderr: `polar-check: not a directory: ${path}\n` });
  });

  it("a symbolic link to itself", () => {
    const root = tree({});
    const loop = join(root, "loop.polar");
    symlinkSync(loop, loop);
    const r = cli(loop);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`polar-check: too many symbolic links encountered: ${loop}\n`);
  });

  it("a dangling symbolic link", () => {
    const root = tree({});
    const link = join(root, "gone.polar");
    symlinkSync(join(root, "target.polar"), link);
    expect(cli(link).stderr).toBe(`polar-check: no such file or directory: ${link}\n`);
  });

  it("a bad path after good ones: no partial report", () => {
    const root = tree({ "p.polar": "f(1);\n" });
    const r = cli(join(root, "p.polar"), join(root, "missing.polar"));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`polar-check: no such file or directory: ${join(root, "missing.polar")}\n`);
  });

  it("a directory without Polar files", () => {
    const root = tree({ "README.md": "hi", "sub/notes.txt": "x" });
    expect(cli(root)).toEqual({ status: 2, stdout: "", stderr: `polar-check: no .polar files found in ${root}\n` });
  });

  it("errors the tests cannot provoke as root use the system's words too", () => {
    // Node's errors carry the negated errno; the path that failed may lie below the one named.
    const denied = Object.assign(new Error("EACCES: permission denied, scandir '/p/sub'"), {
      code: "EACCES",
      errno: -constants.errno.EACCES,
      syscall: "scandir",
      path: "/p/sub",
    });
    const e = ioError(denied, "/p");
    expect([e.message, e.kind, e.code, e.paths]).toEqual(["permission denied: /p/sub", "io", "EACCES", ["/p/sub"]]);
    // An error without an errno still reads as a sentence.
    const odd = ioError(Object.assign(new Error("odd"), { code: "EODD" }), "x.polar");
    expect(odd.message).toBe("cannot read (EODD): x.polar");
  });

  it("never a bare error code", () => {
    for (const path of ["/nonexistent/x.polar", "/etc/passwd/x.polar"]) {
      expect(cli(path).stderr).not.toMatch(/\b(ENOENT|ENOTDIR|stat|errno)\b/);
    }
  });
});

describe("I/O problems in --format json are a JSON document on stdout too", () => {
  function jsonError(...argv: string[]): { status: number | null; doc: JsonErrorDocument; stderr: string } {
    const r = cli("--format", "json", ...argv);
    return { status: r.status, doc: JSON.parse(r.stdout) as JsonErrorDocument, stderr: r.stderr };
  }

  it("a missing path", () => {
    const missing = "/nonexistent/definitely/missing.polar";
    const r = jsonError(missing);
    expect(r.status).toBe(2);
    expect(r.doc).toEqual({
      error: {
        kind: "io",
        message: `no such file or directory: ${missing}`,
        paths: [missing],
        code: "ENOENT",
      },
    });
    expect(r.stderr).toBe(`polar-check: ${r.doc.error.message}\n`);
  });

  it("no Polar files", () => {
    const a = tree({ "x.txt": "" });
    const b = tree({});
    const r = jsonError(a, b);
    expect(r.status).toBe(2);
    expect(r.doc).toEqual({
      error: { kind: "no-polar-files", message: `no .polar files found in ${a}, ${b}`, paths: [a, b], code: null },
    });
  });

  it("usage errors stay on stderr, stdout empty", () => {
    const r = cli("--format", "json", "--frobnicate", "x.polar");
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^polar-check: unknown option '--frobnicate'\./);
  });
});
