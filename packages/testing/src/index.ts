/** `@polar-ide/testing`: support shared by the packages' test suites (never shipped). */
export * from "./corpus.js";
export * from "./chromium.js";
export * from "./random-edits.js";
export * from "./big-policy.js";
export * from "./free-port.js";
export * from "./lsp-frames.js";
export * from "./cpu-time.js";
