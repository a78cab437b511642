/** The wiki's wire types (PROTOCOL.md § Wiki), beside types.ts so the wiki's additions stay in one file. */
import type { Event, Millis, Seq, StreamId, UserId } from "./types.js";

export type ProtectLevel = "none" | "semi" | "full";

export interface Protection {
  edit: ProtectLevel;
  rename: boolean;
  reason: string;
  expires?: Millis | null;
  by?: UserId;
}

export interface WikiPageOk {
  stream: StreamId;
  title: string;
  slug: string;
  namespace: string;
  rev: Seq;
  latest: Seq;
  text: string;
  html?: string;
  redirected_from?: string;
  protection?: Protection;
  can_edit: boolean;
  watching: boolean;
  head: Seq;
}

export interface WikiSaveOk {
  stream: StreamId;
  rev: Seq;
  at: Millis;
  created: boolean;
  merged: boolean;
  duplicate: boolean;
}

/** `details` of a `conflict` from `wiki_save`. */
export interface WikiConflict {
  current: Seq;
  text: string;
  hunks: { base: string; current: string; yours: string }[];
}

export interface WikiHistoryEntry {
  seq: Seq;
  kind: "revision" | "move" | "protect";
  author: UserId;
  at: Millis;
  summary: string;
  minor: boolean;
  size: number;
  restores?: Seq;
  rollback?: boolean;
  merged?: boolean;
}

export interface DiffLine {
  tag: "equal" | "delete" | "insert";
  old?: number;
  new?: number;
  text: string;
  words?: { text: string; changed: boolean }[];
}

export interface DiffHunk {
  old_start: number;
  old_len: number;
  new_start: number;
  new_len: number;
  lines: DiffLine[];
}

export interface WikiPageRef {
  slug: string;
  title: string;
  stream?: StreamId;
  via?: string;
}

export interface WikiOps {
  wiki_get: [{ page: string; rev?: Seq; render?: boolean }, WikiPageOk];
  wiki_save: [{ page: string; base?: Seq; text: string; summary?: string; minor?: boolean }, WikiSaveOk];
  wiki_history: [{ page: string; before?: Seq; limit?: number }, { stream: StreamId; title: string; entries: WikiHistoryEntry[]; more: boolean }];
  wiki_diff: [{ page: string; from: Seq; to: Seq }, { stream: StreamId; from: Seq; to: Seq; hunks: DiffHunk[] }];
  wiki_revert: [{ page: string; to: Seq; summary?: string }, WikiSaveOk];
  wiki_rollback: [{ page: string; user: UserId }, WikiSaveOk];
  wiki_move: [{ page: string; to: string; summary?: string }, { stream: StreamId; seq: Seq; at: Millis; duplicate: boolean }];
  wiki_protect: [{ page: string; edit?: ProtectLevel; rename?: boolean; reason?: string; expires?: Millis }, { stream: StreamId; seq: Seq; at: Millis; duplicate: boolean }];
  wiki_watch: [{ page: string; watch: boolean }, { stream: StreamId; seq: Seq; at: Millis; duplicate: boolean }];
  wiki_links: [{ page: string }, { stream: StreamId; links: WikiPageRef[]; backlinks: WikiPageRef[]; redirects: string[] }];
  wiki_wanted: [Record<string, never>, { pages: { slug: string; links: number }[] }];
  wiki_pages: [{ namespace?: string }, { pages: WikiPageRef[] }];
  wiki_recent: [{ user?: UserId; namespace?: string; before?: Seq; limit?: number }, { stream: StreamId; changes: Event[]; more: boolean; from: Seq }];
}
