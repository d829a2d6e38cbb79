/**
 * Authorisation follows the matched route, whatever the request target looks like: every read
 * route is tried with percent-encoded, doubled-slash, dot-segment, case and other variants, with
 * GET and HEAD, over a real socket (the target is sent byte for byte). Without a valid token no
 * variant may answer 2xx. And the Host check: a DNS-rebinding page (Host: its own name) is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { READ_TOKEN, SHARED_TOKEN, raw, serve, type Served } from "./http-harness.js";

/** The read routes and which token opens them. */
const ROUTES: [string, "operator" | "shared"][] = [
  ["/api/summary", "operator"],
  ["/api/dashboard", "operator"],
  ["/api/shared/summary", "shared"],
  ["/api/shared/dashboard", "shared"],
  ["/api/trends", "operator"],
  ["/api/shared/trends", "shared"],
];

/** Every way to write `path` that a router or proxy might take for the same route. */
function variants(path: string): string[] {
  const parts = path.split("/").slice(1);
  const encodeAll = (s: string): string =>
    [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
  const out = new Set<string>([
    path,
    // One letter encoded (the reported bypass: /%61pi/summary, /ap%69/dashboard).
    path.replace("/api", "/%61pi"),
    path.replace("/api", "/ap%69"),
    path.replace("/api", "/%41pi"),
    path.replace("/api", "/%61%70%69"),
    `/${parts.map(encodeAll).join("/")}`,
    `/${parts.map(encodeAll).join("/")}`.toUpperCase(),
    path.replace(/\/([^/]+)$/, "%2F$1"),
    path.replace(/\/([^/]+)$/, "%2f$1"),
    path.replace(/^\/api\//, "/api%2F"),
    path.replace(/[a-z]$/, (c) => `%${c.charCodeAt(0).toString(16)}`),
    // Doubled and tripled slashes.
    `/${path}`,
    `//${path}`,
    path.replace("/api/", "/api//"),
    path.replace(/\/([^/]+)$/, "//$1"),
    `${path}/`,
    `${path}//`,
    // Dot segments, plain and encoded.
    `/.${path}`,
    `/x/..${path}`,
    `/api/..${path}`,
    path.replace("/api/", "/api/./"),
    `/%2e${path}`,
    `/x/%2e%2e${path}`,
    `/x/%2E%2E${path}`,
    `/x/.%2e${path}`,
    // Case.
    path.toUpperCase(),
    path.replace("/api", "/API"),
    path.replace("/api", "/Api"),
    path.replace(/[a-z]+$/, (s) => s[0]!.toUpperCase() + s.slice(1)),
    // Other separators and suffixes.
    `${path}?x=1`,
    `${path}?`,
    `${path}#x`,
    `${path};x`,
    `${path}%00`,
    `${path}%20`,
    `${path}.json`,
    path.replace(/\//g, "\\"),
    path.replace(/\/([^/]+)$/, "\\$1"),
    `${path}/..`,
    // Absolute-form targets.
    `http://127.0.0.1${path}`,
    `http://evil.example${path}`,
  ]);
  return [...out];
}

let served: Served;
beforeAll(async () => {
  served = await serve();
});
afterAll(async () => served?.close());

describe("read routes are authorised by the matched route", () => {
  it("answers the plain routes with the right token (so the refusals below mean something)", async () => {
    for (const [path, role] of ROUTES) {
      const token = role === "operator" ? READ_TOKEN : SHARED_TOKEN;
      const r = await raw(served.port, "GET", path, { authorization: `Bearer ${token}` });
      expect(r.status, path).toBe(200);
      expect(r.body).toMatch(/"codes"|"series"/);
      const head = await raw(served.port, "HEAD", path, { authorization: `Bearer ${token}` });
      expect(head.status, `HEAD ${path}`).toBe(200);
    }
  });

  const cases = ROUTES.flatMap(([path]) =>
    variants(path).flatMap((target) => ["GET", "HEAD"].map((method) => [method, target] as [string, string])),
  );

  it.each([
    ["no credentials", {}],
    ["a wrong bearer token", { authorization: "Bearer not-the-token-0123456789" }],
    ["a forged session cookie", { cookie: "polar_session=0000000000000000000000000000000000000000000" }],
  ])(`refuses every variant (%s): ${cases.length} requests`, async (_what, headers: Record<string, string>) => {
    // Its own collector: wrong tokens get the source throttled (429), which must not leak into
    // the other tests. A 429 is a refusal too; only an answer below 400 is a leak.
    const own = await serve();
    try {
      const leaks: string[] = [];
      for (const [method, target] of cases) {
        const r = await raw(own.port, method, target, headers).catch((e: Error) => e);
        // A request the server would not parse (no valid HTTP answer) leaks nothing either.
        if (r instanceof Error) continue;
        if (r.status < 400 || /"codes"|"series"|distinct_users/.test(r.body))
          leaks.push(`${method} ${target} → ${r.status}`);
      }
      expect(leaks).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it("does not let a shared token into the operator view, by any variant", async () => {
    const leaks: string[] = [];
    for (const [path, role] of ROUTES) {
      if (role !== "operator") continue;
      for (const target of variants(path)) {
        for (const method of ["GET", "HEAD"]) {
          const r = await raw(served.port, method, target, { authorization: `Bearer ${SHARED_TOKEN}` });
          if (r.status < 400) leaks.push(`${method} ${target} → ${r.status}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});

describe("Host allow-list (DNS rebinding)", () => {
  it.each([
    ["the listening address", (port: number) => `127.0.0.1:${port}`],
    ["localhost", (port: number) => `localhost:${port}`],
    ["LOCALHOST with a trailing dot", (port: number) => `LOCALHOST.:${port}`],
    ["[::1]", (port: number) => `[::1]:${port}`],
    ["another IP literal", () => "10.1.2.3"],
  ])("serves %s", async (_what, host) => {
    const r = await raw(served.port, "GET", "/api/summary", {
      host: host(served.port),
      authorization: `Bearer ${READ_TOKEN}`,
    });
    expect(r.status).toBe(200);
  });

  it.each([
    ["a rebinding name", "evil.example"],
    ["a rebinding name with our port", "attacker.example:8787"],
    ["a name ending in localhost", "localhost.evil.example"],
    ["a subdomain of localhost", "a.localhost"],
  ])("refuses %s with 421, naming the problem, on every route", async (_what, host) => {
    for (const path of [
      "/api/summary",
      "/api/shared/dashboard",
      "/dashboard",
      "/track?verbose=1",
      "/healthz",
      "/nowhere",
    ]) {
      const r = await raw(served.port, "GET", path, { host, authorization: `Bearer ${READ_TOKEN}` });
      expect(r.status, path).toBe(421);
      expect(r.body).toMatch(/does not serve the host name .*--allowed-hosts/);
      expect(r.body).not.toMatch(/"codes"/);
    }
  });

  it("serves names given with --allowed-hosts, and any name with *", async () => {
    const named = await serve({ allowedHosts: ["telemetry.example.org"] });
    const any = await serve({ allowedHosts: ["*"] });
    try {
      const ok = await raw(named.port, "GET", "/healthz", { host: "Telemetry.Example.org:443" });
      expect(ok.status).toBe(200);
      const other = await raw(named.port, "GET", "/healthz", { host: "example.org" });
      expect(other.status).toBe(421);
      const anyName = await raw(any.port, "GET", "/healthz", { host: "whatever.example" });
      expect(anyName.status).toBe(200);
    } finally {
      await named.close();
      await any.close();
    }
  });
});
