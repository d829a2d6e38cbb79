/**
 * Who may read: the operator (read token) and dashboard readers (shared token, or anyone when the
 * shared view is public). A request proves a role with `Authorization: Bearer <token>` or with the
 * session cookie the dashboard's login sets.
 *
 * Sessions are random, server-side and short-lived: the cookie is a 256-bit random id (the server
 * keeps only its SHA-256), it expires, and logging out revokes it. Wrong tokens are throttled per
 * source (IPv4 address or IPv6 /64): after a few failures a source is answered 429 without its
 * token being looked at, so the token cannot be guessed at network speed.
 *
 * Routes are protected by the scope they are registered in (`guard`), never by matching the URL.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "../http-error.js";
import { RateLimiter, sourceKey } from "../rate-limit.js";

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "polar_session";

/** The operator sees everything the read API offers; a shared reader only `/api/shared/*`. */
export type Role = "operator" | "shared";

/** Settings of `Auth`. */
export interface AuthOptions {
  readonly readToken: string;
  /** "" when there is no shared token. */
  readonly sharedToken: string;
  readonly publicSharedView: boolean;
  /** Lifetime of a session. */
  readonly sessionMs?: number;
  /** Wrong tokens a source may try per minute (the burst), default 10. */
  readonly failuresPerMinute?: number;
  /** Most live sessions (the oldest is dropped beyond). */
  readonly maxSessions?: number;
  readonly now?: () => number;
}

const SESSION_MS = 12 * 60 * 60 * 1000;
const FAILURES_PER_MINUTE = 10;
const MAX_SESSIONS = 10_000;

function same(a: string, b: string): boolean {
  // Compare digests: equal lengths, and the time taken says nothing about the token's length.
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

function digest(id: string): string {
  return createHash("sha256").update(id).digest("hex");
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

/**
 * Whether a state-changing browser request comes from the collector's own pages: its `Origin`
 * (or, without one, `Sec-Fetch-Site`) must be this collector. Requests without either are not
 * from a browser, and cannot ride on a victim's cookie.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) {
    const site = request.headers["sec-fetch-site"];
    return site === undefined || site === "same-origin" || site === "none";
  }
  try {
    const own = new URL(`${request.protocol}://${request.host}`);
    const theirs = new URL(origin);
    return theirs.protocol === own.protocol && theirs.host === own.host;
  } catch {
    return false;
  }
}

/** Tokens, sessions and the failure throttle of one collector. */
export class Auth {
  private readonly sessions = new Map<string, { role: Role; expires: number }>();
  private readonly failures: RateLimiter;
  private readonly now: () => number;
  private readonly sessionMs: number;
  private readonly maxSessions: number;

  constructor(private readonly options: AuthOptions) {
    this.now = options.now ?? (() => Date.now());
    this.sessionMs = options.sessionMs ?? SESSION_MS;
    this.maxSessions = options.maxSessions ?? MAX_SESSIONS;
    this.failures = new RateLimiter(options.failuresPerMinute ?? FAILURES_PER_MINUTE, this.now);
  }

  /** The role a token grants, or null. */
  private roleOfToken(token: string): Role | null {
    if (same(token, this.options.readToken)) return "operator";
    if (this.options.sharedToken !== "" && same(token, this.options.sharedToken)) return "shared";
    return null;
  }

  /** Answers 429 when the source of `request` has used up its wrong guesses. */
  private checkThrottle(request: FastifyRequest): void {
    const wait = this.failures.wait(sourceKey(request.ip));
    if (wait > 0) {
      throw new HttpError(429, `too many wrong tokens from this address; retry after ${wait} s`, wait);
    }
  }

  private failed(request: FastifyRequest): void {
    this.failures.take(sourceKey(request.ip));
  }

  /**
   * The role the request proves: a bearer token (a wrong one is a failed attempt, 401), else a live
   * session cookie, else null (no credentials; a stale cookie is no credential).
   */
  roleOf(request: FastifyRequest): Role | null {
    const auth = request.headers.authorization;
    if (auth !== undefined) {
      this.checkThrottle(request);
      const m = /^Bearer +(\S+) *$/i.exec(auth);
      const role = m === null ? null : this.roleOfToken(m[1]!);
      if (role === null) {
        this.failed(request);
        throw new HttpError(401, "that is not a valid token (Authorization: Bearer <token>)");
      }
      return role;
    }
    const id = cookie(request, SESSION_COOKIE);
    if (id === undefined || id === "") return null;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (session === undefined) return null;
    if (session.expires <= this.now()) {
      this.sessions.delete(key);
      return null;
    }
    return session.role;
  }

  /** Whether the request may see the shared view (a shared or operator credential, or public). */
  maySeeShared(request: FastifyRequest): boolean {
    return this.options.publicSharedView || this.roleOf(request) !== null;
  }

  /** An onRequest hook that lets through only requests proving `role` (operator covers shared). */
  guard(role: Role): (request: FastifyRequest) => Promise<void> {
    return async (request) => {
      if (role === "shared" && this.options.publicSharedView) return;
      const proven = this.roleOf(request);
      if (proven === "operator" || (proven !== null && proven === role)) return;
      if (proven !== null) throw new HttpError(403, "this token only opens the shared view (/api/shared/*)");
      throw new HttpError(
        401,
        role === "operator"
          ? "a valid read token is required (Authorization: Bearer <token>)"
          : "a valid shared or read token is required (Authorization: Bearer <token>)",
      );
    };
  }

  /**
   * Logs in with a submitted token: a new session (and its Set-Cookie value), or null for a wrong
   * token (a failed attempt). Throws 429 when the source is throttled.
   */
  login(request: FastifyRequest, token: string): { role: Role; setCookie: string } | null {
    this.checkThrottle(request);
    const role = this.roleOfToken(token);
    if (role === null) {
      this.failed(request);
      return null;
    }
    const now = this.now();
    // Expired sessions go first (oldest first), then the oldest live one if still at the cap.
    for (const [k, s] of this.sessions) {
      if (s.expires > now && this.sessions.size < this.maxSessions) break;
      this.sessions.delete(k);
    }
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(digest(id), { role, expires: now + this.sessionMs });
    return { role, setCookie: this.cookieHeader(request, id, Math.floor(this.sessionMs / 1000)) };
  }

  /** Revokes the request's session; returns the Set-Cookie value that clears it. */
  logout(request: FastifyRequest): string {
    const id = cookie(request, SESSION_COOKIE);
    if (id !== undefined && id !== "") this.sessions.delete(digest(id));
    return this.cookieHeader(request, "", 0);
  }

  /** Live sessions (tests). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private cookieHeader(request: FastifyRequest, value: string, maxAge: number): string {
    // Secure when the browser reached us over HTTPS (directly, or through a trusted proxy's
    // X-Forwarded-Proto: request.protocol believes it only from --trust-proxy addresses).
    const secure = request.protocol === "https" ? "; Secure" : "";
    return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}`;
  }
}

/** An onSend hook: `Cache-Control: no-store` on every answer, refusals included (read-API answers must not linger in caches). */
export async function noStore(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  void reply.header("Cache-Control", "no-store");
  return payload;
}
