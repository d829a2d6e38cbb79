/**
 * The conformance corpus: Polar cases with what Oso 0.27.3's engine reported for them
 * (`conformance/README.md` at the repository root describes the format).
 *
 * Every suite finds the corpus through this module. `POLAR_CONFORMANCE_CASES` may point at another
 * folder of cases (a larger private corpus, say); without it the repository's own `conformance/cases`
 * is used. A missing or empty corpus is an error, never an empty list of cases: a suite that silently
 * ran no case would pass while checking nothing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable that overrides the corpus folder. */
export const CORPUS_ENV = "POLAR_CONFORMANCE_CASES";

/** The repository root (this file is `packages/testing/{src,dist}/corpus.{ts,js}`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The corpus folder as configured, whether or not it exists. */
export function configuredCasesDir(): string {
  const override = process.env[CORPUS_ENV];
  return override !== undefined && override !== "" ? resolve(override) : join(REPO_ROOT, "conformance", "cases");
}

/** Compares strings by code point (the order the engine's file sorting and ours use). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The corpus folder. Throws, naming the folder and the override, when it is missing or holds no case.
 */
export function casesDir(): string {
  const dir = configuredCasesDir();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(
      `conformance corpus not found at ${dir}: it ships with the repository in conformance/cases ` +
        `(or set ${CORPUS_ENV} to a folder of cases)`,
    );
  }
  return dir;
}

/** The names of every case, sorted by code point. Throws when there is none. */
export function caseNames(): string[] {
  const dir = casesDir();
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "expected.json")))
    .map((d) => d.name)
    .sort(byCodePoint);
  if (names.length === 0) throw new Error(`conformance corpus at ${dir} holds no case (no */expected.json)`);
  return names;
}

/** The folder of one case. */
export function caseDir(name: string): string {
  return join(casesDir(), name);
}

/** One file of a case, as text. */
export function readCaseFile(name: string, file: string): string {
  return readFileSync(join(casesDir(), name, file), "utf8");
}

/** A case's `case.json` or `expected.json`, parsed (the caller gives the shape it reads). */
export function readCaseJson<T>(name: string, file: "case.json" | "expected.json"): T {
  return JSON.parse(readCaseFile(name, file)) as T;
}

/** The `.polar` files of a case, sorted by code point (the order a load without a load list uses). */
export function casePolarFiles(name: string): string[] {
  return readdirSync(caseDir(name))
    .filter((f) => f.endsWith(".polar"))
    .sort(byCodePoint);
}

/** Every `.polar` file of the corpus: `{case, name, text}`, sorted by case then file. Never empty. */
export function corpusFiles(): { case: string; name: string; text: string }[] {
  const out: { case: string; name: string; text: string }[] = [];
  for (const c of caseNames()) {
    for (const f of casePolarFiles(c)) out.push({ case: c, name: f, text: readCaseFile(c, f) });
  }
  if (out.length === 0) throw new Error(`conformance corpus at ${casesDir()} holds no .polar file`);
  return out;
}
