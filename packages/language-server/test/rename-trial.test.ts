/**
 * The rename check on a fork of the server's incremental policy (`Documents.trial`) decides
 * exactly as analysing the renamed policy from scratch does, and leaves the policy as it was: for
 * every rename target of the example policies (split over two files) and new names that collide
 * with declared roles, permissions, relations, classes and rules or do not, the two checks give
 * the same edits or the same refusal, and the next load reports what it reported before.
 */
import { describe, expect, it } from "vitest";
import { Documents } from "../src/documents.js";
import { targetAt } from "../src/references.js";
import { isRefusal, rename, trialFromScratch } from "../src/rename.js";
import { GITHUB, SHARING, uri } from "./helpers.js";

const NEW_NAMES = ["read", "member", "owner", "Organization", "has_permission_x", "admin"];

function split(text: string, at: string): [string, string] {
  const cut = text.indexOf(at);
  if (cut < 0) throw new Error(`no ${at}`);
  return [text.slice(0, cut), text.slice(cut)];
}

const POLICIES: { name: string; files: [string, string] }[] = [
  { name: "github.polar", files: split(GITHUB, "has_role(user: User, name: String, org: Organization)") },
  { name: "document-sharing.polar", files: split(SHARING, "has_role(") },
];

describe("the rename check on a fork of the policy", () => {
  for (const { name, files } of POLICIES) {
    it(`decides as a check from scratch, and changes nothing, on ${name}`, () => {
      const documents = new Documents();
      documents.setRoots(["file:///"]);
      const uris = [uri("blocks.polar"), uri("rules.polar")];
      uris.forEach((u, i) => documents.upsert(u, 1, files[i] ?? ""));
      const published = (): unknown => documents.analyze().groups.map((g) => g.analysis.diagnostics);
      const before = published();
      const docs = uris.map((u) => {
        const tracked = documents.get(u);
        if (tracked === undefined) throw new Error("not tracked");
        return documents.parsed(tracked);
      });
      let targets = 0;
      let refusals = 0;
      let edits = 0;
      for (const doc of docs) {
        const text = doc.document.getText();
        const seen = new Set<string>();
        for (const m of text.matchAll(/[A-Za-z_]+/g)) {
          const offset = (m.index ?? 0) + 1;
          const at = targetAt(docs, doc, offset);
          if (at === null) continue;
          const key = JSON.stringify(at.target);
          if (seen.has(key)) continue;
          seen.add(key);
          targets++;
          for (const newName of NEW_NAMES) {
            const fromScratch = rename(docs, doc, offset, newName, trialFromScratch(docs));
            const onFork = rename(docs, doc, offset, newName, (texts) => documents.trial(doc.uri, texts));
            expect(onFork, `${key} → ${newName}`).toEqual(fromScratch);
            if (isRefusal(onFork)) refusals++;
            else if (onFork !== null) edits++;
          }
        }
      }
      expect(targets).toBeGreaterThan(20);
      // Both outcomes occur: the comparison is not between two refusals (or two edits) only.
      expect(refusals).toBeGreaterThan(5);
      expect(edits).toBeGreaterThan(5);
      expect(published()).toEqual(before);
    });
  }
});
