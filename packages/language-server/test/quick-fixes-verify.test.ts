/**
 * The server's own check of a fix before offering it (src/quick-fixes/verify.ts): the verdict rule
 * on its own, and the action list with a trial that reports a fix as adding a diagnostic (the fix
 * is withheld) or as keeping its promise (offered), on a real policy and load.
 */
import { Policy, parseTolerant } from "@polar-ide/analyzer";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import { quickFixCodeActions } from "../src/quick-fixes/index.js";
import { keepsPromise, type Trial } from "../src/quick-fixes/verify.js";

const codes = (...cs: string[]): { code: string }[] => cs.map((code) => ({ code }));
const UNDEFINED = "ValidationError::UndefinedRuleCall";
const MISSING_RULE = "ValidationError::MissingRequiredRule";
const BLOCK = "ValidationError::ResourceBlock";

describe("a fix keeps its promise", () => {
  it("when its code is reported less often and no code more often", () => {
    expect(keepsPromise(UNDEFINED, "complete", codes(UNDEFINED, UNDEFINED), codes(UNDEFINED))).toBe(true);
    expect(keepsPromise(UNDEFINED, "complete", codes(UNDEFINED), codes(UNDEFINED))).toBe(false);
    expect(keepsPromise(UNDEFINED, "complete", codes(UNDEFINED), codes(MISSING_RULE))).toBe(false);
  });

  it("may let the phases after the blocks report what the stopped load hid, and nothing else", () => {
    expect(keepsPromise(BLOCK, "stopped-after-shorthand", codes(BLOCK), codes(MISSING_RULE))).toBe(true);
    expect(keepsPromise(BLOCK, "complete", codes(BLOCK), codes(MISSING_RULE))).toBe(false);
    expect(keepsPromise(BLOCK, "stopped-after-shorthand", codes(BLOCK), codes("ParseError::UnrecognizedToken"))).toBe(
      false,
    );
  });
});

describe("the server withholds a fix its trial rejects", () => {
  const uri = "file:///verify/policy.polar";
  // An undeclared implier: ResourceBlock #9, whose fixes are checked on a fork.
  const text = [
    "allow(actor, action, resource) if has_permission(actor, action, resource);",
    'resource Repo { roles = ["reader"]; permissions = ["read"]; "read" if "readr"; }',
    "",
  ].join("\n");

  /** The titles offered over the whole file, with a fresh policy per call (verdicts are kept per load). */
  function ask(trial: Trial): string[] {
    const policy = new Policy();
    policy.set(uri, text);
    const doc = {
      uri,
      document: TextDocument.create(uri, "polar", 1, text),
      lines: parseTolerant({ name: uri, text }).lines,
    };
    return quickFixCodeActions([doc], doc, 0, text.length, undefined, [], () => policy.analyze().load, trial)
      .map((a) => a.title)
      .sort();
  }
  const now = (() => {
    const policy = new Policy();
    policy.set(uri, text);
    return policy.analyze().diagnostics;
  })();

  it("offers the fixes the fork confirms, after showing it each fixed text", () => {
    const seen: string[] = [];
    const honest: Trial = (texts) => {
      const fork = new Policy();
      for (const [u, t] of texts) {
        seen.push(t);
        fork.set(u, t);
      }
      return { before: now, after: fork.analyze().diagnostics };
    };
    expect(now.map((d) => d.code)).toEqual([BLOCK]);
    expect(ask(honest)).toEqual([
      'Change "readr" to "reader"',
      'Declare "readr" as a permission in Repo',
      'Declare "readr" as a role in Repo',
    ]);
    expect(seen).toContain(text.replace('"readr"', '"reader"'));
  });

  it("withholds them when the fork says they add a diagnostic", () => {
    expect(ask(() => ({ before: now, after: codes(BLOCK, "ParseError::UnrecognizedToken") }))).toEqual([]);
  });
});
