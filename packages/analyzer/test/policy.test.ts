import { describe, expect, it, vi } from "vitest";
import * as parser from "../src/parser.js";
import { materialize } from "../src/incremental-parse.js";
import { Policy } from "../src/policy.js";

// Count parses without changing what the parser does: whole files (`parseFile`) and the items an
// edit touched (`parseItems`, called by the incremental re-parse).
vi.mock("../src/parser.js", async (importOriginal) => {
  const real = await importOriginal<typeof parser>();
  return { ...real, parseFile: vi.fn(real.parseFile), parseItems: vi.fn(real.parseItems) };
});
const parseFile = vi.mocked(parser.parseFile);
const parseItems = vi.mocked(parser.parseItems);
/** Names of the files parsed (wholly or in part) since the last `mockClear`. */
const parsedNames = (): string[] => [...parseFile.mock.calls, ...parseItems.mock.calls].map(([f]) => f.name);

const ALLOW = "allow(_actor, _action, _resource);\n";
const NO_ALLOW = "ValidationWarning::MissingAllowRule";

describe("Policy", () => {
  it("re-parses only the file that changed, and nothing when the text is the same", () => {
    const p = new Policy();
    p.set("file:///a.polar", ALLOW);
    p.set("file:///b.polar", "f(1);\n");
    parseFile.mockClear();
    parseItems.mockClear();
    expect(p.set("file:///b.polar", "f(2);\n")).toBe(true);
    expect(parsedNames()).toEqual(["file:///b.polar"]);
    parseFile.mockClear();
    parseItems.mockClear();
    expect(p.set("file:///a.polar", ALLOW)).toBe(false);
    expect(parsedNames()).toEqual([]);
  });

  it("re-parses only from the item an edit touched, and equals a fresh parse", () => {
    const p = new Policy();
    const items = Array.from({ length: 50 }, (_, i) => `f(${i});\n`);
    p.set("a.polar", items.join(""));
    parseFile.mockClear();
    parseItems.mockClear();
    const edited = items.map((l, i) => (i === 40 ? "f(4000);\n" : l)).join("");
    p.set("a.polar", edited);
    expect(parseFile).not.toHaveBeenCalled();
    // Resumes just after the `;` of item 39 (the items before it are reused).
    expect(parseItems.mock.calls.map(([, start]) => start)).toEqual([items.slice(0, 40).join("").length - 1]);
    // The reused items keep their first parse's offsets; placed by the policy's table they are a fresh parse.
    const parsed = p.parsed("a.polar");
    const spans = p.spans("a.polar");
    const file = { name: "a.polar", text: edited };
    expect(parsed?.ok === true && spans !== undefined && materialize(spans.file, parsed.value)).toEqual(
      parser.parseFile(file).ok && (parser.parseFile(file) as { value: unknown }).value,
    );
  });

  it("orders names by code points, as the language server orders URIs", () => {
    const p = new Policy();
    for (const n of ["file:///b.polar", "file:///B.polar", "file:///a/z.polar", "file:///a.polar"])
      p.set(n, `f("${n}");`);
    expect(p.names()).toEqual(["file:///B.polar", "file:///a.polar", "file:///a/z.polar", "file:///b.polar"]);
    expect(p.delete("file:///a.polar")).toBe(true);
    expect(p.delete("file:///a.polar")).toBe(false);
    expect(p.names()).toEqual(["file:///B.polar", "file:///a/z.polar", "file:///b.polar"]);
  });

  it("caches the analysis until a change", () => {
    const p = new Policy();
    p.set("a.polar", "f(1);");
    const first = p.analyze();
    expect(p.analyze().diagnostics).toBe(first.diagnostics);
    p.set("a.polar", ALLOW);
    const second = p.analyze();
    expect(second.diagnostics).not.toBe(first.diagnostics);
    expect(first.diagnostics.map((d) => d.code)).toEqual([NO_ALLOW]);
    expect(second.diagnostics).toEqual([]);
  });

  it("publishes context-less diagnostics once with file null and the zero range", () => {
    const p = new Policy();
    p.set("a.polar", "f(1);");
    p.set("b.polar", "g(1);");
    expect(p.analyze().diagnostics).toEqual([
      {
        file: null,
        code: NO_ALLOW,
        severity: "warning",
        message: expect.stringMatching(/^Your policy does not contain an allow rule/) as unknown as string,
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      },
    ]);
  });

  it("gives LSP ranges (UTF-16) of the file a diagnostic belongs to", () => {
    const p = new Policy();
    p.set("a.polar", ALLOW);
    p.set("b.polar", '# é😀\nf(x) if x = "😀" and\n  g(;');
    const [d] = p.analyze().diagnostics;
    expect(d?.file).toBe("b.polar");
    expect(d?.code).toBe("ParseError::UnrecognizedToken");
    expect(d?.range).toEqual({ start: { line: 2, character: 4 }, end: { line: 2, character: 5 } });
  });

  it.each<[string, Parameters<Policy["analyze"]>[0], string[]]>([
    ["editor view (no environment) drops app-dependent kinds", undefined, []],
    ["editor view (null environment)", { environment: null }, []],
    [
      "engine view keeps them",
      { environment: { classes: [] } },
      ["ValidationError::SingletonVariable", "ValidationWarning::UnknownSpecializer"],
    ],
  ])("%s", (_name, options, codes) => {
    const p = new Policy();
    p.set("a.polar", ALLOW + "f(x: Widget);\n");
    const analysis = p.analyze(options);
    expect(analysis.diagnostics.map((d) => d.code)).toEqual(codes);
    expect(analysis.all.map((d) => d.code)).toEqual([
      "ValidationError::SingletonVariable",
      "ValidationWarning::UnknownSpecializer",
    ]);
  });

  it("counts statistics per file and adds deleted documents to polar_files", () => {
    const p = new Policy();
    p.set("a.polar", ALLOW);
    p.set("b.polar", "f(");
    p.set("c.polar", "?= f(1);");
    const { stats } = p.analyze({ deletedFiles: 2 });
    expect(stats.policy_stats).toEqual({
      inline_queries: 1,
      longhand_rules: 1,
      polar_chars: ALLOW.length + 2 + 8,
      polar_files: 5,
      rule_types: 0,
      total_rules: 1,
    });
    expect(p.analyze().stats.policy_stats.polar_files).toBe(3);
  });
});
