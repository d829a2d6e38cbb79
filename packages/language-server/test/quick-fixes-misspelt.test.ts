/**
 * Did-you-mean on the whole conformance corpus: in every case that reports nothing, a rule call
 * and a shorthand rule's implier are misspelt (two neighbouring letters swapped), which makes the
 * policy report UndefinedRuleCall or an undeclared term (ResourceBlock). Over the real LSP
 * connection, a quick fix at that diagnostic must bring the policy back exactly, and every fix
 * offered must remove its diagnostic and add none.
 */
import { afterEach, describe, expect, it } from "vitest";
import { collectCallSites, parseFile, spanOf, type Line } from "@polar-ide/analyzer";
import { caseNames, casePolarFiles, readCaseFile } from "@polar-ide/testing";
import { analyse, applyAction, expectFixed, openPolicy, quickFixesFor } from "./quick-fix-harness.js";
import { uri, type TestClient } from "./helpers.js";

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

/** `name` with two neighbouring, different letters swapped near its middle (null when it has none). */
function swapped(name: string): string | null {
  for (let i = Math.floor(name.length / 2) - 1; i + 1 < name.length; i++) {
    if (i >= 0 && name[i] !== name[i + 1])
      return name.slice(0, i) + (name[i + 1] ?? "") + (name[i] ?? "") + name.slice(i + 2);
  }
  return null;
}

interface Misspelling {
  readonly uri: string;
  /** Offset and length of the misspelt name in the document; the name and its misspelling. */
  readonly start: number;
  readonly name: string;
  readonly wrong: string;
  readonly code: string;
}

function linesOf(name: string, text: string): readonly Line[] {
  const parsed = parseFile({ name, text });
  return parsed.ok ? parsed.value : [];
}

/** The first rule call of the policy with a name of 4+ characters whose misspelling names no rule. */
function misspeltCall(texts: ReadonlyMap<string, string>): Misspelling | null {
  const defined = new Set<string>();
  for (const [u, text] of texts) for (const l of linesOf(u, text)) if (l.kind === "rule") defined.add(l.rule.name);
  for (const [u, text] of texts) {
    const rules = linesOf(u, text).flatMap((l) => (l.kind === "rule" ? [l.rule] : []));
    for (const site of collectCallSites(rules)) {
      const span = spanOf(site.term);
      const wrong = swapped(site.name);
      if (span === null || site.name.length < 4 || wrong === null || defined.has(wrong)) continue;
      if (text.slice(span.start, span.start + site.name.length) !== site.name) continue;
      return { uri: u, start: span.start, name: site.name, wrong, code: "ValidationError::UndefinedRuleCall" };
    }
  }
  return null;
}

/** The first shorthand implier of 4+ characters (its string literal without escapes). */
function misspeltImplier(texts: ReadonlyMap<string, string>): Misspelling | null {
  for (const [u, text] of texts) {
    for (const l of linesOf(u, text)) {
      if (l.kind !== "resourceBlock") continue;
      for (const p of l.productions) {
        if (p.kind !== "shorthand" || p.implier.value.type !== "String") continue;
        const name = p.implier.value.value;
        const span = spanOf(p.implier);
        const wrong = swapped(name);
        if (span === null || name.length < 4 || wrong === null || text.slice(span.start, span.end) !== `"${name}"`)
          continue;
        return { uri: u, start: span.start + 1, name, wrong, code: "ValidationError::ResourceBlock" };
      }
    }
  }
  return null;
}

const CASES = caseNames().flatMap((name) => {
  const texts = new Map(casePolarFiles(name).map((f) => [uri(f, `/corpus/${name}`), readCaseFile(name, f)]));
  if (analyse(texts).codes.length > 0) return [];
  return [misspeltCall(texts), misspeltImplier(texts)].flatMap((m) => (m === null ? [] : [{ name, texts, m }]));
});

describe("did you mean, on every clean corpus case", () => {
  it("has misspellings of both kinds to fix", () => {
    expect(CASES.filter((c) => c.m.code === "ValidationError::UndefinedRuleCall").length).toBeGreaterThan(10);
    expect(CASES.filter((c) => c.m.code === "ValidationError::ResourceBlock").length).toBeGreaterThan(5);
  });

  for (const { name, texts, m } of CASES) {
    it(`${name}: "${m.wrong}" for "${m.name}" is fixed back`, async () => {
      const original = texts.get(m.uri) ?? "";
      const broken = new Map(texts);
      broken.set(m.uri, original.slice(0, m.start) + m.wrong + original.slice(m.start + m.name.length));
      const c = (client = await openPolicy(broken));
      const doc = c.latest(m.uri)?.diagnostics ?? [];
      const at = doc.find((d) => d.code === m.code);
      if (at === undefined) throw new Error(`${m.code} not published: ${JSON.stringify(doc)}`);
      const actions = await quickFixesFor(c, m.uri, at);
      const restoring = actions.filter((a) => applyAction(broken, a).get(m.uri) === original);
      expect(restoring.length, actions.map((a) => a.title).join(" | ")).toBe(1);
      for (const action of actions) {
        if (action.diagnostics?.some((d) => d.code === m.code) !== true) continue;
        expectFixed(broken, applyAction(broken, action), m.code, action.title);
      }
    });
  }
});
