/**
 * `POST /login` (the read token or the shared token, from the dashboard's form) and
 * `POST /logout`. Both refuse cross-origin requests (a page elsewhere must not log a visitor in
 * or out), failed logins are throttled per source, logout revokes the session on the server.
 */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../http-error.js";
import { sameOrigin, type Auth } from "./auth.js";
import { loginPage } from "./dashboard.js";

/** Registers `/login` and `/logout`. */
export function registerSession(app: FastifyInstance, deps: { readonly auth: Auth }): void {
  const checkOrigin = async (request: Parameters<typeof sameOrigin>[0]): Promise<void> => {
    if (!sameOrigin(request)) {
      throw new HttpError(
        403,
        `cross-origin request refused: this collector is ${request.protocol}://${request.host}` +
          " (behind a reverse proxy, name it with --trust-proxy and have it send X-Forwarded-Proto and X-Forwarded-Host)",
      );
    }
  };

  app.post("/login", { onRequest: checkOrigin }, async (request, reply) => {
    const body = typeof request.body === "string" ? request.body : "";
    const token = new URLSearchParams(body).get("token") ?? "";
    let session;
    try {
      session = deps.auth.login(request, token);
    } catch (e) {
      if (!(e instanceof HttpError) || e.retryAfter === undefined) throw e;
      void reply.header("Retry-After", String(e.retryAfter));
      return loginPage(reply, 429, `Too many wrong tokens; try again in ${e.retryAfter} s.`);
    }
    if (session === null) return loginPage(reply, 401, "That is not the read token (nor the shared token).");
    return reply
      .header("Set-Cookie", session.setCookie)
      .header("Cache-Control", "no-store")
      .redirect("/dashboard", 303);
  });

  app.post("/logout", { onRequest: checkOrigin }, async (request, reply) =>
    reply
      .header("Set-Cookie", deps.auth.logout(request))
      .header("Cache-Control", "no-store")
      .redirect("/dashboard", 303),
  );
}
