/**
 * The Node flags the language server is launched with, declared once: the VS Code extension passes
 * them as `execArgv`, `bin/polar-language-server.js` names them on its `#!/usr/bin/env -S node …`
 * line (a test checks the two agree) and `bench/server.mjs` starts the server with them.
 *
 * `--max-semi-space-size=4` (MB; V8's default on 64-bit is 16): an edit of a 50k-line file allocates
 * ~1.4 MB that mostly dies with the next edit. With the default young generation a scavenge came
 * every ~10 edits and copied what had survived them, and that edit was the tail; with 4 MB each
 * scavenge is small. Measured with `bench/server.mjs` on a quiet machine (same build, runs
 * alternated): one 50k-line file, didChange → publish p95 25–38 ms by default, 20–21 ms with 4 MB;
 * 50k lines in 100 files p95 32 → 19 ms and RSS 303 → 199 MB. Settable only at launch: V8 sizes the
 * young generation when the heap is created (`v8.setFlagsFromString` at run time had no effect).
 *
 * `--expose-gc`: the server runs one full collection when it has gone idle after loads
 * (`idle-gc.ts`), so an idle server does not keep a burst of edits' garbage as resident memory.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4", "--expose-gc"];
