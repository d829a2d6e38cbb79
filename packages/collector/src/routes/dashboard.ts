/**
 * The dashboard: a login page (the read token), then a static page whose script draws the
 * charts from `/api/dashboard`. Chart.js is served from the installed npm package — no CDN.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Config } from "../config.js";
import type { Auth } from "./auth.js";

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "public");
const CHART_JS = join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js");

const ASSETS: Record<string, { file: string; type: string }> = {
  "chart.umd.min.js": { file: CHART_JS, type: "text/javascript" },
  "dashboard.js": { file: join(PUBLIC, "dashboard.js"), type: "text/javascript" },
  "dashboard.css": { file: join(PUBLIC, "dashboard.css"), type: "text/css" },
  "favicon.svg": { file: join(PUBLIC, "favicon.svg"), type: "image/svg+xml" },
};

/** No inline script anywhere: the policy forbids it, and anything not from the collector itself. */
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .header("Content-Security-Policy", CSP)
    .header("X-Content-Type-Options", "nosniff")
    .header("Cache-Control", "no-store")
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="/assets/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/dashboard.css"></head>` +
        `<body>${body}</body></html>`,
    );
}

/** The login form (also answered by `POST /login` for a wrong token). */
export function loginPage(reply: FastifyReply, status: number, error: string | null): FastifyReply {
  return page(
    reply,
    status,
    "Polar telemetry — log in",
    `<main class="login"><h1>Polar telemetry</h1><p>Log in with the collector's read token.</p>` +
      (error === null ? "" : `<p class="error" role="alert">${escapeHtml(error)}</p>`) +
      `<form method="post" action="/login"><label>Read token <input type="password" name="token" autocomplete="current-password" required></label>` +
      `<button type="submit">Log in</button></form></main>`,
  );
}

/** Registers `/`, `/dashboard`, `/favicon.ico` and `/assets/*` (`/login` and `/logout` are `session.ts`). */
export function registerDashboard(app: FastifyInstance, deps: { readonly config: Config; readonly auth: Auth }): void {
  const cache = new Map<string, Buffer>();
  app.get("/assets/:name", async (request, reply) => {
    const name = (request.params as { name: string }).name;
    // Own keys only: `__proto__` or `constructor` must be a 404, not Object.prototype.
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (asset === undefined) return reply.code(404).send({ error: "not found" });
    let body = cache.get(name);
    if (body === undefined) {
      body = readFileSync(asset.file);
      cache.set(name, body);
    }
    return reply.type(asset.type).header("Cache-Control", "public, max-age=3600").send(body);
  });

  app.get("/", async (_request, reply) => reply.redirect("/dashboard", 303));
  // Browsers (and bookmarks) ask for /favicon.ico whatever the page says: the same icon, not a 404.
  app.get("/favicon.ico", async (_request, reply) => reply.redirect("/assets/favicon.svg", 301));

  app.get("/dashboard", async (request, reply) => {
    if (!deps.auth.maySeeShared(request)) return loginPage(reply, 401, null);
    return page(
      reply,
      200,
      "Polar telemetry",
      `<header><h1>Polar telemetry — <code>diagnostic_load</code></h1><form method="post" action="/logout"><button type="submit">Log out</button></form></header>` +
        `<main id="app" data-state="loading"><p>Loading…</p></main>` +
        `<script src="/assets/chart.umd.min.js"></script><script src="/assets/dashboard.js"></script>`,
    );
  });
}
