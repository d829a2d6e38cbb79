/**
 * The launcher bin/polar-check.js (bin/bundle-launcher.js), on a copy of the built package: it
 * runs the bundle only while the bundle is fresh, the modules otherwise (stale or absent bundle),
 * with the same answers either way, and it never starts Node's ES module loader when it runs the
 * bundle (that is what makes it start faster).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleCli } from "../src/bundle.js";
import { BUNDLE_FILE } from "../src/bundle-freshness.js";
import { ALLOW, CLI_ROOT, EXAMPLES, REPO_ROOT, useTempDir, type Outcome } from "./helpers.js";

const { tree, dir } = useTempDir();

/** Logs, on stderr at exit, whether the process loaded Node's ES module loader. */
const OBSERVER = `process.on("exit", () => require("node:fs").writeSync(2, "esm-loader:" +
  process.moduleLoadList.includes("NativeModule internal/modules/esm/loader") + "\\n"));\n`;

function runNode(args: readonly string[]): Outcome {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("bin/polar-check.js", () => {
  let pkg = "";
  let launcher = "";
  let modules = "";
  let bundle = "";
  let observer = "";
  let root = "";
  let runs: string[][] = [];

  beforeAll(async () => {
    execFileSync("npx", ["tsc", "-b", "packages/cli"], { cwd: REPO_ROOT, stdio: "pipe" });
    // The package's bin/ and dist/ (without a bundle), resolving the analyzer through the repository's node_modules.
    pkg = join(dir(), "pkg");
    cpSync(join(CLI_ROOT, "bin"), join(pkg, "bin"), { recursive: true });
    cpSync(join(CLI_ROOT, "dist"), join(pkg, "dist"), {
      recursive: true,
      filter: (source) => !source.includes("polar-check.bundle."),
    });
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir(), "node_modules"), "dir");
    launcher = join(pkg, "bin/polar-check.js");
    modules = join(pkg, "dist/main.js");
    bundle = join(pkg, "dist", BUNDLE_FILE);
    observer = join(dir(), "observer.cjs");
    writeFileSync(observer, OBSERVER);
    root = tree({
      "clean.polar":
        ALLOW + 'actor User {}\nresource Repo { permissions = ["read"]; roles = ["member"]; "read" if "member"; }\n',
      "errors/a.polar": 'f(x) if g(x);\nresource Repo { roles = ["x"]; "y" if "x"; }\n',
      "dots.polar": "h(u: User, x) if u.a.b = x + 1 and _ = u.c;\n?= h(1, 2);\n",
    });
    runs = [
      [join(EXAMPLES, "github.polar"), "--stats"],
      ["--format", "json", "--classes", "User,Repo", join(root, "clean.polar")],
      ["--format", "json", join(root, "errors")],
      ["--format", "json", join(root, "missing.polar")],
      ["--no-such-option"],
    ];
    // Three test files build the package at once on a loaded machine: allow for it.
  }, 300_000);

  /** The launcher's answers to every run equal the modules' (run directly). */
  function expectSameAnswers(): void {
    const statuses = new Set<number | null>();
    for (const argv of runs) {
      const expected = runNode([modules, ...argv]);
      expect(runNode([launcher, ...argv]), argv.join(" ")).toEqual(expected);
      statuses.add(expected.status);
    }
    expect([...statuses].sort()).toEqual([0, 1, 2]);
  }

  it("without a bundle runs the modules", () => {
    expectSameAnswers();
    expect(runNode(["--require", observer, launcher, "--help"]).stderr).toBe("esm-loader:true\n");
  });

  it("with a fresh bundle runs it, without the ES module loader, with the same answers", async () => {
    await bundleCli({ entry: modules });
    expect(runNode(["--require", observer, launcher, "--help"]).stderr).toBe("esm-loader:false\n");
    expectSameAnswers();
    // A large JSON document arrives whole through a pipe (the process exits once it is written).
    const big = tree({ "big.polar": ALLOW + "f(x) if x = 1 and y = 2;\n".repeat(4000) });
    const r = runNode([launcher, "--format", "json", "--classes", "User", big]);
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(1 << 20);
    expect((JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics).toHaveLength(4000);
  });

  it("runs what the bundle says only while no input is newer than it", () => {
    // A stand-in bundle that says where the answer came from.
    const real = readFileSync(bundle);
    try {
      writeFileSync(bundle, 'process.stdout.write("from the bundle\\n");\n');
      const future = Date.now() / 1000 + 3600;
      utimesSync(bundle, future, future);
      expect(runNode([launcher, "--help"]).stdout).toBe("from the bundle\n");
      // An input rebuilt after the bundle: the modules answer.
      const later = future + 60;
      utimesSync(join(pkg, "dist/cli.js"), later, later);
      const r = runNode([launcher, "--help"]);
      expect(r.stdout).not.toBe("from the bundle\n");
      expect(r).toEqual(runNode([modules, "--help"]));
    } finally {
      writeFileSync(bundle, real);
    }
    // Stale (the real bundle is older than dist/cli.js now): same answers as the modules.
    expectSameAnswers();
    rmSync(bundle);
    expectSameAnswers();
  });
});
