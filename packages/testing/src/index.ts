/** `@polar-ide/testing`: support shared by the packages' test suites (never shipped). */
export * from "./corpus.js";
export * from "./chromium.js";
