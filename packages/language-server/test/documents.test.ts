/**
 * The tracked documents: features read the parse the policy made for the load (never a second
 * parse), cached per revision; removals are handed to the next load once; didChange's text.
 */
import { Policy, type ParseResult } from "@polar-ide/analyzer";
import { TextDocument } from "vscode-languageserver-textdocument";
import { describe, expect, it } from "vitest";
import { applyChanges, Documents, type Tracked } from "../src/documents.js";

const A = "file:///p/a.polar";
const B = "file:///p/sub/b.polar";

function tracked(documents: Documents, uri: string): Tracked {
  const doc = documents.get(uri);
  if (doc === undefined) throw new Error(`${uri} is not tracked`);
  return doc;
}

function linesOf(result: ParseResult | undefined): unknown {
  if (result === undefined || !result.ok) throw new Error("no successful parse");
  return result.value;
}

describe("Documents.parsed", () => {
  it("gives the features the lines the policy parsed for the load, not a parse of their own", () => {
    const policy = new Policy();
    const documents = new Documents(policy);
    documents.upsert(A, 1, "f(1);\ng(x) if f(x);\n");
    const view = documents.parsed(tracked(documents, A));
    expect(view.lines).toHaveLength(2);
    expect(view.lines).toBe(linesOf(policy.parsed(A)));
    expect(view.document.getText()).toBe("f(1);\ng(x) if f(x);\n");
  });

  it("is cached per revision and follows a new version", () => {
    const policy = new Policy();
    const documents = new Documents(policy);
    documents.upsert(A, 1, "f(1);\n");
    const first = documents.parsed(tracked(documents, A));
    expect(documents.parsed(tracked(documents, A))).toBe(first);
    documents.upsert(A, 2, "f(1);\nf(2);\n");
    const second = documents.parsed(tracked(documents, A));
    expect(second).not.toBe(first);
    expect(second.lines).toHaveLength(2);
    expect(second.lines).toBe(linesOf(policy.parsed(A)));
  });

  it("has no lines for a document that does not parse at all", () => {
    const documents = new Documents();
    expect(documents.upsert(A, 1, "f(x")).toBe(true);
    expect(documents.parsed(tracked(documents, A)).lines).toEqual([]);
  });

  it("gives the lines outside the broken item of a document with a syntax error", () => {
    const policy = new Policy();
    const documents = new Documents(policy);
    documents.upsert(A, 1, "f(1);\ng(x) if f(x;\nh(2);\n");
    expect(policy.parsed(A)?.ok).toBe(false);
    const names = documents.parsed(tracked(documents, A)).lines.map((l) => (l.kind === "rule" ? l.rule.name : l.kind));
    expect(names).toEqual(["f", "h"]);
  });
});

describe("Documents: policies", () => {
  const OUT = "file:///elsewhere/c.polar";
  const UNTITLED = "untitled:Untitled-1";

  it("puts the files under a root in one policy and every other document in its own", () => {
    const policy = new Policy();
    const documents = new Documents(policy);
    documents.setRoots(["file:///p"]);
    documents.upsert(A, 1, "f(1);");
    documents.upsert(B, 1, "g(1);");
    documents.upsert(OUT, 1, "h(1);");
    documents.upsert(UNTITLED, 1, "k(1);");
    expect(policy.names()).toEqual([A, B]);
    const { groups } = documents.analyze();
    expect(groups.map((g) => g.uris)).toEqual([[A, B], [OUT], [UNTITLED]]);
    expect(documents.policyParsed(tracked(documents, OUT)).map((d) => d.uri)).toEqual([OUT]);
    expect(documents.policyParsed(tracked(documents, A)).map((d) => d.uri)).toEqual([A, B]);
  });

  it("makes every document a one-file policy when there is no root, and moves documents when roots are set", () => {
    const policy = new Policy();
    const documents = new Documents(policy);
    documents.setRoots([]);
    documents.upsert(A, 1, "f(1);");
    documents.upsert(B, 1, "g(1);");
    expect(policy.size).toBe(0);
    expect(documents.analyze().groups.map((g) => g.uris)).toEqual([[], [A], [B]]);
    documents.setRoots(["file:///p/sub"]);
    expect(policy.names()).toEqual([B]);
    expect(documents.analyze().groups.map((g) => g.uris)).toEqual([[B], [A]]);
  });

  it("forgets a closed non-file document without handing it to a load, and never a file under a root", () => {
    const documents = new Documents();
    documents.setRoots(["file:///p"]);
    documents.upsert(A, 1, "f(1);");
    documents.upsert(UNTITLED, 1, "k(1);");
    expect(documents.forget(A)).toBe(false);
    expect(documents.forget(UNTITLED)).toBe(true);
    expect(documents.forget(UNTITLED)).toBe(false);
    const { groups, removed } = documents.analyze();
    expect(removed).toEqual([]);
    expect(groups.map((g) => g.uris)).toEqual([[A]]);
  });
});

describe("Documents: tracking and removal", () => {
  it("tells a new document from a new version of a tracked one", () => {
    const documents = new Documents();
    expect(documents.upsert(A, 1, "f(1);")).toBe(true);
    expect(documents.upsert(A, 2, "f(2);")).toBe(false);
    expect(tracked(documents, A).version).toBe(2);
  });

  it("hands each removed document (with its last version) to exactly one analysis", () => {
    const documents = new Documents();
    documents.upsert(A, 3, "allow(_, _, _);");
    documents.upsert(B, 7, "f(1);");
    expect(documents.removeUnder("file:///p/sub")).toEqual([B]);
    expect(documents.removeUnder("file:///p/sub")).toEqual([]);
    const first = documents.analyze();
    expect(first.removed).toEqual([[B, 7]]);
    expect(first.stats.policy_stats.polar_files).toBe(2);
    const second = documents.analyze();
    expect(second.removed).toEqual([]);
    expect(second.stats.policy_stats.polar_files).toBe(1);
  });

  it("forgets a removal when the document comes back before the next load", () => {
    const documents = new Documents();
    documents.upsert(A, 1, "f(1);");
    expect(documents.remove(A)).toBe(true);
    expect(documents.remove(A)).toBe(false);
    documents.upsert(A, 2, "f(1);");
    expect(documents.analyze().removed).toEqual([]);
    expect([...documents.uris()]).toEqual([A]);
  });
});

describe("applyChanges", () => {
  const current = TextDocument.create(A, "polar", 1, "f(1);\ng(2);\n");

  it("takes the last full text", () => {
    expect(applyChanges(current, [{ text: "x" }, { text: "h(3);" }])).toBe("h(3);");
  });

  it("applies ranged changes to the tracked text", () => {
    const range = { start: { line: 1, character: 2 }, end: { line: 1, character: 3 } };
    expect(applyChanges(current, [{ range, text: "42" }])).toBe("f(1);\ng(42);\n");
  });

  it("refuses malformed changes", () => {
    expect(applyChanges(current, [{ text: 1 }])).toBeNull();
    expect(applyChanges(current, [null])).toBeNull();
    expect(applyChanges(current, [{ range: { start: { line: 0 } }, text: "" }])).toBeNull();
  });
});
