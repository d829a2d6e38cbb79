/**
 * Every editor feature on every file of the conformance corpus, as it is and with a syntax error
 * typed into its middle: no feature throws, at any position; every location a feature answers lies
 * inside the tracked document; highlights and references agree; a rename edits every reference
 * (and is decided alike by the check from scratch and the server's check on a fork of the policy).
 */
import { corpusFiles } from "@polar-ide/testing";
import { describe, expect, it } from "vitest";
import { applyOffsetEdits, editorCodes, editorLoad, shorthandCodeActions } from "../src/code-action.js";
import { completion } from "../src/completion.js";
import { Documents } from "../src/documents.js";
import { definition, documentSymbols, hover } from "../src/features.js";
import { foldingRanges } from "../src/folding.js";
import { selectionSpans } from "../src/selection-ranges.js";
import { semanticTokens } from "../src/semantic-tokens.js";
import { shorthandHover } from "../src/shorthand-hover.js";
import { signatureHelp } from "../src/signature-help.js";
import { workspaceSymbols } from "../src/workspace-symbols.js";
import { documentHighlights, isRefusal, prepareRename, references, rename } from "../src/rename.js";

/** The text with an unfinished rule typed at the start of its middle line. */
function broken(text: string): string {
  const lines = text.split("\n");
  const mid = Math.floor(lines.length / 2);
  lines.splice(mid, 0, 'has_role(user: User, "');
  return lines.join("\n");
}

describe("features on the conformance corpus", () => {
  const files = corpusFiles();

  for (const variant of ["as is", "with a syntax error"] as const) {
    it(`never throw on any corpus file ${variant}, at any position`, () => {
      let answered = 0;
      let rewrites = 0;
      let signatures = 0;
      for (const f of files) {
        const text = variant === "as is" ? f.text : broken(f.text);
        const documents = new Documents();
        const uri = `file:///corpus/${f.case}/${f.name}`;
        documents.upsert(uri, 1, text);
        const tracked = documents.get(uri);
        if (tracked === undefined) throw new Error("not tracked");
        const doc = documents.parsed(tracked);
        const docs = documents.policyParsed(tracked);
        documentSymbols(doc);
        // Semantic tokens: in order, not overlapping, non-empty, inside the text, never across lines.
        let end = 0;
        for (const t of semanticTokens(doc)) {
          expect(t.start).toBeGreaterThanOrEqual(end);
          expect(t.end).toBeGreaterThan(t.start);
          expect(text.slice(t.start, t.end)).not.toMatch(/[\r\n]/);
          end = t.end;
        }
        expect(end).toBeLessThanOrEqual(text.length);
        for (const r of foldingRanges(doc)) expect(r.endLine).toBeGreaterThan(r.startLine);
        expect(workspaceSymbols([doc], "").length).toBeGreaterThanOrEqual(documentSymbols(doc).length);
        // Every 5th offset, and the end: cheap enough for the whole corpus, dense enough to hit every token kind.
        const offsets: number[] = [];
        for (let offset = 0; offset < text.length; offset += 5) offsets.push(offset);
        offsets.push(text.length);
        let renamed = false;
        let rewritten = false;
        for (const offset of offsets) {
          for (const l of definition(docs, doc, offset)) expect(l.uri).toBe(uri);
          // Selection ranges: the cursor inside the innermost, each inside the next.
          const spans = selectionSpans(doc, offset);
          const nested = spans.every((inner, i) => {
            const outer = spans[i + 1];
            if (i === 0 && (inner.start > offset || inner.end < offset)) return false;
            return outer === undefined || (outer.start <= inner.start && inner.end <= outer.end);
          });
          if (!nested) expect(spans, `selection at ${offset}`).toBe("nested");
          if (hover(docs, doc, offset) !== null) answered++;
          const help = signatureHelp(docs, doc, offset, () => documents.loadOf(tracked));
          if (help !== null) {
            signatures++;
            const active = help.signatures[help.activeSignature ?? -1];
            if (active?.label.includes("(") !== true) expect(help).toBe("an active signature of a call");
          }
          if (shorthandHover(doc, () => documents.loadOf(tracked), offset) !== null) answered++;
          for (const item of completion(docs, doc, offset)) expect(item.label.length).toBeGreaterThan(0);
          const found = references(docs, doc, offset, true);
          for (const l of found) expect(l.uri).toBe(uri);
          expect(documentHighlights(docs, doc, offset)).toHaveLength(found.length);
          const prepared = prepareRename(docs, doc, offset);
          if (prepared !== null && !isRefusal(prepared) && !renamed) {
            // One rename per file (each analyses the policy twice): refused with a message, or one edit per
            // reference; the server's check on a fork of the policy decides as the check from scratch.
            renamed = true;
            const edit = rename(docs, doc, offset, "renamed_name");
            if (edit !== null && !isRefusal(edit)) expect(edit.changes?.[uri]).toHaveLength(found.length);
            expect(rename(docs, doc, offset, "renamed_name", (texts) => documents.trial(uri, texts))).toEqual(edit);
          }
          if (!rewritten) {
            // One rewrite per file: an enabled action keeps the codes of the (editor) load.
            for (const action of shorthandCodeActions(docs, doc, offset, offset)) {
              expect(action.kind).toBe("refactor.rewrite");
              const edits = action.edit?.changes?.[uri];
              if (edits === undefined) {
                expect(action.disabled?.reason.length).toBeGreaterThan(0);
                continue;
              }
              rewritten = true;
              rewrites++;
              const after = new Documents();
              after.upsert(
                uri,
                1,
                applyOffsetEdits(
                  text,
                  edits.map((e) => ({
                    start: tracked.document.offsetAt(e.range.start),
                    end: tracked.document.offsetAt(e.range.end),
                    newText: e.newText,
                  })),
                ),
              );
              const edited = after.get(uri);
              if (edited === undefined) throw new Error("not tracked");
              expect(editorCodes(editorLoad([after.parsed(edited)]))).toEqual(editorCodes(editorLoad(docs)));
            }
          }
        }
      }
      expect(answered).toBeGreaterThan(0);
      expect(rewrites).toBeGreaterThan(0);
      expect(signatures).toBeGreaterThan(100);
    });
  }
});
