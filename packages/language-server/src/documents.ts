/**
 * The tracked documents: every document the client told about (Oso's semantics: `didClose` keeps
 * a file), its version and text, and the policies they form. Each document is parsed once per
 * change, by its policy; editor features reuse that parse (`parsed`) instead of parsing the text
 * again, and fall back to the error-tolerant parse (`parseTolerant`) when the file has a syntax
 * error, so that outline, hover and definition keep working outside the broken item.
 *
 * Policies: the `file:` documents under the project roots (the workspace folders the client
 * named) form one policy, as Oso's server loads them; every other document — a file outside every
 * root, any document when no root was named, an untitled buffer or any non-`file:` URI — is a
 * one-file policy of its own, never merged into a root's policy.
 */
import {
  Policy,
  parseTolerant,
  type ClassEnvironment,
  sumStats,
  type LoadResult,
  type PolicyAnalysis,
  type PolicyStatistics,
  type PublishedDiagnostic,
  type TextEdit,
} from "@polar-ide/analyzer";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Position } from "vscode-languageserver";
import { trackSpans, type ParsedDocument } from "./features.js";
import { isPosition, isString } from "./params.js";
import { isSameOrUnder } from "./uris.js";
import { lineStartsOf, offsetAt, replaceLineStarts, spliceLineStarts, type LineStarts } from "./line-starts.js";
import { LineTableDocument } from "./line-table-document.js";

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
  /** The editor has it open (a `didOpen`, or a change to an untracked document, since the last `didClose`). */
  open: boolean;
  /** The features' view of the document, for `revision`. */
  parsed: { readonly revision: number; readonly view: ParsedDocument } | null;
}

/** One policy's share of a load: its documents (URIs) and its analysis. */
export interface PolicyGroup {
  readonly uris: readonly string[];
  readonly analysis: PolicyAnalysis;
}

/** What a load reports: every policy's analysis, the summed statistics and the removed documents. */
export interface DocumentsAnalysis {
  readonly groups: readonly PolicyGroup[];
  readonly stats: PolicyStatistics;
  readonly removed: [string, number | null][];
}

/** The tracked documents and the policies they form; one per connection. */
export class Documents {
  private readonly docs = new Map<string, Tracked>();
  /** Documents removed since the last load: they get a final empty list, with their last version. */
  private readonly removed = new Map<string, number | null>();
  private revisions = 0;
  /** One-file policies, by URI (documents outside every root). */
  private readonly singles = new Map<string, Policy>();
  /** Project roots; null (never told) puts every `file:` document in the shared policy. */
  private roots: readonly string[] | null = null;
  /** The roots are the workspace folders and follow their changes (not explicit `projectRoots`). */
  private followsFolders = true;
  /** The application's classes for the roots' policy (null: Oso's editor view); see `project-classes.ts`. */
  private environment: ClassEnvironment | null = null;

  /**
   * @param policy the policy the documents under the roots form (given by tests, to look at its parses).
   */
  constructor(private readonly policy: Policy = new Policy()) {}

  /**
   * Sets the project roots (folder URIs). Documents already tracked whose membership changes move
   * to the policy they now belong to (the others keep their parses). An empty list: every document
   * is a one-file policy. `followsFolders`: the roots are the workspace folders, and follow their
   * changes (`changeFolders`); explicit roots (`projectRoots`) do not.
   */
  setRoots(roots: readonly string[], followsFolders = this.followsFolders): void {
    const before = new Map([...this.docs.keys()].map((uri) => [uri, this.inRoots(uri)]));
    this.roots = [...roots];
    this.followsFolders = followsFolders;
    for (const doc of this.docs.values()) {
      if (before.get(doc.uri) === this.inRoots(doc.uri)) continue;
      this.policy.delete(doc.uri);
      this.singles.delete(doc.uri);
      this.setText(doc.uri, doc.document.getText());
      doc.revision = ++this.revisions;
    }
  }

  /**
   * Follows a change of the workspace folders: removed folders stop being roots, added ones become
   * roots. A `file:` document that leaves every root is dropped when the editor does not have it
   * open (the next load publishes its final empty list) and becomes a one-file policy when it
   * does; tracked documents under an added root join the roots' policy. Returns the dropped URIs,
   * or null when the roots are explicit and do not follow the folders.
   */
  changeFolders(added: readonly string[], removed: readonly string[]): string[] | null {
    if (!this.followsFolders) return null;
    const sameFolder = (a: string, b: string): boolean => isSameOrUnder(a, b) && isSameOrUnder(b, a);
    const roots = (this.roots ?? []).filter((root) => !removed.some((r) => sameFolder(r, root)));
    for (const folder of added) if (!roots.some((root) => sameFolder(root, folder))) roots.push(folder);
    const dropped: string[] = [];
    for (const doc of this.all()) {
      const stays = roots.some((root) => isSameOrUnder(doc.uri, root));
      if (doc.open || stays || !this.inRoots(doc.uri)) continue;
      if (this.remove(doc.uri)) dropped.push(doc.uri);
    }
    this.setRoots(roots, true);
    return dropped;
  }

  /** Notes that the editor opened or closed a tracked document. */
  setOpen(uri: string, open: boolean): void {
    const doc = this.docs.get(uri);
    if (doc !== undefined) doc.open = open;
  }

  /** The project roots (null: never told). */
  projectRoots(): readonly string[] | null {
    return this.roots;
  }

  /** Loads the roots' policy with the application's classes (null: Oso's editor view). One-file policies have none. */
  setEnvironment(environment: ClassEnvironment | null): void {
    this.environment = environment;
  }

  /** Whether `uri` belongs to the shared policy of the roots (a `file:` URI under a root). */
  inRoots(uri: string): boolean {
    if (!uri.startsWith("file:")) return false;
    return this.roots === null || this.roots.some((root) => isSameOrUnder(uri, root));
  }

  /** The policy `uri` belongs to (creating its one-file policy when needed). */
  private policyFor(uri: string): Policy {
    if (this.inRoots(uri)) return this.policy;
    let single = this.singles.get(uri);
    if (single === undefined) {
      single = new Policy();
      this.singles.set(uri, single);
    }
    return single;
  }

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

  /**
   * Tracks a new text for `uri` (a new document or a new version); returns whether the document is
   * new. `edit`: the change from the tracked text to `text`, when known (see {@link applyContentChanges}).
   */
  upsert(uri: string, version: number | null, text: string, edit: TextEdit | null = null): boolean {
    const existing = this.docs.get(uri);
    this.revisions++;
    let added = false;
    if (existing === undefined) {
      this.docs.set(uri, {
        uri,
        version,
        document: documentOf(uri, version ?? 0, text),
        revision: this.revisions,
        seenOnDisk: false,
        missingChecks: 0,
        open: true,
        parsed: null,
      });
      this.removed.delete(uri);
      added = true;
    } else {
      existing.version = version;
      existing.document = documentOf(uri, version ?? 0, text);
      existing.revision = this.revisions;
    }
    this.setText(uri, text, added ? null : edit);
    return added;
  }

  /** Stops tracking a document; returns whether it was tracked. */
  remove(uri: string): boolean {
    const doc = this.docs.get(uri);
    if (doc === undefined) return false;
    this.docs.delete(uri);
    this.policy.delete(uri);
    this.singles.delete(uri);
    this.removed.set(uri, doc.version);
    this.revisions++;
    return true;
  }

  /**
   * Stops tracking a document outside the shared policy without handing it to the next load (the
   * caller clears its diagnostics: no other document's change). Returns whether it was dropped.
   */
  forget(uri: string): boolean {
    if (this.inRoots(uri) || !this.docs.delete(uri)) return false;
    this.singles.delete(uri);
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

  /** Hands a document's text to its policy and registers where its parse's terms now lie. */
  private setText(uri: string, text: string, edit: TextEdit | null = null): void {
    const policy = this.policyFor(uri);
    if (policy.set(uri, text, edit ?? undefined)) trackSpans(policy.spans(uri));
  }

  /**
   * Analyses every policy (each caches its analysis until one of its files changes), and hands over
   * the documents removed since the previous analysis (URI and last version), which the load
   * publishes a final empty list for. The statistics are the sum over the policies.
   */
  analyze(): DocumentsAnalysis {
    const removed = [...this.removed.entries()];
    this.removed.clear();
    const groups: PolicyGroup[] = [
      {
        uris: this.policy.names(),
        analysis: this.policy.analyze({ deletedFiles: removed.length, environment: this.environment }),
      },
    ];
    for (const [uri, single] of this.singles) groups.push({ uris: [uri], analysis: single.analyze() });
    return { groups, stats: sumStats(groups.map((g) => g.analysis.stats)), removed };
  }

  /**
   * A document as the editor features see it: its text and the lines its policy parsed for its
   * current text, or, when that parse failed, the lines of the error-tolerant parse (everything
   * outside the broken items). Cached per revision.
   */
  parsed(doc: Tracked): ParsedDocument {
    if (doc.parsed === null || doc.parsed.revision !== doc.revision) {
      const result = this.policyFor(doc.uri).parsed(doc.uri);
      const lines =
        result === undefined
          ? []
          : result.ok
            ? result.value
            : parseTolerant({ name: doc.uri, text: doc.document.getText() }).lines;
      doc.parsed = { revision: doc.revision, view: { uri: doc.uri, document: doc.document, lines } };
    }
    return doc.parsed.view;
  }

  /**
   * The load of the policy `doc` belongs to (each policy caches its analysis until a file changes:
   * this is the analysis the next load publishes), for features that show what the load computed.
   */
  loadOf(doc: Tracked): LoadResult {
    const policy = this.policyFor(doc.uri);
    return policy.analyze(policy === this.policy ? { environment: this.environment } : {}).load;
  }

  /**
   * What the policy of `uri` reports now, and what it would report with some of its files' texts
   * replaced (`texts`: URI → text), for "would this edit add a diagnostic?" questions. The second
   * answer comes from a fork of the policy: only the replaced files are parsed and re-checked, and
   * the policy itself is unchanged.
   */
  trial(
    uri: string,
    texts: ReadonlyMap<string, string>,
  ): { readonly before: readonly PublishedDiagnostic[]; readonly after: readonly PublishedDiagnostic[] } {
    const policy = this.inRoots(uri) ? this.policy : this.singles.get(uri);
    if (policy === undefined) throw new Error(`not a tracked document: ${uri}`);
    // The options of the load the server publishes (`loadOf`), so that the fork reuses its loader.
    const options = policy === this.policy ? { environment: this.environment } : {};
    const before = policy.analyze(options).diagnostics;
    const fork = policy.fork();
    for (const [name, text] of texts) fork.set(name, text);
    return { before, after: fork.analyze(options).diagnostics };
  }

  /** The documents of the policy `doc` belongs to (itself alone for a one-file policy), as the features see them. */
  policyParsed(doc: Tracked): ParsedDocument[] {
    if (!this.inRoots(doc.uri)) return [this.parsed(doc)];
    return this.all()
      .filter((d) => this.inRoots(d.uri))
      .map((d) => this.parsed(d));
  }

  /** Every tracked document as the editor features see it. */
  allParsed(): ParsedDocument[] {
    return this.all().map((doc) => this.parsed(doc));
  }
}

/**
 * The text after a `didChange`: the server asks for incremental sync, so each ranged change is
 * applied to the tracked text in order; a change without a range replaces the whole text.
 * Returns null when a change is malformed.
 */
export function applyChanges(current: TextDocument | null, changes: readonly unknown[]): string | null {
  return applyContentChanges(current, changes)?.text ?? null;
}

/**
 * {@link applyChanges}, with the offsets of the change when there was one ranged change: the
 * analyzer then reads only the text around it (`Policy.set`), never the new text as a whole.
 */
export function applyContentChanges(
  current: TextDocument | null,
  changes: readonly unknown[],
): { readonly text: string; readonly edit: TextEdit | null } | null {
  let doc = current ?? TextDocument.create("polar:tmp", "polar", 0, "");
  let edit: TextEdit | null = null;
  for (const c of changes) {
    const change = c as { text?: unknown; range?: unknown } | null;
    if (change === null || typeof change !== "object" || !isString(change.text)) return null;
    if (change.range === undefined || change.range === null) {
      if (current === null) doc = TextDocument.create(doc.uri, "polar", doc.version, change.text);
      else {
        // The whole text (full-document sync: every edit sent so): its line starts are the tracked
        // ones spliced where the texts differ (line-starts.ts), so no feature scans the whole text
        // for its line table and the outline's cached items are checked without allocating. The
        // analyzer finds the changed window itself (`Policy.set` without an edit).
        const next = replaceLineStarts(lineStartsFor(doc), change.text);
        doc = new LineTableDocument(doc.uri, "polar", doc.version + 1, next);
        rememberLineStarts(doc.uri, next);
      }
    } else {
      const r = change.range as { start?: Position; end?: Position };
      if (!isPosition(r.start) || !isPosition(r.end)) return null;
      // Spliced by offsets, with our own line starts (line-starts.ts): TextDocument.update's
      // incremental line table counts a "\r" and a "\n" inserted right after it as two line ends,
      // and a fresh document's table is a scan of the whole text.
      const lines = lineStartsFor(doc);
      const start = offsetAt(lines, r.start);
      const end = Math.max(start, offsetAt(lines, r.end));
      const next = spliceLineStarts(lines, start, end, change.text);
      doc = new LineTableDocument(doc.uri, "polar", doc.version + 1, next);
      rememberLineStarts(doc.uri, next);
      if (changes.length === 1) edit = { start, end, text: change.text };
    }
  }
  return { text: doc.getText(), edit };
}

/** The line starts of the latest text of a few recently changed documents, by URI. */
const LINE_STARTS = new Map<string, LineStarts>();
const MAX_LINE_STARTS = 16;

function rememberLineStarts(uri: string, lines: LineStarts): void {
  LINE_STARTS.delete(uri);
  if (LINE_STARTS.size >= MAX_LINE_STARTS) {
    const oldest = LINE_STARTS.keys().next();
    if (oldest.done !== true) LINE_STARTS.delete(oldest.value);
  }
  LINE_STARTS.set(uri, lines);
}

/**
 * A tracked document's `TextDocument`: over the line starts the last ranged change made when
 * `text` is that change's text (the same string), so that no feature scans the whole text for
 * its line table again after a keystroke; else a plain one (its table is scanned when first used).
 */
function documentOf(uri: string, version: number, text: string): TextDocument {
  const known = LINE_STARTS.get(uri);
  if (known !== undefined && known.text === text) return new LineTableDocument(uri, "polar", version, known);
  return TextDocument.create(uri, "polar", version, text);
}

/** A document's line starts: remembered when its text is the one the last change made (the same string), else scanned. */
function lineStartsFor(doc: TextDocument): LineStarts {
  if (doc instanceof LineTableDocument) return doc.lineStarts;
  const text = doc.getText();
  const known = LINE_STARTS.get(doc.uri);
  if (known !== undefined && known.text === text) return known;
  const lines = lineStartsOf(text);
  rememberLineStarts(doc.uri, lines);
  return lines;
}
