/**
 * The incremental entry point: a policy is a set of named files (URIs in the editor, paths in
 * the CLI). Changing one file re-parses that file only; the load (validation across files) is
 * re-run on the next `analyze()` and cached until the next change.
 */
import type { SourceFile } from "./ast.js";
import { compareCodePoints } from "./code-points.js";
import { EDITOR_DROPPED_CODES, error, type Diagnostic, type Severity } from "./diagnostics.js";
import type { LoadOptions } from "./environment.js";
import { reparseFile } from "./incremental-parse.js";
import { diagnosticLoad, keptDiagnostics, Loader, type LoadResult, type LoadSource } from "./load.js";
import type { KeepCode } from "./load-segments.js";
import { parseFile, type ParseResult } from "./parser.js";
import { PieceText } from "./piece-text.js";
import { lineIndexOf, type Range } from "./positions.js";
import { spansOf, type FileSpans } from "./spans.js";
import { accumulateStats, emptyStats, fileStats, sumStats, updatedFileStats, type PolicyStatistics } from "./stats.js";

/** A diagnostic as published to a client (the language server's view of it). */
export interface PublishedDiagnostic {
  /** File (URI) the diagnostic belongs to; null when it has no source context (published on every document). */
  readonly file: string | null;
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** 0:0–0:0 when the diagnostic has no source context, as Oso's `Range::default()`. */
  readonly range: Range;
}

/** Result of analysing the whole policy. */
export interface PolicyAnalysis {
  /** Diagnostics to publish, in engine order; the editor view (no environment) drops the app-dependent kinds. */
  readonly diagnostics: readonly PublishedDiagnostic[];
  /** Every diagnostic of the load, unfiltered. */
  readonly all: readonly Diagnostic[];
  /** Telemetry counters of the tracked files. */
  readonly stats: PolicyStatistics;
  /** The whole load result (rules, rule types, blocks, …) for editor features. */
  readonly load: LoadResult;
}

/** Options of {@link Policy.analyze}. */
export interface AnalyzeOptions extends LoadOptions {
  /**
   * Documents removed by the event being reported: the language server publishes an empty list for
   * each of them, and `polar_files` counts published entries.
   */
  readonly deletedFiles?: number;
}

interface Entry {
  readonly file: SourceFile;
  /** The same text as `file.text`, as pieces: an edit reads the windows it needs from them. */
  readonly pieces: PieceText;
  readonly parsed: ParseResult;
  readonly stats: PolicyStatistics;
}

/** A change of a tracked file's text: `[start, end)` of its previous text replaced by `text`. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Surrogate pairs whose high half lies in `[from, to)` (a pair is counted once by `countChars`). */
function surrogatePairs(text: PieceText, from: number, to: number): number {
  return text.slice(from, to + 1).match(SURROGATE_PAIR)?.length ?? 0;
}

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

const ZERO_RANGE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Published form of each diagnostic object. Incremental loads return the same diagnostic objects
 * for unchanged files, so their positions are computed once.
 */
const published = new WeakMap<Diagnostic, PublishedDiagnostic>();

/**
 * Converts load diagnostics to published ones. Without an environment (the editor view) the three
 * kinds that depend on registered classes are dropped, as Oso's language server does.
 */
export function publishDiagnostics(
  diagnostics: readonly Diagnostic[],
  environment: LoadOptions["environment"],
): PublishedDiagnostic[] {
  const editorView = environment === null || environment === undefined;
  const out: PublishedDiagnostic[] = [];
  for (const d of diagnostics) {
    if (editorView && EDITOR_DROPPED_CODES.has(d.code)) continue;
    let p = published.get(d);
    if (p === undefined) {
      const c = d.context;
      p = {
        file: c === null ? null : c.file.name,
        code: d.code,
        severity: d.severity,
        message: d.message,
        range: c === null ? ZERO_RANGE : lineIndexOf(c.file).range(c.start, c.end),
      };
      published.set(d, p);
    }
    out.push(p);
  }
  return out;
}

/** Whether `edit` can be what turned a text of `oldLength` characters into one of `newLength`. */
function fits(edit: TextEdit, oldLength: number, newLength: number): boolean {
  const { start, end } = edit;
  return (
    Number.isInteger(start) &&
    Number.isInteger(end) &&
    0 <= start &&
    start <= end &&
    end <= oldLength &&
    newLength === oldLength - (end - start) + edit.text.length
  );
}

/** How many option sets keep an incremental loader. */
const MAX_LOADERS = 4;

/** The diagnostics the editor view publishes: Oso's language server drops the app-dependent kinds. */
const keptInEditor = (code: string): boolean => !EDITOR_DROPPED_CODES.has(code);

/** Key identifying the options a cached analysis was computed with. */
function optionsKey(options: LoadOptions): string {
  const env = options.environment;
  // Environments are treated as immutable: one key per environment object and flag, so that
  // analysing after each edit does not serialise a long class list every time.
  if (env !== null && env !== undefined) {
    const flag = options.ignoreNoAllowWarning === true ? 1 : 0;
    let keys = environmentKeys.get(env);
    if (keys === undefined) {
      keys = [null, null];
      environmentKeys.set(env, keys);
    }
    return (keys[flag] ??= serializeOptions(options));
  }
  return serializeOptions(options);
}

const environmentKeys = new WeakMap<object, [string | null, string | null]>();

function serializeOptions(options: LoadOptions): string {
  const env = options.environment;
  return JSON.stringify([
    env === null || env === undefined ? null : [env.classes, env.mro ?? {}, env.builtins ?? true],
    options.ignoreNoAllowWarning ?? false,
  ]);
}

/**
 * `diagnosticLoad`, but a defect in the analyzer becomes a diagnostic instead of an exception
 * thrown into the editor (the analyzer must never throw on any text).
 */
function safeLoad(
  loader: Loader,
  sources: readonly LoadSource[],
  options: LoadOptions,
  onDefect: () => void,
): LoadResult {
  try {
    return loader.load(sources);
  } catch (e) {
    // The loader may hold half-updated memos: the caller starts afresh next time.
    onDefect();
    const failed = diagnosticLoad([], { ...options, ignoreNoAllowWarning: true });
    return {
      ...failed,
      stage: "stopped-after-files",
      diagnostics: [error("ParseError::InternalError", `internal analyzer error: ${String(e)}`, null)],
    };
  }
}

/**
 * A policy: named files, each parsed once per change. Names are ordered the way the language
 * server orders document URIs (a BTreeMap of URLs, i.e. by code points), which is also the load order.
 *
 * `analyze()` re-runs the load over all files, but through an incremental {@link Loader}: the
 * work of files whose text did not change is reused, so an edit costs about the size of the
 * edited file plus a pass over per-file summaries.
 */
export class Policy {
  private readonly entries = new Map<string, Entry>();
  private sortedNames: string[] | null = null;
  private cached: {
    readonly key: string;
    readonly diagnostics: readonly PublishedDiagnostic[];
    readonly load: LoadResult;
    /** The load that keeps every diagnostic (the published one outside the editor view; else made when read). */
    all: LoadResult | null;
    readonly sources: readonly LoadSource[];
    readonly options: LoadOptions;
  } | null = null;
  /** Sum of the tracked files' counters, updated per changed file. */
  private readonly totals: PolicyStatistics = emptyStats();
  /**
   * Incremental loaders by options key (the editor view and an engine view may alternate). A
   * loader reuses the work of files whose parse is unchanged since its previous load.
   */
  private readonly loaders = new Map<string, Loader>();

  /**
   * Adds or replaces a file; returns false (and keeps every cache) when the text is unchanged.
   *
   * `edit`, when the caller knows it, is the change that turned the file's previous text into
   * `text`: then the whole of `text` is never read (a 2 MB file is not copied into one string on
   * every keystroke, see piece-text.ts), only the window of it that is parsed again. It is ignored
   * when it does not fit the lengths of the two texts.
   */
  set(name: string, text: string, edit?: TextEdit): boolean {
    const old = this.entries.get(name);
    const file: SourceFile = { name, text };
    let entry: Entry;
    if (old === undefined) {
      const parsed = parseFile(file);
      entry = { file, pieces: PieceText.of(text), parsed, stats: fileStats(parsed, text) };
    } else if (edit !== undefined && fits(edit, old.file.text.length, text.length)) {
      const { start, end } = edit;
      if (end - start === edit.text.length && old.pieces.slice(start, end) === edit.text) return false;
      const pieces = old.pieces.splice(start, end, edit.text);
      const s = old.file.text.length - end;
      // Only the items the edit touched are parsed again (the result equals a fresh parse).
      const parsed = reparseFile(old.file, old.parsed, file, { p: start, s, text: pieces });
      // The character count changes by the surrogate pairs that start between the common ends.
      const pairs =
        surrogatePairs(pieces, start - 1, text.length - s) -
        surrogatePairs(old.pieces, start - 1, old.pieces.length - s);
      const oldPairs = old.file.text.length - old.stats.policy_stats.polar_chars;
      const chars = text.length - (oldPairs + pairs);
      entry = { file, pieces, parsed, stats: updatedFileStats(old.stats, old.parsed, parsed, text, chars) };
    } else {
      if (old.file.text === text) return false;
      const parsed = reparseFile(old.file, old.parsed, file);
      // Only the lines the re-parse did not reuse are recounted.
      entry = {
        file,
        pieces: PieceText.of(text),
        parsed,
        stats: updatedFileStats(old.stats, old.parsed, parsed, text),
      };
    }
    if (old !== undefined) accumulateStats(this.totals, old.stats, -1);
    accumulateStats(this.totals, entry.stats, 1);
    this.entries.set(name, entry);
    if (old === undefined) this.sortedNames = null;
    this.invalidate();
    return true;
  }

  /** Removes a file; returns whether it was tracked. */
  delete(name: string): boolean {
    const old = this.entries.get(name);
    if (old === undefined) return false;
    this.entries.delete(name);
    accumulateStats(this.totals, old.stats, -1);
    this.sortedNames = null;
    this.invalidate();
    return true;
  }

  /** Whether a file is tracked. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** A tracked file's text. */
  get(name: string): string | undefined {
    return this.entries.get(name)?.file.text;
  }

  /** A tracked file's parse (the one its load uses), for editor features: they need not parse again. */
  parsed(name: string): ParseResult | undefined {
    return this.entries.get(name)?.parsed;
  }

  /**
   * Where the terms of a tracked file's parse lie in its current text: a re-parse reuses the items
   * an edit did not touch without copying them (see spans.ts), so their terms keep the offsets of
   * the parse that made them. Undefined when the file is not tracked or failed to parse.
   */
  spans(name: string): FileSpans | undefined {
    const entry = this.entries.get(name);
    return entry === undefined || !entry.parsed.ok ? undefined : spansOf(entry.file, entry.parsed.value);
  }

  /**
   * A copy-on-write fork: it starts with this policy's files (their parses, statistics and cached
   * analysis are shared, not redone) and its incremental loaders, so that changing a few files of
   * the fork and analysing it costs what the same edit costs here. Changes to either side never
   * show on the other (a loader's memos are guarded by their exact inputs, so any sequence of
   * loads by either policy gives fresh-load results). For "what would the policy report if…"
   * questions, such as whether a rename adds a diagnostic; drop the fork afterwards.
   */
  fork(): Policy {
    const copy = new Policy();
    for (const [name, entry] of this.entries) copy.entries.set(name, entry);
    copy.sortedNames = this.sortedNames;
    copy.cached = this.cached;
    accumulateStats(copy.totals, this.totals, 1);
    for (const [key, loader] of this.loaders) copy.loaders.set(key, loader);
    return copy;
  }

  /** Tracked file names in load order. */
  names(): string[] {
    this.sortedNames ??= [...this.entries.keys()].sort(compareCodePoints);
    return [...this.sortedNames];
  }

  /** Number of tracked files. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Loads all files together (in name order) and returns the diagnostics and statistics. The load
   * is cached until a file changes or the options differ. A class environment object must not be
   * changed once analysed with: pass a new object instead (it is recognised by identity).
   */
  analyze(options: AnalyzeOptions = {}): PolicyAnalysis {
    const key = optionsKey(options);
    let cached = this.cached;
    if (cached === null || cached.key !== key) {
      const sources = this.names().flatMap((n) => this.entries.get(n) ?? []);
      // The editor view publishes without the app-dependent kinds: its loader never makes them.
      const editorView = options.environment === null || options.environment === undefined;
      const load = this.load(key, options, sources, editorView ? keptInEditor : null);
      cached = {
        key,
        load,
        diagnostics: publishDiagnostics(
          keptDiagnostics(load, () => true),
          options.environment,
        ),
        all: editorView ? null : load,
        sources,
        options,
      };
      this.cached = cached;
    }
    const deleted = options.deletedFiles ?? 0;
    const stats = sumStats([this.totals], { deletedFiles: deleted });
    const { load } = cached;
    const analysed = cached;
    const loadAll = (): LoadResult => this.load(`${analysed.key}\u0000all`, analysed.options, analysed.sources, null);
    // `all` is read through a load that keeps everything (placed on first read), only when asked:
    // in the editor view that is a second loader, which the editor never needs.
    return {
      diagnostics: cached.diagnostics,
      get all(): readonly Diagnostic[] {
        analysed.all ??= loadAll();
        return analysed.all.diagnostics;
      },
      stats,
      load,
    };
  }

  /** A load of `sources` by the incremental loader of `key` (made with `keep` when new). */
  private load(key: string, options: LoadOptions, sources: readonly LoadSource[], keep: KeepCode): LoadResult {
    let loader = this.loaders.get(key);
    if (loader === undefined) {
      // Keep a few option sets warm; an unbounded number of environments must not pin memory.
      if (this.loaders.size >= MAX_LOADERS) this.loaders.clear();
      loader = new Loader(options, keep);
      this.loaders.set(key, loader);
    }
    return safeLoad(loader, sources, options, () => this.loaders.delete(key));
  }

  private invalidate(): void {
    this.cached = null;
  }
}
