/**
 * Finding and reading the Polar files named on the command line. Every failure becomes an
 * {@link InputError} whose message is a plain sentence (`no such file or directory: foo.polar`),
 * never a Node error code.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { getSystemErrorMap } from "node:util";

/** What kind of input problem stopped the run (the `kind` of the JSON error document). */
export type InputErrorKind = "io" | "no-polar-files";

/** A path that cannot be read, or no Polar file at all; exits with status 2. */
export class InputError extends Error {
  constructor(
    readonly kind: InputErrorKind,
    message: string,
    /** The path(s) concerned. */
    readonly paths: readonly string[],
    /** The system error code (`ENOENT`, `EACCES`, …) for I/O errors, else null. */
    readonly code: string | null,
  ) {
    super(message);
  }
}

interface SystemError {
  readonly code: string;
  readonly errno?: number;
  readonly path?: string;
}

function isSystemError(e: unknown): e is Error & SystemError {
  return e instanceof Error && "code" in e && typeof e.code === "string";
}

/**
 * The I/O error `e` met at `path` as an {@link InputError} with the system's own wording
 * (`no such file or directory`, `permission denied`, `not a directory`, …) and the path that
 * failed, which for a directory walk may be a file below the one named.
 */
export function ioError(e: unknown, path: string): InputError {
  if (!isSystemError(e)) return new InputError("io", `cannot read ${path}: ${String(e)}`, [path], null);
  const failed = typeof e.path === "string" ? e.path : path;
  const described = e.errno === undefined ? undefined : getSystemErrorMap().get(e.errno)?.[1];
  const what = described ?? `cannot read (${e.code})`;
  return new InputError("io", `${what}: ${failed}`, [failed], e.code);
}

/** Every `*.polar` file below `dir` (symbolic links to directories are not followed, to avoid cycles). */
function polarFilesBelow(dir: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw ioError(e, dir);
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) polarFilesBelow(path, out);
    else if (entry.name.endsWith(".polar") && (entry.isFile() || (entry.isSymbolicLink() && isFile(path)))) {
      out.push(path);
    }
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Files named on the command line plus the Polar files in named directories, deduplicated. */
export function collectFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch (e) {
      throw ioError(e, path);
    }
    if (stat.isDirectory()) polarFilesBelow(path, files);
    else files.push(path);
  }
  // Policy orders its files (by code points) itself; this only removes paths named twice.
  const unique = [...new Set(files)];
  if (unique.length === 0) {
    throw new InputError("no-polar-files", `no .polar files found in ${paths.join(", ")}`, paths, null);
  }
  return unique;
}

/** Reads a file as UTF-8. */
export function readPolicyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw ioError(e, path);
  }
}
