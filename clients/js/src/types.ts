/**
 * The wire types of protocol/PROTOCOL.md. Everything on the WebSocket comes from
 * protocol.gen.ts, generated from the `agora-protocol` crate (protocol/src/ts.rs),
 * so the Rust types and this SDK cannot drift. What is written by hand here is
 * only what the Rust types do not say: which op replies which payload, names for
 * single members of the generated unions, and the HTTP bodies (src/api.rs).
 * Names follow the protocol (snake_case fields).
 */
import type {
  AgentStatusOk,
  AppendOk,
  CannedOk,
  DeskSettingsOk,
  DeskStatusOk,
  TicketOk,
  TicketQueueOk,
  AuditLogOk,
  Empty,
  ForumCategoriesOk,
  ForumCategoryOk,
  ForumPostHistoryOk,
  ForumThreadCreatedOk,
  ForumThreadOk,
  ForumThreadsOk,
  Event,
  FeedOk,
  HistoryOk,
  ListStreamsOk,
  Op,
  PingOk,
  ReviewQueueOk,
  Push,
  Role,
  StreamInfoOk,
  SubscribeOk,
  UserInfo,
  WatchedWordsOk,
  WhoamiOk,
  WikiDiffOk,
  WikiHistoryOk,
  WikiLinksOk,
  WikiPageOk,
  WikiPagesOk,
  WikiRecentOk,
  WikiSaveOk,
  WikiTalkOk,
  WikiWantedOk,
} from "./protocol.gen.js";

export * from "./protocol.gen.js";

/** Milliseconds since the Unix epoch. */
export type Millis = number;

// ---- ops: name -> [fields, ok payload] ------------------------------------------

export type OpName = Op["op"];
/** The fields of op `O` (without `op`). */
export type OpFields<O extends OpName> = Omit<Extract<Op, { op: O }>, "op">;

/** Which payload each op's `ok` carries (PROTOCOL.md; the `Replies [..]` of each `Op` variant). */
interface OkOf {
  auth: WhoamiOk;
  ping: PingOk;
  whoami: WhoamiOk;
  list_streams: ListStreamsOk;
  stream_info: StreamInfoOk;
  create_channel: StreamInfoOk;
  open_dm: StreamInfoOk;
  join: AppendOk;
  leave: AppendOk;
  invite: AppendOk;
  rename: AppendOk;
  set_topic: AppendOk;
  post: AppendOk;
  edit: AppendOk;
  delete: AppendOk;
  react: AppendOk;
  unreact: AppendOk;
  hide: AppendOk;
  unhide: AppendOk;
  subscribe: SubscribeOk;
  unsubscribe: Empty;
  history: HistoryOk;
  mark_read: Empty;
  set_presence: Empty;
  typing: Empty;
  kick: AppendOk;
  suspend_user: Empty;
  unsuspend_user: Empty;
  set_role: Empty;
  feed: FeedOk;
  feed_mark_read: FeedOk;
  mute: AppendOk;
  unmute: AppendOk;
  slow_mode: AppendOk;
  lock: AppendOk;
  audit_log: AuditLogOk;
  flag: AppendOk;
  review_queue: ReviewQueueOk;
  review: AppendOk;
  watched_words: WatchedWordsOk;
  watch_word: AppendOk;
  unwatch_word: AppendOk;
  forum_categories: ForumCategoriesOk;
  forum_save_category: ForumCategoryOk;
  forum_threads: ForumThreadsOk;
  forum_create_thread: ForumThreadCreatedOk;
  forum_thread: ForumThreadOk;
  forum_like: AppendOk;
  forum_unlike: AppendOk;
  forum_recover: AppendOk;
  forum_post_history: ForumPostHistoryOk;
  forum_staff: AppendOk;
  forum_move: AppendOk;
  forum_split: ForumThreadCreatedOk;
  forum_merge: AppendOk;
  forum_set_level: AppendOk;
  open_ticket: TicketOk;
  update_ticket: AppendOk;
  add_note: AppendOk;
  ticket_info: TicketOk;
  rate_ticket: AppendOk;
  set_agent_status: AgentStatusOk;
  desk_status: DeskStatusOk;
  ticket_queue: TicketQueueOk;
  merge_ticket: AppendOk;
  split_ticket: AppendOk;
  list_canned: CannedOk;
  canned_reply: AppendOk;
  apply_macro: AppendOk;
  desk_settings: DeskSettingsOk;
  set_desk_settings: DeskSettingsOk;
  wiki_get: WikiPageOk;
  wiki_save: WikiSaveOk;
  wiki_history: WikiHistoryOk;
  wiki_diff: WikiDiffOk;
  wiki_revert: WikiSaveOk;
  wiki_rollback: WikiSaveOk;
  wiki_move: AppendOk;
  wiki_protect: AppendOk;
  wiki_watch: AppendOk;
  wiki_links: WikiLinksOk;
  wiki_wanted: WikiWantedOk;
  wiki_pages: WikiPagesOk;
  wiki_recent: WikiRecentOk;
  watch_queue: Empty;
  wiki_talk: WikiTalkOk;
}
// A new op in the protocol crate fails the type check (`npm run check`) here until it is in OkOf.
type Assert<T extends true> = T;
export type EveryOpHasAnOkType = Assert<[Exclude<OpName, keyof OkOf>] extends [never] ? true : false>;

export type OpOk<O extends OpName> = OkOf[O];
export type Ops = { [O in OpName]: [OpFields<O>, OpOk<O>] };

// ---- events (PROTOCOL.md §6) ---------------------------------------------------------

export type EventType = Event["type"];
/** The event of type `T`, with the fields every event has. */
export type EventOf<T extends EventType> = Extract<Event, { type: T }>;
export type StreamCreated = EventOf<"stream_created">;
export type StreamRenamed = EventOf<"stream_renamed">;
export type TopicSet = EventOf<"topic_set">;
export type MemberJoined = EventOf<"member_joined">;
export type MemberLeft = EventOf<"member_left">;
export type MemberInvited = EventOf<"member_invited">;
export type MessagePosted = EventOf<"message_posted">;
export type MessageEdited = EventOf<"message_edited">;
export type MessageDeleted = EventOf<"message_deleted">;
export type Tombstone = EventOf<"tombstone">;
export type ReactionAdded = EventOf<"reaction_added">;
export type ReactionRemoved = EventOf<"reaction_removed">;
export type MessageHidden = EventOf<"message_hidden">;
export type MessageUnhidden = EventOf<"message_unhidden">;
export type MemberKicked = EventOf<"member_kicked">;
/** A notification in my feed (PROTOCOL.md, notification feed). */
export type FeedItemEvent = EventOf<"feed_item">;
export type FeedRead = EventOf<"feed_read">;
export type SlowModeSet = EventOf<"slow_mode_set">;
export type StreamLocked = EventOf<"stream_locked">;
export type AuditEntryEvent = EventOf<"audit_entry">;
export type Flagged = EventOf<"flagged">;
export type Held = EventOf<"held">;
export type ReviewResolved = EventOf<"review_resolved">;

// ---- pushes (PROTOCOL.md §4, §10) ------------------------------------------------------

export type PushOf<E extends Push["ev"]> = Extract<Push, { ev: E }>;
export type EventPush = PushOf<"event">;
export type PresencePush = PushOf<"presence">;
export type TypingPush = PushOf<"typing">;
export type ReadPush = PushOf<"read">;
export type StreamAddedPush = PushOf<"stream_added">;
/** Seqs `from..=to` exist but are not for me (PROTOCOL.md §7 "Skip markers"): the cursor moves past them. */
export type SkipPush = PushOf<"skip">;
/** My feed's unread count changed (another device read, a new item). */
export type FeedUnreadPush = PushOf<"feed_unread">;
/** A ticket changed (after `watch_queue`; agents only): its current view (PROTOCOL.md §22 "The live queue"). */
export type TicketChangedPush = PushOf<"ticket_changed">;

// ---- HTTP API (PROTOCOL.md §2, README "HTTP API"; the bodies are in src/api.rs) --------

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
  Suspended: 4502,
} as const;
