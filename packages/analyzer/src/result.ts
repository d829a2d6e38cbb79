/**
 * A value or the error that prevented it (polar-core's `PolarResult`): the one "value or error"
 * shape of the analyzer (parse results, block reading, shorthand translation). Test `ok`, then
 * read `value` or `error`.
 */
import type { Diagnostic } from "./diagnostics.js";

export type Result<T, E = Diagnostic> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** A successful result. */
export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

/** A failed result. */
export function err<E>(error: E): Result<never, E> {
  return { ok: false, error };
}
