/**
 * String order by Unicode code points: UTF-8 byte order, Rust's `str` ordering (`BTreeMap` keys,
 * sorted names). Declared once: the analyzer, its walkers and the language server all sort with it.
 */

function isHigh(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLow(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Compares strings by Unicode code points, without iterating code points or allocating: UTF-16
 * order agrees with code point order except where a surrogate pair (a code point above U+FFFF)
 * meets a unit of U+E000–FFFF, so only the first differing unit needs a closer look. A lone
 * surrogate (which a Rust string cannot hold) counts as the code point of its unit, as the
 * string iterator sees it.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // One is a prefix of the other (in units, hence in code points, or the longer pairs the
  // shorter's trailing high surrogate into a larger code point): the shorter sorts first.
  if (i === n) return a.length < b.length ? -1 : 1;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if (i > 0 && isHigh(a.charCodeAt(i - 1))) {
    // Both strings have the same high surrogate before `i`: a low surrogate at `i` pairs with it
    // into a code point above U+FFFF; without one the high surrogate stands alone (below it).
    const lowX = isLow(x);
    const lowY = isLow(y);
    if (lowX && lowY) return x < y ? -1 : 1;
    if (lowX !== lowY) return lowX ? 1 : -1;
  }
  // The code points starting at `i`: a pair is above every single unit.
  const pairX = isHigh(x) && isLow(a.charCodeAt(i + 1));
  const pairY = isHigh(y) && isLow(b.charCodeAt(i + 1));
  if (pairX !== pairY) return pairX ? 1 : -1;
  return x < y ? -1 : 1;
}
