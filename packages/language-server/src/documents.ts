/**
 * The tracked documents: every document the client told about (Oso's semantics: `didClose` keeps
 * it), its version and text, and the policy they form. Each document is parsed once per change,
 * by the policy; editor features reuse that parse (`parsed`) instead of parsing the text again.
 */
import { Policy, type PolicyAnalysis } from "@polar-ide/analyzer";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Position } from "vscode-languageserver";
import type { ParsedDocument } from "./features.js";
import { isPosition, isString } from "./params.js";
import { isSameOrUnder } from "./uris.js";

/** One tracked document. */
export interface Tracked {
  readonly uri: string;
  version: number | null;
  document: TextDocument;
  /** Bumped on every change, to tell a snapshot from the current state. */
  revision: number;
  /** The existence check saw the file on disk: only such documents are dropped when missing. */
  seenOnDisk: boolean;
  missingChecks: number;
  /** The features' view of the document, for `revision`. */
  parsed: { readonly revision: number; readonly view: ParsedDocument } | null;
}

/** The tracked documents and the policy they form; one per connection. */
export class Documents {
  private readonly docs = new Map<string, Tracked>();
  /** Documents removed since the last load: they get a final empty list, with their last version. */
  private readonly removed = new Map<string, number | null>();
  private revisions = 0;

  /** @param policy the policy the documents form (given by tests, to look at its parses). */
  constructor(private readonly policy: Policy = new Policy()) {}

  get(uri: string): Tracked | undefined {
    return this.docs.get(uri);
  }

  has(uri: string): boolean {
    return this.docs.has(uri);
  }

  /** Tracked URIs, in the order they were first seen. */
  uris(): IterableIterator<string> {
    return this.docs.keys();
  }

  /** Every tracked document, in the order they were first seen. */
  all(): Tracked[] {
    return [...this.docs.values()];
  }

  /** Tracks a new text for `uri` (a new document or a new version); returns whether the document is new. */
  upsert(uri: string, version: number | null, text: string): boolean {
    const existing = this.docs.get(uri);
    this.revisions++;
    let added = false;
    if (existing === undefined) {
      this.docs.set(uri, {
        uri,
        version,
        document: TextDocument.create(uri, "polar", version ?? 0, text),
        revision: this.revisions,
        seenOnDisk: false,
        missingChecks: 0,
        parsed: null,
      });
      this.removed.delete(uri);
      added = true;
    } else {
      existing.version = version;
      existing.document = TextDocument.create(uri, "polar", version ?? 0, text);
      existing.revision = this.revisions;
    }
    this.policy.set(uri, text);
    return added;
  }

  /** Stops tracking a document; returns whether it was tracked. */
  remove(uri: string): boolean {
    const doc = this.docs.get(uri);
    if (doc === undefined) return false;
    this.docs.delete(uri);
    this.policy.delete(uri);
    this.removed.set(uri, doc.version);
    this.revisions++;
    return true;
  }

  /** Removes every tracked document that is `uri` or lies under it (a deleted folder). */
  removeUnder(uri: string): string[] {
    const gone: string[] = [];
    for (const tracked of [...this.docs.keys()]) {
      if (isSameOrUnder(tracked, uri) && this.remove(tracked)) gone.push(tracked);
    }
    return gone;
  }

  /**
   * Analyses the policy, and hands over the documents removed since the previous analysis (URI and
   * last version), which the load publishes a final empty list for.
   */
  analyze(): { analysis: PolicyAnalysis; removed: [string, number | null][] } {
    const removed = [...this.removed.entries()];
    this.removed.clear();
    return { analysis: this.policy.analyze({ deletedFiles: removed.length }), removed };
  }

  /**
   * A document as the editor features see it: its text and the lines the policy parsed for its
   * current text (empty when it failed to parse). Cached per revision.
   */
  parsed(doc: Tracked): ParsedDocument {
    if (doc.parsed === null || doc.parsed.revision !== doc.revision) {
      const result = this.policy.parsed(doc.uri);
      const lines = result !== undefined && result.ok ? result.lines : [];
      doc.parsed = { revision: doc.revision, view: { uri: doc.uri, document: doc.document, lines } };
    }
    return doc.parsed.view;
  }

  /** Every tracked document as the editor features see it. */
  allParsed(): ParsedDocument[] {
    return this.all().map((doc) => this.parsed(doc));
  }
}

/**
 * The text after a `didChange`: the server asks for full sync, so the last full-text change wins;
 * ranged (incremental) changes from a client that sends them anyway are applied to the tracked text.
 * Returns null when a change is malformed.
 */
export function applyChanges(current: TextDocument | null, changes: readonly unknown[]): string | null {
  let doc = current ?? TextDocument.create("polar:tmp", "polar", 0, "");
  for (const c of changes) {
    const change = c as { text?: unknown; range?: unknown } | null;
    if (change === null || typeof change !== "object" || !isString(change.text)) return null;
    if (change.range === undefined || change.range === null) {
      doc = TextDocument.create(doc.uri, "polar", doc.version, change.text);
    } else {
      const r = change.range as { start?: Position; end?: Position };
      if (!isPosition(r.start) || !isPosition(r.end)) return null;
      doc = TextDocument.update(doc, [{ range: { start: r.start, end: r.end }, text: change.text }], doc.version + 1);
    }
  }
  return doc.getText();
}
