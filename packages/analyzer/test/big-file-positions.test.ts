/**
 * One big file edited again and again (issue 13): the re-parse keeps the untouched items as they
 * are (their terms keep the offsets of the parse that made them) and the loader reuses their
 * per-item work, while every position is placed through the snapshot's table (spans.ts). After
 * every random edit, the placed parse equals a fresh parse, every diagnostic (placed and
 * published, in both views) equals a fresh load's, and a fork's edits never show in its parent.
 */
import fc from "fast-check";
import { applyEdit, bigPolicy, editOffsets, randomEdit } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import type { Rule } from "../src/ast.js";
import type { LoadOptions } from "../src/environment.js";
import { materialize } from "../src/incremental-parse.js";
import { diagnosticLoad } from "../src/load.js";
import { parseFile } from "../src/parser.js";
import { Policy, publishDiagnostics } from "../src/policy.js";
import { fileStats } from "../src/stats.js";

const NAME = "big.polar";

/** The big file: every section carries diagnostics of every placement path (per item, per block, global). */
const BIG = bigPolicy(80, (i) => [
  // Dot lookups in the head need temporaries: the gensym counter moves here.
  `visible_${i}(user: User, d: Doc${i}, d.owner) if d.public = true or has_permission(user, "read", d);`,
  i % 5 === 2 ? `single_${i}(x, y: Unknown${i}) if x = 1;` : `count_${i}(d: Doc${i}, n: Integer) if n = d.n + 1;`,
  i % 7 === 3 ? `broken_${i}(x) if missing_${i}(x) and x = 1 or x = 2;` : `helper_${i}(x) if visible_${i}(x, x, x);`,
]);

const ENVIRONMENT = { classes: ["User", ...Array.from({ length: 80 }, (_, i) => `Doc${i}`)] };
const VIEWS: readonly LoadOptions[] = [{}, { environment: ENVIRONMENT }];

const SNIPPETS = ["x", " ", "\n", "# c\n", ";", '"', "}", "{", "(", "f(1);\n", "zz(a.b) if a = 1;\n", "resource R {"];

const edit = randomEdit(SNIPPETS);

/** Checks every view of `policy` against a fresh parse and load of `text`. */
function expectFresh(policy: Policy, text: string, where: string): void {
  const file = { name: NAME, text };
  const fresh = parseFile(file);
  const parsed = policy.parsed(NAME);
  const spans = policy.spans(NAME);
  if (fresh.ok) {
    expect(parsed?.ok === true && spans !== undefined, where).toBe(true);
    if (parsed?.ok === true && spans !== undefined)
      expect(materialize(spans.file, parsed.value), where).toEqual(fresh.value);
  } else {
    expect(parsed, where).toEqual(fresh);
  }
  for (const options of VIEWS) {
    const expected = diagnosticLoad([{ file, parsed: fresh }], options);
    const actual = policy.analyze(options);
    expect(actual.diagnostics, `${where} ${JSON.stringify(options)}`).toEqual(
      publishDiagnostics(expected.diagnostics, options.environment),
    );
    expect(actual.all, `${where} ${JSON.stringify(options)}`).toEqual(expected.diagnostics);
  }
}

/** Whether some item of the file's parse was parsed from a window of its text, not from the whole. */
function parsedFromWindow(policy: Policy, text: string): boolean {
  return (policy.spans(NAME)?.sources() ?? []).some((f) => f.text.length < text.length);
}

/** Every rule object of a load, by name and position. */
function ruleObjects(policy: Policy, options: LoadOptions): Rule[] {
  return [...policy.analyze(options).load.rules.values()].flat();
}

describe("edits inside one big file", () => {
  it("the big file parses and reports diagnostics of every placement path", () => {
    const policy = new Policy();
    policy.set(NAME, BIG);
    const codes = new Set(policy.analyze({ environment: ENVIRONMENT }).all.map((d) => d.code));
    expect(codes).toEqual(
      new Set([
        "ValidationError::UndefinedRuleCall",
        "ValidationWarning::AmbiguousPrecedence",
        "ValidationError::SingletonVariable",
        "ValidationWarning::UnknownSpecializer",
      ]),
    );
    // Without an environment the blocks and relations are unregistered: placed by the block phases.
    expect(policy.analyze().all.filter((d) => d.code === "ValidationError::UnregisteredClass").length).toBeGreaterThan(
      80,
    );
  });

  it("every view equals a fresh parse and load after each random edit", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 8 }), (edits) => {
        const policy = new Policy();
        policy.set(NAME, BIG);
        let text = BIG;
        edits.forEach((e, step) => {
          text = applyEdit(text, e);
          policy.set(NAME, text);
          expectFresh(policy, text, `step ${step}`);
        });
      }),
      { seed: 20261313, numRuns: 30 },
    );
  });

  it("with the edit's offsets given (the new text never read whole), every view and count equals a fresh one", () => {
    // Astral characters too: the character count is updated from the edited window only.
    const withEdit = randomEdit([...SNIPPETS, "😀", "\uD83D", "\uDE00", "é"]);
    let windows = 0;
    fc.assert(
      fc.property(fc.array(withEdit, { minLength: 1, maxLength: 8 }), (edits) => {
        const policy = new Policy();
        policy.set(NAME, BIG);
        let text = BIG;
        edits.forEach((e, step) => {
          const change = editOffsets(text, e);
          text = applyEdit(text, e);
          policy.set(NAME, text, change);
          expectFresh(policy, text, `step ${step}`);
          expect(policy.analyze().stats, `step ${step}`).toEqual(fileStats(parseFile({ name: NAME, text }), text));
          if (parsedFromWindow(policy, text)) windows++;
        });
      }),
      { seed: 20261315, numRuns: 30 },
    );
    // Most edits were parsed from a window of the text (the others fell back to the whole text).
    expect(windows).toBeGreaterThan(30);
  });

  it("a one-character edit is parsed from a window around the edited item", () => {
    const policy = new Policy();
    policy.set(NAME, BIG);
    const at = BIG.indexOf("# section 40\n") + "# section 40".length;
    const text = BIG.slice(0, at) + "x" + BIG.slice(at);
    expect(policy.set(NAME, text, { start: at, end: at, text: "x" })).toBe(true);
    expect(parsedFromWindow(policy, text)).toBe(true);
    expectFresh(policy, text, "one character");
    // The same character again: nothing changed.
    expect(policy.set(NAME, text, { start: at, end: at + 1, text: "x" })).toBe(false);
    // Halves of a surrogate pair joined and parted by edits next to them: counted once when joined.
    let paired = text;
    for (const [start, end, insert] of [
      [at, at, "\uD83D"],
      [at + 1, at + 1, "\uDE00"],
      [at + 1, at + 1, "y"],
      [at + 1, at + 2, ""],
      [at, at + 1, ""],
    ] as const) {
      paired = paired.slice(0, start) + insert + paired.slice(end);
      policy.set(NAME, paired, { start, end, text: insert });
      expect(policy.analyze().stats, JSON.stringify(insert)).toEqual(
        fileStats(parseFile({ name: NAME, text: paired }), paired),
      );
    }
    // An edit that does not fit the texts' lengths is ignored: the text is compared as a whole.
    const back = BIG;
    expect(policy.set(NAME, back, { start: at, end: at, text: "yy" })).toBe(true);
    expectFresh(policy, back, "ill-fitting edit");
  });

  it("reuses the untouched items and their rewritten rules instead of copying them", () => {
    const policy = new Policy();
    policy.set(NAME, BIG);
    const before = policy.parsed(NAME);
    const rulesBefore = ruleObjects(policy, {});
    // A one-character edit in a comment near the top: every item after it moves.
    const text = BIG.replace("# section 1\n", "# section 1x\n");
    policy.set(NAME, text);
    const after = policy.parsed(NAME);
    expect(before?.ok && after?.ok).toBe(true);
    if (before?.ok !== true || after?.ok !== true) return;
    expect(after.value.length).toBe(before.value.length);
    // Only the item the comment precedes (its leading trivia changed) is parsed again.
    expect(after.value.filter((line, i) => line !== before.value[i]).length).toBe(1);
    // The loader's per-item work is reused: the same rewritten rule objects, in the same order,
    // except the rules generated from the re-parsed block and from the block relating to it.
    const rulesAfter = ruleObjects(policy, {});
    expect(rulesAfter.length).toBe(rulesBefore.length);
    const changed = rulesAfter.filter((rule, i) => rule !== rulesBefore[i]);
    expect(changed.every((rule) => rule.generated === true)).toBe(true);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThanOrEqual(6);
    expectFresh(policy, text, "comment edit");
    // An edit that adds temporaries before other items: later rules are rewritten with new numbers.
    const more = text.replace("helper_0(x) if visible_0(x, x, x);", "helper_0(x) if visible_0(x, x, x.a.b);");
    policy.set(NAME, more);
    expectFresh(policy, more, "temporaries edit");
  });

  it("a fork's edits never change its parent, and the parent's later edits never change the fork", () => {
    fc.assert(
      fc.property(
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (forkEdits, parentEdits) => {
          const parent = new Policy();
          let parentText = applyEdit(BIG, { at: 0.5, remove: 0, text: "# moved\n" });
          parent.set(NAME, BIG);
          parent.set(NAME, parentText);
          parent.analyze();
          parent.analyze({ environment: ENVIRONMENT });
          const fork = parent.fork();
          let forkText = parentText;
          for (const e of forkEdits) {
            forkText = applyEdit(forkText, e);
            fork.set(NAME, forkText);
            fork.analyze();
          }
          expectFresh(parent, parentText, "parent after the fork's edits");
          for (const e of parentEdits) {
            parentText = applyEdit(parentText, e);
            parent.set(NAME, parentText);
            parent.analyze();
          }
          expectFresh(fork, forkText, "fork after the parent's edits");
          expectFresh(parent, parentText, "parent after its own edits");
        },
      ),
      { seed: 20261314, numRuns: 15 },
    );
  });
});
