import type { Line, SourceFile } from "../src/ast.js";
import { parseFile } from "../src/parser.js";

/** The resource-block lines of a file, as the parser produces them; null when the file does not parse. */
export function blockLines(file: SourceFile): Line[] | null {
  const r = parseFile(file);
  return r.ok ? r.value.filter((l) => l.kind === "resourceBlock") : null;
}
