/**
 * What `/track` answers, byte for byte, on SQLite: Mixpanel's `1` / `0` as text, and with
 * `verbose=1` its JSON status, for stored batches (answered from a string serialised once) and
 * refused ones; and this project's client's own body (`data=<URL-encoded>&verbose=1&ip=0`, read
 * without `URLSearchParams`) is stored as sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeTrackBody } from "@polar-ide/telemetry/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Harness, form } from "./harness.js";
import { makeEvent } from "./helpers.js";

let dir: string;
let h: Harness;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "polar-track-answers-"));
  h = await Harness.start(`sqlite:${join(dir, "t.db")}`);
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (url: string, payload: string) =>
  h.app.inject({ method: "POST", url, headers: { "content-type": "application/x-www-form-urlencoded" }, payload });

describe("/track answers", () => {
  it.each([
    ["/track", 200, "text/plain", "1"],
    ["/track?verbose=1", 200, "application/json", '{"status":1,"error":null}'],
  ])("a stored batch, %s: %i %s %s", async (url, status, type, body) => {
    const r = await post(url, form([makeEvent({ user: url.length })]));
    expect(r.statusCode).toBe(status);
    expect(r.headers["content-type"]).toMatch(new RegExp(`^${type}`));
    expect(r.body).toBe(body);
  });

  it.each([
    ["/track", 400, "text/plain", "0"],
    ["/track?verbose=1", 400, "application/json", '{"status":0,"error":"data is not valid base64"}'],
  ])("a refused batch, %s: %i %s %s", async (url, status, type, body) => {
    const r = await post(url, "data=!!!");
    expect(r.statusCode).toBe(status);
    expect(r.headers["content-type"]).toMatch(new RegExp(`^${type}`));
    expect(r.body).toBe(body);
  });

  it("stores the body this project's client sends, as sent", async () => {
    const before = await h.store.countEvents();
    const events = [makeEvent({ user: 501 }), makeEvent({ user: 502 }), makeEvent({ user: 503 })];
    const body = encodeTrackBody(events as Parameters<typeof encodeTrackBody>[0]);
    expect(body).toMatch(/%2[BF3]|%3D/i);
    const r = await post("/track", body);
    expect(r.body).toBe("1");
    expect(await h.store.countEvents()).toBe(before + 3);
    // The same events again (their $insert_ids): counted once.
    expect((await post("/track", body)).body).toBe("1");
    expect(await h.store.countEvents()).toBe(before + 3);
  });
});
