/**
 * Edits inside one big document (issue 13): the analyzer re-parses only the items an edit touched
 * and keeps the others with the offsets of the parse that made them, so every feature must place
 * terms through the document's current position table. After each random edit, every feature's
 * answer and every published diagnostic must equal what a server that saw only the final text
 * gives; a trial (a fork of the policy, as rename and the quick fixes use) must change neither.
 */
import fc from "fast-check";
import { applyEdit, bigPolicy, editOffsets, randomEdit } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import { classHover } from "../src/class-hover.js";
import { Documents, type Tracked } from "../src/documents.js";
import type { RegisteredClass } from "../src/project-classes.js";
import { definition, documentSymbols, hover } from "../src/features.js";
import { foldingRanges } from "../src/folding.js";
import { references } from "../src/rename.js";
import { selectionRanges } from "../src/selection-ranges.js";
import { semanticTokens } from "../src/semantic-tokens.js";
import { shorthandHover } from "../src/shorthand-hover.js";

const URI = "file:///big.polar";
const OTHER = "file:///other.polar";

/** Sections of one block and its rules; some items carry diagnostics (a singleton, an undefined call). */
const BIG = bigPolicy(80, (i) => [
  `visible_${i}(user: User, d: Doc${i}) if d.public = true or has_permission(user, "read", d);`,
  `count_${i}(d: Doc${i}, n: Integer) if n = d.items.length * 2 + 1 and n > 0;`,
  i % 7 === 3 ? `broken_${i}(x, y) if missing_${i}(x);` : `helper_${i}(x) if visible_${i}(x, x);`,
  i % 11 === 5 ? `type typed_${i}(d: Doc${i});` : `typed_${i}(d: Doc${i}) if d.ok;`,
]);

/** Snippets that move offsets, break items or join them. */
const SNIPPETS = ["x", " ", "\n", "# c\n", ";", '"', "}", "{", "f(1);\n", "zz(a) if a = 1;\n", "resource R {", "("];

const edit = randomEdit(SNIPPETS);

/** Offsets worth asking about: the start and middle of identifiers and strings, spread over the text. */
function probes(text: string, n: number): number[] {
  const out: number[] = [];
  const re = /[A-Za-z_]\w*|"[^"\n]*"/g;
  const all: number[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) all.push(m.index, m.index + Math.floor(m[0].length / 2));
  const step = Math.max(1, Math.floor(all.length / n));
  for (let i = 0; i < all.length && out.length < n; i += step) out.push(all[i] ?? 0);
  out.push(text.length);
  return out;
}

/** Every feature's answer on `uri` of `docs`, at the given offsets, plus the published diagnostics. */
function answers(docs: Documents, offsets: readonly number[]): unknown {
  const tracked = docs.get(URI) as Tracked;
  const doc = docs.parsed(tracked);
  const all = docs.policyParsed(tracked);
  const load = (): ReturnType<Documents["loadOf"]> => docs.loadOf(tracked);
  const analysis = docs.analyze();
  return {
    diagnostics: analysis.groups.map((g) => g.analysis.diagnostics),
    symbols: documentSymbols(doc),
    tokens: semanticTokens(doc),
    folding: foldingRanges(doc),
    selection: selectionRanges(
      doc,
      offsets.map((o) => doc.document.positionAt(o)),
    ),
    at: offsets.map((o) => ({
      definition: definition(all, doc, o),
      references: references(all, doc, o, true),
      hover: hover(all, doc, o, load),
      shorthand: shorthandHover(doc, load, o),
      classes: classHover(doc, o, CLASSES),
    })),
  };
}

function fresh(text: string, other: string): Documents {
  const docs = new Documents();
  docs.upsert(OTHER, 1, other);
  docs.upsert(URI, 1, text);
  return docs;
}

/** Registered classes, so that class hovers answer. */
const CLASSES: ReadonlyMap<string, RegisteredClass> = new Map(
  ["User", "Doc0", "Doc5", "Doc40", "Doc79"].map((name) => [name, { bases: [], from: "test" }]),
);

const OTHER_TEXT = "other(x) if visible_3(x, x);\nresource Extra {}\n";

describe("edits inside one big document", () => {
  it("the big document parses and has diagnostics to place", () => {
    const docs = fresh(BIG, OTHER_TEXT);
    const analysis = docs.analyze();
    const published = analysis.groups.flatMap((g) => g.analysis.diagnostics).filter((d) => d.file === URI);
    expect(published.length).toBeGreaterThan(10);
    expect(documentSymbols(docs.parsed(docs.get(URI) as Tracked)).length).toBeGreaterThan(400);
  });

  it("every feature and diagnostic equals a fresh server's after each random edit", () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        const docs = fresh(BIG, OTHER_TEXT);
        docs.analyze();
        let text = BIG;
        edits.forEach((e, step) => {
          // As the server hands a ranged change to the analyzer (its offsets: only a window of the
          // text is read), every other step; the others replace the text as a whole.
          const change = step % 2 === 0 ? editOffsets(text, e) : null;
          text = applyEdit(text, e);
          docs.upsert(URI, step + 2, text, change);
          const offsets = probes(text, 12);
          expect(answers(docs, offsets), `step ${step}`).toEqual(answers(fresh(text, OTHER_TEXT), offsets));
        });
      }),
      { seed: 20261213, numRuns: 12 },
    );
  }, 240_000);

  it("a trial on a fork (rename, quick fixes) changes none of the document's answers", () => {
    fc.assert(
      fc.property(edit, edit, (first, trialEdit) => {
        const docs = fresh(BIG, OTHER_TEXT);
        const text = applyEdit(BIG, first);
        docs.upsert(URI, 2, text);
        const offsets = probes(text, 12);
        const before = answers(docs, offsets);
        // The fork re-parses the trial text from the document's parse, sharing its reused items.
        const trialText = applyEdit(text, trialEdit);
        const { after } = docs.trial(URI, new Map([[URI, trialText]]));
        expect(after).toEqual(fresh(trialText, OTHER_TEXT).analyze().groups[0]?.analysis.diagnostics);
        expect(answers(docs, offsets)).toEqual(before);
      }),
      { seed: 20261214, numRuns: 10 },
    );
  }, 240_000);
});
