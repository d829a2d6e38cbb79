/**
 * `/track`'s payload decoding (`routes/track-payload.ts`) against the form and base64 semantics
 * it must keep: for random form bodies and `data` values — canonical base64 and every variation
 * a client or a proxy produces (`+` sent raw, as `%2B` or `%2b`, as a space; the URL-safe
 * alphabet; missing padding; white space; other fields before and after; a second `data`;
 * percent-encoded letters; junk) — the fast path gives exactly what `URLSearchParams` and the
 * lenient base64 decoding give: the same value, or the same error (status and message). And
 * hostile megabyte bodies are decoded (or refused) in linear time.
 */
import { cpuTimed } from "@polar-ide/testing";
import { encodeTrackBody } from "@polar-ide/telemetry/client";
import { describe, expect, it } from "vitest";
import { HttpError } from "../src/http-error.js";
import { decodeData, decodeFormBody, formValue } from "../src/routes/track-payload.js";
import { makeEvent, seededRandom } from "./helpers.js";

/**
 * The reference: the form decoded by `URLSearchParams` (its first `data`), then Mixpanel's base64
 * as the collector has always read it (spaces are `+`, URL-safe alphabet, white space ignored,
 * strict alphabet and padding), then JSON.
 */
function referenceData(data: string): unknown {
  const b64 = data.replace(/ /g, "+").replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, "");
  if (b64.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1)
    throw new HttpError(400, "data is not valid base64");
  const text = Buffer.from(b64, "base64").toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "data is not valid JSON");
  }
}

function referenceForm(body: string): unknown {
  const data = new URLSearchParams(body).get("data");
  if (data === null) throw new HttpError(400, "the form body has no data field");
  return referenceData(data);
}

/** The value, or the HttpError's status and message. */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    return { status: e.status, error: e.message };
  }
}

const rnd = seededRandom(12);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const chance = (p: number): boolean => rnd() < p;

/** Random JSON text: events, arrays, strings with every kind of character (base64 of it has `+` and `/`). */
function randomJson(): string {
  const strings = ["polar", "é", "😀", "~~~", "???", ">>>", "a/b", "\u0000", "\ud800", "日本"];
  const value = (depth: number): unknown => {
    const k = Math.floor(rnd() * (depth > 2 ? 4 : 6));
    if (k === 0) return Math.floor(rnd() * 1e6) - 1000;
    if (k === 1) return Array.from({ length: Math.floor(rnd() * 4) }, () => pick(strings)).join("");
    if (k === 2) return chance(0.5);
    if (k === 3) return null;
    if (k === 4) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]));
  };
  return JSON.stringify(value(0));
}

/** Canonical base64 of JSON (mostly), or of bytes that are not JSON or not UTF-8. */
function randomBase64(): string {
  if (chance(0.1))
    return Buffer.from(Array.from({ length: Math.floor(rnd() * 12) }, () => rnd() * 256)).toString("base64");
  if (chance(0.05)) return Buffer.from("{not json").toString("base64");
  return Buffer.from(randomJson()).toString("base64");
}

/** What clients and proxies do to the base64 text of a `data` value. */
function mangleValue(b64: string): string {
  let s = b64;
  if (chance(0.15)) s = s.replace(/\+/g, "-").replace(/\//g, "_");
  if (chance(0.15)) s = s.replace(/=+$/, "");
  if (chance(0.1)) s = `${s}=`;
  if (chance(0.1)) s = s.replace(/^(.{0,8})/, "$1\n");
  if (chance(0.05)) s = s.replace(/^(.{0,4})/, "$1\t ");
  if (chance(0.05)) s = s.replace(/^(.)/, "$1!");
  if (chance(0.03)) s = `${s}A`;
  if (chance(0.03)) s = "";
  if (chance(0.03)) s = s.replace(/^(.{0,6})/, "$1\u00a0");
  return s;
}

/** How a form body carries the value: `+` raw, as a space, percent-encoded; other fields. */
function formBody(value: string): string {
  let v = value;
  const plus = pick(["raw", "raw", "%2B", "%2b", "space"]);
  if (plus === "%2B" || plus === "%2b") v = v.replace(/\+/g, plus);
  if (plus === "space") v = v.replace(/\+/g, " ");
  if (chance(0.1)) v = v.replace(/\//g, "%2F");
  if (chance(0.1)) v = v.replace(/=/g, "%3D");
  if (chance(0.05)) v = v.replace(/A/, "%41");
  if (chance(0.03)) v = `${v}%zz`;
  if (chance(0.03)) v = `${v}%`;
  let body = `data=${v}`;
  if (chance(0.1)) body = `${pick(["verbose=1", "ip=0", "x", "=", "data2=1", "dat%61=e30="])}&${body}`;
  if (chance(0.1)) body = `${body}&${pick(["verbose=1", "data=e30=", "", "x=%zz", "&"])}`;
  if (chance(0.03)) body = body.replace(/^data/, pick(["Data", "dat%61", "data ", " data", "?data", "da+ta"]));
  if (chance(0.02)) body = body.replace(/^data=/, "data");
  return body;
}

describe("form bodies: the fast path decodes as URLSearchParams and the lenient base64 do", () => {
  it("for 20 000 random bodies", () => {
    let values = 0;
    for (let i = 0; i < 20_000; i++) {
      const body = formBody(mangleValue(randomBase64()));
      const got = outcome(() => decodeFormBody(body));
      expect(got, body).toEqual(outcome(() => referenceForm(body)));
      if ((got as { value?: unknown }).value !== undefined) values++;
    }
    // Most bodies decode; many are refused.
    expect(values).toBeGreaterThan(10_000);
    expect(values).toBeLessThan(19_000);
  });

  it.each([
    ["canonical, with + and /", `data=${Buffer.from('[{"a":"~~~>>>???"}]').toString("base64")}`],
    ["+ as %2B", `data=${Buffer.from('"~~~>>>"').toString("base64").replace(/\+/g, "%2B")}`],
    ["+ as a space", `data=${Buffer.from('"~~~>>>"').toString("base64").replace(/\+/g, " ")}`],
    ["padding as %3D", "data=e30%3D"],
    ["unpadded", "data=e30"],
    ["URL-safe", `data=${Buffer.from('"~~~???"').toString("base64url")}`],
    ["a field before", "verbose=1&data=e30="],
    ["a field after", "data=e30=&verbose=1"],
    ["two data fields", "data=e30=&data=W10="],
    ["percent-encoded name", "dat%61=e30="],
    ["empty", "data="],
    ["no data", "x=1"],
    ["bad percent", "data=%zz"],
    ["bad base64", "data=!!!"],
    ["one char too many", "data=e30=A"],
    ["base64 of junk", `data=${Buffer.from("\x00\x01").toString("base64")}`],
    ["a leading ?", "?data=e30="],
  ])("%s", (_what, body) => {
    expect(outcome(() => decodeFormBody(body))).toEqual(outcome(() => referenceForm(body)));
  });

  it("decodes what Mixpanel's clients send, + unencoded", () => {
    const event = [{ event: "diagnostic_load", properties: { s: "~~~>>>???" } }];
    const b64 = Buffer.from(JSON.stringify(event)).toString("base64");
    expect(b64).toMatch(/[+/]/);
    expect(decodeFormBody(`data=${b64}`)).toEqual(event);
    expect(decodeFormBody(`data=${encodeURIComponent(b64)}`)).toEqual(event);
  });
});

describe("formValue answers what URLSearchParams.get answers", () => {
  /** Pieces of form bodies: separators, escapes valid and not, `+` between them, non-ASCII, lone surrogates. */
  const PIECES = [
    ..."adt=&+%?",
    "data",
    "data=",
    "=",
    "&",
    "%2B",
    "%2b",
    "%2F",
    "%3D",
    "%3d",
    "%41",
    "%61",
    "%zz",
    "%2",
    "%+41",
    "%4+1",
    "%C3%A9",
    "%C3",
    "%FF%FE",
    "%E2%82",
    "e30",
    "QUJD",
    " ",
    "é",
    "😀",
    "\ud800",
    "\udc00",
    "\u00a0",
  ];

  it.each(["data", "a", "", " ", "é"])("for 20 000 random bodies, field %j", (name) => {
    for (let i = 0; i < 20_000; i++) {
      const body = Array.from({ length: Math.floor(rnd() * 14) }, () => pick(PIECES)).join("");
      expect(formValue(body, name), JSON.stringify(body)).toBe(new URLSearchParams(body).get(name));
    }
  });

  it("for the bodies of this project's client (URL-encoded base64, verbose=1, ip=0)", () => {
    for (let user = 0; user < 200; user++) {
      const events = [makeEvent({ user }), makeEvent({ user: user + 1000 })];
      const body = encodeTrackBody(events as Parameters<typeof encodeTrackBody>[0]);
      expect(body).toMatch(/&verbose=1&ip=0$/);
      expect(formValue(body, "data")).toBe(new URLSearchParams(body).get("data"));
      expect(decodeFormBody(body)).toEqual(events);
    }
  });
});

describe("data values (GET /track?data=…): the fast path decodes as the lenient base64 does", () => {
  it("for 20 000 random values", () => {
    for (let i = 0; i < 20_000; i++) {
      const value = mangleValue(randomBase64());
      expect(
        outcome(() => decodeData(value)),
        value,
      ).toEqual(outcome(() => referenceData(value)));
    }
  });
});

describe("hostile bodies", () => {
  const MB = 1024 * 1024;
  /** CPU ms (a loaded machine does not stretch it): far above a linear scan of 4 MB, far below a quadratic one. */
  const GENEROUS_MS = 1500;

  it.each([
    ["base64 letters then a bad character", `data=${"A".repeat(4 * MB)}!`],
    ["base64 letters then padding in the middle", `data=${"A".repeat(2 * MB)}==${"A".repeat(2 * MB)}`],
    ["padding only", `data=${"=".repeat(4 * MB)}`],
    ["spaces", `data=${" ".repeat(4 * MB)}`],
    ["white space runs between letters", `data=${"A \n".repeat(MB)}!`],
    ["percent signs", `data=${"%".repeat(4 * MB)}`],
    ["ampersands", "&".repeat(4 * MB)],
    ["fields without data", "a=b&".repeat(MB)],
    ["a percent sign then pluses", `data=%${"+".repeat(4 * MB)}`],
    ["percent signs and pluses", `data=${"%+".repeat(2 * MB)}`],
    ["escapes of base64 then a bad one", `data=${"%2B".repeat(MB)}%41!`],
  ])("%s (4 MB) is refused in linear time", (_what, body) => {
    const { value: got, ms } = cpuTimed(() => outcome(() => decodeFormBody(body)));
    expect(got).toMatchObject({ status: 400 });
    expect(ms).toBeLessThan(GENEROUS_MS);
  });
});
