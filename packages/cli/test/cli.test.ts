import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, "../../..");
const BIN = join(REPO_ROOT, "packages/cli/dist/main.js");
const EXAMPLES = join(REPO_ROOT, "examples");

const ALLOW = "allow(_actor, _action, _resource);\n";
const NO_ALLOW_CODE = "ValidationWarning::MissingAllowRule";

let dir: string;

/** Writes files (relative path → text) into a fresh directory and returns its path. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(dir, "t-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function cli(...argv: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const status = run(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

interface JsonOutput {
  files: string[];
  diagnostics: {
    file: string | null;
    code: string;
    severity: string;
    message: string;
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
  }[];
  stats: { policy_stats: Record<string, number>; resource_block_stats: Record<string, number> };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "polar-check-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("usage and I/O problems exit with 2 and a message on stderr", () => {
  it.each<[string, string[], RegExp]>([
    ["no path", [], /no PATH/],
    ["unknown option", ["--frobnicate", "x.polar"], /frobnicate/],
    ["bad format", ["--format", "xml", "x.polar"], /--format/],
    ["--mro without --classes", ["--mro", "A:B", "x.polar"], /--mro needs --classes/],
    ["malformed --mro", ["--classes", "A", "--mro", "AB", "x.polar"], /Sub:Base/],
    ["missing file", ["/nonexistent/definitely/missing.polar"], /cannot read '\/nonexistent/],
  ])("%s", (_name, argv, message) => {
    const r = cli(...argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("a directory without Polar files", () => {
    const root = tree({ "README.md": "hi" });
    const r = cli(root);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no \.polar files/);
  });

  it("--help prints usage and exits 0", () => {
    const r = cli("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: polar-check/);
  });
});

describe("text format", () => {
  it("prints file:line:col: severity CODE: message, 1-based, and exits 1 on errors", () => {
    const root = tree({ "p.polar": ALLOW + "f(x) if\n  g(x;\n" });
    const r = cli(join(root, "p.polar"));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      `${join(root, "p.polar")}:3:6: error ParseError::UnrecognizedToken: did not expect to find the token ';'\n`,
    );
  });

  it("diagnostics without a location are printed once with <policy> and warnings alone exit 0", () => {
    const root = tree({ "a.polar": "f(1);\n", "b.polar": "g(1);\n" });
    const r = cli(root);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.includes(NO_ALLOW_CODE));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^<policy>: warning ValidationWarning::MissingAllowRule: Your policy does not contain/);
  });

  it("--stats prints both counter groups", () => {
    const root = tree({ "p.polar": ALLOW + 'resource Repo { roles = ["a", "b"]; }\n?= f(1);\n' });
    const r = cli("--stats", root);
    expect(r.stdout).toContain("policy_stats:\n");
    expect(r.stdout).toContain("  inline_queries: 1\n");
    expect(r.stdout).toContain("  longhand_rules: 1\n");
    expect(r.stdout).toContain("  polar_files: 1\n");
    expect(r.stdout).toContain("resource_block_stats:\n");
    expect(r.stdout).toContain("  roles: 2\n");
    expect(r.stdout).toContain("  resources: 1\n");
  });
});

describe("JSON format", () => {
  it("lists the files (directories searched recursively, sorted by path) and the published diagnostics", () => {
    const root = tree({
      "b.polar": "g(1);\n",
      "sub/a.polar": ALLOW,
      "sub/deeper/c.polar": "h(x) if x = ;\n",
      "notes.txt": "not polar",
    });
    const r = cli("--format", "json", root);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as JsonOutput;
    expect(out.files).toEqual([join(root, "b.polar"), join(root, "sub/a.polar"), join(root, "sub/deeper/c.polar")]);
    expect(out.diagnostics).toEqual([
      {
        file: join(root, "sub/deeper/c.polar"),
        code: "ParseError::UnrecognizedToken",
        severity: "error",
        message: "did not expect to find the token ';'",
        range: { start: { line: 0, character: 12 }, end: { line: 0, character: 13 } },
      },
    ]);
    expect(Object.keys(out)).toEqual(["files", "diagnostics", "stats"]);
    expect(out.stats.policy_stats["polar_files"]).toBe(3);
    expect(out.stats.policy_stats["longhand_rules"]).toBe(2);
  });

  it("context-less diagnostics have file null and the zero range", () => {
    const root = tree({ "p.polar": "f(1);\n" });
    const out = JSON.parse(cli("--format", "json", root).stdout) as JsonOutput;
    expect(out.diagnostics.map((d) => [d.code, d.file, d.range])).toEqual([
      [NO_ALLOW_CODE, null, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }],
    ]);
  });
});

describe("views", () => {
  const policy = ALLOW + "actor User {}\nf(x: Widget, y);\n";

  it("the editor view (no --classes) drops diagnostics that depend on registered classes", () => {
    const root = tree({ "p.polar": policy });
    const r = cli(root);
    expect(r.stdout).not.toContain("UnregisteredClass");
    expect(r.stdout).not.toContain("SingletonVariable");
    expect(r.stdout).not.toContain("UnknownSpecializer");
  });

  it("the engine view (--classes) reports them", () => {
    const root = tree({ "p.polar": policy });
    const r = cli("--classes", "Other", root);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("error ValidationError::SingletonVariable: Singleton variable y is unused");
    expect(r.stdout).toContain("warning ValidationWarning::UnknownSpecializer: Unknown specializer Widget");
    expect(r.stdout).toContain("error ValidationError::UnregisteredClass: Unregistered class: User");
  });

  it("registered classes are known, built-ins included", () => {
    const root = tree({ "p.polar": ALLOW + "actor User {}\nf(_x: Widget, _y: String);\n" });
    const r = cli("--classes", "User,Widget", root);
    expect(r.stdout).not.toMatch(/UnregisteredClass|UnknownSpecializer/);
  });
});

describe("examples", () => {
  it("the main examples are clean in both views", () => {
    for (const argv of [[], ["--classes", "User,Organization,Repository,Issue,Folder,Document"]]) {
      for (const file of ["github.polar", "document-sharing.polar"]) {
        const r = cli(...argv, join(EXAMPLES, file));
        expect(r.stdout, `${file} ${argv.join(" ")}`).toBe("");
        expect(r.status).toBe(0);
      }
    }
  });

  it("a broken policy reports an error", () => {
    const r = cli(join(REPO_ROOT, "packages/cli/test/fixtures/broken"));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('error ValidationError::ResourceBlock: Undeclared term "parent"');
  });
});

describe("the built binary", () => {
  beforeAll(() => {
    execFileSync("npx", ["tsc", "-b", "packages/cli"], { cwd: REPO_ROOT, stdio: "pipe" });
  }, 120_000);

  function bin(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("exits 0 on a clean policy", () => {
    const r = bin(join(EXAMPLES, "github.polar"));
    expect(r).toEqual({ status: 0, stdout: "", stderr: "" });
  });

  it("exits 1 and prints diagnostics on errors", () => {
    const root = tree({ "p.polar": "f(" });
    const r = bin("--format", "json", root);
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as JsonOutput).diagnostics[0]?.code).toBe("ParseError::UnrecognizedEOF");
  });

  it("exits 2 on usage errors", () => {
    const r = bin("--format");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^polar-check: /);
  });

  it("starts with a node shebang", () => {
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });
});
