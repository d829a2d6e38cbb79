/** The `ValidationError::ResourceBlock` error, which reading blocks and translating shorthand rules report. */
import type { Term } from "../ast.js";
import { contextOf, error } from "../diagnostics.js";
import type { Diagnostic } from "../diagnostics.js";

/** A `ValidationError::ResourceBlock` error located at `term`. */
export function resourceBlockError(message: string, term: Term): Diagnostic {
  return error("ValidationError::ResourceBlock", message, contextOf(term));
}
