/**
 * DNS-rebinding defence: a page on `evil.example` whose name is made to resolve to 127.0.0.1 can
 * make the victim's browser send requests to a collector listening there, with the page's name in
 * the `Host` header (and read the answers: to the browser it is the page's own origin). Answering
 * only the names the collector is really reached by closes that door. IP literals are always
 * accepted: a page can only be served from an IP literal if the user asked for that address.
 */
import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import { HttpError } from "./http-error.js";

/** Checks the `Host` of every request against the listening address and the allowed names. */
export function hostCheck(listenHost: string, allowed: readonly string[]): (request: FastifyRequest) => void {
  const any = allowed.includes("*");
  const names = new Set(["localhost", normalise(listenHost), ...allowed.map(normalise)]);
  return (request) => {
    if (any) return;
    const header = request.headers.host;
    if (header === undefined || header === "") {
      throw new HttpError(400, "the request has no Host header");
    }
    const name = normalise(request.hostname);
    if (names.has(name) || isIpLiteral(name)) return;
    throw new HttpError(
      421,
      `this collector does not serve the host name ${JSON.stringify(name.slice(0, 100))}; ` +
        "the operator can allow it with --allowed-hosts",
    );
  };
}

/** Lowercase, without a trailing dot. */
function normalise(host: string): string {
  const h = host.toLowerCase();
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

function isIpLiteral(name: string): boolean {
  if (name.startsWith("[") && name.endsWith("]")) return isIP(name.slice(1, -1).split("%", 1)[0]!) === 6;
  return isIP(name) === 4;
}
