/**
 * The offline post queue: posts waiting for their ack, in the order they were
 * made, each with the idempotency key it keeps across retries and reconnects
 * (PROTOCOL.md §5 `post`, "Idempotency"). Pure bookkeeping plus optional
 * persistence to a Storage-like object (localStorage in browsers), so posts
 * made offline survive a reload. Sending is the client's job.
 */
import type { Attachment, Seq, StreamId } from "./types.js";

export interface PendingPost {
  idem: string;
  stream: StreamId;
  text: string;
  reply_to?: Seq;
  /** Files uploaded before (`AgoraHttp.upload`), as the uploads answered. */
  attachments?: Attachment[];
  /** Local time the post was made (ms). */
  created: number;
  /** `queued` until first sent; `sending` while a request is in flight; `waiting` after rate_limited or a drop. */
  state: "queued" | "sending" | "waiting";
}

/** The part of the Web Storage API the outbox uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

let counter = 0;
/** A fresh idempotency key (≤ 64 chars). */
export function newIdem(): string {
  counter += 1;
  const c = globalThis.crypto as Crypto | undefined;
  const rand = c && typeof c.randomUUID === "function" ? c.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36);
  return `${rand}-${counter}`.slice(0, 64);
}

export class Outbox {
  private items: PendingPost[] = [];

  constructor(
    private storage?: StorageLike,
    private key = "agora.outbox",
  ) {
    if (storage) {
      try {
        const saved = JSON.parse(storage.getItem(key) || "[]");
        if (Array.isArray(saved)) this.items = saved.map((p: PendingPost) => ({ ...p, state: "queued" as const }));
      } catch {
        this.items = [];
      }
    }
  }

  add(p: Omit<PendingPost, "state" | "created"> & { created?: number }): PendingPost {
    const existing = this.items.find((x) => x.idem === p.idem && x.stream === p.stream);
    if (existing) return existing;
    const item: PendingPost = { created: Date.now(), ...p, state: "queued" };
    this.items.push(item);
    this.save();
    return item;
  }

  remove(idem: string): PendingPost | undefined {
    const i = this.items.findIndex((x) => x.idem === idem);
    if (i < 0) return undefined;
    const [item] = this.items.splice(i, 1);
    this.save();
    return item;
  }

  setState(idem: string, state: PendingPost["state"]): void {
    const item = this.items.find((x) => x.idem === idem);
    if (item) item.state = state;
  }

  /** The oldest pending post. */
  first(): PendingPost | undefined {
    return this.items[0];
  }
  list(): PendingPost[] {
    return this.items.map((p) => ({ ...p }));
  }
  get size(): number {
    return this.items.length;
  }
  clear(): void {
    this.items = [];
    this.save();
  }

  private save(): void {
    if (!this.storage) return;
    try {
      if (this.items.length) this.storage.setItem(this.key, JSON.stringify(this.items));
      else this.storage.removeItem(this.key);
    } catch {
      // storage full or unavailable: the queue still works in memory
    }
  }
}
