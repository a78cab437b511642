/**
 * The wire types of protocol/PROTOCOL.md, written by hand in one file so that
 * types generated from the `agora-protocol` crate can replace it later without
 * touching the rest of the SDK. Names follow the protocol (snake_case fields).
 */

import type { WikiOps } from "./wiki.js";

export type StreamId = string;
export type UserId = string;
/** A position in a stream: 1-based, gapless. */
export type Seq = number;
/** Milliseconds since the Unix epoch. */
export type Millis = number;

export type Role = "member" | "agent" | "moderator" | "admin" | "bot";
/** Known kinds; future kinds arrive as other strings and must be ignored or shown as opaque. */
export type StreamKind = "channel" | "private_channel" | "dm" | "wiki_page" | "wiki_changes";
export type PresenceStatus = "online" | "away" | "dnd" | "offline";

export interface UserInfo {
  id: UserId;
  display_name: string;
  role: Role;
}

export type ErrorCode =
  | "bad_request"
  | "unknown_op"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "rate_limited"
  | "too_far_behind"
  | "unavailable"
  | "internal";

/** The `error` object of a reply, and the body of every HTTP error. */
export interface ErrorBody {
  code: ErrorCode | string;
  message: string;
  retry_after_ms?: number;
  head?: Seq;
  /** Structured details of some errors (a `conflict` from `wiki_save`: a `WikiConflict`). */
  details?: unknown;
}

// ---- payloads ----------------------------------------------------------------

export interface AppendOk {
  stream: StreamId;
  seq: Seq;
  at: Millis;
  duplicate: boolean;
}

export interface StreamInfoOk {
  id: StreamId;
  kind: StreamKind | string;
  name: string;
  topic: string;
  members: UserId[];
  head: Seq;
  created_by: UserId;
}

export interface StreamSummary {
  id: StreamId;
  kind: StreamKind | string;
  name: string;
  topic: string;
  member_count: number;
  member: boolean;
  head: Seq;
  last_read: Seq;
  unread: number;
  mentions: number;
}

export interface PresenceEntry {
  user: UserId;
  status: Exclude<PresenceStatus, "offline">;
  last_seen: Millis;
}

export interface SubscribeOk {
  stream: StreamId;
  head: Seq;
  epoch: string;
  recovered: boolean;
  presence: PresenceEntry[];
}

export interface HistoryOk {
  stream: StreamId;
  /** Only the events I may see: continue paging from `from` / `to`, not from these. */
  events: Event[];
  head: Seq;
  more: boolean;
  /** The seqs the page covered (0, 0 for an empty page). */
  from: Seq;
  to: Seq;
}

export interface WhoamiOk {
  user: UserInfo;
  epoch: string;
}

// ---- ops: name -> [fields, ok payload] ------------------------------------------

export interface Ops extends WikiOps {
  auth: [{ token: string }, WhoamiOk];
  ping: [Record<string, never>, { time: Millis }];
  whoami: [Record<string, never>, WhoamiOk];
  list_streams: [Record<string, never>, { streams: StreamSummary[] }];
  stream_info: [{ stream: StreamId }, StreamInfoOk];
  create_channel: [{ name: string; topic?: string; private?: boolean; members?: UserId[] }, StreamInfoOk];
  open_dm: [{ users: UserId[] }, StreamInfoOk];
  join: [{ stream: StreamId }, AppendOk];
  leave: [{ stream: StreamId }, AppendOk];
  invite: [{ stream: StreamId; user: UserId }, AppendOk];
  rename: [{ stream: StreamId; name: string }, AppendOk];
  set_topic: [{ stream: StreamId; topic: string }, AppendOk];
  post: [{ stream: StreamId; text: string; reply_to?: Seq; idem?: string }, AppendOk];
  edit: [{ stream: StreamId; target: Seq; text: string }, AppendOk];
  delete: [{ stream: StreamId; target: Seq }, AppendOk];
  react: [{ stream: StreamId; target: Seq; emoji: string }, AppendOk];
  unreact: [{ stream: StreamId; target: Seq; emoji: string }, AppendOk];
  hide: [{ stream: StreamId; target: Seq; reason?: string }, AppendOk];
  unhide: [{ stream: StreamId; target: Seq }, AppendOk];
  subscribe: [{ stream: StreamId; since?: Seq; epoch?: string }, SubscribeOk];
  unsubscribe: [{ stream: StreamId }, Record<string, never>];
  history: [{ stream: StreamId; before?: Seq; after?: Seq; limit?: number }, HistoryOk];
  mark_read: [{ stream: StreamId; seq: Seq }, Record<string, never>];
  set_presence: [{ status: Exclude<PresenceStatus, "offline"> }, Record<string, never>];
  typing: [{ stream: StreamId }, Record<string, never>];
}
export type OpName = keyof Ops;
export type OpFields<O extends OpName> = Ops[O][0];
export type OpOk<O extends OpName> = Ops[O][1];

// ---- events (PROTOCOL.md §6) ---------------------------------------------------------

export interface EventBase {
  stream: StreamId;
  seq: Seq;
  at: Millis;
  author: UserId;
  idem?: string;
}

export interface StreamCreated extends EventBase {
  type: "stream_created";
  kind: StreamKind | string;
  name: string;
  topic: string;
  members: UserId[];
}
export interface StreamRenamed extends EventBase {
  type: "stream_renamed";
  name: string;
}
export interface TopicSet extends EventBase {
  type: "topic_set";
  topic: string;
}
export interface MemberJoined extends EventBase {
  type: "member_joined";
  user: UserId;
}
export interface MemberLeft extends EventBase {
  type: "member_left";
  user: UserId;
}
export interface MemberInvited extends EventBase {
  type: "member_invited";
  user: UserId;
}
export interface MessagePosted extends EventBase {
  type: "message_posted";
  text: string;
  reply_to?: Seq;
  mentions?: UserId[];
}
export interface MessageEdited extends EventBase {
  type: "message_edited";
  target: Seq;
  text: string;
  mentions?: UserId[];
}
export interface MessageDeleted extends EventBase {
  type: "message_deleted";
  target: Seq;
}
export interface Tombstone extends EventBase {
  type: "tombstone";
  deleted_by: Seq;
}
export interface ReactionAdded extends EventBase {
  type: "reaction_added";
  target: Seq;
  emoji: string;
}
export interface ReactionRemoved extends EventBase {
  type: "reaction_removed";
  target: Seq;
  emoji: string;
}
/** A moderator hid message `target`: only its author and moderators see it now. */
export interface MessageHidden extends EventBase {
  type: "message_hidden";
  target: Seq;
  message_author: UserId;
  reason?: string;
}
export interface MessageUnhidden extends EventBase {
  type: "message_unhidden";
  target: Seq;
}

/**
 * Every event type this SDK knows. The server may send others (future kinds):
 * they arrive with their own `type` string and must be skipped, but their seq counts.
 */
export type Event =
  | StreamCreated
  | StreamRenamed
  | TopicSet
  | MemberJoined
  | MemberLeft
  | MemberInvited
  | MessagePosted
  | MessageEdited
  | MessageDeleted
  | Tombstone
  | ReactionAdded
  | ReactionRemoved
  | MessageHidden
  | MessageUnhidden;
export type EventType = Event["type"];

// ---- pushes (PROTOCOL.md §4, §10) ------------------------------------------------------

export interface PresencePush {
  ev: "presence";
  stream: StreamId;
  user: UserId;
  status: PresenceStatus;
  last_seen: Millis;
}
export interface TypingPush {
  ev: "typing";
  stream: StreamId;
  user: UserId;
  ttl_ms: number;
}
export interface ReadPush {
  ev: "read";
  stream: StreamId;
  seq: Seq;
}
export interface StreamAddedPush {
  ev: "stream_added";
  stream: StreamSummary;
}
/** Seqs `from..=to` exist but are not for me (PROTOCOL.md §7 "Skip markers"): the cursor moves past them. */
export interface SkipPush {
  ev: "skip";
  stream: StreamId;
  from: Seq;
  to: Seq;
}
export type EventPush = { ev: "event" } & Event;
export type Push = EventPush | PresencePush | TypingPush | ReadPush | StreamAddedPush | SkipPush;

// ---- HTTP API (PROTOCOL.md §2, README "HTTP API") --------------------------------------

export interface LoginOk {
  token: string;
  user: UserInfo;
}
export interface NewUser {
  username: string;
  password?: string;
  display_name?: string;
  role: Role;
}

// ---- close codes (PROTOCOL.md §15) ---------------------------------------------------------

export const CloseCode = {
  GoingAway: 1001,
  MessageTooBig: 1009,
  SlowConsumer: 4000,
  IdleTimeout: 4001,
  Flood: 4002,
  Unauthorized: 4500,
  AccountDisabled: 4501,
} as const;
