/**
 * A quick fix in a real editor: Neovim 0.7's LSP client asks for the code actions of the
 * AmbiguousPrecedence warning in the editors' fixture (roles.polar), applies the preferred one with
 * its own workspace-edit code, and the server, told of the change, publishes the file without the
 * warning and with nothing else new — what the analyzer reports for the fixed text.
 *
 * Neovim comes from Debian (`scripts/install-editors.sh`); a missing editor fails the test.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Policy } from "@polar-ide/analyzer";
import { SERVER_MAIN } from "./helpers.js";

const HERE = import.meta.dirname;
const CODE = "ValidationWarning::AmbiguousPrecedence";

interface Published {
  code: string;
  message: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}
interface Result {
  before: Published[];
  actions: { title: string; kind: string; isPreferred: boolean }[];
  text: string;
  after: Published[];
  error?: string;
}

const dir = mkdtempSync(join(tmpdir(), "pls-quick-fix-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The codes the analyzer reports for roles.polar in the fixture folder, with roles.polar's text replaced. */
function codesOfRoles(rolesText: string): string[] {
  const policy = new Policy();
  for (const f of ["main.polar", "roles.polar", "teams.polar"]) {
    const uri = pathToFileURL(join(dir, f)).href;
    policy.set(uri, f === "roles.polar" ? rolesText : readFileSync(join(dir, f), "utf8"));
  }
  const roles = pathToFileURL(join(dir, "roles.polar")).href;
  return policy
    .analyze()
    .diagnostics.filter((d) => d.file === roles || d.file === null)
    .map((d) => d.code)
    .sort();
}

describe("Neovim", () => {
  it("lists the quick fixes of a diagnostic, and the preferred one removes it and adds nothing", () => {
    if (spawnSync("sh", ["-c", "command -v nvim"]).status !== 0) {
      throw new Error("nvim is not installed: run scripts/install-editors.sh (as root) before the tests");
    }
    cpSync(join(HERE, "editors/fixture"), dir, { recursive: true });
    const original = readFileSync(join(dir, "roles.polar"), "utf8");
    const out = join(dir, "result.json");
    const run = spawnSync("nvim", ["--headless", "--clean", "-n", "-u", join(HERE, "editors/nvim-quick-fix.lua")], {
      cwd: dir,
      env: { ...process.env, OUT: out, SERVER: SERVER_MAIN, FILE: "roles.polar", CODE },
      timeout: 60_000,
      encoding: "utf8",
    });
    expect(run.status, `nvim failed: ${run.stderr}`).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8")) as Result;
    expect(result.error).toBeUndefined();

    expect(result.before.map((d) => d.code).sort()).toEqual(codesOfRoles(original));
    expect(result.actions).toEqual([
      {
        title: "Add parentheses: (r in user.roles and r.name = role and r…)",
        kind: "quickfix",
        isPreferred: true,
      },
    ]);
    // Polar reads `a and b and c or d` as `(a and b and c) or d`: the fix writes exactly that.
    expect(result.text).toBe(
      original.replace(
        "r in user.roles and r.name = role and r.repo = repo.id or",
        "(r in user.roles and r.name = role and r.repo = repo.id) or",
      ),
    );
    const after = result.after.map((d) => d.code).sort();
    expect(after).toEqual(codesOfRoles(result.text));
    expect(after).toEqual(
      result.before
        .map((d) => d.code)
        .filter((c) => c !== CODE)
        .sort(),
    );
  });
});
