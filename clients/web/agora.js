// agora.js — browser SDK for the agora chat server (protocol v1, JSON encoding).
//
// An ES module with no dependencies and no build step:
//
//   import { AgoraClient } from "/agora.js";
//   const client = new AgoraClient({ url: "http://127.0.0.1:8080" });
//   await client.login("alice", "demo-password");     // or pass {token} to the constructor
//   client.on("event", (ev) => console.log(ev.stream, ev.seq, ev.type));
//   await client.connect();
//   await client.subscribe("ch_...");
//   await client.post("ch_...", "hello @bob");
//
// What it does for you (see protocol/PROTOCOL.md):
// * request/response matching by `id`/`re`, each request a Promise;
// * pushes as events: "event", "presence", "typing", "read", "stream_added";
// * reconnect with exponential backoff and jitter on closes that allow it
//   (anything below 4500: 1001, 1006, 4000–4499, ...; never 4500–4999);
// * resume: per subscribed stream it remembers the last seq processed and the
//   epoch, re-subscribes with `since` + `epoch` after a reconnect, drops
//   duplicate events by seq, and emits "reset" for a stream whose resume
//   could not be honoured (`recovered: false` or `too_far_behind`);
// * posts carry an idempotency key and are retried with the same key after a
//   reconnect, so they are stored exactly once.

/** An `error` reply, an HTTP error body, or a local failure ("disconnected", "closed"). */
export class AgoraError extends Error {
  constructor(body) {
    super(body && body.message ? body.message : String(body && body.code));
    this.name = "AgoraError";
    this.code = (body && body.code) || "internal";
    this.retryAfterMs = body && body.retry_after_ms;
    this.head = body && body.head;
    this.body = body;
  }
}

/** Whether a close code allows reconnecting (PROTOCOL.md §15): 4500–4999 do not. */
export function shouldReconnect(code) {
  return !(code >= 4500 && code <= 4999);
}

/** Backoff before attempt `attempt` (0-based): doubling from `minMs` to `maxMs`, with jitter in [50%, 100%]. */
export function backoffDelay(attempt, minMs = 500, maxMs = 30000, random = Math.random) {
  const cap = Math.min(maxMs, minMs * Math.pow(2, Math.min(attempt, 16)));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/**
 * Resume bookkeeping for one connection's subscriptions, without any I/O.
 * Per stream: the last seq processed and the epoch it belongs to.
 */
export class Cursors {
  constructor() {
    this.streams = new Map(); // stream id -> {lastSeq, epoch}
  }
  /** The `subscribe` fields to resume `stream` (only `stream` if never seen). */
  subscribeFields(stream) {
    const c = this.streams.get(stream);
    if (!c || c.lastSeq == null) return { stream };
    const f = { stream, since: c.lastSeq };
    if (c.epoch) f.epoch = c.epoch;
    return f;
  }
  /** Apply a `subscribe` reply. Returns true when the stream must be reset (nothing was replayed). */
  subscribed(stream, ok, sentSince) {
    const reset = ok.recovered === false;
    const c = this.streams.get(stream) || {};
    if (sentSince == null || reset) c.lastSeq = ok.head;
    c.epoch = ok.epoch;
    this.streams.set(stream, c);
    return reset && sentSince != null;
  }
  /** Record an event; returns false when it is a duplicate (seq already processed). */
  accept(stream, seq) {
    const c = this.streams.get(stream);
    if (!c) return true; // not tracked: pass through
    if (c.lastSeq != null && seq <= c.lastSeq) return false;
    c.lastSeq = seq;
    return true;
  }
  forget(stream) {
    this.streams.delete(stream);
  }
  has(stream) {
    return this.streams.has(stream);
  }
  lastSeq(stream) {
    const c = this.streams.get(stream);
    return c ? c.lastSeq : undefined;
  }
  /** A JSON-able snapshot (to persist with a cache) and its inverse. */
  toJSON() {
    return Object.fromEntries(this.streams);
  }
  static fromJSON(obj) {
    const c = new Cursors();
    for (const [k, v] of Object.entries(obj || {})) c.streams.set(k, { lastSeq: v.lastSeq, epoch: v.epoch });
    return c;
  }
}

/** POST /api/v1/auth/login. Resolves `{token, user}`; rejects with AgoraError. */
export async function login(httpBase, username, password) {
  const res = await fetch(new URL("/api/v1/auth/login", httpBase), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = await res.json().catch(() => ({ code: "internal", message: `HTTP ${res.status}` }));
  if (!res.ok) throw new AgoraError(body);
  return body;
}

function httpBaseOf(url) {
  const u = new URL(url, typeof location !== "undefined" ? location.href : undefined);
  if (u.protocol === "ws:") u.protocol = "http:";
  if (u.protocol === "wss:") u.protocol = "https:";
  return u.origin;
}

function wsUrlOf(url) {
  const u = new URL(url, typeof location !== "undefined" ? location.href : undefined);
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/ws";
  return u;
}

let idemCounter = 0;
function newIdem() {
  idemCounter += 1;
  const rand = (globalThis.crypto && crypto.randomUUID) ? crypto.randomUUID() : Math.random().toString(36).slice(2);
  return `${rand}-${idemCounter}`.slice(0, 64);
}

export class AgoraClient {
  /**
   * @param {object} opts
   * @param {string} [opts.url]   server URL: http(s)://host:port or ws(s)://host:port/ws; default: this page's origin
   * @param {string} [opts.token] a JWT or agb_ API token (or call login())
   * @param {number} [opts.minBackoffMs=500] @param {number} [opts.maxBackoffMs=30000]
   * @param {object} [opts.cursors] a snapshot from `client.cursors.toJSON()` to resume from
   */
  constructor(opts = {}) {
    this.url = opts.url || (typeof location !== "undefined" ? location.origin : "http://127.0.0.1:8080");
    this.token = opts.token || null;
    this.minBackoffMs = opts.minBackoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30000;
    this.cursors = opts.cursors ? Cursors.fromJSON(opts.cursors) : new Cursors();
    this.user = null;
    this.epoch = null;
    this.state = "idle"; // idle | connecting | open | reconnecting | closed
    this._ws = null;
    this._nextId = 1;
    this._pending = new Map(); // id -> {resolve, reject, op}
    this._listeners = new Map();
    this._attempt = 0;
    this._timer = null;
    this._heartbeat = null;
    this._lastFrameAt = 0;
    this._openedAt = 0;
    this._wanted = false; // connect() called and close() not
    this._readyWaiters = [];
    this._typingSent = new Map();
  }

  // ---- events -------------------------------------------------------------

  /** Listen to "event", "presence", "typing", "read", "stream_added", "reset", "subscribed", "open", "close", "state", "error". Returns an unsubscribe function. */
  on(name, fn) {
    if (!this._listeners.has(name)) this._listeners.set(name, new Set());
    this._listeners.get(name).add(fn);
    return () => this.off(name, fn);
  }
  off(name, fn) {
    const s = this._listeners.get(name);
    if (s) s.delete(fn);
  }
  emit(name, data) {
    const s = this._listeners.get(name);
    if (!s) return;
    for (const fn of [...s]) {
      try {
        fn(data);
      } catch (e) {
        console.error(`agora: "${name}" listener failed`, e);
      }
    }
  }

  // ---- auth and connection ------------------------------------------------

  /** Log in over HTTP and keep the token for connect(). Resolves `{token, user}`. */
  async login(username, password) {
    const r = await login(httpBaseOf(this.url), username, password);
    this.token = r.token;
    this.user = r.user;
    return r;
  }

  /** Connect (and keep reconnecting until close()). Resolves once connected and resubscribed the first time. */
  connect() {
    if (!this.token) return Promise.reject(new AgoraError({ code: "unauthorized", message: "no token: call login() first" }));
    this._wanted = true;
    const ready = this._waitReady();
    if (!this._ws && !this._timer) this._open();
    return ready;
  }

  /** Close for good (no reconnect). Pending requests reject with "closed". */
  close() {
    this._wanted = false;
    clearTimeout(this._timer);
    this._timer = null;
    this._stopHeartbeat();
    if (this._ws) {
      const ws = this._ws;
      this._detach(ws);
      ws.close(1000, "bye");
    }
    this._ws = null;
    this._failPending("closed");
    this._setState("closed");
    for (const w of this._readyWaiters.splice(0)) w.reject(new AgoraError({ code: "closed", message: "client closed" }));
  }

  _setState(s) {
    if (this.state !== s) {
      this.state = s;
      this.emit("state", s);
    }
  }

  _waitReady() {
    if (this.state === "open") return Promise.resolve();
    return new Promise((resolve, reject) => this._readyWaiters.push({ resolve, reject }));
  }

  _open() {
    this._timer = null;
    this._setState(this._attempt === 0 && !this._everOpened ? "connecting" : "reconnecting");
    const u = wsUrlOf(this.url);
    u.searchParams.set("token", this.token);
    let ws;
    try {
      // Batched messages when the server has them (PROTOCOL.md §3): fewer onmessage calls.
      ws = new WebSocket(u.toString(), ["agora.json.batch.v1", "agora.json.v1"]);
    } catch (e) {
      this._scheduleReconnect(1006, String(e));
      return;
    }
    this._ws = ws;
    ws.onopen = () => this._onOpen(ws);
    ws.onmessage = (m) => {
      if (ws.protocol !== "agora.json.batch.v1") return this._onFrame(m.data);
      // One frame per line; a frame's JSON never holds a raw newline.
      for (const line of String(m.data).split("\n")) if (line.trim()) this._onFrame(line);
    };
    ws.onclose = (c) => this._onClose(ws, c.code, c.reason);
    // Browsers follow an error with a close; some runtimes do not when the
    // connection is refused, so treat an error on a socket that is not open as a close.
    ws.onerror = () => setTimeout(() => {
      if (ws === this._ws && ws.readyState !== 1) this._onClose(ws, 1006, "connection failed");
    }, 50);
  }

  _detach(ws) {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
  }

  async _onOpen(ws) {
    this._openedAt = Date.now();
    this._lastFrameAt = Date.now();
    this._startHeartbeat();
    try {
      const who = await this._send("whoami", {});
      this.user = who.user;
      this.epoch = who.epoch;
      // Resume every stream we follow, in parallel.
      await Promise.all([...this.cursors.streams.keys()].map((s) => this._resubscribe(s)));
    } catch (e) {
      if (ws !== this._ws) return; // that connection already died; its close handler reconnects
      this.emit("error", e);
    }
    if (ws !== this._ws) return;
    const reconnected = !!this._everOpened;
    this._everOpened = true;
    this._setState("open");
    for (const w of this._readyWaiters.splice(0)) w.resolve();
    this.emit("open", { user: this.user, epoch: this.epoch, reconnected });
  }

  _onClose(ws, code, reason) {
    if (ws !== this._ws) return;
    this._detach(ws);
    this._ws = null;
    this._stopHeartbeat();
    this._failPending("disconnected");
    if (this._openedAt && Date.now() - this._openedAt > 10000) this._attempt = 0; // it was stable
    this._openedAt = 0;
    if (!this._wanted) return;
    if (!shouldReconnect(code)) {
      this._wanted = false;
      this._setState("closed");
      this.emit("close", { code, reason, willReconnect: false });
      const err = new AgoraError({ code: code === 4501 ? "account_disabled" : "unauthorized", message: reason || `closed with ${code}` });
      for (const w of this._readyWaiters.splice(0)) w.reject(err);
      return;
    }
    this._scheduleReconnect(code, reason);
  }

  _scheduleReconnect(code, reason) {
    let delay = backoffDelay(this._attempt, this.minBackoffMs, this.maxBackoffMs);
    if (code === 4002) delay = Math.max(delay, 10000); // flood: back off at least 10 s
    this._attempt += 1;
    this._setState("reconnecting");
    this.emit("close", { code, reason, willReconnect: true, delayMs: delay });
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._open(), delay);
  }

  /** Reconnect now (e.g. when the browser comes back online), skipping the backoff wait. */
  reconnectNow() {
    if (!this._wanted || this._ws) return;
    clearTimeout(this._timer);
    this._open();
  }

  _startHeartbeat() {
    this._stopHeartbeat();
    // Browsers hide WebSocket pings; send the `ping` op so we notice a dead link.
    this._heartbeat = setInterval(() => {
      if (!this._ws) return;
      if (Date.now() - this._lastFrameAt > 45000) {
        const ws = this._ws;
        this._detach(ws);
        try {
          ws.close();
        } catch (_) {}
        this._onCloseForced(ws);
        return;
      }
      this._send("ping", {}).catch(() => {});
    }, 20000);
  }
  _onCloseForced(ws) {
    this._ws = ws; // so _onClose accepts it
    this._onClose(ws, 1006, "no frames for 45 s");
  }
  _stopHeartbeat() {
    clearInterval(this._heartbeat);
    this._heartbeat = null;
  }

  _failPending(code) {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) p.reject(new AgoraError({ code, message: `connection ${code} before the reply to ${p.op}` }));
  }

  // ---- frames -------------------------------------------------------------

  _onFrame(data) {
    this._lastFrameAt = Date.now();
    let f;
    try {
      f = JSON.parse(data);
    } catch (e) {
      this.emit("error", new AgoraError({ code: "bad_request", message: "undecodable server frame" }));
      return;
    }
    if (f && typeof f.ev === "string") return this._onPush(f);
    if (f && f.re != null && this._pending.has(f.re)) {
      const p = this._pending.get(f.re);
      this._pending.delete(f.re);
      if (f.error) p.reject(new AgoraError(f.error));
      else p.resolve(f.ok);
      return;
    }
    if (f && f.error) this.emit("error", new AgoraError(f.error)); // a reply without re
  }

  _onPush(p) {
    switch (p.ev) {
      case "event": {
        const { ev, ...event } = p;
        if (!this.cursors.accept(event.stream, event.seq)) return; // duplicate
        this.emit("event", event);
        return;
      }
      case "presence":
      case "typing":
      case "read":
      case "stream_added":
        this.emit(p.ev, p);
        return;
      default:
        return; // unknown pushes are ignored
    }
  }

  /** Send on the current socket, bypassing the ready wait (internal). */
  _send(op, fields) {
    const ws = this._ws;
    if (!ws || ws.readyState !== 1) return Promise.reject(new AgoraError({ code: "disconnected", message: "not connected" }));
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject, op });
      ws.send(JSON.stringify({ ...fields, id, op }));
    });
  }

  /**
   * Send any op. Waits for the connection if it is (re)connecting. Resolves the
   * `ok` payload; rejects with AgoraError (code "disconnected" if the
   * connection dropped before the reply: the op may or may not have happened).
   */
  async request(op, fields = {}) {
    if (this.state !== "open") {
      if (!this._wanted) throw new AgoraError({ code: "closed", message: "not connected: call connect()" });
      await this._waitReady();
    }
    return this._send(op, fields);
  }

  // ---- subscriptions --------------------------------------------------------

  /**
   * Subscribe to a stream and follow it across reconnects. With no `since`,
   * resumes from the remembered cursor if there is one, else live only.
   * Resolves the SubscribeOk; emits "reset" if the resume was not honoured.
   */
  async subscribe(stream, opts = {}) {
    let fields = opts.since != null ? { stream, since: opts.since, epoch: opts.epoch ?? this.epoch ?? undefined } : this.cursors.subscribeFields(stream);
    if (fields.epoch === undefined) delete fields.epoch;
    if (this.state !== "open") await this._waitReady();
    return this._doSubscribe(fields);
  }

  async _resubscribe(stream) {
    try {
      await this._doSubscribe(this.cursors.subscribeFields(stream));
    } catch (e) {
      if (e.code === "not_found") {
        this.cursors.forget(stream); // gone or no longer readable
        this.emit("error", e);
      } else if (e.code !== "disconnected") {
        this.emit("error", e);
      }
    }
  }

  async _doSubscribe(fields) {
    const stream = fields.stream;
    let ok;
    try {
      ok = await this._send("subscribe", fields);
    } catch (e) {
      if (e.code === "too_far_behind" && fields.since != null) {
        // Too much to replay: start live and let the app reload history.
        ok = await this._send("subscribe", { stream });
        this.cursors.subscribed(stream, ok, null);
        this.emit("subscribed", ok);
        this.emit("reset", { stream, epoch: ok.epoch, head: ok.head, reason: "too_far_behind" });
        return ok;
      }
      throw e;
    }
    const reset = this.cursors.subscribed(stream, ok, fields.since);
    if (ok.epoch) this.epoch = ok.epoch;
    this.emit("subscribed", ok);
    if (reset) this.emit("reset", { stream, epoch: ok.epoch, head: ok.head, reason: "epoch" });
    return ok;
  }

  async unsubscribe(stream) {
    this.cursors.forget(stream);
    return this.request("unsubscribe", { stream });
  }

  /** The last seq processed for a followed stream (undefined if not followed). */
  lastSeq(stream) {
    return this.cursors.lastSeq(stream);
  }

  // ---- typed helpers --------------------------------------------------------

  whoami() { return this.request("whoami"); }
  ping() { return this.request("ping"); }
  listStreams() { return this.request("list_streams").then((ok) => ok.streams); }
  streamInfo(stream) { return this.request("stream_info", { stream }); }
  createChannel(name, { topic = "", private: priv = false, members = [] } = {}) {
    return this.request("create_channel", { name, topic, private: priv, members });
  }
  openDm(users) { return this.request("open_dm", { users }); }
  join(stream) { return this.request("join", { stream }); }
  leave(stream) { return this.request("leave", { stream }); }
  invite(stream, user) { return this.request("invite", { stream, user }); }
  rename(stream, name) { return this.request("rename", { stream, name }); }
  setTopic(stream, topic) { return this.request("set_topic", { stream, topic }); }
  edit(stream, target, text) { return this.request("edit", { stream, target, text }); }
  delete(stream, target) { return this.request("delete", { stream, target }); }
  react(stream, target, emoji) { return this.request("react", { stream, target, emoji }); }
  unreact(stream, target, emoji) { return this.request("unreact", { stream, target, emoji }); }
  markRead(stream, seq) { return this.request("mark_read", { stream, seq }); }
  setPresence(status) { return this.request("set_presence", { status }); }

  /** history(stream, {before, after, limit}) → {stream, events, head, more} */
  history(stream, { before, after, limit } = {}) {
    const f = { stream };
    if (before != null) f.before = before;
    if (after != null) f.after = after;
    if (limit != null) f.limit = limit;
    return this.request("history", f);
  }

  /** Send `typing`, at most once every `everyMs` (default 3 s) per stream. Resolves false when throttled. */
  async typing(stream, everyMs = 3000) {
    const last = this._typingSent.get(stream) || 0;
    if (Date.now() - last < everyMs) return false;
    this._typingSent.set(stream, Date.now());
    await this.request("typing", { stream });
    return true;
  }

  /**
   * Post a message with an idempotency key. If the connection drops before the
   * ack, it is re-sent with the same key after reconnecting (stored once).
   */
  async post(stream, text, { reply_to, idem = newIdem() } = {}) {
    const fields = { stream, text, idem };
    if (reply_to != null) fields.reply_to = reply_to;
    this._typingSent.delete(stream);
    for (;;) {
      try {
        return await this.request("post", fields);
      } catch (e) {
        if (e.code === "disconnected" && this._wanted) continue; // request() waits for the reconnect
        if (e.code === "rate_limited") {
          await new Promise((r) => setTimeout(r, e.retryAfterMs || 500));
          continue;
        }
        throw e;
      }
    }
  }
}

export default AgoraClient;
