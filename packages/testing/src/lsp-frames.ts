/**
 * The bytes a language server wrote to its stdout, read back strictly as the base protocol: every
 * byte must belong to a `Content-Length: N\r\n[Content-Type: …\r\n]\r\n` header and its N-byte
 * JSON-RPC 2.0 body. Over `--stdio`, stdout is the protocol stream; one stray byte (a
 * `console.log`, a `process.stdout.write`, a V8 trace) corrupts it for the client.
 */

/** The JSON-RPC messages of `bytes`; throws, naming the offset and the bytes there, on anything else. */
export function lspFrames(bytes: Buffer): unknown[] {
  const messages: unknown[] = [];
  let at = 0;
  const fail = (why: string): never => {
    const shown = JSON.stringify(bytes.subarray(at, at + 80).toString("latin1"));
    throw new Error(`stdout is not only LSP frames: ${why} at byte ${at} of ${bytes.length}: ${shown}`);
  };
  while (at < bytes.length) {
    const end = bytes.indexOf("\r\n\r\n", at, "latin1");
    if (end < 0) fail("no header end");
    const header = bytes.subarray(at, end).toString("latin1").split("\r\n");
    let length = -1;
    for (const line of header) {
      const m = /^(Content-Length|Content-Type): (.+)$/.exec(line);
      if (m === null) fail(`not a header line (${JSON.stringify(line.slice(0, 40))})`);
      if (m?.[1] === "Content-Length") length = /^\d+$/.test(m[2] ?? "") ? Number(m[2]) : -1;
    }
    if (length < 0) fail("no Content-Length");
    const start = end + 4;
    if (start + length > bytes.length) fail("a body cut short");
    let message: unknown;
    try {
      message = JSON.parse(bytes.subarray(start, start + length).toString("utf8"));
    } catch {
      fail("a body that is not JSON");
    }
    if ((message as { jsonrpc?: unknown } | null)?.jsonrpc !== "2.0") fail("a body that is not JSON-RPC 2.0");
    messages.push(message);
    at = start + length;
  }
  return messages;
}
