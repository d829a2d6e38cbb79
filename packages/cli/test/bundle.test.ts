/**
 * The one-file bundle of polar-check (src/bundle.ts) and the launcher's freshness check
 * (src/bundle-freshness.ts): the bundle must behave exactly as the modules it was built from,
 * and a bundle older than any of its inputs must never be run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bundleCli } from "../src/bundle.js";
import { BUNDLE_FILE, BUNDLE_INPUTS_FILE, freshBundle, type BundleInputs } from "../src/bundle-freshness.js";
import { ALLOW, BIN, CLI_ROOT, EXAMPLES, REPO_ROOT, useTempDir, type Outcome } from "./helpers.js";

const { tree, dir } = useTempDir();

function runNode(script: string, argv: readonly string[]): Outcome {
  const r = spawnSync(process.execPath, [script, ...argv], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the bundled CLI", () => {
  let bundle = "";
  let inputs: string[] = [];

  beforeAll(async () => {
    execFileSync("npx", ["tsc", "-b", "packages/cli"], { cwd: REPO_ROOT, stdio: "pipe" });
    const outDir = join(dir(), "bundle");
    mkdirSync(outDir);
    ({ bundle, inputs } = await bundleCli({ entry: join(CLI_ROOT, "dist/main.js"), outDir }));
  }, 120_000);

  it("lists the CLI's and the analyzer's modules as its inputs, relative to itself", () => {
    const list = JSON.parse(readFileSync(join(dir(), "bundle", BUNDLE_INPUTS_FILE), "utf8")) as BundleInputs;
    expect(list.inputs).toEqual(inputs);
    const absolute = inputs.map((i) => join(dir(), "bundle", i));
    expect(absolute).toContain(join(CLI_ROOT, "dist/main.js"));
    expect(absolute).toContain(join(REPO_ROOT, "packages/analyzer/dist/parser.js"));
    expect(freshBundle(join(dir(), "bundle"))).toBe(bundle);
  });

  it("gives the same output and exit status as the modules, in every format", () => {
    const root = tree({
      "clean.polar":
        ALLOW + 'actor User {}\nresource Repo { permissions = ["read"]; roles = ["member"]; "read" if "member"; }\n',
      "errors/a.polar": 'f(x) if g(x);\nresource Repo { roles = ["x"]; "y" if "x"; }\n',
      "parse/p.polar": "f(",
      "dots.polar": "h(u: User, x) if u.a.b = x + 1 and _ = u.c;\n?= h(1, 2);\n",
    });
    const runs: string[][] = [
      [join(EXAMPLES, "github.polar")],
      [join(EXAMPLES, "document-sharing.polar"), "--stats"],
      ["--format", "json", "--classes", "User,Repo", join(root, "clean.polar")],
      ["--format", "json", join(root, "errors")],
      [join(root, "errors"), join(root, "dots.polar")],
      ["--format", "json", "--classes", "User", join(root, "dots.polar")],
      [join(root, "parse")],
      ["--no-such-option"],
      ["--help"],
    ];
    const statuses = new Set<number | null>();
    for (const argv of runs) {
      const modules = runNode(BIN, argv);
      expect(runNode(bundle, argv), argv.join(" ")).toEqual(modules);
      statuses.add(modules.status);
    }
    // The runs cover success, errors and usage errors.
    expect([...statuses].sort()).toEqual([0, 1, 2]);
  });
});

describe("freshBundle", () => {
  /** A fake build directory: a bundle, its inputs list and the input files, with set modification times. */
  function build(inputs: Record<string, number>, bundleTime: number): string {
    const root = tree({ [BUNDLE_FILE]: "// bundle\n" });
    for (const [name, time] of Object.entries(inputs)) {
      mkdirSync(join(root, name, ".."), { recursive: true });
      writeFileSync(join(root, name), "// input\n");
      utimesSync(join(root, name), time, time);
    }
    writeFileSync(join(root, BUNDLE_INPUTS_FILE), JSON.stringify({ inputs: Object.keys(inputs) }));
    utimesSync(join(root, BUNDLE_FILE), bundleTime, bundleTime);
    return root;
  }

  it("accepts a bundle no older than any input", () => {
    const root = build({ "a.js": 1000, "lib/b.js": 2000 }, 2000);
    expect(freshBundle(root)).toBe(join(root, BUNDLE_FILE));
  });

  it("rejects a bundle older than one input", () => {
    expect(freshBundle(build({ "a.js": 1000, "lib/b.js": 3000 }, 2000))).toBeNull();
  });

  it("rejects a bundle whose input is gone", () => {
    const root = build({ "a.js": 1000 }, 2000);
    writeFileSync(
      join(root, BUNDLE_INPUTS_FILE),
      JSON.stringify({ inputs: ["a.js", "gone.js"] } satisfies BundleInputs),
    );
    expect(freshBundle(root)).toBeNull();
  });

  it("rejects a missing bundle, a missing or malformed inputs list", () => {
    expect(freshBundle(tree({}))).toBeNull();
    expect(freshBundle(tree({ [BUNDLE_FILE]: "" }))).toBeNull();
    expect(freshBundle(tree({ [BUNDLE_FILE]: "", [BUNDLE_INPUTS_FILE]: '{"inputs": 3}' }))).toBeNull();
    expect(freshBundle(tree({ [BUNDLE_FILE]: "", [BUNDLE_INPUTS_FILE]: "null" }))).toBeNull();
    expect(freshBundle(tree({ [BUNDLE_FILE]: "", [BUNDLE_INPUTS_FILE]: "{" }))).toBeNull();
  });
});
