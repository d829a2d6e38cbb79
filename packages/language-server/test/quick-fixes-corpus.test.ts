/**
 * Quick fixes on the conformance corpus, through the real LSP connection: every case whose
 * published diagnostics include a code that has quick fixes is opened in the server; for every
 * such diagnostic the quick fixes are asked for at its range, and every fix offered is applied and
 * the policy analysed again — the fix must remove its diagnostic and add none (expectFixed).
 * Each action names the diagnostic it fixes; at most one per diagnostic is preferred.
 */
import { afterEach, describe, expect, it } from "vitest";
import { caseNames, casePolarFiles, readCaseFile, readCaseJson } from "@polar-ide/testing";
import { applyAction, expectFixed, openPolicy, quickFixesFor } from "./quick-fix-harness.js";
import { uri, type TestClient } from "./helpers.js";

const FIXABLE = [
  "ValidationError::UndefinedRuleCall",
  "ValidationError::ResourceBlock",
  "ValidationWarning::MissingAllowRule",
  "ValidationWarning::MissingHasPermissionRule",
  "ValidationWarning::AmbiguousPrecedence",
] as const;

interface Expected {
  readonly language_server: { readonly diagnostics: readonly { readonly code: string }[] };
}

/** Corpus cases whose published diagnostics include a code with quick fixes. */
const CASES = caseNames().filter((name) =>
  readCaseJson<Expected>(name, "expected.json").language_server.diagnostics.some((d) =>
    (FIXABLE as readonly string[]).includes(d.code),
  ),
);

let client: TestClient | null = null;
afterEach(() => {
  client?.dispose();
  client = null;
});

/** Fixes offered and checked, per code, over the whole corpus (filled by the cases). */
const offered = new Map<string, number>();

describe("quick fixes on the conformance corpus", () => {
  it("has cases for every code that has quick fixes", () => {
    for (const code of FIXABLE) {
      const n = CASES.filter((c) =>
        readCaseJson<Expected>(c, "expected.json").language_server.diagnostics.some((d) => d.code === code),
      ).length;
      expect(n, code).toBeGreaterThan(0);
    }
  });

  for (const name of CASES) {
    it(`${name}: every quick fix removes its diagnostic and adds none`, async () => {
      const texts = new Map(casePolarFiles(name).map((f) => [uri(f, `/corpus/${name}`), readCaseFile(name, f)]));
      const c = (client = await openPolicy(texts));
      for (const docUri of texts.keys()) {
        for (const diagnostic of c.latest(docUri)?.diagnostics ?? []) {
          const code = String(diagnostic.code);
          if (!(FIXABLE as readonly string[]).includes(code)) continue;
          const actions = await quickFixesFor(c, docUri, diagnostic);
          const mine = actions.filter((a) =>
            a.diagnostics?.some((d) => d.code === code && JSON.stringify(d.range) === JSON.stringify(diagnostic.range)),
          );
          expect(mine.filter((a) => a.isPreferred === true).length, `${code}: preferred`).toBeLessThanOrEqual(1);
          for (const action of mine) {
            expectFixed(texts, applyAction(texts, action), code, `${name} ${docUri} "${action.title}"`);
            offered.set(code, (offered.get(code) ?? 0) + 1);
          }
        }
      }
    });
  }

  it("offered fixes for every code with quick fixes", () => {
    // Runs after the cases (vitest runs a file's tests in order): each code was fixed somewhere.
    // Not UndefinedRuleCall: the corpus calls one-letter rules (`g` beside `f`), too short to
    // suggest another name for; quick-fixes-misspelt.test.ts misspells the corpus's longer calls.
    for (const code of FIXABLE) {
      if (code === "ValidationError::UndefinedRuleCall") continue;
      expect(offered.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });
});
