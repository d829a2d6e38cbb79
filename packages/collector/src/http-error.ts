import { STATUS_CODES } from "node:http";
import type { FastifyError } from "fastify";

/**
 * The one error type routes and hooks throw: answered with its status (and, for 429, a
 * `Retry-After`) by the app's error handler.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * Status and message of an error: HttpErrors as they are, Fastify's client errors (4xx) with
 * their message, anything else a 500 whose details stay in the log.
 */
export function describeError(error: FastifyError | HttpError, bodyLimit: number): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message };
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, message: `the request body is larger than ${bodyLimit} bytes` };
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own messages may quote the URL or a header (FST_ERR_BAD_URL does): a fixed text.
    const known = Object.hasOwn(FASTIFY_MESSAGES, error.code) ? FASTIFY_MESSAGES[error.code] : undefined;
    return { status, message: known ?? (STATUS_CODES[status] ?? "bad request").toLowerCase() };
  }
  return { status: 500, message: "internal error" };
}

const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: "the URL is malformed",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "the Content-Length does not match the body",
  FST_ERR_CTP_EMPTY_JSON_BODY: "the body is empty",
};
