/**
 * Spelling suggestions for the did-you-mean quick fixes: the known names closest to a misspelt
 * one by edit distance (optimal string alignment: insertions, deletions, substitutions and
 * transpositions of neighbours each cost 1), within a distance that grows with the name's length
 * (the rule TypeScript's "did you mean" follows too: about two fifths of the name, no very short
 * candidates).
 */

/** Optimal-string-alignment distance between `a` and `b`; stops early (returns > `max`) past `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  // Three rows: the previous two (for transpositions) and the current one.
  let prev2: number[] = [];
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row: number[] = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length] ?? max + 1;
}

/**
 * The largest distance a suggestion for a name of `length` characters may be at: two fifths of it
 * (rounded down), so that names of one or two characters get no suggestion but a case change.
 */
export function maxDistanceFor(length: number): number {
  return Math.floor(length * 0.4);
}

/** Candidates shorter than this are suggested only when they differ from the name in letter case alone. */
const MIN_CANDIDATE_LENGTH = 3;

/** One suggested name and its distance from the misspelt one. */
export interface Suggestion {
  readonly name: string;
  readonly distance: number;
}

/**
 * The candidates closest to `name` (at most `limit`, nearest first, then alphabetically), within
 * {@link maxDistanceFor} its length; `name` itself is never suggested. A candidate that differs
 * only in letter case is always suggested, at distance 0 (the nearest a different name can be).
 */
export function suggestions(name: string, candidates: Iterable<string>, limit = 3): Suggestion[] {
  const max = maxDistanceFor(name.length);
  const lower = name.toLowerCase();
  const found = new Map<string, number>();
  for (const candidate of candidates) {
    if (candidate === name || found.has(candidate)) continue;
    if (candidate.toLowerCase() === lower) {
      found.set(candidate, 0);
      continue;
    }
    if (candidate.length < MIN_CANDIDATE_LENGTH) continue;
    const distance = editDistance(name, candidate, max);
    if (distance <= max) found.set(candidate, distance);
  }
  return [...found]
    .map(([n, distance]) => ({ name: n, distance }))
    .sort((x, y) => x.distance - y.distance || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    .slice(0, limit);
}

/** Whether the first suggestion is the obvious one: strictly nearer than every other. */
export function hasObviousBest(found: readonly Suggestion[]): boolean {
  const [first, second] = found;
  return first !== undefined && (second === undefined || second.distance > first.distance);
}
