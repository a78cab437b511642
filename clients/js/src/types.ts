/**
 * The wire types of protocol/PROTOCOL.md, written by hand in one file so that
 * types generated from the `agora-protocol` crate can replace it later without
 * touching the rest of the SDK. Names follow the protocol (snake_case fields).
 */

export type StreamId = string;
export type UserId = string;
/** A position in a stream: 1-based, gapless. */
export type Seq = number;
/** Milliseconds since the Unix epoch. */
export type Millis = number;

export type Role = "member" | "agent" | "moderator" | "admin" | "bot";
/** Known kinds; future kinds arrive as other strings and must be ignored or shown as opaque. */
export type StreamKind = "channel" | "private_channel" | "dm";
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
  /** When a mute or slow mode ends (PROTOCOL.md §19). */
  until?: Millis;
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

// ---- notification feed and moderation (PROTOCOL.md §18, §19) ----------------------

export interface FeedItem {
  reason: "mention" | "reply" | "quote" | "like" | "watched" | "dm" | "ticket" | "wiki_edit" | "flag_outcome" | string;
  source: StreamId;
  source_seq: Seq;
  actor: UserId;
  excerpt?: string;
  title?: string;
  others?: number;
  detail?: string;
}
export interface FeedOk {
  stream: StreamId;
  head: Seq;
  unread: number;
}
export interface AuditEntry {
  action: string;
  actor: UserId;
  target_user?: UserId;
  stream?: StreamId;
  seq?: Seq;
  reason?: string;
  until?: Millis;
  reverse?: string;
  detail?: string;
}
export interface AuditLogOk {
  entries: { seq: Seq; at: Millis; entry: AuditEntry }[];
  next?: Seq;
}
export type FlagReason = "off_topic" | "inappropriate" | "spam" | "other";
export type ReviewDecision = "agree_hide" | "agree_delete" | "disagree" | "ignore" | "approve" | "reject";
export interface ReviewItem {
  id: Seq;
  stream: StreamId;
  seq: Seq;
  author: UserId;
  excerpt: string;
  flags: { by: UserId; reason: FlagReason | string; text?: string }[];
  hidden: boolean;
  held: boolean;
}
export type WatchAction = "block" | "censor" | "require_approval" | "flag";

// ---- ops: name -> [fields, ok payload] ------------------------------------------

export interface Ops {
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
  delete: [{ stream: StreamId; target: Seq; reason?: string }, AppendOk];
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
  feed: [Record<string, never>, FeedOk];
  feed_mark_read: [{ items?: Seq[]; all?: boolean }, FeedOk];
  mute: [{ user: UserId; minutes: number; reason?: string }, AppendOk];
  unmute: [{ user: UserId; reason?: string }, AppendOk];
  slow_mode: [{ stream: StreamId; seconds: number; reason?: string }, AppendOk];
  lock: [{ stream: StreamId; locked: boolean; reason?: string }, AppendOk];
  audit_log: [{ actor?: UserId; target?: string; before?: Seq; limit?: number }, AuditLogOk];
  flag: [{ stream: StreamId; target: Seq; reason: FlagReason; text?: string }, AppendOk];
  review_queue: [Record<string, never>, { stream: StreamId; items: ReviewItem[] }];
  review: [{ item: Seq; decision: ReviewDecision; reason?: string }, AppendOk];
  watched_words: [Record<string, never>, { words: { pattern: string; action: WatchAction }[] }];
  watch_word: [{ pattern: string; action: WatchAction }, AppendOk];
  unwatch_word: [{ pattern: string }, AppendOk];
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
/** A notification in my feed (PROTOCOL.md §18). */
export interface FeedItemEvent extends EventBase {
  type: "feed_item";
  item: FeedItem;
}
export interface FeedRead extends EventBase {
  type: "feed_read";
  items?: Seq[];
  up_to?: Seq;
}
export interface SlowModeSet extends EventBase {
  type: "slow_mode_set";
  seconds: number;
  reason?: string;
}
export interface StreamLocked extends EventBase {
  type: "stream_locked";
  locked: boolean;
  reason?: string;
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
  | MessageUnhidden
  | FeedItemEvent
  | FeedRead
  | SlowModeSet
  | StreamLocked;
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
/** My feed's unread count changed (another device marked items read). */
export interface FeedUnreadPush {
  ev: "feed_unread";
  stream: StreamId;
  unread: number;
}
export type EventPush = { ev: "event" } & Event;
export type Push = EventPush | PresencePush | TypingPush | ReadPush | StreamAddedPush | SkipPush | FeedUnreadPush;

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
