/**
 * Editor features in a file with a syntax error: outline, hover and definition keep working for
 * everything outside the broken item (the error-tolerant parse), while the published diagnostics
 * stay the engine's (the load stops at the first parse error, as Oso's does).
 */
import { parseFile, parseTolerant, spanOf, type Line } from "@polar-ide/analyzer";
import { corpusFiles } from "@polar-ide/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { DocumentSymbol, Hover, Location } from "vscode-languageserver";
import { inProcess, uri, type TestClient, GITHUB } from "./helpers.js";

/** LSP position of the first occurrence of `needle` in `text`, `delta` characters in. */
function pos(text: string, needle: string, delta = 1): { line: number; character: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`no ${needle}`);
  const before = text.slice(0, at + delta).split("\n");
  return { line: before.length - 1, character: (before.at(-1) ?? "").length };
}

/** `text` with `insert` placed right before the first occurrence of `before`. */
function breakAt(text: string, before: string, insert: string): string {
  const at = text.indexOf(before);
  if (at < 0) throw new Error(`no ${before}`);
  return text.slice(0, at) + insert + text.slice(at);
}

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

async function opened(text: string): Promise<{ c: TestClient; codes: string[] }> {
  client = inProcess();
  const c = client;
  await c.initialize();
  const { publications } = await c.load(() => c.open(MAIN, text));
  const codes = publications.find((p) => p.uri === MAIN)?.diagnostics.map((d) => String(d.code)) ?? [];
  return { c, codes };
}

const MAIN = uri("main.polar");

async function outline(c: TestClient): Promise<DocumentSymbol[]> {
  return c.connection.sendRequest<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: MAIN } });
}

async function definition(c: TestClient, text: string, needle: string, delta = 1): Promise<number[]> {
  const result = await c.connection.sendRequest<Location[]>("textDocument/definition", {
    textDocument: { uri: MAIN },
    position: pos(text, needle, delta),
  });
  return result.map((l) => l.range.start.line);
}

describe("features in a file with a syntax error", () => {
  it("keeps the outline, definition and hover around a broken rule between two blocks", async () => {
    const text = breakAt(GITHUB, "resource Repository {", "broken(x) if x = ;\n\n");
    const { c, codes } = await opened(text);
    expect(codes).toEqual(["ParseError::UnrecognizedToken"]); // the engine's diagnostic, only
    const names = (await outline(c)).map((s) => s.name);
    expect(names).toContain("Organization");
    expect(names).toContain("Repository");
    expect(names).toContain("Issue");
    expect(names).not.toContain("broken");
    // Definition across `on "organization"` into the block before the error, from the block after it.
    const member = pos(text, '"member", "admin"', 0).line;
    expect(await definition(c, text, '"member" on "organization"', 2)).toEqual([member]);
    // Hover on a rule call after the error.
    const hover = await c.connection.sendRequest<Hover | null>("textDocument/hover", {
      textDocument: { uri: MAIN },
      position: pos(text, "has_permission(actor, action, resource);"),
    });
    expect(JSON.stringify(hover?.contents)).toContain("type has_permission(actor: Actor");
  });

  it("keeps a resource block whose production is broken, without that production", async () => {
    const text = breakAt(GITHUB, '"writer" if "maintainer";', '"push" if ;\n  ');
    const { c, codes } = await opened(text);
    expect(codes).toHaveLength(1);
    const repository = (await outline(c)).find((s) => s.name === "Repository");
    const children = repository?.children?.map((s) => s.name) ?? [];
    const writer = pos(text, '"reader", "writer"', 12).line;
    expect(await definition(c, text, '"writer" if "maintainer"', 2)).toEqual([writer]);
    // Exactly the children of the unbroken block: every production but the broken one.
    const clean = uri("clean.polar");
    await c.load(() => c.open(clean, GITHUB));
    const original = await c.connection.sendRequest<DocumentSymbol[]>("textDocument/documentSymbol", {
      textDocument: { uri: clean },
    });
    expect(children).toEqual(original.find((s) => s.name === "Repository")?.children?.map((s) => s.name));
    expect(children).toContain('"writer" if "maintainer"');
  });

  it("keeps an unclosed resource block and the rules after it", async () => {
    // The `}` of Organization is missing: recovery closes the block before the next top-level item.
    const text = GITHUB.replace('  "member" if "admin";\n}\n', '  "member" if "admin";\n\n');
    expect(text).not.toBe(GITHUB);
    const { c, codes } = await opened(text);
    expect(codes).toHaveLength(1);
    const symbols = await outline(c);
    const organization = symbols.find((s) => s.name === "Organization");
    expect(organization?.children?.map((s) => s.name)).toContain('"member" if "admin"');
    expect(symbols.map((s) => s.name)).toContain("Repository");
    expect(symbols.map((s) => s.name)).toContain("allow");
  });

  it("keeps the rest of the file while a rule is being typed at its end", async () => {
    const text = GITHUB + "\nhas_role(user: User, role: String, org: Organization) if\n";
    const { c, codes } = await opened(text);
    expect(codes).toEqual(["ParseError::UnrecognizedEOF"]);
    const names = (await outline(c)).map((s) => s.name);
    expect(names.slice(0, 2)).toEqual(["allow", "User"]);
    expect(names).toContain("Issue");
  });
});

type Span = { start: number; end: number };

/** The spans a kept line is made of: a rule, a query, or each production of a block (a block may lose one). */
describe("the tolerant parse on a huge file with many errors", () => {
  it("answers with the items before the errors it had rounds for, and leaves the rest out", () => {
    const rule = "f(x) if g(x) and h(x);\n";
    const chunk = rule.repeat(999) + "broken(x) if x = ;\n";
    const text = chunk.repeat(250); // about 6 MB, 250 broken rules
    const result = parseTolerant({ name: "huge.polar", text });
    // The work budget allows one round at this size: the first broken rules are skipped one
    // by one, then everything from the next error on at once.
    expect(result.lines.length).toBeGreaterThanOrEqual(999 * 2);
    expect(result.lines.length).toBeLessThan(999 * 250);
    expect(result.lines.every((l) => l.kind === "rule" && l.rule.name === "f")).toBe(true);
    expect(result.skipped.at(-1)?.end).toBe(text.length);
  });
});

function lineSpans(line: Line): Span[] {
  if (line.kind === "resourceBlock") {
    return line.productions.flatMap((p) => {
      const first = spanOf(p.kind === "declaration" ? p.name : p.head);
      const last = spanOf(p.kind === "declaration" ? p.value : (p.relation?.name ?? p.implier));
      return first === null || last === null ? [] : [{ start: first.start, end: last.end }];
    });
  }
  if (line.kind === "query") return [spanOf(line.term)].filter((s): s is Span => s !== null);
  const head = spanOf(line.rule);
  const body = spanOf(line.rule.body);
  return head === null ? [] : [{ start: head.start, end: Math.max(head.end, body?.end ?? 0) }];
}

function lineNames(lines: readonly Line[]): string[] {
  return lines.map((l) =>
    l.kind === "rule" || l.kind === "ruleType"
      ? `${l.kind}:${l.rule.name}/${l.rule.params.length}`
      : l.kind === "resourceBlock"
        ? `block:${l.nameStart}:${l.productions.length}`
        : l.kind,
  );
}

describe("the tolerant parse on the conformance corpus", () => {
  const files = corpusFiles();

  it("equals the engine's parse on every file that parses, and recovers every item around an inserted broken rule", () => {
    let recovered = 0;
    for (const f of files) {
      const exact = parseFile({ name: f.name, text: f.text });
      const tolerant = parseTolerant({ name: f.name, text: f.text });
      if (!exact.ok) {
        expect(tolerant.errors[0]?.message, f.case).toBe(exact.error.message);
        continue;
      }
      expect(lineNames(tolerant.lines), f.case).toEqual(lineNames(exact.value));
      expect(tolerant.errors).toEqual([]);
      // A broken rule (its own item) before the file and after it: every original item survives.
      const garbage = "broken(x) if x = ;\n";
      const before = parseTolerant({ name: f.name, text: garbage + f.text });
      expect(before.errors.length, f.case).toBeGreaterThan(0);
      const shifted = lineNames(exact.value).map((n) =>
        n.startsWith("block:") ? n.replace(/^block:(\d+)/, (_, s: string) => `block:${Number(s) + garbage.length}`) : n,
      );
      expect(lineNames(before.lines), f.case).toEqual(shifted);
      const after = parseTolerant({ name: f.name, text: `${f.text}\n${garbage}` });
      expect(lineNames(after.lines), f.case).toEqual(lineNames(exact.value));
      recovered++;
    }
    expect(recovered).toBeGreaterThan(100);
  });

  it("never throws and never keeps a broken item, whatever line of a corpus file is cut short", () => {
    for (const f of files) {
      const lines = f.text.split("\n");
      // Cut the middle line in half: a syntax error in the middle of the file, most of the time.
      const mid = Math.floor(lines.length / 2);
      const line = lines[mid] ?? "";
      lines[mid] = line.slice(0, Math.floor(line.length / 2));
      const text = lines.join("\n");
      const tolerant = parseTolerant({ name: f.name, text });
      const exact = parseFile({ name: f.name, text });
      if (exact.ok) expect(lineNames(tolerant.lines)).toEqual(lineNames(exact.value));
      else expect(tolerant.errors[0]?.message).toBe(exact.error.message);
      // Nothing half-broken is kept: no kept line overlaps a skipped span.
      for (const span of tolerant.lines.flatMap(lineSpans)) {
        for (const skip of tolerant.skipped) {
          expect(span.end <= skip.start || span.start >= skip.end, `${f.case}: ${span.start}-${span.end}`).toBe(true);
        }
      }
    }
  });
});
