import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { JsonReport } from "../src/report.js";
import { ALLOW, cli, CLI_ROOT, EXAMPLES, lastLine, useTempDir } from "./helpers.js";

const { tree } = useTempDir();

const NO_ALLOW_CODE = "ValidationWarning::MissingAllowRule";
const STOPPED_AFTER_FILES =
  "loading stopped at the unrecoverable error above, where Oso's loading stops too, so these checks did not run: " +
  "shorthand rules, rules against rule types, undefined rule calls, missing allow rule, missing has_permission rule\n";
const STOPPED_AFTER_SHORTHAND =
  "loading stopped at the unrecoverable error above, where Oso's loading stops too, so these checks did not run: " +
  "rules against rule types, undefined rule calls, missing allow rule, missing has_permission rule\n";
const BROKEN_FIXTURE = join(CLI_ROOT, "test/fixtures/broken");

function json(...argv: string[]): JsonReport {
  const r = cli("--format", "json", ...argv);
  return JSON.parse(r.stdout) as JsonReport;
}

describe("text format", () => {
  it("prints file:line:col: severity CODE: message, 1-based, and exits 1 on errors", () => {
    const root = tree({ "p.polar": ALLOW + "f(x) if\n  g(x;\n" });
    const file = join(root, "p.polar");
    const r = cli(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      `${file}:3:6: error ParseError::UnrecognizedToken: did not expect to find the token ';'\n` +
        STOPPED_AFTER_FILES +
        "checked 1 file, 0 rules: 1 error; later checks did not run\n",
    );
  });

  it("diagnostics without a location are printed once with <policy> and warnings alone exit 0", () => {
    const root = tree({ "a.polar": "f(1);\n", "b.polar": "g(1);\n" });
    const r = cli(root);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.includes(NO_ALLOW_CODE));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^<policy>: warning ValidationWarning::MissingAllowRule: Your policy does not contain/);
    expect(lastLine(r.stdout)).toBe("checked 2 files, 2 rules: 1 warning");
  });

  it("a clean run says what it checked", () => {
    const root = tree({ "p.polar": ALLOW });
    expect(cli(root)).toEqual({ status: 0, stdout: "checked 1 file, 1 rule: no problems\n", stderr: "" });
  });

  it("the rule count includes shorthand rules", () => {
    const root = tree({
      "a.polar": ALLOW + "f(1);\nf(2);\n",
      "b.polar": 'actor User {}\nresource Repo {\n  roles = ["r", "w"];\n  "r" if "w";\n}\n',
    });
    // 3 written rules + 1 shorthand rule; the resource block draws one has_permission warning.
    expect(lastLine(cli(root).stdout)).toBe("checked 2 files, 4 rules: 1 warning");
  });

  it("counts errors and warnings separately", () => {
    const root = tree({ "p.polar": "f(x) if g(x);\n" });
    const r = cli(root);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("error ValidationError::UndefinedRuleCall");
    expect(lastLine(r.stdout)).toBe("checked 1 file, 1 rule: 1 error, 1 warning");
  });

  it("--stats prints both counter groups before the summary", () => {
    const root = tree({ "p.polar": ALLOW + 'resource Repo { roles = ["a", "b"]; }\n?= f(1);\n' });
    const r = cli("--stats", root);
    expect(r.stdout).toContain("policy_stats:\n");
    expect(r.stdout).toContain("  inline_queries: 1\n");
    expect(r.stdout).toContain("  longhand_rules: 1\n");
    expect(r.stdout).toContain("  polar_files: 1\n");
    expect(r.stdout).toContain("resource_block_stats:\n");
    expect(r.stdout).toContain("  roles: 2\n");
    expect(r.stdout).toContain("  resources: 1\n");
    expect(r.stdout.indexOf("resource_block_stats:")).toBeLessThan(r.stdout.indexOf("checked 1 file"));
    expect(lastLine(r.stdout)).toMatch(/^checked 1 file, 1 rule: /);
  });
});

describe("a load that stops says that later checks did not run", () => {
  const undefinedCall = "allow(a, b, c) if missing_rule(a, b, c);\n";

  it("a parse error in one file hides the undefined rule call in another, and says so", () => {
    const root = tree({ "a.polar": "f(x) if x = ;\n", "b.polar": undefinedCall });
    const r = cli(root);
    expect(r.stdout).not.toContain("UndefinedRuleCall");
    expect(r.stdout).toContain(STOPPED_AFTER_FILES);
    expect(lastLine(r.stdout)).toBe("checked 2 files, 1 rule: 1 error; later checks did not run");

    // Fixing the parse error lets the later check run: the notice was telling the truth.
    const fixed = tree({ "a.polar": "f(x) if x = 1;\n", "b.polar": undefinedCall });
    const after = cli(fixed);
    expect(after.stdout).toContain("error ValidationError::UndefinedRuleCall");
    expect(after.stdout).not.toContain("did not run");
  });

  it("a resource-block error stops the load after the shorthand rules", () => {
    const r = cli(BROKEN_FIXTURE);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('error ValidationError::ResourceBlock: Undeclared term "parent"');
    expect(r.stdout).toContain(STOPPED_AFTER_SHORTHAND);
    // The misspelled has_permision call is an undefined rule call, a check that did not run.
    expect(r.stdout).not.toContain("UndefinedRuleCall");
    expect(lastLine(r.stdout)).toMatch(/: 1 error; later checks did not run$/);
  });

  it("JSON reports the stage and the checks that did not run", () => {
    const stopped = json(tree({ "a.polar": "f(" }));
    expect(stopped.load).toEqual({
      stage: "stopped-after-files",
      checksNotRun: [
        "shorthand-rules",
        "rule-types",
        "undefined-rule-calls",
        "missing-allow-rule",
        "missing-has-permission-rule",
      ],
    });
    expect(json(BROKEN_FIXTURE).load).toEqual({
      stage: "stopped-after-shorthand",
      checksNotRun: ["rule-types", "undefined-rule-calls", "missing-allow-rule", "missing-has-permission-rule"],
    });
    expect(json(tree({ "a.polar": ALLOW })).load).toEqual({ stage: "complete", checksNotRun: [] });
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
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as JsonReport;
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
    expect(Object.keys(out)).toEqual(["files", "diagnostics", "stats", "notes", "load"]);
    expect(out.stats.policy_stats["polar_files"]).toBe(3);
    expect(out.stats.policy_stats["longhand_rules"]).toBe(2);
    expect(out.notes).toEqual([]);
  });

  it("stdout holds the JSON document and nothing else, even on a clean run", () => {
    const r = cli("--format", "json", "--stats", tree({ "p.polar": ALLOW }));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.startsWith("{")).toBe(true);
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
    expect(r.stdout).not.toContain("checked 1 file");
  });

  it("context-less diagnostics have file null and the zero range", () => {
    const out = json(tree({ "p.polar": "f(1);\n" }));
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
        expect(r.stdout, `${file} ${argv.join(" ")}`).toMatch(/^checked 1 file, \d+ rules: no problems\n$/);
        expect(r.status).toBe(0);
      }
    }
  });
});
