/** AgoraError: an `error` reply, an HTTP error body, or a local failure. */
import type { ErrorBody, Seq } from "./types.js";

/**
 * Codes the SDK adds to the protocol's (PROTOCOL.md §16): `disconnected` (the
 * connection dropped before the reply: the op may or may not have happened),
 * `timeout` (no reply within the request timeout), `closed` (the client was closed).
 */
export type LocalErrorCode = "disconnected" | "timeout" | "closed";

/** An `ErrorBody` whose code may also be a local one, or one a newer server added. */
export type AgoraErrorBody = Omit<ErrorBody, "code"> & { code: ErrorBody["code"] | LocalErrorCode | (string & {}) };

export class AgoraError extends Error {
  readonly code: string;
  /** With `rate_limited`: how long to wait before sending another request of that class. */
  readonly retryAfterMs?: number;
  /** With `too_far_behind`: the stream's head. */
  readonly head?: Seq;
  readonly body: AgoraErrorBody;

  constructor(body: Partial<AgoraErrorBody> & { code: string }) {
    super(body.message || body.code);
    this.name = "AgoraError";
    this.code = body.code || "internal";
    this.retryAfterMs = body.retry_after_ms ?? undefined;
    this.head = body.head ?? undefined;
    this.body = { message: body.message || body.code, ...body };
  }
}
