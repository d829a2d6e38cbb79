/**
 * How the extension starts a language server: the bundled `out/server.js` forked by the language
 * client (`module`) with the server's Node flags, over **stdio**.
 *
 * Why stdio and not `TransportKind.ipc`: over Node's IPC channel `process.send` serialises every
 * message itself (`JSON.stringify` of the whole message), so the server's own encoder for stream
 * transports (`packages/language-server/src/json-encoder.ts`), which encodes an outline from the
 * bytes of the previous one, never runs. One 50k-line file, `bench/server.mjs`
 * (`BENCH_TRANSPORTS=ipc,stdio`): the server's CPU per outline after an edit 76 → 27 ms (median of
 * three alternated runs, load average 8–11). Over stdio the server's stdout is the protocol
 * stream: the server writes nothing else there (vscode-languageserver routes `console` to the
 * connection; `packages/language-server/test/stdout-protocol.test.ts` checks every byte), and
 * its stderr still reaches the output channel.
 *
 * No run-time import of `vscode-languageclient` here (it loads `vscode`), so that the tests can
 * start the real server from these options.
 */
import type { ServerOptions, TransportKind } from "vscode-languageclient/node.js";
import { SERVER_NODE_FLAGS } from "@polar-ide/language-server/node-flags";

/** `TransportKind.stdio` (0), without loading the language client at run time. */
export const STDIO_TRANSPORT = 0 as TransportKind.stdio;

/**
 * The run and debug options of one server: `debugFlags` are the debug configuration's extra Node
 * flags (`--inspect=PORT`: the inspector's banner goes to stderr, not to the protocol stream).
 */
export function serverOptions(module: string, debugFlags: readonly string[]): ServerOptions {
  return {
    run: { module, transport: STDIO_TRANSPORT, options: { execArgv: [...SERVER_NODE_FLAGS] } },
    debug: { module, transport: STDIO_TRANSPORT, options: { execArgv: [...SERVER_NODE_FLAGS, ...debugFlags] } },
  };
}
