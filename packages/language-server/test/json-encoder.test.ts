/**
 * The stream transports' encoder (json-encoder.ts): a message is encoded byte for byte as
 * vscode-jsonrpc's own encoder does (`JSON.stringify`, then UTF-8), whether or not its result's
 * items have cached JSON; after random edits of a big document the outline answers, whose items are
 * reused from answer to answer, must still be encoded as their current JSON. The binary installs it
 * (checked over each transport in transports.test.ts, whose outlines must equal the in-process ones).
 */
import fc from "fast-check";
import { applyEdit, bigPolicy, editOffsets, randomEdit } from "@polar-ide/testing";
import { RAL, type Message } from "vscode-languageserver/node.js";
import { describe, expect, it } from "vitest";
import { Documents, type Tracked } from "../src/documents.js";
import { documentSymbols, OUTLINE_MAX_ITEMS } from "../src/features.js";
import { cachingJsonEncoder, encodeMessage, immutableItems, installCachingJsonEncoder } from "../src/json-encoder.js";

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
  it("encodes outline answers as JSON.stringify does, after random edits of a big document", () => {
    fc.assert(
      fc.property(fc.array(randomEdit(SNIPPETS), { minLength: 1, maxLength: 8 }), (edits) => {
        const docs = new Documents();
        docs.upsert(URI, 1, BIG);
        let text = BIG;
        const outline = (): ReturnType<typeof documentSymbols> =>
          immutableItems(documentSymbols(docs.parsed(docs.get(URI) as Tracked), OUTLINE_MAX_ITEMS));
        // Encoded once before the edits: every unchanged item has cached JSON from then on.
        const first = outline();
        expect(encodeMessage(response(1, first)).toString("utf-8")).toBe(plain(response(1, first)));
        edits.forEach((e, step) => {
          const change = step % 2 === 0 ? editOffsets(text, e) : null;
          text = applyEdit(text, e);
          docs.upsert(URI, step + 2, text, change);
          const answer = outline();
          const msg = response(step + 2, answer);
          expect(encodeMessage(msg).toString("utf-8"), `step ${step}`).toBe(plain(msg));
          // And as the client reads it: the outline of a fresh parse of the text.
          const fresh = new Documents();
          fresh.upsert(URI, 1, text);
          expect(JSON.parse(encodeMessage(msg).toString("utf-8"))).toEqual(
            JSON.parse(
              plain(response(step + 2, documentSymbols(fresh.parsed(fresh.get(URI) as Tracked), OUTLINE_MAX_ITEMS))),
            ),
          );
        });
      }),
      { seed: 20261203, numRuns: 25 },
    );
  }, 120_000);

  it("encodes every other message as JSON.stringify does", () => {
    const marked = immutableItems([{ name: 'é \u{1F600} "q" \\', n: 1 }, { nested: [1, { a: null }] }]);
    const messages: unknown[] = [
      response(1, marked),
      response('id with "result": [] in it', marked),
      response(2, immutableItems([])),
      response(3, immutableItems([1, "two", null, true])),
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
      cachingJsonEncoder.encode(response(1, immutableItems([cyclic])), { charset: "utf-8" }),
    ).rejects.toThrow();
    await expect(cachingJsonEncoder.encode(response(1, [1n]), { charset: "utf-8" })).rejects.toThrow();
  });
});
