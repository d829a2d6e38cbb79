/**
 * What a rejected string looks like: the sensitive-value checks (URIs, e-mail addresses,
 * timestamps, IP addresses, paths) that the validator runs before a property's own pattern, so
 * the sender learns *why* a value is refused. Used by the validator, its fast path and the
 * telemetry client.
 */

/**
 * What a rejected string looks like, checked before the property's own pattern so the sender
 * learns *why* (the pattern alone would only say "invalid").
 *
 * Every pattern here runs in time linear in the string (anchored, or a fixed-width prefix, and no
 * nested quantifiers): a hostile sender controls these strings. The validator checks lengths
 * before calling it, but the telemetry client calls it too.
 */
export function describeSensitive(value: string): string | null {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) || /^(file|mailto|vscode|data|urn):/i.test(value)) return "a URI";
  // Same language as /[^\s@]+@[^\s@]+\.[^\s@]+/, whose unanchored leading `+` made it quadratic:
  // a match can only start one character before an '@', and each '@' is scanned past once.
  if (/[^\s@]@[^\s@]+\.[^\s@]/.test(value)) return "an e-mail address";
  if (/\d{4}-\d{2}-\d{2}/.test(value) || /^\d{10}(\d{3})?$/.test(value)) return "a timestamp";
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(value) || looksLikeIpv6(value)) return "an IP address";
  if (/[/\\]/.test(value) || /^~/.test(value) || /^[A-Za-z]:/.test(value)) return "a path";
  return null;
}

/**
 * Whether `describeSensitive` could say anything about `value`. Every one of its patterns needs a
 * character other than an ASCII letter or digit (`:`, `@`, `-`, `.`, `/`, `\\`, `~`), except the
 * all-digit timestamps of 10 and 13 characters; so a string of letters and digits of any other
 * length is never sensitive, and the validator skips the patterns for it (ids, hashes, most
 * allow-listed values). `test/validate-fast-path.test.ts` checks this against `describeSensitive`.
 */
export function mayBeSensitive(value: string): boolean {
  return value.length === 10 || value.length === 13 || !ALPHANUMERIC.test(value);
}

const ALPHANUMERIC = /^[A-Za-z0-9]*$/;

/** 3 to 8 groups of at most 4 hex digits separated by ':' (what the old `(:[0-9a-f]{0,4}){2,7}` matched). */
function looksLikeIpv6(value: string): boolean {
  if (value.length > 39 || !/^[0-9a-f:]+$/i.test(value)) return false;
  const groups = value.split(":");
  return groups.length >= 3 && groups.length <= 8 && groups.every((g) => g.length <= 4);
}
