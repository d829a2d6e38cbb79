/**
 * Read-token authentication: `Authorization: Bearer <token>` for the API, or the session cookie
 * the dashboard's login sets (a hash of the token, so the cookie is not the token itself and
 * every collector sharing the token accepts it).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "polar_session";

/** The session cookie value for a read token. */
export function sessionValue(readToken: string): string {
  return createHash("sha256").update(`polar-collector-session:${readToken}`).digest("hex");
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads one cookie from the request. */
export function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie ?? "";
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether the request carries the read token (bearer) or a valid session cookie. */
export function isAuthorized(request: FastifyRequest, readToken: string): boolean {
  const auth = request.headers.authorization ?? "";
  if (auth.startsWith("Bearer ")) return same(auth.slice(7).trim(), readToken);
  const session = cookie(request, SESSION_COOKIE);
  return session !== undefined && same(session, sessionValue(readToken));
}

/** Whether a submitted token equals the read token (constant time). */
export function isReadToken(candidate: string, readToken: string): boolean {
  return same(candidate, readToken);
}
