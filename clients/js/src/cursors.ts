/**
 * Resume bookkeeping, without I/O: per followed stream, the last seq processed
 * and the epoch it belongs to (PROTOCOL.md §7, "The reconnect recipe").
 */
import type { Seq, StreamId, SubscribeOk } from "./types.js";

export interface Cursor {
  lastSeq?: Seq;
  epoch?: string;
}

export class Cursors {
  readonly streams = new Map<StreamId, Cursor>();

  /** The `subscribe` fields to resume `stream` (only `stream` if never seen). */
  subscribeFields(stream: StreamId): { stream: StreamId; since?: Seq; epoch?: string } {
    const c = this.streams.get(stream);
    if (!c || c.lastSeq == null) return { stream };
    return c.epoch ? { stream, since: c.lastSeq, epoch: c.epoch } : { stream, since: c.lastSeq };
  }

  /** Apply a `subscribe` reply. Returns true when the stream must be reset (a resume that replayed nothing). */
  subscribed(stream: StreamId, ok: Pick<SubscribeOk, "head" | "epoch" | "recovered">, sentSince?: Seq | null): boolean {
    const reset = ok.recovered === false;
    const c = this.streams.get(stream) || {};
    if (sentSince == null || reset) c.lastSeq = ok.head;
    else c.lastSeq = sentSince;
    c.epoch = ok.epoch;
    this.streams.set(stream, c);
    return reset && sentSince != null;
  }

  /** Record an event; false when it is a duplicate (seq already processed). */
  accept(stream: StreamId, seq: Seq): boolean {
    const c = this.streams.get(stream);
    if (!c) return true; // not followed: pass through
    if (c.lastSeq != null && seq <= c.lastSeq) return false;
    c.lastSeq = seq;
    return true;
  }

  forget(stream: StreamId): void {
    this.streams.delete(stream);
  }
  has(stream: StreamId): boolean {
    return this.streams.has(stream);
  }
  lastSeq(stream: StreamId): Seq | undefined {
    return this.streams.get(stream)?.lastSeq;
  }

  /** A JSON-able snapshot (to persist beside a cache) and its inverse. */
  toJSON(): Record<StreamId, Cursor> {
    return Object.fromEntries(this.streams);
  }
  static fromJSON(obj: Record<string, Cursor> | null | undefined): Cursors {
    const c = new Cursors();
    for (const [k, v] of Object.entries(obj || {})) c.streams.set(k, { lastSeq: v.lastSeq, epoch: v.epoch });
    return c;
  }
}
