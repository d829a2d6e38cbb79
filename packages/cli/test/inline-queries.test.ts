import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { JsonReport } from "../src/report.js";
import { Oso } from "./engine.js";
import { ALLOW, cli, lastLine, useTempDir } from "./helpers.js";

const { tree } = useTempDir();

const NOTE_TAIL =
  "was not run: polar-check never runs inline queries, while Oso.loadFiles runs each one and fails the load when it has no result";

/** What Oso.loadFiles says about the files: null when it loads them, else the error's class name. */
async function osoLoad(files: string[]): Promise<string | null> {
  try {
    await new Oso().loadFiles(files);
    return null;
  } catch (e) {
    return e instanceof Error ? e.constructor.name : String(e);
  }
}

describe("inline queries are never run, and the engine view says so", () => {
  it("a failing query: Oso refuses the load, polar-check exits 0 with a note", async () => {
    const root = tree({ "p.polar": ALLOW + "?= 1 = 2;\n" });
    const file = join(root, "p.polar");
    expect(await osoLoad([file])).toBe("InlineQueryFailedError");

    const r = cli("--classes", "User", file);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `${file}:2:4: note InlineQueryNotRun: inline query \`?= 1 = 2\` ${NOTE_TAIL}\n` +
        "checked 1 file, 1 rule: no problems; 1 inline query not run\n",
    );
  });

  it("a passing query is noted too: polar-check cannot tell the two apart", async () => {
    const root = tree({ "p.polar": ALLOW + "?= 1 = 1;\n" });
    const file = join(root, "p.polar");
    expect(await osoLoad([file])).toBeNull();
    expect(cli("--classes", "User", file).stdout).toContain(`note InlineQueryNotRun: inline query \`?= 1 = 1\``);
  });

  it("every query of every loaded file, in load order, after the diagnostics", () => {
    const root = tree({
      "b.polar": "?= g(1);\n",
      "a.polar": ALLOW + "f(x) if g(x);\n?= f(1) and\n   f(2);\n",
    });
    const r = cli("--classes", "User", root);
    expect(r.status).toBe(1); // the undefined rule call g, not the notes
    const lines = r.stdout.split("\n");
    const noteLines = lines.filter((l) => l.includes("InlineQueryNotRun"));
    expect(noteLines.map((l) => l.slice(root.length + 1, l.indexOf(" note")))).toEqual([
      "a.polar:3:4:",
      "b.polar:1:4:",
    ]);
    expect(noteLines[0]).toContain("inline query `?= f(1) and f(2)`");
    const firstNote = lines.findIndex((l) => l.includes("InlineQueryNotRun"));
    const error = lines.findIndex((l) => l.includes("UndefinedRuleCall"));
    expect(error).toBeGreaterThanOrEqual(0);
    expect(error).toBeLessThan(firstNote);
    expect(lastLine(r.stdout)).toBe("checked 2 files, 2 rules: 1 error; 2 inline queries not run");
  });

  it("notes never change the exit status", () => {
    const clean = tree({ "p.polar": ALLOW + "?= false;\n?= 1 = 2;\n" });
    expect(cli("--classes", "User", clean).status).toBe(0);
    expect(cli("--classes", "User", "--format", "json", clean).status).toBe(0);
  });

  it("JSON: a separate notes array, the diagnostics unchanged", () => {
    const root = tree({ "p.polar": ALLOW + "?= 1 = 2;\n" });
    const file = join(root, "p.polar");
    const withQuery = JSON.parse(cli("--format", "json", "--classes", "User", file).stdout) as JsonReport;
    expect(withQuery.notes).toEqual([
      {
        file,
        code: "InlineQueryNotRun",
        severity: "note",
        message: `inline query \`?= 1 = 2\` ${NOTE_TAIL}`,
        range: { start: { line: 1, character: 3 }, end: { line: 1, character: 8 } },
      },
    ]);
    expect(withQuery.diagnostics).toEqual([]);
  });

  it("the editor view has no notes but its summary still says the queries were not run", () => {
    const root = tree({ "p.polar": ALLOW + "?= 1 = 2;\n" });
    const r = cli(root);
    expect(r.stdout).toBe("checked 1 file, 1 rule: no problems; 1 inline query not run\n");
    expect((JSON.parse(cli("--format", "json", root).stdout) as JsonReport).notes).toEqual([]);
  });
});
