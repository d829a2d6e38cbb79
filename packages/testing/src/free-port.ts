/**
 * A TCP port on 127.0.0.1 that was free a moment ago: the caller's server binds it next. One
 * declaration for the collector's tests, the benchmarks and the VS Code end-to-end harness.
 */
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}
