/**
 * Rust's `escape_debug` for `str` and `char`, used by polar-core when it prints tokens in parse
 * error messages. Printability follows Unicode general categories (Rust's `is_printable` tables
 * are derived from them): control, format, separator (other than space), private-use,
 * surrogate and unassigned code points are escaped as `\u{hex}`.
 */

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Zs}]/u;
const GRAPHEME_EXTEND = /\p{Grapheme_Extend}/u;

function escapeChar(ch: string, escapeGraphemeExtended: boolean): string {
  switch (ch) {
    case "\0":
      return "\\0";
    case "\t":
      return "\\t";
    case "\r":
      return "\\r";
    case "\n":
      return "\\n";
    case "\\":
      return "\\\\";
    case '"':
      return '\\"';
    case "'":
      return "\\'";
    case " ":
      return " ";
    default:
      break;
  }
  if ((escapeGraphemeExtended && GRAPHEME_EXTEND.test(ch)) || NON_PRINTABLE.test(ch)) {
    return `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`;
  }
  return ch;
}

/**
 * `str::escape_debug` (or `char::escape_debug` when `isChar`): the first character is also
 * escaped when it is a grapheme extender (for a char, always).
 */
export function escapeDebug(text: string, isChar = false): string {
  let out = "";
  let first = true;
  for (const ch of text) {
    out += escapeChar(ch, first || isChar);
    first = false;
  }
  return out;
}
