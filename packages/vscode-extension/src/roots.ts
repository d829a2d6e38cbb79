/**
 * `oso.polarLanguageServer.projectRoots`: the syntactic half of its validation, free of `vscode`
 * so that it is unit-tested directly. The existence half (does the directory exist?) needs the
 * file system and lives in `clients.ts`.
 */

/** Full name of the setting, as users see it in messages. */
export const PROJECT_ROOTS_SETTING = "oso.polarLanguageServer.projectRoots";

/** The outcome: normalized relative paths (`""` = the workspace folder itself) and one message per problem. */
export interface ParsedProjectRoots {
  readonly paths: readonly string[];
  readonly errors: readonly string[];
}

/**
 * Checks and normalizes the raw setting value. Each entry must be a POSIX-style relative path
 * (`policy`, `my/policy/`, `./my/policy`) that stays inside the workspace folder; duplicates
 * (after normalization) are dropped. An absent setting or an empty list means "the workspace
 * folder is the one project root".
 */
export function parseProjectRoots(raw: unknown): ParsedProjectRoots {
  if (raw === undefined || raw === null) return { paths: [], errors: [] };
  if (!Array.isArray(raw)) {
    return { paths: [], errors: [`${PROJECT_ROOTS_SETTING} must be a list of relative paths, not ${describe(raw)}`] };
  }
  const paths: string[] = [];
  const errors: string[] = [];
  for (const entry of raw as unknown[]) {
    if (typeof entry !== "string") {
      errors.push(`every entry of ${PROJECT_ROOTS_SETTING} must be a string, not ${describe(entry)}`);
      continue;
    }
    const problem = pathProblem(entry);
    if (problem !== null) {
      errors.push(`invalid path ${JSON.stringify(entry)} in ${PROJECT_ROOTS_SETTING}: ${problem}`);
      continue;
    }
    const normalized = normalize(entry);
    if (!paths.includes(normalized)) paths.push(normalized);
  }
  return { paths, errors };
}

function pathProblem(path: string): string | null {
  if (path.trim() === "") return "it is empty";
  if (path.includes("\\")) return "use forward slashes (`/`) to separate path segments";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path))
    return "it must be relative to the workspace folder, not absolute";
  if (/\/\//.test(path)) return "path segments must be separated by single forward slashes";
  const segments = path.replace(/\/$/, "").split("/");
  if (segments.includes("..")) return "it must stay inside the workspace folder (no `..` segments)";
  return null;
}

/** `./a/./b/` → `a/b`; `.` → `""`. */
function normalize(path: string): string {
  return path
    .split("/")
    .filter((s) => s !== "" && s !== ".")
    .join("/");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value} (${JSON.stringify(value)})`;
}
