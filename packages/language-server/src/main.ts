#!/usr/bin/env node
/**
 * `polar-language-server`: creates the connection for the transport named on the command line
 * (`--stdio`, `--node-ipc`, `--socket=PORT`, `--pipe=NAME`) and hands it to `startServer`.
 */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node.js";
import { installCachingJsonEncoder } from "./json-encoder.js";
import { startServer } from "./server.js";

const TRANSPORTS = ["--stdio", "--node-ipc", "--socket=", "--pipe="];
const args = process.argv.slice(2);

if (args.includes("--version")) {
  process.stdout.write("polar-language-server 0.1.0\n");
  process.exit(0);
}

if (args.includes("--help") || args.includes("-h") || !args.some((a) => TRANSPORTS.some((t) => a.startsWith(t)))) {
  const usage = "usage: polar-language-server --stdio | --node-ipc | --socket=PORT | --pipe=NAME\n";
  const asked = args.includes("--help") || args.includes("-h");
  (asked ? process.stdout : process.stderr).write(usage);
  process.exit(asked ? 0 : 2);
}

// Before the connection: its stream writer (stdio, socket, pipe) takes the encoder when created.
installCachingJsonEncoder();
startServer(createConnection(ProposedFeatures.all));
