/**
 * Checks on client-sent params: handlers read them as `unknown`-ish values, since nothing a client
 * sends can be trusted to match the protocol's types.
 */
import type { Position } from "vscode-languageserver";

export function isString(x: unknown): x is string {
  return typeof x === "string";
}

export function isInteger(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

export function isPosition(p: unknown): p is Position {
  const q = p as { line?: unknown; character?: unknown } | undefined;
  return q !== undefined && q !== null && isInteger(q.line) && isInteger(q.character);
}
