/**
 * @agora/client: the JavaScript/TypeScript SDK for agora (protocol v1, JSON
 * encoding). An ES module for browsers and Node ≥ 22 (or Node 20 with
 * `--experimental-websocket`). See clients/js/README.md.
 */
export { AgoraClient, type ClientEvents, type ClientOptions, type ConnState, type WebSocketCtor, type WebSocketLike } from "./client.js";
export { AgoraError, type AgoraErrorBody, type LocalErrorCode } from "./errors.js";
export { backoffDelay, shouldReconnect, minDelayAfter } from "./backoff.js";
export { Cursors, type Cursor } from "./cursors.js";
export { Outbox, newIdem, type PendingPost, type StorageLike } from "./outbox.js";
export { AgoraHttp, login, httpBaseOf } from "./http.js";
export * from "./types.js";
export * from "./wiki.js";
export { AgoraClient as default } from "./client.js";
