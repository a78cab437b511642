/**
 * AgoraClient: one WebSocket session that survives drops. Request/reply
 * matching with timeouts, typed pushes, reconnect with jittered backoff,
 * resume of every followed stream from its last seq, and the post outbox
 * (posts made offline are sent, in order, with their idempotency keys once
 * connected). Wire types live in types.ts; the policy pieces (backoff,
 * cursors, outbox) in their own modules.
 */
import { backoffDelay, minDelayAfter, shouldReconnect } from "./backoff.js";
import { Cursors, type Cursor } from "./cursors.js";
import { AgoraError } from "./errors.js";
import { AgoraHttp, httpBaseOf, login } from "./http.js";
import { newIdem, Outbox, type PendingPost, type StorageLike } from "./outbox.js";
import type {
  AppendOk,
  Attachment,
  Event,
  HistoryOk,
  LoginOk,
  OpFields,
  OpName,
  OpOk,
  PresencePush,
  PresenceStatus,
  ReadPush,
  Seq,
  SkipPush,
  StreamAddedPush,
  FeedUnreadPush,
  TicketChangedPush,
  StreamId,
  StreamInfoOk,
  StreamSummary,
  SubscribeOk,
  TypingPush,
  UserId,
  UserInfo,
  WhoamiOk,
  WikiPagesOk,
} from "./types.js";

export type ConnState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** What `on(name, fn)` delivers. */
export interface ClientEvents {
  /** An event of a followed stream: each seq once, in order per stream. */
  event: Event;
  presence: PresencePush;
  typing: TypingPush;
  read: ReadPush;
  stream_added: StreamAddedPush;
  feed_unread: FeedUnreadPush;
  ticket_changed: TicketChangedPush;
  /** A resume was not honoured (new epoch, or too far behind): reload that stream with `history`. */
  reset: { stream: StreamId; epoch: string; head: Seq; reason: "epoch" | "too_far_behind" };
  /** Every SubscribeOk, including the resubscribes after a reconnect (presence lists). */
  subscribed: SubscribeOk;
  open: { user: UserInfo; epoch: string; reconnected: boolean };
  close: { code: number; reason: string; willReconnect: boolean; delayMs?: number };
  state: ConnState;
  error: AgoraError;
  /** A request was refused with `rate_limited`; posts are retried by themselves after `retryAfterMs`. */
  rate_limited: { op: OpName; retryAfterMs: number };
  /** The post outbox changed (pending posts, oldest first). */
  outbox: PendingPost[];
}

/** The part of the WebSocket API the client uses (the global one in browsers and Node ≥ 22). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface ClientOptions {
  /** http(s)://host:port or ws(s)://host:port/ws; default: the page's origin. */
  url?: string;
  /** A JWT or `agb_` API token (or call login()). */
  token?: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a request waits for its reply (and, when offline, for the connection). Default 15 s. */
  requestTimeoutMs?: number;
  /** A `client.cursors.toJSON()` snapshot to resume from. */
  cursors?: Record<string, Cursor>;
  /** Where the outbox persists pending posts (e.g. localStorage); memory only when absent. */
  storage?: StorageLike;
  storageKey?: string;
  /** Send the `ping` op this often, and count the link dead after `deadAfterMs` without a frame. */
  pingEveryMs?: number;
  deadAfterMs?: number;
  /** A connection open this long resets the backoff. */
  stableAfterMs?: number;
  WebSocket?: WebSocketCtor;
  random?: () => number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: AgoraError) => void;
  op: OpName;
  timer: ReturnType<typeof setTimeout>;
}

type Listener<K extends keyof ClientEvents> = (data: ClientEvents[K]) => void;

const SUBPROTOCOLS = ["agora.json.batch.v1", "agora.json.v1"];

export class AgoraClient {
  url: string;
  token: string | null;
  user: UserInfo | null = null;
  epoch: string | null = null;
  state: ConnState = "idle";
  readonly cursors: Cursors;
  readonly outbox: Outbox;

  private opts: Required<Pick<ClientOptions, "minBackoffMs" | "maxBackoffMs" | "requestTimeoutMs" | "pingEveryMs" | "deadAfterMs" | "stableAfterMs">>;
  private WS: WebSocketCtor;
  private random: () => number;
  private ws: WebSocketLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Map<string, Set<(d: never) => void>>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private openedAt = 0;
  private wanted = false;
  private everOpened = false;
  private readyWaiters: { resolve: () => void; reject: (e: AgoraError) => void }[] = [];
  private typingSent = new Map<StreamId, number>();
  private presence: Exclude<PresenceStatus, "offline"> = "online";
  private pumping = false;
  private postWaiters = new Map<string, { resolve: (ok: AppendOk) => void; reject: (e: AgoraError) => void }>();

  constructor(opts: ClientOptions = {}) {
    this.url = opts.url || (typeof location !== "undefined" ? location.origin : "http://127.0.0.1:8080");
    this.token = opts.token || null;
    this.opts = {
      minBackoffMs: opts.minBackoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 30000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 15000,
      pingEveryMs: opts.pingEveryMs ?? 20000,
      deadAfterMs: opts.deadAfterMs ?? 45000,
      stableAfterMs: opts.stableAfterMs ?? 10000,
    };
    const WS = opts.WebSocket || (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!WS) throw new Error("no WebSocket implementation: pass one as the WebSocket option (Node ≥ 22 has it built in)");
    this.WS = WS;
    this.random = opts.random || Math.random;
    this.cursors = opts.cursors ? Cursors.fromJSON(opts.cursors) : new Cursors();
    this.outbox = new Outbox(opts.storage, opts.storageKey);
  }

  // ---- listeners ------------------------------------------------------------

  /** Listen; returns a function that stops listening. */
  on<K extends keyof ClientEvents>(name: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as (d: never) => void);
    return () => this.off(name, fn);
  }
  off<K extends keyof ClientEvents>(name: K, fn: Listener<K>): void {
    this.listeners.get(name)?.delete(fn as (d: never) => void);
  }
  private emit<K extends keyof ClientEvents>(name: K, data: ClientEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<K>)(data);
      } catch (e) {
        console.error(`agora: "${name}" listener failed`, e);
      }
    }
  }

  // ---- auth and connection ------------------------------------------------------

  /** Log in over HTTP and keep the token for connect(). */
  async login(username: string, password: string): Promise<LoginOk> {
    const r = await login(this.url, username, password);
    this.token = r.token;
    this.user = r.user;
    return r;
  }

  /** The HTTP endpoints with this client's token (users, API tokens). */
  http(): AgoraHttp {
    if (!this.token) throw new AgoraError({ code: "unauthorized", message: "no token: call login() first" });
    return new AgoraHttp(httpBaseOf(this.url), this.token);
  }

  /** Connect, and keep reconnecting until close(). Resolves once connected and resubscribed the first time. */
  connect(): Promise<void> {
    if (!this.token) return Promise.reject(new AgoraError({ code: "unauthorized", message: "no token: call login() first" }));
    this.wanted = true;
    const ready = this.waitReady();
    if (!this.ws && !this.timer) this.open();
    return ready;
  }

  /** Close for good (no reconnect). Requests in flight reject with `closed`; the outbox is kept. */
  close(): void {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      detach(ws);
      try {
        ws.close(1000, "bye");
      } catch {
        // already closed
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
  reconnectNow(): void {
    if (!this.wanted || this.ws) return;
    if (this.timer) clearTimeout(this.timer);
    this.open();
  }

  private setState(s: ConnState): void {
    if (this.state !== s) {
      this.state = s;
      this.emit("state", s);
    }
  }

  private waitReady(timeoutMs?: number): Promise<void> {
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

  private open(): void {
    this.timer = null;
    this.setState(this.everOpened || this.attempt > 0 ? "reconnecting" : "connecting");
    const u = new URL(this.url, typeof location !== "undefined" ? location.href : undefined);
    if (u.protocol === "http:") u.protocol = "ws:";
    if (u.protocol === "https:") u.protocol = "wss:";
    if (u.pathname === "/" || u.pathname === "") u.pathname = "/ws";
    u.searchParams.set("token", this.token || "");
    let ws: WebSocketLike;
    try {
      // Batched messages when the server has them (PROTOCOL.md §3): fewer onmessage calls.
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
      // One frame per line; a frame's JSON never holds a raw newline.
      for (const line of data.split("\n")) if (line.trim()) this.onFrame(line);
    };
    ws.onclose = (c) => this.onClose(ws, c.code, c.reason);
    // Browsers follow an error with a close; some runtimes do not when the
    // connection is refused, so an error on a socket that never opened is a close.
    ws.onerror = () =>
      setTimeout(() => {
        if (ws === this.ws && ws.readyState !== 1) this.onClose(ws, 1006, "connection failed");
      }, 50);
  }

  private async onOpen(ws: WebSocketLike): Promise<void> {
    this.openedAt = Date.now();
    this.lastFrameAt = Date.now();
    this.startHeartbeat();
    try {
      const who = await this.send("whoami", {});
      this.user = who.user;
      this.epoch = who.epoch;
      const work: Promise<unknown>[] = [...this.cursors.streams.keys()].map((s) => this.resubscribe(s));
      if (this.presence !== "online") work.push(this.send("set_presence", { status: this.presence }).catch(() => {}));
      await Promise.all(work);
    } catch (e) {
      if (ws !== this.ws) return; // that connection died already; its close reconnects
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

  private onClose(ws: WebSocketLike, code: number, reason: string): void {
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

  private scheduleReconnect(code: number, reason: string): void {
    const delay = Math.max(backoffDelay(this.attempt, this.opts.minBackoffMs, this.opts.maxBackoffMs, this.random), minDelayAfter(code));
    this.attempt += 1;
    this.setState("reconnecting");
    this.emit("close", { code, reason, willReconnect: true, delayMs: delay });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    // Browsers hide WebSocket pings: send the `ping` op, and count the link dead after a silence.
    this.heartbeat = setInterval(() => {
      const ws = this.ws;
      if (!ws) return;
      if (Date.now() - this.lastFrameAt > this.opts.deadAfterMs) {
        try {
          ws.close();
        } catch {
          // ignore
        }
        this.onClose(ws, 1006, "no frames from the server");
        return;
      }
      this.send("ping", {}).catch(() => {});
    }, this.opts.pingEveryMs);
  }
  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private failPending(code: "disconnected" | "closed"): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new AgoraError({ code, message: `connection ${code} before the reply to ${p.op}` }));
    }
  }

  // ---- frames ------------------------------------------------------------------

  private onFrame(data: string): void {
    this.lastFrameAt = Date.now();
    let f: Record<string, unknown>;
    try {
      f = JSON.parse(data);
    } catch {
      this.emit("error", new AgoraError({ code: "bad_request", message: "undecodable server frame" }));
      return;
    }
    if (f && typeof f.ev === "string") return this.onPush(f);
    const re = typeof f.re === "number" ? f.re : null;
    if (re != null && this.pending.has(re)) {
      const p = this.pending.get(re)!;
      this.pending.delete(re);
      clearTimeout(p.timer);
      if (f.error) p.reject(new AgoraError(f.error as AgoraError["body"]));
      else p.resolve(f.ok);
      return;
    }
    if (f.error) this.emit("error", new AgoraError(f.error as AgoraError["body"])); // a reply without re
  }

  private onPush(p: Record<string, unknown>): void {
    switch (p.ev) {
      case "event": {
        const { ev: _ev, ...event } = p;
        const e = event as unknown as Event;
        if (!this.cursors.accept(e.stream, e.seq)) return; // duplicate
        this.emit("event", e);
        return;
      }
      case "skip": {
        // Seqs not for me: seen, so a resume continues after them.
        const k = p as unknown as SkipPush;
        this.cursors.accept(k.stream, k.to);
        return;
      }
      case "presence":
      case "typing":
      case "read":
      case "stream_added":
      case "feed_unread":
      case "ticket_changed":
        this.emit(p.ev, p as never);
        return;
      default:
        return; // unknown pushes are ignored (PROTOCOL.md §1)
    }
  }

  /** Send on the current socket (internal: no wait for the connection). */
  private send<O extends OpName>(op: O, fields: OpFields<O>, timeoutMs = this.opts.requestTimeoutMs): Promise<OpOk<O>> {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return Promise.reject(new AgoraError({ code: "disconnected", message: "not connected" }));
    const id = this.nextId++;
    return new Promise<OpOk<O>>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new AgoraError({ code: "timeout", message: `no reply to ${op} within ${timeoutMs} ms` }));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, op, timer });
      ws.send(JSON.stringify({ ...fields, id, op }));
    }).catch((e: AgoraError) => {
      if (e.code === "rate_limited") this.emit("rate_limited", { op, retryAfterMs: e.retryAfterMs ?? 1000 });
      throw e;
    });
  }

  /**
   * Send any op and resolve its `ok` payload, or reject with AgoraError. While
   * (re)connecting it waits for the connection; the timeout covers the wait
   * and the reply. `disconnected`: the connection dropped before the reply
   * (the op may or may not have happened).
   */
  async request<O extends OpName>(op: O, fields: OpFields<O>, opts: { timeoutMs?: number } = {}): Promise<OpOk<O>> {
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
  async subscribe(stream: StreamId, opts: { since?: Seq; epoch?: string } = {}): Promise<SubscribeOk> {
    const fields: OpFields<"subscribe"> = opts.since != null ? { stream, since: opts.since } : this.cursors.subscribeFields(stream);
    const epoch = opts.since != null ? (opts.epoch ?? this.epoch ?? undefined) : fields.epoch;
    if (epoch) fields.epoch = epoch;
    else delete fields.epoch;
    if (this.state !== "open") await this.waitReady(this.opts.requestTimeoutMs);
    return this.doSubscribe(fields);
  }

  private async resubscribe(stream: StreamId): Promise<void> {
    try {
      await this.doSubscribe(this.cursors.subscribeFields(stream));
    } catch (e) {
      const err = toError(e);
      if (err.code === "not_found") {
        this.cursors.forget(stream); // gone, or no longer readable
        this.emit("error", err);
      } else if (err.code !== "disconnected") {
        this.emit("error", err);
      }
    }
  }

  private async doSubscribe(fields: OpFields<"subscribe">): Promise<SubscribeOk> {
    const stream = fields.stream;
    let ok: SubscribeOk;
    try {
      ok = await this.send("subscribe", fields);
    } catch (e) {
      const err = toError(e);
      if (err.code === "too_far_behind" && fields.since != null) {
        // Too much to replay: follow live from the head; the app reloads history.
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

  async unsubscribe(stream: StreamId): Promise<void> {
    this.cursors.forget(stream);
    if (this.state === "open") await this.send("unsubscribe", { stream }).catch(() => {});
  }

  /** The last seq processed for a followed stream (undefined if not followed). */
  lastSeq(stream: StreamId): Seq | undefined {
    return this.cursors.lastSeq(stream);
  }

  // ---- typed helpers -------------------------------------------------------------------

  whoami(): Promise<WhoamiOk> {
    return this.request("whoami", {});
  }
  ping(): Promise<{ time: number }> {
    return this.request("ping", {});
  }
  listStreams(): Promise<StreamSummary[]> {
    return this.request("list_streams", {}).then((ok) => ok.streams);
  }
  /** One page of the wiki's page list, in slug order (wiki pages are not in `listStreams`): pass `next` back as `cursor` while present. */
  wikiPages(o: { namespace?: string; cursor?: string; limit?: number } = {}): Promise<WikiPagesOk> {
    return this.request("wiki_pages", o);
  }
  streamInfo(stream: StreamId): Promise<StreamInfoOk> {
    return this.request("stream_info", { stream });
  }
  createChannel(name: string, o: { topic?: string; private?: boolean; members?: UserId[] } = {}): Promise<StreamInfoOk> {
    return this.request("create_channel", { name, topic: o.topic ?? "", private: !!o.private, members: o.members ?? [] });
  }
  openDm(users: UserId[]): Promise<StreamInfoOk> {
    return this.request("open_dm", { users });
  }
  join(stream: StreamId): Promise<AppendOk> {
    return this.request("join", { stream });
  }
  leave(stream: StreamId): Promise<AppendOk> {
    return this.request("leave", { stream });
  }
  invite(stream: StreamId, user: UserId): Promise<AppendOk> {
    return this.request("invite", { stream, user });
  }
  rename(stream: StreamId, name: string): Promise<AppendOk> {
    return this.request("rename", { stream, name });
  }
  setTopic(stream: StreamId, topic: string): Promise<AppendOk> {
    return this.request("set_topic", { stream, topic });
  }
  edit(stream: StreamId, target: Seq, text: string): Promise<AppendOk> {
    return this.request("edit", { stream, target, text });
  }
  delete(stream: StreamId, target: Seq): Promise<AppendOk> {
    return this.request("delete", { stream, target });
  }
  react(stream: StreamId, target: Seq, emoji: string): Promise<AppendOk> {
    return this.request("react", { stream, target, emoji });
  }
  unreact(stream: StreamId, target: Seq, emoji: string): Promise<AppendOk> {
    return this.request("unreact", { stream, target, emoji });
  }
  /** Hide a message from members (moderators and admins). */
  hide(stream: StreamId, target: Seq, reason = ""): Promise<AppendOk> {
    return this.request("hide", { stream, target, reason });
  }
  unhide(stream: StreamId, target: Seq): Promise<AppendOk> {
    return this.request("unhide", { stream, target });
  }
  markRead(stream: StreamId, seq: Seq): Promise<Record<string, never>> {
    return this.request("mark_read", { stream, seq });
  }
  history(stream: StreamId, o: { before?: Seq; after?: Seq; limit?: number } = {}): Promise<HistoryOk> {
    const f: OpFields<"history"> = { stream };
    if (o.before != null) f.before = o.before;
    if (o.after != null) f.after = o.after;
    if (o.limit != null) f.limit = o.limit;
    return this.request("history", f);
  }

  /** Set this device's presence; it is sent again after every reconnect (presence is per connection). */
  setPresence(status: Exclude<PresenceStatus, "offline">): Promise<Record<string, never>> {
    this.presence = status;
    return this.request("set_presence", { status });
  }
  get ownPresence(): Exclude<PresenceStatus, "offline"> {
    return this.presence;
  }

  /** Send `typing`, at most once every `everyMs` per stream; false when throttled or offline. */
  async typing(stream: StreamId, everyMs = 3000): Promise<boolean> {
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
  post(stream: StreamId, text: string, o: { reply_to?: Seq; idem?: string; attachments?: Attachment[] } = {}): Promise<AppendOk> {
    const attachments = o.attachments && o.attachments.length ? o.attachments : undefined;
    const item = this.outbox.add({ stream, text, reply_to: o.reply_to ?? undefined, idem: o.idem || newIdem(), attachments });
    this.typingSent.delete(stream);
    const acked = new Promise<AppendOk>((resolve, reject) => this.postWaiters.set(item.idem, { resolve, reject }));
    this.emit("outbox", this.outbox.list());
    void this.pump();
    return acked;
  }

  /** Drop a pending post (it may already be stored if it was sent). */
  discard(idem: string): void {
    if (this.outbox.remove(idem)) {
      this.postWaiters.get(idem)?.reject(new AgoraError({ code: "closed", message: "discarded" }));
      this.postWaiters.delete(idem);
      this.emit("outbox", this.outbox.list());
    }
  }

  /** Send the outbox, oldest first, one at a time (so posts keep their order across retries). */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const item = this.outbox.first();
        if (!item || !this.wanted || this.state !== "open") return;
        this.outbox.setState(item.idem, "sending");
        this.emit("outbox", this.outbox.list());
        const fields: OpFields<"post"> = { stream: item.stream, text: item.text, idem: item.idem };
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
            await new Promise((r) => setTimeout(r, err.retryAfterMs ?? 1000));
          } else if (err.code === "disconnected" || err.code === "timeout" || err.code === "unavailable" || err.code === "internal") {
            this.outbox.setState(item.idem, "waiting");
            this.emit("outbox", this.outbox.list());
            if (err.code !== "disconnected") await new Promise((r) => setTimeout(r, backoffDelay(1, this.opts.minBackoffMs, this.opts.maxBackoffMs, this.random)));
            // a drop: the reconnect's onOpen pumps again
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

  private settle(idem: string, ok: AppendOk | null, err: AgoraError | null): void {
    this.outbox.remove(idem);
    const w = this.postWaiters.get(idem);
    this.postWaiters.delete(idem);
    this.emit("outbox", this.outbox.list());
    if (ok) w?.resolve(ok);
    else if (err) {
      if (w) w.reject(err);
      else this.emit("error", err); // a post restored from storage, nobody waiting
    }
  }
}

function detach(ws: WebSocketLike): void {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}

function toError(e: unknown): AgoraError {
  return e instanceof AgoraError ? e : new AgoraError({ code: "internal", message: String(e) });
}
