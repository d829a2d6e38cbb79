/**
 * The stream transports' encoder (json-encoder.ts): a message is encoded byte for byte as
 * vscode-jsonrpc's own encoder does (`JSON.stringify`, then UTF-8), whether or not its answer is
 * encoded from the bytes of the previous answer of its lineage; after random edits of big documents
 * (two lineages, interleaved, and more lineages than are kept) the outline answers, whose items are
 * reused from answer to answer, must still be encoded as their current JSON, and only the items an
 * edit made are encoded anew. The binary installs it (checked over each transport in
 * transports.test.ts, whose outlines must equal the in-process ones).
 */
import fc from "fast-check";
import { applyEdit, bigPolicy, editOffsets, randomEdit } from "@polar-ide/testing";
import { RAL, type Message } from "vscode-languageserver/node.js";
import { describe, expect, it, vi } from "vitest";
import { Documents, type Tracked } from "../src/documents.js";
import { documentSymbols, OUTLINE_MAX_ITEMS } from "../src/features.js";
import {
  cachingJsonEncoder,
  ENCODED_LINEAGES,
  encodeMessage,
  immutableItems,
  installCachingJsonEncoder,
  releaseSpareArenas,
  SPARE_ARENAS_IDLE_MS,
} from "../src/json-encoder.js";

const URI = "file:///big.polar";
const BIG = bigPolicy(30, (i) => [`visible_${i}(user: User, d: Doc${i}) if d.public = true or d.owner = user;`]);
const SNIPPETS = ["x", "\n", "# c\n", ";", '"', "}", "resource R {", "f(1);\n", "é", "\u{1F600}"];

/** What vscode-jsonrpc's default encoder sends for `msg`. */
function plain(msg: unknown): string {
  return Buffer.from(JSON.stringify(msg, undefined, 0), "utf-8").toString("utf-8");
}

function response(id: number | string, result: unknown): Message {
  return { jsonrpc: "2.0", id, result } as Message;
}

describe("the caching JSON encoder", () => {
  it("encodes outline answers as JSON.stringify does, after random edits of two big documents", () => {
    const OTHER = "file:///other.polar";
    fc.assert(
      fc.property(fc.array(fc.tuple(randomEdit(SNIPPETS), fc.boolean()), { minLength: 1, maxLength: 8 }), (edits) => {
        const docs = new Documents();
        const texts = new Map([
          [URI, BIG],
          [OTHER, BIG.replaceAll("Doc", "Folder")],
        ]);
        for (const [uri, text] of texts) docs.upsert(uri, 1, text);
        const outline = (uri: string): ReturnType<typeof documentSymbols> =>
          immutableItems(documentSymbols(docs.parsed(docs.get(uri) as Tracked), OUTLINE_MAX_ITEMS), uri);
        // Each encoded once before the edits: the next answers reuse their bytes.
        for (const uri of texts.keys()) {
          const first = response(1, outline(uri));
          expect(encodeMessage(first).toString("utf-8")).toBe(plain(first));
        }
        edits.forEach(([e, other], step) => {
          const uri = other ? OTHER : URI;
          const before = texts.get(uri) as string;
          const text = applyEdit(before, e);
          texts.set(uri, text);
          docs.upsert(uri, step + 2, text, step % 2 === 0 ? editOffsets(before, e) : null);
          const msg = response(step + 2, outline(uri));
          expect(encodeMessage(msg).toString("utf-8"), `step ${step}`).toBe(plain(msg));
          // And as the client reads it: the outline of a fresh parse of the text.
          const fresh = new Documents();
          fresh.upsert(uri, 1, text);
          const expected = documentSymbols(fresh.parsed(fresh.get(uri) as Tracked), OUTLINE_MAX_ITEMS);
          expect(JSON.parse(encodeMessage(msg).toString("utf-8"))).toEqual(
            JSON.parse(plain(response(step + 2, expected))),
          );
        });
      }),
      { seed: 20261203, numRuns: 25 },
    );
  }, 120_000);

  it("encodes only the items an edit made anew, the others from the previous answer's bytes", () => {
    const docs = new Documents();
    docs.upsert(URI, 1, BIG);
    const outline = (): ReturnType<typeof documentSymbols> =>
      immutableItems(documentSymbols(docs.parsed(docs.get(URI) as Tracked), OUTLINE_MAX_ITEMS), "reuse");
    const first = outline();
    encodeMessage(response(1, first));
    // A character inside the 10th section's visible_9 rule: that one item is new.
    const at = BIG.indexOf("d.owner = user", BIG.indexOf("visible_9("));
    docs.upsert(URI, 2, `${BIG.slice(0, at)}x${BIG.slice(at)}`, { start: at, end: at, text: "x" });
    const second = outline();
    expect(second.filter((s) => !first.includes(s))).toHaveLength(1);
    const stringify = vi.spyOn(JSON, "stringify");
    try {
      const bytes = encodeMessage(response(2, second));
      // The envelope, then the one new item.
      expect(stringify.mock.calls.filter(([v]) => second.includes(v as (typeof second)[number]))).toHaveLength(1);
      stringify.mockRestore();
      expect(bytes.toString("utf-8")).toBe(plain(response(2, second)));
    } finally {
      stringify.mockRestore();
    }
  });

  it("keeps the last answers of the latest lineages only, and encodes an evicted one whole", () => {
    const answers = Array.from({ length: ENCODED_LINEAGES + 2 }, (_, i) =>
      immutableItems(
        [
          { lineage: i, name: "a" },
          { lineage: i, name: "b" },
        ],
        `lineage ${i}`,
      ),
    );
    for (const [i, a] of answers.entries()) encodeMessage(response(i, a));
    const stringify = vi.spyOn(JSON, "stringify");
    try {
      // The first lineage was evicted: its next answer encodes both items; the last one reuses them.
      const [oldest, newest] = [answers[0], answers.at(-1)].map((a) => [...(a ?? [])]);
      encodeMessage(response(20, immutableItems(oldest ?? [], "lineage 0")));
      expect(stringify.mock.calls.filter(([v]) => oldest?.includes(v as never))).toHaveLength(2);
      stringify.mockClear();
      encodeMessage(response(21, immutableItems(newest ?? [], `lineage ${ENCODED_LINEAGES + 1}`)));
      expect(stringify.mock.calls.filter(([v]) => newest?.includes(v as never))).toHaveLength(0);
    } finally {
      stringify.mockRestore();
    }
  });

  it("encodes an answer whose items moved far from where they were (reversed, rotated, repeated)", () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ i, name: `item ${i}` }));
    const versions = [
      items,
      [...items].reverse(),
      [...items.slice(150), ...items.slice(0, 150)],
      [...items.slice(0, 10), ...items.slice(0, 10), { i: -1 }, ...items.slice(200)],
      items,
    ];
    for (const [v, answer] of versions.entries()) {
      const msg = response(v, immutableItems([...answer], "moving"));
      expect(encodeMessage(msg).toString("utf-8"), `version ${v}`).toBe(plain(msg));
    }
  });

  it("encodes every other message as JSON.stringify does", () => {
    const marked = immutableItems([{ name: 'é \u{1F600} "q" \\', n: 1 }, { nested: [1, { a: null }] }], "marked");
    const messages: unknown[] = [
      response(1, marked),
      response('id with "result": [] in it', marked),
      response(2, immutableItems([], "empty")),
      response(3, immutableItems([1, "two", null, true, undefined, 1, NaN, -0], "primitives")),
      response(4, immutableItems([1, "two", null, 1, 1, true, -0, NaN, 0, undefined, "two"], "primitives")),
      response(4, [{ name: "not marked" }]),
      response(5, null),
      { jsonrpc: "2.0", id: 6, error: { code: -32600, message: "bad" } },
      { jsonrpc: "2.0", method: "textDocument/publishDiagnostics", params: { uri: "file:///a", diagnostics: [] } },
      { jsonrpc: "2.0", id: 7, result: marked, extra: { result: "after" } },
    ];
    for (const msg of messages) expect(encodeMessage(msg as Message).toString("utf-8")).toBe(plain(msg));
    // Twice: the second time from the cached items.
    expect(encodeMessage(response(8, marked)).toString("utf-8")).toBe(plain(response(8, marked)));
    // Another charset than UTF-8 is encoded as vscode-jsonrpc encodes it.
    expect(encodeMessage(response(9, marked), "latin1")).toEqual(
      Buffer.from(JSON.stringify(response(9, marked)), "latin1"),
    );
  });

  it("writes a lineage's answers into two buffers in turn, each answer's bytes kept until the next but one", () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ name: `rule_${i}`, detail: "é \u{1F600}", kind: 12 }));
    const versions = Array.from({ length: 6 }, (_, v) => {
      const answer = [...items];
      answer[(v * 37) % answer.length] = { name: `edited ${v}`, detail: "x".repeat(v), kind: 12 };
      if (v % 2 === 1) answer.splice(v * 11, 1);
      return immutableItems(answer, "arenas");
    });
    const sent: Buffer[] = [];
    for (const [v, answer] of versions.entries()) {
      const bytes = encodeMessage(response(v, answer));
      expect(bytes.toString("utf-8"), `version ${v}`).toBe(plain(response(v, answer)));
      // The answer before it (which the writer may still be sending) is left as it was…
      const before = sent.at(-1);
      if (before !== undefined) {
        expect(before.toString("utf-8"), `version ${v - 1} after ${v}`).toBe(plain(response(v - 1, versions[v - 1])));
        expect(bytes.buffer).not.toBe(before.buffer);
      }
      // …and the one before that is where this one was written: no new buffer once there are two.
      if (v >= 2) expect(bytes.buffer).toBe(sent[v - 2]?.buffer);
      sent.push(bytes);
    }
  });

  it("gives a lineage whose answers shrank smaller buffers, and drops the spare ones when idle", async () => {
    const big = Array.from({ length: 5000 }, (_, i) => ({ name: `item ${i}`, detail: "d".repeat(40) }));
    const small = big.slice(0, 10);
    const encode = (v: number, answer: unknown[]): Buffer => {
      const bytes = encodeMessage(response(v, immutableItems([...answer], "shrinking")));
      expect(bytes.toString("utf-8")).toBe(plain(response(v, answer)));
      return bytes;
    };
    const peak = encode(1, big).buffer.byteLength;
    encode(2, big);
    for (let v = 3; v < 6; v++) expect(encode(v, small).buffer.byteLength).toBeLessThan(peak / 4);
    // Idle (the release timer, refreshed by every answer, fires before this one): the spare buffer
    // is dropped, so the next answer is written into a new one.
    const spare = encode(6, small);
    const current = encode(7, small);
    await new Promise((resolve) => setTimeout(resolve, SPARE_ARENAS_IDLE_MS + 100));
    const next = encode(8, small);
    expect(next.buffer).not.toBe(spare.buffer);
    expect(next.buffer).not.toBe(current.buffer);
    // As when the server asks for it directly; the answers stay right.
    releaseSpareArenas();
    encode(9, big);
    encode(10, small);
  });

  it("is the stream writers' encoder once installed, and rejects what JSON.stringify rejects", async () => {
    const before = RAL().applicationJson.encoder;
    const decoder = RAL().applicationJson.decoder;
    try {
      installCachingJsonEncoder();
      expect(RAL().applicationJson.encoder).toBe(cachingJsonEncoder);
      expect(RAL().applicationJson.decoder).toBe(decoder);
    } finally {
      const ral = RAL();
      RAL.install({ ...ral, applicationJson: { ...ral.applicationJson, encoder: before } });
    }
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    await expect(
      cachingJsonEncoder.encode(response(1, immutableItems([cyclic], "cyclic")), { charset: "utf-8" }),
    ).rejects.toThrow();
    await expect(cachingJsonEncoder.encode(response(1, [1n]), { charset: "utf-8" })).rejects.toThrow();
  });
});
