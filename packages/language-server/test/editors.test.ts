/**
 * Real editors as clients: Neovim (0.7, built-in LSP client) and Emacs (28, eglot 1.9) open a
 * folder of .polar files with `polar-language-server --stdio`, ask for a completion and a rename
 * across two files, then edit one file, then format two (Format Document). The test checks what each editor received (raw
 * publishDiagnostics, the completion items, the rename's edits) and shows (vim.diagnostic /
 * flymake) against the analyzer's own view of the same files.
 *
 * The editors come from Debian (`scripts/install-editors.sh`, run by `scripts/test.sh`). A missing
 * editor fails these tests: they are never skipped.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Policy, formatPolar } from "@polar-ide/analyzer";
import { SERVER_MAIN } from "./helpers.js";

const HERE = import.meta.dirname;
const FIXTURE = join(HERE, "editors/fixture");
const EDIT_LINE = "broken(";

interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  code: string;
  source: string;
  message: string;
}
interface Publication {
  uri: string;
  version?: number | null;
  diagnostics: LspDiagnostic[];
}
interface Phase {
  raw: Publication[];
  shown: Record<string, unknown>[];
}
interface EditorResult {
  files: string[];
  opened: Phase;
  edited: Phase;
  /** Completion labels in main.polar's `"read"` (a shorthand rule's head in Repo). */
  completion: string[];
  /** Neovim: the rename's WorkspaceEdit changes; eglot: edits per URI. */
  rename: unknown;
  /** Buffer texts after Format Document, by file name. */
  formatted: Record<string, string>;
  error?: string;
}

/** The completion in `"read" if …` offers Repo's roles and permissions. */
function checkCompletion(result: EditorResult): void {
  expect([...result.completion].sort()).toEqual(["maintainer", "push", "read", "reader"]);
}

/** Format Document changed roles.polar to the formatter's layout and left main.polar (a syntax error now) alone. */
function checkFormatting(result: EditorResult, editedMain: string): void {
  const roles = files.get(pathToFileURL(join(dir, "roles.polar")).href) ?? "";
  const formatted = formatPolar(roles)?.text;
  expect(formatted).toBeDefined();
  expect(formatted).not.toBe(roles);
  expect(result.formatted["roles.polar"]).toBe(formatted);
  expect(result.formatted["main.polar"]).toBe(editedMain);
}

/** What the server should publish for these files: the analyzer's diagnostics, per document. */
function expectedFor(files: ReadonlyMap<string, string>): Map<string, LspDiagnostic[]> {
  const policy = new Policy();
  for (const [uri, text] of files) policy.set(uri, text);
  const out = new Map<string, LspDiagnostic[]>([...files.keys()].map((u) => [u, []]));
  for (const d of policy.analyze().diagnostics) {
    const lsp: LspDiagnostic = {
      range: d.range,
      severity: d.severity === "error" ? 1 : 2,
      code: d.code,
      source: "Polar Language Server",
      message: d.message,
    };
    for (const [uri, list] of out) if (d.file === null || d.file === uri) list.push(lsp);
  }
  return out;
}

/** The latest publication per URI. */
function latest(raw: Publication[]): Map<string, Publication> {
  const out = new Map<string, Publication>();
  for (const p of raw) out.set(p.uri, p);
  return out;
}

function normalise(ds: LspDiagnostic[]): LspDiagnostic[] {
  return ds.map((d) => ({ range: d.range, severity: d.severity, code: d.code, source: d.source, message: d.message }));
}

let dir = "";
let files = new Map<string, string>();
let editedFiles = new Map<string, string>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pls-editors-"));
  cpSync(FIXTURE, dir, { recursive: true });
  files = new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith(".polar"))
      .sort()
      .map((f) => [pathToFileURL(join(dir, f)).href, readFileSync(join(dir, f), "utf8")]),
  );
  const main = pathToFileURL(join(dir, "main.polar")).href;
  editedFiles = new Map(files);
  editedFiles.set(main, `${files.get(main) ?? ""}${EDIT_LINE}\n`);
});

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

function requireProgram(program: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;
  if (!found) {
    throw new Error(`${program} is not installed: run scripts/install-editors.sh (as root) before the tests`);
  }
}

/** Checks one editor's run: the fixture is one policy across files, and the edit is re-analysed. */
function checkResult(result: EditorResult, editedText: (uri: string) => string): void {
  expect(result.error).toBeUndefined();
  expect(result.files).toEqual([...files.keys()]);
  const mainUri = pathToFileURL(join(dir, "main.polar")).href;

  // Opened: every file published with the analyzer's diagnostics (roles.polar's rule is found from main.polar).
  const opened = latest(result.opened.raw);
  const expectedOpened = expectedFor(files);
  for (const [uri, want] of expectedOpened) {
    const got = opened.get(uri);
    expect(got, uri).toBeDefined();
    expect(normalise(got?.diagnostics ?? []), uri).toEqual(want);
    expect(typeof got?.version, `${uri} version`).toBe("number");
  }
  const codes = [...expectedOpened.values()].flat().map((d) => d.code);
  expect(codes).toContain("ValidationError::UndefinedRuleCall");
  expect(codes).toContain("ValidationWarning::AmbiguousPrecedence");
  expect(expectedOpened.get(mainUri)).toEqual([]);

  // Edited main.polar: the new text is analysed and published with a newer version.
  const editedExpected = expectedFor(new Map([...files.keys()].map((u) => [u, editedText(u)])));
  const edited = latest(result.edited.raw);
  for (const [uri, want] of editedExpected) {
    expect(normalise(edited.get(uri)?.diagnostics ?? []), uri).toEqual(want);
  }
  expect(editedExpected.get(mainUri)?.map((d) => d.code)).toEqual(["ParseError::UnrecognizedEOF"]);
  expect(edited.get(mainUri)?.version ?? 0).toBeGreaterThan(opened.get(mainUri)?.version ?? Infinity);
}

describe("Neovim", () => {
  it("receives and shows the policy's diagnostics, completes, renames across files, re-analyses an edit and formats", () => {
    requireProgram("nvim");
    const out = join(dir, "nvim-result.json");
    const run = spawnSync("nvim", ["--headless", "--clean", "-n", "-u", join(HERE, "editors/nvim.lua")], {
      cwd: dir,
      env: { ...process.env, OUT: out, SERVER: SERVER_MAIN, EDIT_LINE },
      timeout: 60_000,
      encoding: "utf8",
    });
    expect(run.status, `nvim failed: ${run.stderr}`).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8")) as EditorResult;
    // Neovim sends the buffer with its trailing newline.
    checkResult(result, (uri) => editedFiles.get(uri) ?? "");
    checkCompletion(result);
    checkFormatting(result, editedFiles.get(pathToFileURL(join(dir, "main.polar")).href) ?? "");
    // Rename of user_role (called in main.polar, defined in roles.polar): one edit in each file.
    const rename = result.rename as { changes: Record<string, { newText: string }[]>; error?: string };
    expect(rename.error).toBeUndefined();
    expect(
      Object.entries(rename.changes)
        .map(([u, edits]) => [u.slice(u.lastIndexOf("/") + 1), edits.map((e) => e.newText)])
        .sort(),
    ).toEqual([
      ["main.polar", ["member_role"]],
      ["roles.polar", ["member_role"]],
    ]);

    // What the editor shows: vim.diagnostic items at the published positions.
    const shown = result.opened.shown as {
      file: string;
      lnum: number;
      col: number;
      message: string;
      severity: number;
    }[];
    const expected = [...expectedFor(files)].flatMap(([uri, ds]) =>
      ds.map((d) => ({
        file: new URL(uri).pathname,
        lnum: d.range.start.line,
        col: d.range.start.character,
        message: d.message,
        severity: d.severity,
      })),
    );
    const key = (x: { file: string; lnum: number; col: number }): string => `${x.file}:${x.lnum}:${x.col}`;
    expect(
      shown
        .map((s) => ({ file: s.file, lnum: s.lnum, col: s.col, message: s.message, severity: s.severity }))
        .sort((a, b) => key(a).localeCompare(key(b))),
    ).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
  });
});

describe("Emacs eglot", () => {
  it("receives and shows the policy's diagnostics, completes, renames across files, re-analyses an edit and formats", () => {
    requireProgram("emacs");
    const eglot = spawnSync("sh", ["-c", "ls -d /usr/share/emacs/site-lisp/elpa/eglot-*"], { encoding: "utf8" });
    if (eglot.status !== 0)
      throw new Error("eglot is not installed: run scripts/install-editors.sh (as root) before the tests");
    const out = join(dir, "emacs-result.json");
    const run = spawnSync("emacs", ["-Q", "--batch", "-l", join(HERE, "editors/eglot.el")], {
      cwd: dir,
      env: { ...process.env, OUT: out, SERVER: SERVER_MAIN, EDIT_LINE, HOME: dir },
      timeout: 90_000,
      encoding: "utf8",
    });
    expect(run.status, `emacs failed: ${run.stderr}`).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8")) as EditorResult;
    const mainUri = pathToFileURL(join(dir, "main.polar")).href;
    // Emacs inserted "\n" + EDIT_LINE after the file's final newline.
    checkResult(result, (uri) => (uri === mainUri ? `${files.get(uri) ?? ""}\n${EDIT_LINE}` : (files.get(uri) ?? "")));
    checkCompletion(result);
    checkFormatting(result, `${files.get(mainUri) ?? ""}\n${EDIT_LINE}`);
    // Rename of user_role (called in main.polar, defined in roles.polar): one edit in each file.
    const rename = result.rename as Record<string, number>;
    expect(
      Object.entries(rename)
        .map(([u, n]) => [u.slice(u.lastIndexOf("/") + 1), n])
        .sort(),
    ).toEqual([
      ["main.polar", 1],
      ["roles.polar", 1],
    ]);

    // What the editor shows: flymake diagnostics, "source [code]: message", on the published lines.
    const shown = result.opened.shown as { file: string; line: number; type: string; text: string }[];
    const expected = [...expectedFor(files)].flatMap(([uri, ds]) =>
      ds.map((d) => ({
        file: new URL(uri).pathname,
        line: d.range.start.line + 1,
        type: d.severity === 1 ? "eglot-error" : "eglot-warning",
        text: `Polar Language Server [${d.code}]: ${d.message}`,
      })),
    );
    const key = (x: { file: string; line: number; text: string }): string => `${x.file}:${x.line}:${x.text}`;
    expect([...shown].sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      expected.sort((a, b) => key(a).localeCompare(key(b))),
    );
  });
});

describe("the installed binary", () => {
  it("is on the repo's npx path as polar-language-server", () => {
    const root = join(HERE, "../../..");
    const help = execFileSync("npx", ["--no-install", "polar-language-server", "--help"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(help).toContain("--stdio");
  });
});
