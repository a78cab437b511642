// @agora/client: built from clients/js/src by clients/build.mjs; do not edit.
var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

// js/src/backoff.ts
function shouldReconnect(code) {
  return !(code >= 4500 && code <= 4999);
}
function backoffDelay(attempt, minMs = 500, maxMs = 3e4, random = Math.random) {
  const cap = Math.min(maxMs, minMs * Math.pow(2, Math.min(attempt, 16)));
  return Math.round(cap / 2 + random() * (cap / 2));
}
function minDelayAfter(code) {
  return code === 4002 ? 1e4 : 0;
}

// js/src/cursors.ts
var Cursors = class _Cursors {
  constructor() {
    __publicField(this, "streams", /* @__PURE__ */ new Map());
  }
  /** The `subscribe` fields to resume `stream` (only `stream` if never seen). */
  subscribeFields(stream) {
    const c = this.streams.get(stream);
    if (!c || c.lastSeq == null) return { stream };
    return c.epoch ? { stream, since: c.lastSeq, epoch: c.epoch } : { stream, since: c.lastSeq };
  }
  /** Apply a `subscribe` reply. Returns true when the stream must be reset (a resume that replayed nothing). */
  subscribed(stream, ok, sentSince) {
    const reset = ok.recovered === false;
    const c = this.streams.get(stream) || {};
    if (sentSince == null || reset) c.lastSeq = ok.head;
    else c.lastSeq = sentSince;
    c.epoch = ok.epoch;
    this.streams.set(stream, c);
    return reset && sentSince != null;
  }
  /** Record an event; false when it is a duplicate (seq already processed). */
  accept(stream, seq) {
    const c = this.streams.get(stream);
    if (!c) return true;
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
    return this.streams.get(stream)?.lastSeq;
  }
  /** A JSON-able snapshot (to persist beside a cache) and its inverse. */
  toJSON() {
    return Object.fromEntries(this.streams);
  }
  static fromJSON(obj) {
    const c = new _Cursors();
    for (const [k, v] of Object.entries(obj || {})) c.streams.set(k, { lastSeq: v.lastSeq, epoch: v.epoch });
    return c;
  }
};

// js/src/errors.ts
var AgoraError = class extends Error {
  constructor(body) {
    super(body.message || body.code);
    __publicField(this, "code");
    /** With `rate_limited`: how long to wait before sending another request of that class. */
    __publicField(this, "retryAfterMs");
    /** With `too_far_behind`: the stream's head. */
    __publicField(this, "head");
    __publicField(this, "body");
    this.name = "AgoraError";
    this.code = body.code || "internal";
    this.retryAfterMs = body.retry_after_ms ?? void 0;
    this.head = body.head ?? void 0;
    this.body = { message: body.message || body.code, ...body };
  }
};

// js/src/http.ts
function httpBaseOf(url) {
  const u = new URL(url, typeof location !== "undefined" ? location.href : void 0);
  if (u.protocol === "ws:") u.protocol = "http:";
  if (u.protocol === "wss:") u.protocol = "https:";
  return u.origin;
}
async function call(base, method, path, token, body, timeoutMs = 15e3, raw = {}) {
  const headers = {};
  if (body !== void 0) headers["content-type"] = "application/json";
  if (raw.body && raw.type) headers["content-type"] = raw.type;
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(new URL(path, httpBaseOf(base)), {
      method,
      headers,
      body: raw.body ?? (body === void 0 ? void 0 : JSON.stringify(body)),
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new AgoraError({ code: timedOut ? "timeout" : "disconnected", message: timedOut ? `no answer within ${timeoutMs} ms` : "the server cannot be reached" });
  }
  if (res.ok && raw.blob) return await res.blob();
  const parsed = await res.json().catch(() => null);
  if (!res.ok) {
    const retry = Number(res.headers.get("retry-after"));
    throw new AgoraError(parsed && parsed.code ? parsed : { code: res.status === 429 ? "rate_limited" : "internal", message: `HTTP ${res.status}`, retry_after_ms: retry ? retry * 1e3 : void 0 });
  }
  return parsed;
}
function login(base, username, password) {
  return call(base, "POST", "/api/v1/auth/login", null, { username, password });
}
var AgoraHttp = class {
  constructor(base, token) {
    __publicField(this, "base", base);
    __publicField(this, "token", token);
  }
  me() {
    return call(this.base, "GET", "/api/v1/me", this.token).then((r) => r.user);
  }
  listUsers() {
    return call(this.base, "GET", "/api/v1/users", this.token).then((r) => r.users);
  }
  /** Admins only. A bot needs no password. */
  createUser(user) {
    return call(this.base, "POST", "/api/v1/users", this.token, user).then((r) => r.user);
  }
  /** Log out: the server revokes this token; every connection opened with it is closed (4500). */
  logout() {
    return call(this.base, "POST", "/api/v1/auth/logout", this.token).then(() => void 0);
  }
  /** Admins only: suspend `user` until `until` (ms since the epoch) or until unsuspended; their connections close with 4502. */
  suspend(user, until) {
    const body = until === void 0 ? {} : { until };
    return call(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/suspend`, this.token, body).then((r) => r.user);
  }
  /** Admins only: end `user`'s suspension. */
  unsuspend(user) {
    return call(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/unsuspend`, this.token).then((r) => r.user);
  }
  /** Admins only: change `user`'s role (their open connections use it at once). */
  setRole(user, role) {
    return call(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/role`, this.token, { role }).then((r) => r.user);
  }
  /**
   * Upload a file to attach to a post in `stream` (PROTOCOL.md §18); resolves the
   * `Attachment` to pass to `post(..., { attachments })`. In a browser the upload
   * reports progress (`onProgress(sent, total)`); refusals are AgoraErrors
   * (`too_large`, `unsupported_type`, ...).
   */
  upload(stream, file, o = {}) {
    const name = o.name ?? (file.name || "file");
    const url = new URL(`/api/v1/streams/${encodeURIComponent(stream)}/attachments?name=${encodeURIComponent(name)}`, httpBaseOf(this.base)).toString();
    const type = o.type || file.type || "application/octet-stream";
    const timeoutMs = o.timeoutMs ?? 3e5;
    if (typeof XMLHttpRequest === "undefined") {
      return call(this.base, "POST", url, this.token, void 0, timeoutMs, { body: file, type });
    }
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("authorization", `Bearer ${this.token}`);
      xhr.setRequestHeader("content-type", type);
      xhr.timeout = timeoutMs;
      xhr.responseType = "json";
      if (o.onProgress) xhr.upload.onprogress = (e) => o.onProgress?.(e.loaded, e.total || file.size);
      xhr.onload = () => {
        const body = xhr.response;
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new AgoraError(body && body.code ? body : { code: xhr.status === 413 ? "too_large" : "internal", message: `HTTP ${xhr.status}` }));
      };
      xhr.onerror = () => reject(new AgoraError({ code: "disconnected", message: "the server cannot be reached" }));
      xhr.ontimeout = () => reject(new AgoraError({ code: "timeout", message: `no answer within ${timeoutMs} ms` }));
      xhr.send(file);
    });
  }
  /**
   * An attachment's bytes (`GET /api/v1/attachments/{hash}` with the bearer token):
   * show an image with `URL.createObjectURL(blob)`, since an `<img>` cannot send the token.
   */
  async attachment(hash, name, timeoutMs = 6e4) {
    const q = name ? `?name=${encodeURIComponent(name)}` : "";
    return call(this.base, "GET", `/api/v1/attachments/${encodeURIComponent(hash)}${q}`, this.token, void 0, timeoutMs, { blob: true });
  }
  /** Staff: the ticket desk's figures (`GET /api/v1/kpis`; README: HTTP API). */
  kpis(q = {}) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== void 0 && v !== "") params.set(k, String(v));
    return call(this.base, "GET", `/api/v1/kpis?${params}`, this.token);
  }
  /** Admins only: a long-lived `agb_` API token for `user`, shown once. */
  createToken(user) {
    return call(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/tokens`, this.token).then((r) => r.token);
  }
};

// js/src/outbox.ts
var counter = 0;
function newIdem() {
  counter += 1;
  const c = globalThis.crypto;
  const rand = c && typeof c.randomUUID === "function" ? c.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36);
  return `${rand}-${counter}`.slice(0, 64);
}
var Outbox = class {
  constructor(storage, key = "agora.outbox") {
    __publicField(this, "storage", storage);
    __publicField(this, "key", key);
    __publicField(this, "items", []);
    if (storage) {
      try {
        const saved = JSON.parse(storage.getItem(key) || "[]");
        if (Array.isArray(saved)) this.items = saved.map((p) => ({ ...p, state: "queued" }));
      } catch {
        this.items = [];
      }
    }
  }
  add(p) {
    const existing = this.items.find((x) => x.idem === p.idem && x.stream === p.stream);
    if (existing) return existing;
    const item = { created: Date.now(), ...p, state: "queued" };
    this.items.push(item);
    this.save();
    return item;
  }
  remove(idem) {
    const i = this.items.findIndex((x) => x.idem === idem);
    if (i < 0) return void 0;
    const [item] = this.items.splice(i, 1);
    this.save();
    return item;
  }
  setState(idem, state) {
    const item = this.items.find((x) => x.idem === idem);
    if (item) item.state = state;
  }
  /** The oldest pending post. */
  first() {
    return this.items[0];
  }
  list() {
    return this.items.map((p) => ({ ...p }));
  }
  get size() {
    return this.items.length;
  }
  clear() {
    this.items = [];
    this.save();
  }
  save() {
    if (!this.storage) return;
    try {
      if (this.items.length) this.storage.setItem(this.key, JSON.stringify(this.items));
      else this.storage.removeItem(this.key);
    } catch {
    }
  }
};

// js/src/client.ts
var SUBPROTOCOLS = ["agora.json.batch.v1", "agora.json.v1"];
var AgoraClient = class {
  constructor(opts = {}) {
    __publicField(this, "url");
    __publicField(this, "token");
    __publicField(this, "user", null);
    __publicField(this, "epoch", null);
    __publicField(this, "state", "idle");
    __publicField(this, "cursors");
    __publicField(this, "outbox");
    __publicField(this, "opts");
    __publicField(this, "WS");
    __publicField(this, "random");
    __publicField(this, "ws", null);
    __publicField(this, "nextId", 1);
    __publicField(this, "pending", /* @__PURE__ */ new Map());
    __publicField(this, "listeners", /* @__PURE__ */ new Map());
    __publicField(this, "attempt", 0);
    __publicField(this, "timer", null);
    __publicField(this, "heartbeat", null);
    __publicField(this, "lastFrameAt", 0);
    __publicField(this, "openedAt", 0);
    __publicField(this, "wanted", false);
    __publicField(this, "everOpened", false);
    __publicField(this, "readyWaiters", []);
    __publicField(this, "typingSent", /* @__PURE__ */ new Map());
    __publicField(this, "presence", "online");
    __publicField(this, "pumping", false);
    __publicField(this, "postWaiters", /* @__PURE__ */ new Map());
    this.url = opts.url || (typeof location !== "undefined" ? location.origin : "http://127.0.0.1:8080");
    this.token = opts.token || null;
    this.opts = {
      minBackoffMs: opts.minBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 3e4,
      requestTimeoutMs: opts.requestTimeoutMs ?? 15e3,
      pingEveryMs: opts.pingEveryMs ?? 2e4,
      deadAfterMs: opts.deadAfterMs ?? 45e3,
      stableAfterMs: opts.stableAfterMs ?? 1e4
    };
    const WS = opts.WebSocket || globalThis.WebSocket;
    if (!WS) throw new Error("no WebSocket implementation: pass one as the WebSocket option (Node ≥ 22 has it built in)");
    this.WS = WS;
    this.random = opts.random || Math.random;
    this.cursors = opts.cursors ? Cursors.fromJSON(opts.cursors) : new Cursors();
    this.outbox = new Outbox(opts.storage, opts.storageKey);
  }
  // ---- listeners ------------------------------------------------------------
  /** Listen; returns a function that stops listening. */
  on(name, fn) {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, set = /* @__PURE__ */ new Set());
    set.add(fn);
    return () => this.off(name, fn);
  }
  off(name, fn) {
    this.listeners.get(name)?.delete(fn);
  }
  emit(name, data) {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(data);
      } catch (e) {
        console.error(`agora: "${name}" listener failed`, e);
      }
    }
  }
  // ---- auth and connection ------------------------------------------------------
  /** Log in over HTTP and keep the token for connect(). */
  async login(username, password) {
    const r = await login(this.url, username, password);
    this.token = r.token;
    this.user = r.user;
    return r;
  }
  /** The HTTP endpoints with this client's token (users, API tokens). */
  http() {
    if (!this.token) throw new AgoraError({ code: "unauthorized", message: "no token: call login() first" });
    return new AgoraHttp(httpBaseOf(this.url), this.token);
  }
  /** Connect, and keep reconnecting until close(). Resolves once connected and resubscribed the first time. */
  connect() {
    if (!this.token) return Promise.reject(new AgoraError({ code: "unauthorized", message: "no token: call login() first" }));
    this.wanted = true;
    const ready = this.waitReady();
    if (!this.ws && !this.timer) this.open();
    return ready;
  }
  /** Close for good (no reconnect). Requests in flight reject with `closed`; the outbox is kept. */
  close() {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      detach(ws);
      try {
        ws.close(1e3, "bye");
      } catch {
      }
    }
    this.failPending("closed");
    this.setState("closed");
    const err = new AgoraError({ code: "closed", message: "client closed" });
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    for (const [, w] of this.postWaiters) w.reject(err);
    this.postWaiters.clear();
  }
  /** Reconnect now (e.g. when the browser is back online), skipping the backoff wait. */
  reconnectNow() {
    if (!this.wanted || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.open();
  }
  setState(s) {
    if (this.state !== s) {
      this.state = s;
      this.emit("state", s);
    }
  }
  waitReady(timeoutMs) {
    if (this.state === "open") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      this.readyWaiters.push(w);
      if (timeoutMs != null) {
        setTimeout(() => {
          const i = this.readyWaiters.indexOf(w);
          if (i >= 0) {
            this.readyWaiters.splice(i, 1);
            reject(new AgoraError({ code: "timeout", message: `not connected within ${timeoutMs} ms` }));
          }
        }, timeoutMs);
      }
    });
  }
  open() {
    this.timer = null;
    this.setState(this.everOpened || this.attempt > 0 ? "reconnecting" : "connecting");
    const u = new URL(this.url, typeof location !== "undefined" ? location.href : void 0);
    if (u.protocol === "http:") u.protocol = "ws:";
    if (u.protocol === "https:") u.protocol = "wss:";
    if (u.pathname === "/" || u.pathname === "") u.pathname = "/ws";
    u.searchParams.set("token", this.token || "");
    let ws;
    try {
      ws = new this.WS(u.toString(), SUBPROTOCOLS);
    } catch (e) {
      this.scheduleReconnect(1006, String(e));
      return;
    }
    this.ws = ws;
    ws.onopen = () => void this.onOpen(ws);
    ws.onmessage = (m) => {
      if (ws !== this.ws) return;
      const data = String(m.data);
      if (ws.protocol !== "agora.json.batch.v1") return this.onFrame(data);
      for (const line of data.split("\n")) if (line.trim()) this.onFrame(line);
    };
    ws.onclose = (c) => this.onClose(ws, c.code, c.reason);
    ws.onerror = () => setTimeout(() => {
      if (ws === this.ws && ws.readyState !== 1) this.onClose(ws, 1006, "connection failed");
    }, 50);
  }
  async onOpen(ws) {
    this.openedAt = Date.now();
    this.lastFrameAt = Date.now();
    this.startHeartbeat();
    try {
      const who = await this.send("whoami", {});
      this.user = who.user;
      this.epoch = who.epoch;
      const work = [...this.cursors.streams.keys()].map((s) => this.resubscribe(s));
      if (this.presence !== "online") work.push(this.send("set_presence", { status: this.presence }).catch(() => {
      }));
      await Promise.all(work);
    } catch (e) {
      if (ws !== this.ws) return;
      this.emit("error", toError(e));
    }
    if (ws !== this.ws) return;
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.setState("open");
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    if (this.user && this.epoch) this.emit("open", { user: this.user, epoch: this.epoch, reconnected });
    void this.pump();
  }
  onClose(ws, code, reason) {
    if (ws !== this.ws) return;
    detach(ws);
    this.ws = null;
    this.stopHeartbeat();
    this.failPending("disconnected");
    if (this.openedAt && Date.now() - this.openedAt > this.opts.stableAfterMs) this.attempt = 0;
    this.openedAt = 0;
    if (!this.wanted) return;
    if (!shouldReconnect(code)) {
      this.wanted = false;
      this.setState("closed");
      this.emit("close", { code, reason, willReconnect: false });
      const err = new AgoraError({ code: code === 4501 ? "account_disabled" : code === 4502 ? "suspended" : "unauthorized", message: reason || `closed with ${code}` });
      for (const w of this.readyWaiters.splice(0)) w.reject(err);
      return;
    }
    this.scheduleReconnect(code, reason);
  }
  scheduleReconnect(code, reason) {
    const delay = Math.max(backoffDelay(this.attempt, this.opts.minBackoffMs, this.opts.maxBackoffMs, this.random), minDelayAfter(code));
    this.attempt += 1;
    this.setState("reconnecting");
    this.emit("close", { code, reason, willReconnect: true, delayMs: delay });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }
  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (Date.now() - this.lastFrameAt > this.opts.deadAfterMs) {
        try {
          ws.close();
        } catch {
        }
        this.onClose(ws, 1006, "no frames from the server");
        return;
      }
      this.send("ping", {}).catch(() => {
      });
    }, this.opts.pingEveryMs);
  }
  stopHeartbeat() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
  failPending(code) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new AgoraError({ code, message: `connection ${code} before the reply to ${p.op}` }));
    }
  }
  // ---- frames ------------------------------------------------------------------
  onFrame(data) {
    this.lastFrameAt = Date.now();
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      this.emit("error", new AgoraError({ code: "bad_request", message: "undecodable server frame" }));
      return;
    }
    if (f && typeof f.ev === "string") return this.onPush(f);
    const re = typeof f.re === "number" ? f.re : null;
    if (re != null && this.pending.has(re)) {
      const p = this.pending.get(re);
      this.pending.delete(re);
      clearTimeout(p.timer);
      if (f.error) p.reject(new AgoraError(f.error));
      else p.resolve(f.ok);
      return;
    }
    if (f.error) this.emit("error", new AgoraError(f.error));
  }
  onPush(p) {
    switch (p.ev) {
      case "event": {
        const { ev: _ev, ...event } = p;
        const e = event;
        if (!this.cursors.accept(e.stream, e.seq)) return;
        this.emit("event", e);
        return;
      }
      case "skip": {
        const k = p;
        this.cursors.accept(k.stream, k.to);
        return;
      }
      case "presence":
      case "typing":
      case "read":
      case "stream_added":
      case "feed_unread":
      case "ticket_changed":
        this.emit(p.ev, p);
        return;
      default:
        return;
    }
  }
  /** Send on the current socket (internal: no wait for the connection). */
  send(op, fields, timeoutMs = this.opts.requestTimeoutMs) {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return Promise.reject(new AgoraError({ code: "disconnected", message: "not connected" }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new AgoraError({ code: "timeout", message: `no reply to ${op} within ${timeoutMs} ms` }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, op, timer });
      ws.send(JSON.stringify({ ...fields, id, op }));
    }).catch((e) => {
      if (e.code === "rate_limited") this.emit("rate_limited", { op, retryAfterMs: e.retryAfterMs ?? 1e3 });
      throw e;
    });
  }
  /**
   * Send any op and resolve its `ok` payload, or reject with AgoraError. While
   * (re)connecting it waits for the connection; the timeout covers the wait
   * and the reply. `disconnected`: the connection dropped before the reply
   * (the op may or may not have happened).
   */
  async request(op, fields, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs;
    const start = Date.now();
    if (this.state !== "open") {
      if (!this.wanted) throw new AgoraError({ code: "closed", message: "not connected: call connect()" });
      await this.waitReady(timeoutMs);
    }
    return this.send(op, fields, Math.max(1, timeoutMs - (Date.now() - start)));
  }
  // ---- subscriptions -------------------------------------------------------------
  /**
   * Follow a stream across reconnects. With `since`, replay from there; without,
   * resume from the remembered cursor if there is one, else live only.
   * Emits `reset` when a resume was not honoured.
   */
  async subscribe(stream, opts = {}) {
    const fields = opts.since != null ? { stream, since: opts.since } : this.cursors.subscribeFields(stream);
    const epoch = opts.since != null ? opts.epoch ?? this.epoch ?? void 0 : fields.epoch;
    if (epoch) fields.epoch = epoch;
    else delete fields.epoch;
    if (this.state !== "open") await this.waitReady(this.opts.requestTimeoutMs);
    return this.doSubscribe(fields);
  }
  async resubscribe(stream) {
    try {
      await this.doSubscribe(this.cursors.subscribeFields(stream));
    } catch (e) {
      const err = toError(e);
      if (err.code === "not_found") {
        this.cursors.forget(stream);
        this.emit("error", err);
      } else if (err.code !== "disconnected") {
        this.emit("error", err);
      }
    }
  }
  async doSubscribe(fields) {
    const stream = fields.stream;
    let ok;
    try {
      ok = await this.send("subscribe", fields);
    } catch (e) {
      const err = toError(e);
      if (err.code === "too_far_behind" && fields.since != null) {
        ok = await this.send("subscribe", { stream });
        this.cursors.subscribed(stream, ok, null);
        this.emit("subscribed", ok);
        this.emit("reset", { stream, epoch: ok.epoch, head: ok.head, reason: "too_far_behind" });
        return ok;
      }
      throw err;
    }
    const reset = this.cursors.subscribed(stream, ok, fields.since);
    if (ok.epoch) this.epoch = ok.epoch;
    this.emit("subscribed", ok);
    if (reset) this.emit("reset", { stream, epoch: ok.epoch, head: ok.head, reason: "epoch" });
    return ok;
  }
  async unsubscribe(stream) {
    this.cursors.forget(stream);
    if (this.state === "open") await this.send("unsubscribe", { stream }).catch(() => {
    });
  }
  /** The last seq processed for a followed stream (undefined if not followed). */
  lastSeq(stream) {
    return this.cursors.lastSeq(stream);
  }
  // ---- typed helpers -------------------------------------------------------------------
  whoami() {
    return this.request("whoami", {});
  }
  ping() {
    return this.request("ping", {});
  }
  listStreams() {
    return this.request("list_streams", {}).then((ok) => ok.streams);
  }
  /** One page of the wiki's page list, in slug order (wiki pages are not in `listStreams`): pass `next` back as `cursor` while present. */
  wikiPages(o = {}) {
    return this.request("wiki_pages", o);
  }
  streamInfo(stream) {
    return this.request("stream_info", { stream });
  }
  createChannel(name, o = {}) {
    return this.request("create_channel", { name, topic: o.topic ?? "", private: !!o.private, members: o.members ?? [] });
  }
  openDm(users) {
    return this.request("open_dm", { users });
  }
  join(stream) {
    return this.request("join", { stream });
  }
  leave(stream) {
    return this.request("leave", { stream });
  }
  invite(stream, user) {
    return this.request("invite", { stream, user });
  }
  rename(stream, name) {
    return this.request("rename", { stream, name });
  }
  setTopic(stream, topic) {
    return this.request("set_topic", { stream, topic });
  }
  edit(stream, target, text) {
    return this.request("edit", { stream, target, text });
  }
  delete(stream, target) {
    return this.request("delete", { stream, target });
  }
  react(stream, target, emoji) {
    return this.request("react", { stream, target, emoji });
  }
  unreact(stream, target, emoji) {
    return this.request("unreact", { stream, target, emoji });
  }
  /** Hide a message from members (moderators and admins). */
  hide(stream, target, reason = "") {
    return this.request("hide", { stream, target, reason });
  }
  unhide(stream, target) {
    return this.request("unhide", { stream, target });
  }
  markRead(stream, seq) {
    return this.request("mark_read", { stream, seq });
  }
  history(stream, o = {}) {
    const f = { stream };
    if (o.before != null) f.before = o.before;
    if (o.after != null) f.after = o.after;
    if (o.limit != null) f.limit = o.limit;
    return this.request("history", f);
  }
  /** Set this device's presence; it is sent again after every reconnect (presence is per connection). */
  setPresence(status) {
    this.presence = status;
    return this.request("set_presence", { status });
  }
  get ownPresence() {
    return this.presence;
  }
  /** Send `typing`, at most once every `everyMs` per stream; false when throttled or offline. */
  async typing(stream, everyMs = 3e3) {
    const last = this.typingSent.get(stream) || 0;
    if (Date.now() - last < everyMs || this.state !== "open") return false;
    this.typingSent.set(stream, Date.now());
    await this.send("typing", { stream });
    return true;
  }
  // ---- posts: the outbox -----------------------------------------------------------------
  /**
   * Post a message. It joins the outbox at once (visible as `outbox` events,
   * persisted if a storage was given) and is sent when connected, in order,
   * with its idempotency key; after a drop, a timeout or `rate_limited` it is
   * sent again with the same key, so it is stored exactly once. Resolves the
   * ack; rejects when the server refuses it (forbidden, too_large, ...), and
   * then it leaves the outbox.
   */
  post(stream, text, o = {}) {
    const attachments = o.attachments && o.attachments.length ? o.attachments : void 0;
    const item = this.outbox.add({ stream, text, reply_to: o.reply_to ?? void 0, idem: o.idem || newIdem(), attachments });
    this.typingSent.delete(stream);
    const acked = new Promise((resolve, reject) => this.postWaiters.set(item.idem, { resolve, reject }));
    this.emit("outbox", this.outbox.list());
    void this.pump();
    return acked;
  }
  /** Drop a pending post (it may already be stored if it was sent). */
  discard(idem) {
    if (this.outbox.remove(idem)) {
      this.postWaiters.get(idem)?.reject(new AgoraError({ code: "closed", message: "discarded" }));
      this.postWaiters.delete(idem);
      this.emit("outbox", this.outbox.list());
    }
  }
  /** Send the outbox, oldest first, one at a time (so posts keep their order across retries). */
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (; ; ) {
        const item = this.outbox.first();
        if (!item || !this.wanted || this.state !== "open") return;
        this.outbox.setState(item.idem, "sending");
        this.emit("outbox", this.outbox.list());
        const fields = { stream: item.stream, text: item.text, idem: item.idem };
        if (item.reply_to != null) fields.reply_to = item.reply_to;
        if (item.attachments?.length) fields.attachments = item.attachments;
        try {
          const ok = await this.send("post", fields);
          this.settle(item.idem, ok, null);
        } catch (e) {
          const err = toError(e);
          if (err.code === "rate_limited") {
            this.outbox.setState(item.idem, "waiting");
            this.emit("outbox", this.outbox.list());
            await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 1e3));
          } else if (err.code === "disconnected" || err.code === "timeout" || err.code === "unavailable" || err.code === "internal") {
            this.outbox.setState(item.idem, "waiting");
            this.emit("outbox", this.outbox.list());
            if (err.code !== "disconnected") await new Promise((r) => setTimeout(r, backoffDelay(1, this.opts.minBackoffMs, this.opts.maxBackoffMs, this.random)));
            if (this.state !== "open") return;
          } else {
            this.settle(item.idem, null, err);
          }
        }
      }
    } finally {
      this.pumping = false;
    }
  }
  settle(idem, ok, err) {
    this.outbox.remove(idem);
    const w = this.postWaiters.get(idem);
    this.postWaiters.delete(idem);
    this.emit("outbox", this.outbox.list());
    if (ok) w?.resolve(ok);
    else if (err) {
      if (w) w.reject(err);
      else this.emit("error", err);
    }
  }
};
function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}
function toError(e) {
  return e instanceof AgoraError ? e : new AgoraError({ code: "internal", message: String(e) });
}

// js/src/types.ts
var CloseCode = {
  GoingAway: 1001,
  MessageTooBig: 1009,
  SlowConsumer: 4e3,
  IdleTimeout: 4001,
  Flood: 4002,
  Unauthorized: 4500,
  AccountDisabled: 4501,
  Suspended: 4502
};
export {
  AgoraClient,
  AgoraError,
  AgoraHttp,
  CloseCode,
  Cursors,
  Outbox,
  backoffDelay,
  AgoraClient as default,
  httpBaseOf,
  login,
  minDelayAfter,
  newIdem,
  shouldReconnect
};
