/**
 * URI helpers: file extensions for the telemetry event, "is this document under that folder", and
 * whether a `file:` URI still exists on disk.
 */
import { stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The path part of a URI (no query or fragment), percent-decoded, without a trailing slash. */
function pathOf(uri: string): string {
  const cut = uri.search(/[?#]/);
  const path = safeDecode(cut >= 0 ? uri.slice(0, cut) : uri);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/**
 * The extension of a URI's last path segment, without the dot (`polar` for `file:///a/b.polar`), or
 * null when the segment has none. Oso's server takes what follows the last `.` of the whole URI;
 * this takes it from the last segment only, so a folder `a.d/x` has no extension.
 */
export function extensionOf(uri: string): string | null {
  const path = pathOf(uri);
  const segment = path.slice(path.lastIndexOf("/") + 1);
  const dot = segment.lastIndexOf(".");
  return dot >= 0 && dot < segment.length - 1 ? segment.slice(dot + 1) : null;
}

/** De-duplicated extensions of some URIs, in first-seen order. */
export function uniqueExtensions(uris: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const uri of uris) {
    const ext = extensionOf(uri);
    if (ext !== null) out.add(ext);
  }
  return [...out];
}

/** Whether `uri` is `folder` itself or lies under it (compared segment-wise on decoded paths). */
export function isSameOrUnder(uri: string, folder: string): boolean {
  const u = pathOf(uri);
  const f = pathOf(folder);
  return u === f || u.startsWith(f.endsWith("/") ? f : `${f}/`);
}

/**
 * Whether a `file:` URI names something on disk. Anything that is not a well-formed `file:` URI
 * counts as existing: only files the server can check are ever dropped for being missing.
 */
export async function fileExists(uri: string): Promise<boolean> {
  let path: string;
  try {
    path = fileURLToPath(uri);
  } catch {
    return true;
  }
  try {
    await stat(path);
    return true;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return !(code === "ENOENT" || code === "ENOTDIR");
  }
}
