/** The diagnostics of the block phases that several of them report. */
import type { Term } from "../ast.js";
import { contextOf, error } from "../diagnostics.js";
import type { Diagnostic } from "../diagnostics.js";
import { symbolName } from "../terms.js";

/** A `ValidationError::ResourceBlock` error located at `term`. */
export function resourceBlockError(message: string, term: Term): Diagnostic {
  return error("ValidationError::ResourceBlock", message, contextOf(term));
}

/** UnregisteredClass for a block name or relation type (a Variable term). */
export function unregisteredClass(term: Term): Diagnostic {
  return error("ValidationError::UnregisteredClass", `Unregistered class: ${symbolName(term)}`, contextOf(term));
}
