/**
 * Numbers the way polar-core reads and prints them: integers are Rust `i64` (kept as bigint so that
 * nothing above 2^53 is rounded), floats are `f64` and print with Rust's `Display` (no exponent,
 * shortest round-trip digits, `inf`, `-inf`, `NaN`, `-0`).
 */

export const I64_MAX = 9223372036854775807n;
export const I64_MIN = -9223372036854775808n;

/** Rust `i64::from_str` on an unsigned digit run: the value, or null on overflow. */
export function parseI64Digits(digits: string): bigint | null {
  const value = BigInt(digits);
  return value > I64_MAX ? null : value;
}

const FLOAT_SYNTAX = /^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$/;

/** Rust `f64::from_str` for the strings the lexer can produce: the value, or null when Rust rejects it. */
export function parseF64(text: string): number | null {
  if (!FLOAT_SYNTAX.test(text)) return null;
  return Number(text);
}

/** Rust `i64` Display. */
export function formatInteger(value: bigint): string {
  return value.toString();
}

/** Rust `f64` Display: `1` for 1.0, `0.00000025`, `1000000000000000000000`, `inf`, `NaN`, `-0`. */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const negative = value < 0;
  // toExponential() without an argument yields the shortest digits that round-trip, like Rust.
  const [mantissa = "", exponentText = "0"] = Math.abs(value).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  let text: string;
  if (exponent < 0) {
    text = "0." + "0".repeat(-exponent - 1) + digits;
  } else if (digits.length <= exponent + 1) {
    text = digits + "0".repeat(exponent + 1 - digits.length);
  } else {
    text = digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1);
  }
  return negative ? "-" + text : text;
}
