/**
 * The app's state and the actions on it: one AgoraClient, the streams the user
 * can read (kept current from pushes), the loaded window of events per stream,
 * users, presence, typing and unread counts. Components read it through
 * `useStore()` and re-render on `changed()`. No DOM here, except the storage
 * for the token and the post outbox.
 */
import { AgoraClient, AgoraError, AgoraHttp, login } from "../../js/src/index";
import type { Event, PendingPost, PresenceStatus, StreamSummary, UserInfo } from "../../js/src/index";

export const PAGE = 50;
/** The most events the first window of a stream loads when much is unread. */
const MAX_WINDOW = 600;
const TOKEN_KEY = "agora.token";

export interface StreamView {
  summary: StreamSummary;
  /** The loaded window of events, by seq (contiguous from `lo` to the newest). */
  events: Map<number, Event>;
  /** Lowest loaded seq; older history exists when lo > 1. */
  lo: number;
  loaded: boolean;
  loading: boolean;
  /** Subscribed on this connection (member streams always are; others while open). */
  followed: boolean;
  /** The read marker when the stream was opened: the "new messages" line goes after it. */
  readAtOpen: number;
  members: string[] | null;
  typing: Map<string, number>;
  version: number;
}

export type Status = Exclude<PresenceStatus, "offline">;

type Listener = () => void;

export class Store {
  client: AgoraClient | null = null;
  me: UserInfo | null = null;
  token: string | null = null;
  conn: string = "idle";
  users = new Map<string, UserInfo>();
  streams = new Map<string, StreamView>();
  presence = new Map<string, PresenceStatus>();
  outbox: PendingPost[] = [];
  /** A problem to show where the user is looking (banner in the current pane). */
  notice: { text: string; kind: "error" | "info" } | null = null;
  current: string | null = null;
  /** Whether the current stream's pane is scrolled to the newest message (then it is read). */
  atBottom = true;
  sessionEnded: string | null = null;
  ready = false;
  private listeners = new Set<Listener>();
  private markTimer: ReturnType<typeof setTimeout> | null = null;
  private onMessage: ((s: StreamView, e: Event) => void) | null = null;
  version = 0;

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  changed(): void {
    this.version++;
    for (const fn of [...this.listeners]) fn();
  }

  /** Called for every live message by someone else (desktop notifications). */
  setMessageHook(fn: (s: StreamView, e: Event) => void): void {
    this.onMessage = fn;
  }

  // ---- session ----------------------------------------------------------------

  savedToken(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  }

  async login(username: string, password: string): Promise<void> {
    const r = await login(location.origin, username, password);
    localStorage.setItem(TOKEN_KEY, r.token);
    await this.start(r.token);
  }

  /** Log out on the server too (the token stops working on every device's
   * connection at once), then forget everything local. A failed call (offline)
   * still logs out here. */
  logout(): void {
    if (this.token) void new AgoraHttp(location.origin, this.token).logout().catch(() => undefined);
    this.client?.close();
    this.client = null;
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(this.outboxKey());
    this.reset();
    this.changed();
  }

  private reset(): void {
    this.me = null;
    this.token = null;
    this.ready = false;
    this.streams.clear();
    this.users.clear();
    this.presence.clear();
    this.outbox = [];
    this.current = null;
    this.conn = "idle";
  }

  private outboxKey(): string {
    return "agora.outbox";
  }

  http(): AgoraHttp {
    return new AgoraHttp(location.origin, this.token || "");
  }

  /** Connect with a token, load users and streams, follow every member stream. */
  async start(token: string): Promise<void> {
    this.client?.close();
    this.reset();
    this.token = token;
    this.sessionEnded = null;
    const c = new AgoraClient({ url: location.origin, token, storage: localStorage, storageKey: this.outboxKey() });
    this.client = c;
    c.on("state", (s) => {
      this.conn = s;
      this.changed();
    });
    c.on("close", (e) => {
      if (!e.willReconnect) {
        this.sessionEnded = e.code === 4501 ? "This account was disabled." : "Your session has ended. Please log in again.";
        localStorage.removeItem(TOKEN_KEY);
        this.changed();
      }
    });
    c.on("event", (e) => this.onEvent(e));
    c.on("presence", (p) => {
      this.presence.set(p.user, p.status);
      this.changed();
    });
    c.on("subscribed", (ok) => {
      for (const p of ok.presence) this.presence.set(p.user, p.status);
      this.changed();
    });
    c.on("typing", (t) => {
      const s = this.streams.get(t.stream);
      if (!s || t.user === this.me?.id) return;
      s.typing.set(t.user, Date.now() + t.ttl_ms);
      this.changed();
    });
    c.on("read", (r) => {
      const s = this.streams.get(r.stream);
      if (!s || r.seq <= s.summary.last_read) return;
      s.summary.last_read = r.seq;
      if (r.seq >= s.summary.head) s.summary.unread = s.summary.mentions = 0;
      this.changed();
    });
    c.on("stream_added", (p) => {
      this.addStream(p.stream);
      void this.follow(p.stream.id, 0);
      this.changed();
    });
    c.on("reset", (r) => {
      const s = this.streams.get(r.stream);
      if (!s) return;
      s.events.clear();
      s.loaded = false;
      s.lo = r.head + 1;
      s.version++;
      if (this.current === r.stream) void this.load(r.stream);
      this.changed();
    });
    c.on("outbox", (o) => {
      this.outbox = o;
      this.changed();
    });
    c.on("rate_limited", (r) => {
      if (r.op === "post" || r.op === "edit" || r.op === "react") this.flash(`Slow down: you can send again in ${Math.ceil(r.retryAfterMs / 1000)} s.`);
    });
    c.on("error", (e) => {
      if (e.code !== "not_found") this.flash(e.message);
    });
    this.outbox = c.outbox.list();
    try {
      await c.connect();
    } catch (e) {
      const err = e as AgoraError;
      this.sessionEnded = err.code === "unauthorized" ? "Your session has ended. Please log in again." : err.message;
      localStorage.removeItem(TOKEN_KEY);
      this.client = null;
      this.changed();
      throw e;
    }
    this.me = c.user;
    try {
      for (const u of await this.http().listUsers()) this.users.set(u.id, u);
    } catch {
      // names fall back to ids
    }
    // Wiki pages and recent changes have their own screens (wiki.tsx), not the chat's.
    const list = (await c.listStreams()).filter((s) => s.kind !== "wiki_page" && s.kind !== "wiki_changes");
    for (const s of list) this.addStream(s);
    await Promise.all(list.filter((s) => s.member).map((s) => this.follow(s.id, s.head)));
    this.ready = true;
    this.changed();
  }

  private addStream(s: StreamSummary): StreamView {
    const existing = this.streams.get(s.id);
    if (existing) {
      existing.summary = { ...existing.summary, ...s };
      return existing;
    }
    const v: StreamView = {
      summary: { ...s },
      events: new Map(),
      lo: s.head + 1,
      loaded: false,
      loading: false,
      followed: false,
      readAtOpen: s.last_read,
      members: null,
      typing: new Map(),
      version: 0,
    };
    this.streams.set(s.id, v);
    return v;
  }

  /** Subscribe from `since` (live after it); the SDK resumes it after reconnects. */
  private async follow(id: string, since: number): Promise<void> {
    const s = this.streams.get(id);
    if (!s || !this.client || s.followed) return;
    s.followed = true;
    try {
      await this.client.subscribe(id, { since });
    } catch (e) {
      s.followed = false;
      throw e;
    }
  }

  // ---- events -------------------------------------------------------------------

  private onEvent(e: Event): void {
    const s = this.streams.get(e.stream);
    if (!s) return;
    const prev = s.events.get(e.seq);
    if (!prev || e.type === "tombstone") s.events.set(e.seq, e);
    if (e.seq > s.summary.head) s.summary.head = e.seq;
    if (!s.loaded && s.lo > e.seq) s.lo = Math.min(s.lo, e.seq);
    s.version++;
    const mine = e.author === this.me?.id;
    switch (e.type) {
      case "message_posted": {
        s.typing.delete(e.author);
        if (!mine && s.summary.member) {
          const reading = this.current === e.stream && this.atBottom && document.visibilityState === "visible";
          if (reading) this.scheduleMarkRead();
          else {
            s.summary.unread++;
            if (e.mentions?.includes(this.me?.id || "")) s.summary.mentions++;
          }
          this.onMessage?.(s, e);
        }
        if (mine && this.current === e.stream) this.scheduleMarkRead();
        break;
      }
      case "stream_renamed":
        s.summary.name = e.name;
        break;
      case "topic_set":
        s.summary.topic = e.topic;
        break;
      case "member_joined":
      case "member_invited":
        if (s.members && !s.members.includes(e.user)) s.members = [...s.members, e.user];
        s.summary.member_count++;
        if (e.user === this.me?.id) s.summary.member = true;
        break;
      case "member_left":
        if (s.members) s.members = s.members.filter((u) => u !== e.user);
        s.summary.member_count = Math.max(0, s.summary.member_count - 1);
        if (e.user === this.me?.id) {
          s.summary.member = false;
          if (s.summary.kind !== "channel") {
            this.streams.delete(s.summary.id);
            void this.client?.unsubscribe(s.summary.id);
          }
        }
        break;
      case "message_hidden": {
        // Members drop the text at once; its author and moderators keep it (marked hidden).
        const mod = this.me?.role === "moderator" || this.me?.role === "admin";
        const target = s.events.get(e.target);
        if (!mod && e.message_author !== this.me?.id && target) s.events.delete(e.target);
        break;
      }
      case "message_unhidden":
        // Visible again: fetch it (and its edits and reactions) if this client never had it.
        if (!s.events.has(e.target) && this.client) {
          void this.client
            .history(e.stream, { after: e.target - 1, limit: 200 })
            .then((page) => {
              this.merge(s, page.events);
              s.version++;
              this.changed();
            })
            .catch(() => undefined);
        }
        break;
      default:
        break;
    }
    this.changed();
  }

  // ---- opening a stream and its history --------------------------------------------

  /** Make `id` the current stream: follow it if needed and load the window around its first unread message. */
  async open(id: string): Promise<void> {
    const s = this.streams.get(id);
    // Leaving a stream read to its bottom: it is read, even if the debounce has not fired yet.
    if (this.current && this.current !== id && this.atBottom && this.streams.get(this.current)?.loaded) this.markRead(this.current);
    this.current = id;
    this.notice = null;
    if (!s) return this.changed();
    s.readAtOpen = s.summary.member ? s.summary.last_read : s.summary.head;
    this.changed();
    if (!s.followed) {
      const info = await this.client!.streamInfo(id).catch(() => null);
      if (info) s.summary.head = Math.max(s.summary.head, info.head);
      await this.follow(id, s.summary.head).catch((e) => this.flash((e as Error).message));
    }
    if (!s.members) {
      this.client!.streamInfo(id)
        .then((info) => {
          s.members = info.members;
          this.changed();
        })
        .catch(() => {});
    }
    await this.load(id);
  }

  /**
   * The first window: from a little before the first unread message up to
   * the newest (paging forward), or the latest page when all is read.
   */
  async load(id: string): Promise<void> {
    const s = this.streams.get(id);
    const c = this.client;
    if (!s || !c || s.loaded || s.loading) return;
    s.loading = true;
    try {
      const newest = c.lastSeq(id) ?? s.summary.head;
      const read = s.readAtOpen;
      if (s.summary.member && read < newest) {
        // A little context above the first unread message; at most MAX_WINDOW events (older ones load on scroll-up).
        let after = Math.max(0, read - 20, newest - MAX_WINDOW);
        s.lo = after + 1;
        for (let pages = 0; after < newest && pages < 50; pages++) {
          const page = await c.history(id, { after, limit: 200 });
          this.merge(s, page.events);
          // Page by the seqs covered: events I may not see are left out of `events`.
          const to = page.to || (page.events.length ? page.events[page.events.length - 1].seq : 0);
          if (!to) break;
          after = to;
          if (!page.more) break;
        }
      } else {
        const page = await c.history(id, { before: newest + 1, limit: PAGE });
        this.merge(s, page.events);
        s.lo = page.from || (page.events.length ? page.events[0].seq : newest + 1);
      }
      s.loaded = true;
    } catch (e) {
      this.flash(`Could not load messages: ${(e as Error).message}`);
    } finally {
      s.loading = false;
      s.version++;
      this.changed();
    }
  }

  /** Load the page before the oldest loaded event. Resolves false when there is nothing older. */
  async loadOlder(id: string): Promise<boolean> {
    const s = this.streams.get(id);
    if (!s || !this.client || s.loading || s.lo <= 1) return false;
    s.loading = true;
    try {
      const page = await this.client.history(id, { before: s.lo, limit: PAGE });
      this.merge(s, page.events);
      if (page.from) s.lo = page.from;
      else if (page.events.length) s.lo = page.events[0].seq;
      else s.lo = 1;
      return true;
    } catch (e) {
      this.flash(`Could not load older messages: ${(e as Error).message}`);
      return false;
    } finally {
      s.loading = false;
      s.version++;
      this.changed();
    }
  }

  private merge(s: StreamView, events: Event[]): void {
    for (const e of events) {
      const prev = s.events.get(e.seq);
      if (!prev || e.type === "tombstone") s.events.set(e.seq, e);
    }
  }

  // ---- read state -----------------------------------------------------------------

  /** The pane reports whether it is at the bottom; at the bottom, the stream is read. */
  setAtBottom(at: boolean): void {
    this.atBottom = at;
    if (at) this.scheduleMarkRead();
  }

  scheduleMarkRead(): void {
    if (this.markTimer) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = null;
      this.markCurrentRead();
    }, 300);
  }

  markCurrentRead(): void {
    if (this.current && this.atBottom) this.markRead(this.current);
  }

  /** Move the read marker of `id` to the newest seq we have (while the page is visible). */
  private markRead(id: string): void {
    const s = this.streams.get(id);
    if (!s || !s.summary.member || !this.client || document.visibilityState !== "visible") return;
    const seq = this.client.lastSeq(id) ?? s.summary.head;
    if (seq <= s.summary.last_read && s.summary.unread === 0) return;
    s.summary.last_read = Math.max(s.summary.last_read, seq);
    s.summary.unread = 0;
    s.summary.mentions = 0;
    this.changed();
    this.client.markRead(id, seq).catch(() => {});
  }

  // ---- actions ----------------------------------------------------------------------

  flash(text: string, kind: "error" | "info" = "error"): void {
    this.notice = { text, kind };
    this.changed();
  }
  clearNotice(): void {
    this.notice = null;
    this.changed();
  }

  async post(stream: string, text: string, reply_to?: number): Promise<void> {
    await this.client!.post(stream, text, { reply_to });
  }

  async join(id: string): Promise<void> {
    await this.client!.join(id);
    const s = this.streams.get(id);
    if (s) s.summary.member = true;
    this.changed();
  }

  async leave(id: string): Promise<void> {
    await this.client!.leave(id);
  }

  async createChannel(name: string, topic: string, priv: boolean): Promise<string> {
    const info = await this.client!.createChannel(name, { topic, private: priv });
    this.addStream({ id: info.id, kind: info.kind, name: info.name, topic: info.topic, member_count: info.members.length, member: true, head: info.head, last_read: info.head, unread: 0, mentions: 0 });
    await this.follow(info.id, 0);
    this.changed();
    return info.id;
  }

  async openDm(users: string[]): Promise<string> {
    const info = await this.client!.openDm(users);
    if (!this.streams.has(info.id)) {
      this.addStream({ id: info.id, kind: info.kind, name: info.name, topic: info.topic, member_count: info.members.length, member: true, head: info.head, last_read: info.head, unread: 0, mentions: 0 });
      await this.follow(info.id, 0);
    }
    this.changed();
    return info.id;
  }

  async setStatus(status: Status): Promise<void> {
    await this.client!.setPresence(status);
    if (this.me) this.presence.set(this.me.id, status);
    this.changed();
  }

  /** Drop typing indicators whose time ran out; true if any did. */
  expireTyping(): boolean {
    const now = Date.now();
    let any = false;
    for (const s of this.streams.values()) {
      for (const [u, until] of s.typing) {
        if (until <= now) {
          s.typing.delete(u);
          any = true;
        }
      }
    }
    return any;
  }

  // ---- lookups -------------------------------------------------------------------------

  name(id: string): string {
    return this.users.get(id)?.display_name || id;
  }

  label(s: StreamSummary): string {
    if (s.kind === "dm") {
      const others = s.name.split(", ").filter((u) => u !== this.me?.id);
      return others.length ? others.map((u) => this.name(u)).join(", ") : s.name;
    }
    return s.name;
  }

  totalUnread(): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.summary.member) n += s.summary.unread;
    return n;
  }

  channelByName(name: string): StreamSummary | undefined {
    const lower = name.toLowerCase();
    for (const s of this.streams.values()) if (s.summary.kind !== "dm" && s.summary.name.toLowerCase() === lower) return s.summary;
    return undefined;
  }
}

export const store = new Store();
