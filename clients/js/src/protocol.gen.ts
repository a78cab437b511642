// Generated from the agora-protocol crate (protocol/src/ts.rs) by ts-rs: do not edit.
// Regenerate: AGORA_WRITE_TS=1 cargo test -p agora-protocol --test typescript

/**
 * An agent's availability for new conversations (set with `set_agent_status`).
 */
export type AgentStatus = "available" | "busy" | "away";

/**
 * Reply to `set_agent_status`: the agent's routing settings and load.
 */
export type AgentStatusOk = { status: AgentStatus, 
/**
 * Most tickets (new or open) assigned to the agent at once by routing.
 */
max_chats: number, 
/**
 * Teams whose tickets the agent takes (empty: every team).
 */
teams: Array<string>, 
/**
 * Tickets (new or open) assigned to the agent now.
 */
assigned: number, };

/**
 * Reply to every op that appends an event.
 */
export type AppendOk = { stream: StreamId, 
/**
 * The appended event's sequence (for a duplicate `idem`, the original's).
 */
seq: Seq, at: number, 
/**
 * True when nothing new was stored: `idem` matched an earlier post, or the
 * change was already so (joining a channel you are in, opening an existing DM).
 */
duplicate: boolean, };

/**
 * A file as a message references it, and as the upload answers it.
 */
export type Attachment = { 
/**
 * SHA-256 of the file's bytes, 64 lower-case hex digits: the file's address
 * (`GET /api/v1/attachments/{hash}`).
 */
hash: string, 
/**
 * The file name the uploader gave (shown, and offered when saving; never a path).
 */
name: string, 
/**
 * The media type, one of the allowed ones (PROTOCOL.md), as the server found it
 * in the bytes; in a `post`, the server replaces it with what it stored.
 */
type: string, 
/**
 * Size in bytes (set by the server).
 */
size: number, 
/**
 * Pixel width of an image (set by the server).
 */
width?: number | null, 
/**
 * Pixel height of an image (set by the server).
 */
height?: number | null, };

/**
 * What a moderator or admin did. Each names its reversing action in
 * [`AuditEntry::reverse`] where there is one. Clients show an unknown action generically.
 */
export type AuditAction = "hide" | "unhide" | "delete" | "mute" | "unmute" | "slow_mode" | "slow_mode_off" | "lock" | "unlock" | "flag_agreed" | "flag_disagreed" | "flag_ignored" | "approve" | "reject" | "watched_word_added" | "watched_word_removed" | "suspend" | "unsuspend" | "role_changed" | "pin" | "unpin" | "close" | "reopen" | "archive" | "unarchive" | "move" | "merge" | "split" | "protect" | "unprotect";

/**
 * One moderation or staff action, as the audit log records it.
 */
export type AuditEntry = { action: AuditAction, 
/**
 * Who did it (the moderator; the event's own author is the server).
 */
actor: UserId, 
/**
 * The user it was done to (a muted user, a hidden message's author).
 */
target_user?: UserId | null, 
/**
 * The stream it was done in or to.
 */
stream?: StreamId | null, 
/**
 * The event it was done to (a message's seq).
 */
seq?: Seq | null, reason?: string, 
/**
 * When it ends by itself (a mute), ms since the Unix epoch.
 */
until?: number | null, 
/**
 * The op that reverses it (`unhide` for a hide), when there is one.
 */
reverse?: string | null, 
/**
 * Action-specific detail (slow mode's seconds, a watched word's pattern).
 */
detail?: string, };

/**
 * Reply to `audit_log`: matching entries, newest first.
 */
export type AuditLogOk = { entries: Array<AuditRecord>, 
/**
 * Continue with `before: next` (absent: nothing older).
 */
next?: Seq | null, };

/**
 * One entry of the audit log as `audit_log` returns it.
 */
export type AuditRecord = { 
/**
 * Its seq in the `audit` stream (page with `before`).
 */
seq: Seq, at: number, entry: AuditEntry, };

/**
 * A weekly schedule in a time zone, less holidays: when business-hours SLA
 * targets run. Local times, so 09:00–17:00 stays 09:00–17:00 across DST changes.
 * Carried in the log (inside a policy): unknown fields are ignored, not refused.
 */
export type BusinessHours = { 
/**
 * An IANA time zone name, e.g. "Europe/Berlin".
 */
time_zone: string, 
/**
 * Opening hours; a day may have several ranges.
 */
hours: Array<OpenHours>, 
/**
 * Local dates ("2027-12-25") on which nothing runs.
 */
holidays?: Array<string>, };

/**
 * A saved reply, as `list_canned` lists it.
 */
export type Canned = { name: string, team: string, text: string, };

/**
 * A saved reply of a team (`""`: every team).
 */
export type CannedDef = { name: string, team: string, text: string, };

/**
 * Reply to `list_canned`: saved replies and macros agents may apply.
 */
export type CannedOk = { canned: Array<Canned>, macros: Array<string>, };

/**
 * A forum category as stored in `forum_category_set` events and listed by `forum_categories`.
 */
export type Category = { 
/**
 * Stable id (`cat_<random>`); the slug may change, the id does not.
 */
id: string, name: string, 
/**
 * Lower-case, `a-z0-9-`, unique among categories.
 */
slug: string, description: string, 
/**
 * Lists sort categories by position, then name.
 */
position: number, 
/**
 * Only users with this role (and moderators and admins) see the category and its threads.
 */
read_role?: Role | null, 
/**
 * Only users with this role (and moderators and admins) start threads and reply in it.
 */
post_role?: Role | null, };

/**
 * A category as listed for one user.
 */
export type CategoryInfo = { thread_count: number, 
/**
 * My notification level for the category.
 */
level: NotificationLevel, 
/**
 * Stable id (`cat_<random>`); the slug may change, the id does not.
 */
id: string, name: string, 
/**
 * Lower-case, `a-z0-9-`, unique among categories.
 */
slug: string, description: string, 
/**
 * Lists sort categories by position, then name.
 */
position: number, 
/**
 * Only users with this role (and moderators and admins) see the category and its threads.
 */
read_role?: Role | null, 
/**
 * Only users with this role (and moderators and admins) start threads and reply in it.
 */
post_role?: Role | null, };

/**
 * What a recent change was.
 */
export type ChangeKind = "create" | "edit" | "move" | "protect";

/**
 * Every editable desk setting, as a whole (a `desk_settings_set` replaces them).
 */
export type DeskSettings = { 
/**
 * Custom ticket fields agents may set (no others are accepted).
 */
fields: Array<FieldDef>, 
/**
 * Custom statuses, each shown under its own name and behaving as its category.
 */
statuses: Array<StatusDef>, 
/**
 * Saved replies, with placeholders `{{requester.name}}`, `{{agent.name}}`,
 * `{{ticket.id}}`, `{{ticket.subject}}`.
 */
canned: Array<CannedDef>, 
/**
 * Several field changes and a reply (or note) in one action.
 */
macros: Array<MacroDef>, };

/**
 * The reply to `desk_settings` and `set_desk_settings`: the settings in force
 * and the seq of the edit that set them (0: the configuration's, never edited).
 */
export type DeskSettingsOk = { settings: DeskSettings, version: number, };

/**
 * Reply to `desk_status`: whether someone will answer soon.
 */
export type DeskStatusOk = { 
/**
 * Agents of the team who are connected and available.
 */
agents_available: number, 
/**
 * "An agent will answer shortly" (true) or "we're away, we'll reply by e-mail".
 */
answering: boolean, };

/**
 * A run of changed lines with up to 3 lines of context around them.
 */
export type DiffHunk = { 
/**
 * First line in the old text (1-based) and how many old lines the hunk covers.
 */
old_start: number, old_len: number, new_start: number, new_len: number, lines: Array<DiffLine>, };

/**
 * One line of a diff hunk.
 */
export type DiffLine = { tag: DiffTag, 
/**
 * Line number in the old text (1-based), absent for an inserted line.
 */
old?: number | null, 
/**
 * Line number in the new text (1-based), absent for a deleted line.
 */
new?: number | null, 
/**
 * The line without its newline.
 */
text: string, 
/**
 * For a changed line: the line as spans, the differing words marked (word-level diff).
 */
words?: Array<DiffSpan>, };

/**
 * A piece of a changed line: `changed` marks the words that differ.
 */
export type DiffSpan = { text: string, changed: boolean, };

/**
 * How a line (or a word span) of a diff changed.
 */
export type DiffTag = "equal" | "delete" | "insert";

/**
 * An empty `ok` payload: `{}`.
 */
export type Empty = Record<symbol, never>;

/**
 * The body of an `error` reply, and of every HTTP error response.
 */
export type ErrorBody = { code: ErrorCode, 
/**
 * A human-readable explanation; not stable, do not parse it.
 */
message: string, 
/**
 * With `rate_limited`: milliseconds until the request would be allowed.
 */
retry_after_ms?: number | null, 
/**
 * With `too_far_behind`: the stream's current head.
 */
head?: number | null, 
/**
 * When a moderation restriction on this request ends (a mute; slow mode's
 * next allowed post), ms since the Unix epoch.
 */
until?: number | null, 
/**
 * With some errors: structured details of the state that caused them (for
 * `conflict` from `wiki_save`, a `WikiConflict`). Typed per op in PROTOCOL.md.
 */
details?: JsonValue | null, };

/**
 * Why a request failed. Serialized as a snake_case string.
 */
export type ErrorCode = "bad_request" | "unknown_op" | "unauthorized" | "forbidden" | "not_found" | "conflict" | "too_large" | "rate_limited" | "too_far_behind" | "unavailable" | "internal" | "unsupported_type";

/**
 * One entry in a stream's log.
 */
export type Event = { stream: StreamId, seq: Seq, 
/**
 * Server time of the append, milliseconds since the Unix epoch.
 */
at: number, author: UserId, 
/**
 * The client's idempotency key, when it sent one.
 */
idem?: string | null, } & ({ "type": "stream_created", kind: StreamKind, name: string, topic: string, 
/**
 * The members the stream starts with (the creator first).
 */
members: Array<UserId>, } | { "type": "stream_renamed", name: string, } | { "type": "topic_set", topic: string, } | { "type": "member_joined", user: UserId, } | { "type": "member_left", user: UserId, } | { "type": "member_invited", user: UserId, } | { "type": "message_posted", text: string, reply_to?: Seq | null, 
/**
 * Users named as `@username` in the text who can read the stream.
 */
mentions?: Array<UserId>, 
/**
 * Files attached to the message (uploaded first; PROTOCOL.md §18).
 */
attachments?: Array<Attachment>, } | { "type": "message_edited", target: Seq, text: string, mentions?: Array<UserId>, } | { "type": "message_deleted", target: Seq, } | { "type": "tombstone", deleted_by: Seq, } | { "type": "reaction_added", target: Seq, emoji: string, } | { "type": "reaction_removed", target: Seq, emoji: string, } | { "type": "message_hidden", target: Seq, 
/**
 * The hidden message's author (who still sees it).
 */
message_author: UserId, reason?: string, } | { "type": "message_unhidden", target: Seq, } | { "type": "feed_item", item: FeedItem, } | { "type": "member_kicked", user: UserId, } | { "type": "feed_read", items?: Array<Seq>, up_to?: Seq | null, } | { "type": "slow_mode_set", seconds: number, reason?: string, } | { "type": "stream_locked", locked: boolean, reason?: string, } | { "type": "audit_entry", entry: AuditEntry, } | { "type": "flagged", source: StreamId, target: Seq, message_author: UserId, by: UserId, reason: FlagReason, text?: string, excerpt?: string, 
/**
 * This flag reached the configured count: the post is hidden pending review.
 */
hides?: boolean, } | { "type": "held", source: StreamId, poster: UserId, text: string, reply_to?: Seq | null, 
/**
 * The post's files, published with it when approved.
 */
attachments?: Array<Attachment>, } | { "type": "review_resolved", item: Seq, decision: ReviewDecision, reason?: string, } | { "type": "forum_category_set", category: Category, } | { "type": "forum_thread_filed", thread: StreamId, category: string, from?: string | null, } | { "type": "forum_level_set", user: UserId, level: NotificationLevel, category?: string | null, } | { "type": "forum_thread_placed", category: string, read_role?: Role | null, post_role?: Role | null, from?: string | null, } | { "type": "forum_post_liked", target: Seq, } | { "type": "forum_post_unliked", target: Seq, } | { "type": "forum_post_deleted", target: Seq, } | { "type": "forum_post_recovered", target: Seq, } | { "type": "forum_staff_action", action: StaffAction, } | { "type": "forum_posts_split", to: StreamId, posts: Array<Seq>, } | { "type": "forum_post_moved_in", from: StreamId, post: MovedPost, } | { "type": "forum_thread_merged", into: StreamId, } | { "type": "ticket_updated", based_on: number, changes: TicketChanges, } | { "type": "ticket_note", text: string, 
/**
 * Agents named as `@username` in the note.
 */
mentions?: Array<UserId>, } | { "type": "ticket_follow_up", follow_up: StreamId, } | { "type": "ticket_linked", follow_up_of: StreamId, } | { "type": "ticket_sla_breached", target: SlaTarget, 
/**
 * When the target fell due (ms since the Unix epoch).
 */
due: number, } | { "type": "ticket_rated", score: number, comment?: string, } | { "type": "ticket_merged", into: StreamId, } | { "type": "ticket_absorbed", from: StreamId, } | { "type": "ticket_unmerged", from: StreamId, status: TicketStatus, } | { "type": "ticket_released", ticket: StreamId, } | { "type": "wiki_revised", text: string, summary: string, minor: boolean, 
/**
 * The revision the editor started from.
 */
base: Seq, 
/**
 * A revert: the revision whose text this restores.
 */
restores?: Seq | null, 
/**
 * A moderator's rollback of the last editor's consecutive edits.
 */
rollback?: boolean, 
/**
 * `base` was older than the latest revision: merged three-way.
 */
merged?: boolean, } | { "type": "wiki_moved", from: string, to: string, summary: string, } | { "type": "wiki_protected", protection: Protection, } | { "type": "wiki_watched", user: UserId, watching: boolean, } | { "type": "wiki_change", page: StreamId, title: string, namespace: string, change: ChangeKind, 
/**
 * The page event (seq in the page's stream).
 */
rev: Seq, summary: string, minor: boolean, 
/**
 * Text size after the change, and the change in size (bytes).
 */
size: number, delta: number, 
/**
 * Who reads the page (its namespace's read role; none: everyone). Events
 * written before this field read as their namespace's default.
 */
read_role?: Role | null, } | { "type": "wiki_talk_linked", page: StreamId, thread: StreamId, } | { "type": "wiki_namespace_set", namespace: WikiNamespace, } | { "type": "ticket_sla_warning", target: SlaTarget, 
/**
 * When the target falls due (ms since the Unix epoch).
 */
due: number, } | { "type": "desk_settings_set", settings: DeskSettings, });

/**
 * What happened. Serialized with a `type` field next to the event's other fields.
 */
export type EventBody = { "type": "stream_created", kind: StreamKind, name: string, topic: string, 
/**
 * The members the stream starts with (the creator first).
 */
members: Array<UserId>, } | { "type": "stream_renamed", name: string, } | { "type": "topic_set", topic: string, } | { "type": "member_joined", user: UserId, } | { "type": "member_left", user: UserId, } | { "type": "member_invited", user: UserId, } | { "type": "message_posted", text: string, reply_to?: Seq | null, 
/**
 * Users named as `@username` in the text who can read the stream.
 */
mentions?: Array<UserId>, 
/**
 * Files attached to the message (uploaded first; PROTOCOL.md §18).
 */
attachments?: Array<Attachment>, } | { "type": "message_edited", target: Seq, text: string, mentions?: Array<UserId>, } | { "type": "message_deleted", target: Seq, } | { "type": "tombstone", deleted_by: Seq, } | { "type": "reaction_added", target: Seq, emoji: string, } | { "type": "reaction_removed", target: Seq, emoji: string, } | { "type": "message_hidden", target: Seq, 
/**
 * The hidden message's author (who still sees it).
 */
message_author: UserId, reason?: string, } | { "type": "message_unhidden", target: Seq, } | { "type": "feed_item", item: FeedItem, } | { "type": "member_kicked", user: UserId, } | { "type": "feed_read", items?: Array<Seq>, up_to?: Seq | null, } | { "type": "slow_mode_set", seconds: number, reason?: string, } | { "type": "stream_locked", locked: boolean, reason?: string, } | { "type": "audit_entry", entry: AuditEntry, } | { "type": "flagged", source: StreamId, target: Seq, message_author: UserId, by: UserId, reason: FlagReason, text?: string, excerpt?: string, 
/**
 * This flag reached the configured count: the post is hidden pending review.
 */
hides?: boolean, } | { "type": "held", source: StreamId, poster: UserId, text: string, reply_to?: Seq | null, 
/**
 * The post's files, published with it when approved.
 */
attachments?: Array<Attachment>, } | { "type": "review_resolved", item: Seq, decision: ReviewDecision, reason?: string, } | { "type": "forum_category_set", category: Category, } | { "type": "forum_thread_filed", thread: StreamId, category: string, from?: string | null, } | { "type": "forum_level_set", user: UserId, level: NotificationLevel, category?: string | null, } | { "type": "forum_thread_placed", category: string, read_role?: Role | null, post_role?: Role | null, from?: string | null, } | { "type": "forum_post_liked", target: Seq, } | { "type": "forum_post_unliked", target: Seq, } | { "type": "forum_post_deleted", target: Seq, } | { "type": "forum_post_recovered", target: Seq, } | { "type": "forum_staff_action", action: StaffAction, } | { "type": "forum_posts_split", to: StreamId, posts: Array<Seq>, } | { "type": "forum_post_moved_in", from: StreamId, post: MovedPost, } | { "type": "forum_thread_merged", into: StreamId, } | { "type": "ticket_updated", based_on: number, changes: TicketChanges, } | { "type": "ticket_note", text: string, 
/**
 * Agents named as `@username` in the note.
 */
mentions?: Array<UserId>, } | { "type": "ticket_follow_up", follow_up: StreamId, } | { "type": "ticket_linked", follow_up_of: StreamId, } | { "type": "ticket_sla_breached", target: SlaTarget, 
/**
 * When the target fell due (ms since the Unix epoch).
 */
due: number, } | { "type": "ticket_rated", score: number, comment?: string, } | { "type": "ticket_merged", into: StreamId, } | { "type": "ticket_absorbed", from: StreamId, } | { "type": "ticket_unmerged", from: StreamId, status: TicketStatus, } | { "type": "ticket_released", ticket: StreamId, } | { "type": "wiki_revised", text: string, summary: string, minor: boolean, 
/**
 * The revision the editor started from.
 */
base: Seq, 
/**
 * A revert: the revision whose text this restores.
 */
restores?: Seq | null, 
/**
 * A moderator's rollback of the last editor's consecutive edits.
 */
rollback?: boolean, 
/**
 * `base` was older than the latest revision: merged three-way.
 */
merged?: boolean, } | { "type": "wiki_moved", from: string, to: string, summary: string, } | { "type": "wiki_protected", protection: Protection, } | { "type": "wiki_watched", user: UserId, watching: boolean, } | { "type": "wiki_change", page: StreamId, title: string, namespace: string, change: ChangeKind, 
/**
 * The page event (seq in the page's stream).
 */
rev: Seq, summary: string, minor: boolean, 
/**
 * Text size after the change, and the change in size (bytes).
 */
size: number, delta: number, 
/**
 * Who reads the page (its namespace's read role; none: everyone). Events
 * written before this field read as their namespace's default.
 */
read_role?: Role | null, } | { "type": "wiki_talk_linked", page: StreamId, thread: StreamId, } | { "type": "wiki_namespace_set", namespace: WikiNamespace, } | { "type": "ticket_sla_warning", target: SlaTarget, 
/**
 * When the target falls due (ms since the Unix epoch).
 */
due: number, } | { "type": "desk_settings_set", settings: DeskSettings, };

/**
 * One notification.
 */
export type FeedItem = { reason: FeedReason, 
/**
 * The stream and event the item is about.
 */
source: StreamId, source_seq: Seq, 
/**
 * Who caused it (the poster, the liker, the moderator).
 */
actor: UserId, 
/**
 * A short excerpt of the text, when there is one (at most [`EXCERPT_CHARS`] characters).
 */
excerpt?: string, 
/**
 * The source's title or name (a thread's title, a channel's name), when it has one.
 */
title?: string, 
/**
 * For grouped items (likes): how many others did the same before this one
 * since the owner last read the feed ("ann and 3 others liked your post").
 */
others?: number, 
/**
 * Free text a kind adds (a flag's outcome: "agreed: hidden").
 */
detail?: string, };

/**
 * Reply to `feed` and `feed_mark_read`: my feed stream (subscribe to it like
 * any stream) and how many unread items in it I may see.
 */
export type FeedOk = { stream: StreamId, head: Seq, unread: number, };

/**
 * Why a user is told. Clients must show an unknown reason generically.
 */
export type FeedReason = "mention" | "reply" | "quote" | "like" | "watched" | "dm" | "ticket" | "wiki_edit" | "flag_outcome";

/**
 * A custom ticket field: its name, its type and, for a choice, the choices.
 */
export type FieldDef = { name: string, type: FieldKind, choices?: Array<string>, };

export type FieldKind = "text" | "number" | "choice";

/**
 * A custom field's value: `{"text": "..."}`, `{"number": 3}` or `{"choice": "gold"}`.
 */
export type FieldValue = { "text": string } | { "number": number } | { "choice": string };

/**
 * One flag on a post.
 */
export type FlagInfo = { by: UserId, reason: FlagReason, text?: string, };

/**
 * Why a member flags a post.
 */
export type FlagReason = "off_topic" | "inappropriate" | "spam" | "other";

/**
 * Reply to `forum_categories`.
 */
export type ForumCategoriesOk = { categories: Array<CategoryInfo>, };

/**
 * Reply to `forum_save_category`.
 */
export type ForumCategoryOk = { category: Category, };

/**
 * Reply to `forum_post_history`: oldest version first.
 */
export type ForumPostHistoryOk = { versions: Array<PostVersion>, };

/**
 * Reply to `forum_create_thread` and `forum_split`.
 */
export type ForumThreadCreatedOk = { thread: StreamId, };

/**
 * Reply to `forum_thread`.
 */
export type ForumThreadOk = { row: ThreadRow, 
/**
 * The posts of this page, ascending.
 */
posts: Array<PostView>, 
/**
 * Small-action lines of this page, ascending.
 */
actions: Array<SmallAction>, 
/**
 * The first post after my read marker I may see: where opening the thread lands.
 */
first_unread?: Seq | null, 
/**
 * The last seq this page covered: continue with `after: to`.
 */
to: Seq, head: Seq, more: boolean, };

/**
 * Reply to `forum_threads`. Pinned threads come first on the first page.
 */
export type ForumThreadsOk = { threads: Array<ThreadRow>, 
/**
 * Pass as `cursor` for the next page; absent on the last page.
 */
next?: string | null, };

/**
 * Reply to `history`: events in ascending seq order.
 */
export type HistoryOk = { stream: StreamId, 
/**
 * The events of the page that the caller may see, ascending.
 */
events: Array<Event>, head: Seq, 
/**
 * Whether more events lie beyond this page in the paging direction.
 */
more: boolean, 
/**
 * The seqs this page covered, `from..=to` (0, 0 for an empty page). Events the caller
 * may not see are left out, so continue paging from these, not from the first or
 * last event: `before: from` or `after: to`.
 */
from: Seq, to: Seq, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * Reply to `list_streams`.
 */
export type ListStreamsOk = { streams: Array<StreamSummary>, };

/**
 * A macro: field changes plus an optional public reply and internal note
 * (placeholders as in saved replies).
 */
export type MacroDef = { name: string, changes: TicketChanges, reply?: string | null, note?: string | null, };

/**
 * A post carried into another thread by a split or a merge.
 */
export type MovedPost = { from_seq: Seq, author: UserId, at: number, text: string, };

/**
 * How much a user hears about a thread or a category (Discourse's levels).
 */
export type NotificationLevel = "muted" | "normal" | "tracking" | "watching" | "watching_first_post";

/**
 * Every `ok` payload, for the server to serialize. Untagged: the client knows
 * which op it sent and decodes `ok` as that op's payload type.
 */
export type OkBody = Empty | PingOk | WhoamiOk | ListStreamsOk | StreamInfoOk | AppendOk | SubscribeOk | HistoryOk | FeedOk | AuditLogOk | ReviewQueueOk | WatchedWordsOk | ForumCategoriesOk | ForumCategoryOk | ForumThreadsOk | ForumThreadCreatedOk | ForumThreadOk | ForumPostHistoryOk | TicketOk | AgentStatusOk | DeskStatusOk | TicketQueueOk | CannedOk | WikiPageOk | WikiSaveOk | WikiHistoryOk | WikiDiffOk | WikiLinksOk | WikiWantedOk | WikiPagesOk | WikiRecentOk | WikiTalkOk | DeskSettingsOk;

/**
 * Every operation a client can ask for, tagged by `op`.
 */
export type Op = { "op": "auth", token: string, } | { "op": "ping", } | { "op": "whoami", } | { "op": "list_streams", } | { "op": "stream_info", stream: StreamId, } | { "op": "create_channel", name: string, topic?: string, private?: boolean, 
/**
 * Other users to add at once (for private channels: invited).
 */
members?: Array<UserId>, } | { "op": "open_dm", users: Array<UserId>, } | { "op": "join", stream: StreamId, } | { "op": "leave", stream: StreamId, } | { "op": "invite", stream: StreamId, user: UserId, } | { "op": "rename", stream: StreamId, name: string, } | { "op": "set_topic", stream: StreamId, topic: string, } | { "op": "post", stream: StreamId, text: string, reply_to?: Seq | null, idem?: string | null, 
/**
 * Files uploaded before (`POST /api/v1/streams/{id}/attachments`), by the
 * answers of their uploads; `text` may then be empty.
 */
attachments?: Array<Attachment>, } | { "op": "edit", stream: StreamId, target: Seq, text: string, } | { "op": "delete", stream: StreamId, target: Seq, reason?: string, } | { "op": "react", stream: StreamId, target: Seq, emoji: string, } | { "op": "unreact", stream: StreamId, target: Seq, emoji: string, } | { "op": "hide", stream: StreamId, target: Seq, reason?: string, } | { "op": "unhide", stream: StreamId, target: Seq, } | { "op": "subscribe", stream: StreamId, since?: Seq | null, 
/**
 * The epoch the client saw with `since`; a mismatch means the store was wiped.
 */
epoch?: string | null, } | { "op": "unsubscribe", stream: StreamId, } | { "op": "history", stream: StreamId, 
/**
 * Events with seq < before, newest page first (default: from the head).
 */
before?: Seq | null, 
/**
 * Events with seq > after, oldest first. Exclusive with `before`.
 */
after?: Seq | null, limit?: number | null, } | { "op": "mark_read", stream: StreamId, seq: Seq, } | { "op": "set_presence", status: PresenceStatus, } | { "op": "typing", stream: StreamId, } | { "op": "kick", stream: StreamId, user: UserId, } | { "op": "suspend_user", user: UserId, until?: number | null, } | { "op": "unsuspend_user", user: UserId, } | { "op": "set_role", user: UserId, role: Role, } | { "op": "feed", } | { "op": "feed_mark_read", items?: Array<Seq>, all?: boolean, } | { "op": "mute", user: UserId, minutes: number, reason?: string, } | { "op": "unmute", user: UserId, reason?: string, } | { "op": "slow_mode", stream: StreamId, seconds: number, reason?: string, } | { "op": "lock", stream: StreamId, locked: boolean, reason?: string, } | { "op": "audit_log", actor?: UserId | null, target?: string | null, before?: Seq | null, limit?: number | null, } | { "op": "flag", stream: StreamId, target: Seq, reason: FlagReason, text?: string, } | { "op": "review_queue", } | { "op": "review", item: Seq, decision: ReviewDecision, reason?: string, } | { "op": "watched_words", } | { "op": "watch_word", pattern: string, action: WatchAction, } | { "op": "unwatch_word", pattern: string, } | { "op": "forum_categories", } | { "op": "forum_save_category", 
/**
 * The id of the category to change (`id` is the request's).
 */
category?: string | null, name: string, slug: string, description?: string, position?: number, read_role?: Role | null, post_role?: Role | null, } | { "op": "forum_threads", category?: string | null, 
/**
 * `next` of the previous page.
 */
cursor?: string | null, limit?: number | null, } | { "op": "forum_create_thread", category: string, title: string, text: string, } | { "op": "forum_thread", thread: StreamId, after?: Seq | null, limit?: number | null, } | { "op": "forum_like", thread: StreamId, post: Seq, } | { "op": "forum_unlike", thread: StreamId, post: Seq, } | { "op": "forum_recover", thread: StreamId, post: Seq, } | { "op": "forum_post_history", thread: StreamId, post: Seq, } | { "op": "forum_staff", thread: StreamId, action: StaffAction, } | { "op": "forum_move", thread: StreamId, category: string, } | { "op": "forum_split", thread: StreamId, posts: Array<Seq>, title: string, } | { "op": "forum_merge", thread: StreamId, into: StreamId, } | { "op": "forum_set_level", thread?: StreamId | null, category?: string | null, level: NotificationLevel, } | { "op": "open_ticket", subject: string, text: string, changes?: TicketChanges, } | { "op": "update_ticket", stream: StreamId, version: number, changes: TicketChanges, } | { "op": "add_note", stream: StreamId, text: string, } | { "op": "ticket_info", stream: StreamId, } | { "op": "set_agent_status", status: AgentStatus, max_chats?: number | null, teams?: Array<string> | null, } | { "op": "desk_status", team?: string | null, } | { "op": "ticket_queue", filter?: QueueFilter, limit?: number | null, } | { "op": "rate_ticket", stream: StreamId, score: number, comment?: string, } | { "op": "merge_ticket", stream: StreamId, version: number, into: StreamId, } | { "op": "split_ticket", stream: StreamId, version: number, } | { "op": "list_canned", team?: string | null, } | { "op": "canned_reply", stream: StreamId, name: string, } | { "op": "apply_macro", stream: StreamId, version: number, name: string, } | { "op": "wiki_get", page: string, rev?: Seq | null, 
/**
 * Include the text rendered to sanitized HTML.
 */
render?: boolean, } | { "op": "wiki_save", page: string, base?: Seq | null, text: string, summary?: string, minor?: boolean, } | { "op": "wiki_history", page: string, before?: Seq | null, limit?: number | null, } | { "op": "wiki_diff", page: string, from: Seq, to: Seq, } | { "op": "wiki_revert", page: string, to: Seq, summary?: string, } | { "op": "wiki_rollback", page: string, user: UserId, } | { "op": "wiki_move", page: string, to: string, summary?: string, } | { "op": "wiki_protect", page: string, edit?: ProtectLevel, rename?: boolean, reason?: string, 
/**
 * When it lapses (ms since the epoch); absent: never.
 */
expires?: number | null, } | { "op": "wiki_watch", page: string, watch: boolean, } | { "op": "wiki_links", page: string, } | { "op": "wiki_wanted", } | { "op": "wiki_pages", namespace?: string | null, cursor?: string | null, limit?: number | null, } | { "op": "wiki_recent", user?: UserId | null, namespace?: string | null, before?: Seq | null, limit?: number | null, } | { "op": "watch_queue", stop?: boolean, } | { "op": "wiki_talk", page: string, } | { "op": "desk_settings", } | { "op": "set_desk_settings", version: number, settings: DeskSettings, };

/**
 * Open from `from` to `to` ("09:00", "17:30"; local time, `to` after `from`) on `days`.
 */
export type OpenHours = { days: Array<Weekday>, from: string, to: string, };

/**
 * Reply to `ping`.
 */
export type PingOk = { time: number, };

/**
 * How a thread is pinned.
 */
export type Pinned = "no" | "category" | "globally";

/**
 * One version of a post.
 */
export type PostVersion = { 
/**
 * The seq of the event holding this version (the post, then each edit).
 */
seq: Seq, by: UserId, at: number, text: string, };

/**
 * A post as shown in a thread view.
 */
export type PostView = { seq: Seq, author: UserId, at: number, 
/**
 * The current text; empty for a deleted post shown to someone other than its author or staff.
 */
text: string, 
/**
 * The post this one quotes or replies to.
 */
quote?: Seq | null, likes: number, liked: boolean, 
/**
 * How many times it was edited (its versions: `forum_post_history`).
 */
edits: number, deleted: boolean, 
/**
 * Moved here from another thread (split or merge).
 */
moved_from?: StreamId | null, 
/**
 * The post's files (as chat messages carry them).
 */
attachments?: Array<Attachment>, 
/**
 * Its text holds censored watched words: replaced in `text` for members;
 * staff get the text as written, marked by this flag.
 */
censored?: boolean, 
/**
 * Hidden by a moderator: only staff and its author get it, marked by this flag
 * (members get neither the post nor its events; PROTOCOL.md §20).
 */
hidden?: boolean, };

/**
 * A user's aggregated presence.
 */
export type PresenceEntry = { user: UserId, status: PresenceStatus, 
/**
 * When the user was last connected (ms since epoch); 0 if never.
 */
last_seen: number, };

/**
 * Presence a device can set. The user's aggregate adds `offline`.
 */
export type PresenceStatus = "online" | "away" | "dnd" | "offline";

/**
 * How urgent a ticket is.
 */
export type Priority = "low" | "normal" | "high" | "urgent";

/**
 * Who may edit a page.
 */
export type ProtectLevel = "none" | "semi" | "full";

/**
 * A page's protection as it stands (expiry not yet applied: compare `expires` with the time).
 */
export type Protection = { edit: ProtectLevel, 
/**
 * Only moderators may move (rename) the page.
 */
rename: boolean, reason: string, 
/**
 * When the protection lapses (ms since the epoch, server clock); `None`: never.
 */
expires: number | null, 
/**
 * The moderator who set it (filled in by the server).
 */
by?: UserId | null, };

/**
 * A server push, tagged by `ev`.
 */
export type Push = { "ev": "event" } & Event | { "ev": "presence", stream: StreamId, user: UserId, status: PresenceStatus, last_seen: number, } | { "ev": "typing", stream: StreamId, user: UserId, ttl_ms: number, } | { "ev": "read", stream: StreamId, seq: Seq, } | { "ev": "stream_added", stream: StreamSummary, } | { "ev": "skip", stream: StreamId, from: Seq, to: Seq, } | { "ev": "feed_unread", stream: StreamId, unread: number, } | { "ev": "ticket_changed", ticket: TicketView, };

/**
 * Which tickets `ticket_queue` lists (every filter optional).
 */
export type QueueFilter = { 
/**
 * Any of these statuses (empty: all but closed).
 */
status?: Array<TicketStatus>, priority?: Priority | null, 
/**
 * "me", "unassigned", "any" (the default) or an agent's id.
 */
assignee?: string | null, team?: string | null, tag?: string | null, };

/**
 * A client request: an id the reply will echo as `re`, and the op.
 */
export type Request = { id: number, } & ({ "op": "auth", token: string, } | { "op": "ping", } | { "op": "whoami", } | { "op": "list_streams", } | { "op": "stream_info", stream: StreamId, } | { "op": "create_channel", name: string, topic?: string, private?: boolean, 
/**
 * Other users to add at once (for private channels: invited).
 */
members?: Array<UserId>, } | { "op": "open_dm", users: Array<UserId>, } | { "op": "join", stream: StreamId, } | { "op": "leave", stream: StreamId, } | { "op": "invite", stream: StreamId, user: UserId, } | { "op": "rename", stream: StreamId, name: string, } | { "op": "set_topic", stream: StreamId, topic: string, } | { "op": "post", stream: StreamId, text: string, reply_to?: Seq | null, idem?: string | null, 
/**
 * Files uploaded before (`POST /api/v1/streams/{id}/attachments`), by the
 * answers of their uploads; `text` may then be empty.
 */
attachments?: Array<Attachment>, } | { "op": "edit", stream: StreamId, target: Seq, text: string, } | { "op": "delete", stream: StreamId, target: Seq, reason?: string, } | { "op": "react", stream: StreamId, target: Seq, emoji: string, } | { "op": "unreact", stream: StreamId, target: Seq, emoji: string, } | { "op": "hide", stream: StreamId, target: Seq, reason?: string, } | { "op": "unhide", stream: StreamId, target: Seq, } | { "op": "subscribe", stream: StreamId, since?: Seq | null, 
/**
 * The epoch the client saw with `since`; a mismatch means the store was wiped.
 */
epoch?: string | null, } | { "op": "unsubscribe", stream: StreamId, } | { "op": "history", stream: StreamId, 
/**
 * Events with seq < before, newest page first (default: from the head).
 */
before?: Seq | null, 
/**
 * Events with seq > after, oldest first. Exclusive with `before`.
 */
after?: Seq | null, limit?: number | null, } | { "op": "mark_read", stream: StreamId, seq: Seq, } | { "op": "set_presence", status: PresenceStatus, } | { "op": "typing", stream: StreamId, } | { "op": "kick", stream: StreamId, user: UserId, } | { "op": "suspend_user", user: UserId, until?: number | null, } | { "op": "unsuspend_user", user: UserId, } | { "op": "set_role", user: UserId, role: Role, } | { "op": "feed", } | { "op": "feed_mark_read", items?: Array<Seq>, all?: boolean, } | { "op": "mute", user: UserId, minutes: number, reason?: string, } | { "op": "unmute", user: UserId, reason?: string, } | { "op": "slow_mode", stream: StreamId, seconds: number, reason?: string, } | { "op": "lock", stream: StreamId, locked: boolean, reason?: string, } | { "op": "audit_log", actor?: UserId | null, target?: string | null, before?: Seq | null, limit?: number | null, } | { "op": "flag", stream: StreamId, target: Seq, reason: FlagReason, text?: string, } | { "op": "review_queue", } | { "op": "review", item: Seq, decision: ReviewDecision, reason?: string, } | { "op": "watched_words", } | { "op": "watch_word", pattern: string, action: WatchAction, } | { "op": "unwatch_word", pattern: string, } | { "op": "forum_categories", } | { "op": "forum_save_category", 
/**
 * The id of the category to change (`id` is the request's).
 */
category?: string | null, name: string, slug: string, description?: string, position?: number, read_role?: Role | null, post_role?: Role | null, } | { "op": "forum_threads", category?: string | null, 
/**
 * `next` of the previous page.
 */
cursor?: string | null, limit?: number | null, } | { "op": "forum_create_thread", category: string, title: string, text: string, } | { "op": "forum_thread", thread: StreamId, after?: Seq | null, limit?: number | null, } | { "op": "forum_like", thread: StreamId, post: Seq, } | { "op": "forum_unlike", thread: StreamId, post: Seq, } | { "op": "forum_recover", thread: StreamId, post: Seq, } | { "op": "forum_post_history", thread: StreamId, post: Seq, } | { "op": "forum_staff", thread: StreamId, action: StaffAction, } | { "op": "forum_move", thread: StreamId, category: string, } | { "op": "forum_split", thread: StreamId, posts: Array<Seq>, title: string, } | { "op": "forum_merge", thread: StreamId, into: StreamId, } | { "op": "forum_set_level", thread?: StreamId | null, category?: string | null, level: NotificationLevel, } | { "op": "open_ticket", subject: string, text: string, changes?: TicketChanges, } | { "op": "update_ticket", stream: StreamId, version: number, changes: TicketChanges, } | { "op": "add_note", stream: StreamId, text: string, } | { "op": "ticket_info", stream: StreamId, } | { "op": "set_agent_status", status: AgentStatus, max_chats?: number | null, teams?: Array<string> | null, } | { "op": "desk_status", team?: string | null, } | { "op": "ticket_queue", filter?: QueueFilter, limit?: number | null, } | { "op": "rate_ticket", stream: StreamId, score: number, comment?: string, } | { "op": "merge_ticket", stream: StreamId, version: number, into: StreamId, } | { "op": "split_ticket", stream: StreamId, version: number, } | { "op": "list_canned", team?: string | null, } | { "op": "canned_reply", stream: StreamId, name: string, } | { "op": "apply_macro", stream: StreamId, version: number, name: string, } | { "op": "wiki_get", page: string, rev?: Seq | null, 
/**
 * Include the text rendered to sanitized HTML.
 */
render?: boolean, } | { "op": "wiki_save", page: string, base?: Seq | null, text: string, summary?: string, minor?: boolean, } | { "op": "wiki_history", page: string, before?: Seq | null, limit?: number | null, } | { "op": "wiki_diff", page: string, from: Seq, to: Seq, } | { "op": "wiki_revert", page: string, to: Seq, summary?: string, } | { "op": "wiki_rollback", page: string, user: UserId, } | { "op": "wiki_move", page: string, to: string, summary?: string, } | { "op": "wiki_protect", page: string, edit?: ProtectLevel, rename?: boolean, reason?: string, 
/**
 * When it lapses (ms since the epoch); absent: never.
 */
expires?: number | null, } | { "op": "wiki_watch", page: string, watch: boolean, } | { "op": "wiki_links", page: string, } | { "op": "wiki_wanted", } | { "op": "wiki_pages", namespace?: string | null, cursor?: string | null, limit?: number | null, } | { "op": "wiki_recent", user?: UserId | null, namespace?: string | null, before?: Seq | null, limit?: number | null, } | { "op": "watch_queue", stop?: boolean, } | { "op": "wiki_talk", page: string, } | { "op": "desk_settings", } | { "op": "set_desk_settings", version: number, settings: DeskSettings, });

/**
 * A moderator's decision on a flagged (or held) post.
 */
export type ReviewDecision = "agree_hide" | "agree_delete" | "disagree" | "ignore" | "approve" | "reject";

/**
 * One item of the review queue: a flagged post (with every flag on it), or a
 * post held for approval by a watched word (`held`: `seq` is 0, `text` is the post).
 */
export type ReviewItem = { 
/**
 * The item's id in the queue (its first event's seq in the `review` stream).
 */
id: Seq, stream: StreamId, seq: Seq, author: UserId, excerpt: string, flags: Array<FlagInfo>, 
/**
 * Hidden pending review (enough members flagged it).
 */
hidden: boolean, 
/**
 * Held for approval by a watched word (not posted yet).
 */
held: boolean, };

/**
 * Reply to `review_queue`: pending items, oldest first, and the queue's stream
 * (moderators subscribe to it for `flagged`, `held` and `review_resolved` events).
 */
export type ReviewQueueOk = { stream: StreamId, items: Array<ReviewItem>, };

/**
 * A user's role. `moderator` and `admin` may moderate (delete others' messages,
 * manage public channels); `admin` also manages accounts; `agent` answers
 * customers; `bot` marks automated accounts (API tokens, no password).
 */
export type Role = "member" | "agent" | "moderator" | "admin" | "bot" | "visitor";

/**
 * A position in one stream's log. The first event of a stream is `Seq(1)`;
 * sequences are gapless, so `Seq(0)` means "before everything".
 */
export type Seq = number;

/**
 * A ticket's service targets, in milliseconds not spent in pending or on-hold
 * (absent: no target): of calendar time, or of business hours for the targets
 * named in `business` (counted on `hours`). The policy travels in the log
 * (`ticket_updated`), so every due time is a function of the ticket's events.
 */
export type SlaPolicy = { 
/**
 * From creation to the first public reply by an agent.
 */
first_response_ms?: number | null, 
/**
 * From a requester's message (after the first response) to the next agent reply.
 */
next_reply_ms?: number | null, 
/**
 * From creation to solved.
 */
resolution_ms?: number | null, 
/**
 * A solved ticket closes by itself after this long (calendar time).
 */
close_after_ms?: number | null, 
/**
 * The targets counted in business hours (the others in calendar time).
 */
business?: Array<SlaTarget>, 
/**
 * The schedule business-hours targets are counted on.
 */
hours?: BusinessHours | null, 
/**
 * Announce a running target this long before it falls due (`ticket_sla_warning`), in calendar time.
 */
warn_before_ms?: number | null, };

/**
 * One of a ticket's service targets.
 */
export type SlaTarget = "first_response" | "next_reply" | "resolution";

/**
 * A staff action or move shown in a thread as a one-line entry.
 */
export type SmallAction = { seq: Seq, by: UserId, at: number, 
/**
 * `pin`, `unlock`, `moved`, `split`, `merged`, ... (PROTOCOL.md §Forum).
 */
action: string, 
/**
 * What it refers to: the category moved from/to, the thread split into or merged into.
 */
detail?: string, };

/**
 * A staff action on a thread; each has an opposite that undoes it.
 */
export type StaffAction = "pin" | "pin_globally" | "unpin" | "lock" | "unlock" | "close" | "reopen" | "archive" | "unarchive";

/**
 * A custom status: its name and the status category it behaves as.
 */
export type StatusDef = { name: string, category: TicketStatus, };

/**
 * A stream's id. Channels are `ch_<random>`, direct messages `dm_<hash of members>`.
 */
export type StreamId = string;

/**
 * A stream's full details.
 */
export type StreamInfoOk = { id: StreamId, kind: StreamKind, name: string, topic: string, members: Array<UserId>, head: Seq, created_by: UserId, };

/**
 * What kind of conversation a stream is. Later kinds (forum threads, tickets,
 * wiki pages) join this enum; clients must treat an unknown kind as opaque.
 */
export type StreamKind = "channel" | "private_channel" | "dm" | "feed" | "audit" | "review_queue" | "forum" | "forum_thread" | "ticket" | "wiki_page" | "wiki_changes" | "desk_settings";

/**
 * A stream as listed for one user.
 */
export type StreamSummary = { id: StreamId, kind: StreamKind, name: string, topic: string, member_count: number, 
/**
 * Whether the listing user is a member.
 */
member: boolean, 
/**
 * The last sequence in the stream.
 */
head: Seq, 
/**
 * The listing user's read marker.
 */
last_read: Seq, 
/**
 * Messages by others after `last_read` (capped at 1000).
 */
unread: number, 
/**
 * Of those, messages mentioning the listing user.
 */
mentions: number, };

/**
 * Reply to `subscribe`. Replayed events follow as `event` pushes, then live ones.
 */
export type SubscribeOk = { stream: StreamId, 
/**
 * The head when the subscription started: the replay covers at least (since, head],
 * and every later event follows, replayed or live, in order.
 */
head: Seq, epoch: string, 
/**
 * False when `since` could not be honoured (epoch changed): reload with `history`.
 */
recovered: boolean, 
/**
 * Presence of the stream's members who are not offline.
 */
presence: Array<PresenceEntry>, };

/**
 * One thread in a list, for one user.
 */
export type ThreadRow = { thread: StreamId, category: string, title: string, author: UserId, created_at: number, 
/**
 * Time of the last post (the list's sort key).
 */
last_activity: number, last_poster: UserId, 
/**
 * Posts after the first that are not deleted.
 */
replies: number, likes: number, 
/**
 * Up to five posters, the author first.
 */
participants: Array<UserId>, pinned: Pinned, locked: boolean, closed: boolean, archived: boolean, 
/**
 * The thread this one was merged into.
 */
merged_into?: StreamId | null, 
/**
 * My read marker in the thread (0: never opened).
 */
last_read: Seq, 
/**
 * Posts by others after my marker ("new replies since you read").
 */
unread: number, level: NotificationLevel, 
/**
 * For a wiki page's talk thread: the page's slug (its title is the thread's without `Talk:`).
 */
talk_page?: string | null, };

/**
 * Field changes to a ticket, each optional (absent: unchanged). Used by
 * `update_ticket` and `open_ticket` and stored in `ticket_updated` events.
 */
export type TicketChanges = { status?: TicketStatus | null, priority?: Priority | null, 
/**
 * The agent the ticket is assigned to from now on.
 */
assignee?: UserId | null, 
/**
 * Take the ticket away from its assignee (back to the team's queue).
 */
unassign?: boolean, team?: string | null, add_tags?: Array<string>, remove_tags?: Array<string>, 
/**
 * Custom fields to set (by name).
 */
fields?: { [key in string]: FieldValue }, 
/**
 * A custom status (defined by the admins, each behaving as one status
 * category): sets `status` to its category and shows under its own name.
 */
custom_status?: string | null, 
/**
 * The SLA policy that applies from now on. Set by the server (from its
 * configuration, by priority) when a ticket opens or its priority changes;
 * ignored in requests.
 */
policy?: SlaPolicy | null, };

/**
 * Reply to `open_ticket` and `ticket_info`.
 */
export type TicketOk = { ticket: TicketView, };

/**
 * Reply to `ticket_queue`: the matching tickets, most urgent first, then oldest.
 */
export type TicketQueueOk = { tickets: Array<TicketView>, 
/**
 * How many tickets match (before `limit`).
 */
total: number, 
/**
 * Of the tickets matching every filter but `status`, how many are in each status.
 */
by_status: { [key in TicketStatus]?: number }, };

/**
 * Where a ticket is in its lifecycle (Zendesk's status categories).
 */
export type TicketStatus = "new" | "open" | "pending" | "on_hold" | "solved" | "closed";

/**
 * A ticket as agents and its requester see it.
 */
export type TicketView = { id: StreamId, subject: string, requester: UserId, status: TicketStatus, 
/**
 * The custom status the ticket is in, if any (its category is `status`).
 */
custom_status?: string | null, priority: Priority, assignee: UserId | null, team: string, tags: Array<string>, fields: { [key in string]: FieldValue }, 
/**
 * Name this in `update_ticket`: a change decided on an older version is refused (`conflict`).
 */
version: number, 
/**
 * The closed ticket this one follows up, if any.
 */
follow_up_of: StreamId | null, 
/**
 * Follow-up tickets opened after this one was closed.
 */
follow_ups: Array<StreamId>, created_at: number, 
/**
 * The stream's head (its last seq).
 */
head: Seq, 
/**
 * When the earliest running SLA target falls due (ms since the Unix epoch); none while paused.
 */
sla_due?: number | null, 
/**
 * Targets this ticket has breached (`next_reply` once per reply cycle).
 */
breaches?: Array<SlaTarget>, 
/**
 * Running targets that were announced as falling due soon (and not breached yet).
 */
warnings?: Array<SlaTarget>, 
/**
 * The requester was asked to rate the ticket (once, when first solved).
 */
survey_offered: boolean, 
/**
 * The requester's rating, 1–5, once given.
 */
rating?: number | null, 
/**
 * The ticket this one was merged into (it is closed while merged).
 */
merged_into?: StreamId | null, 
/**
 * Tickets merged into this one: their conversations belong here.
 */
merged?: Array<StreamId>, };

/**
 * A user's id: the account's username, lower-case and immutable.
 */
export type UserId = string;

/**
 * A user as others see them.
 */
export type UserInfo = { id: UserId, display_name: string, role: Role, 
/**
 * Set while the account is suspended: until when (ms since the Unix epoch;
 * 18446744073709551615: until unsuspended). Absent otherwise.
 */
suspended_until?: number | null, };

/**
 * A page that is linked to but does not exist.
 */
export type WantedPage = { slug: string, 
/**
 * How many pages (that the caller may read) link to it.
 */
links: number, };

/**
 * What a watched word does to a post that matches it.
 */
export type WatchAction = "block" | "censor" | "require_approval" | "flag";

/**
 * One watched word or pattern (a `regex` crate pattern, matched case-insensitively).
 */
export type WatchedWord = { pattern: string, action: WatchAction, };

/**
 * Reply to `watched_words`.
 */
export type WatchedWordsOk = { words: Array<WatchedWord>, };

/**
 * A day of the week.
 */
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/**
 * Reply to `auth` and `whoami`.
 */
export type WhoamiOk = { user: UserInfo, 
/**
 * The store's epoch (see `subscribe`).
 */
epoch: string, };

/**
 * Reply to `wiki_diff`.
 */
export type WikiDiffOk = { stream: StreamId, from: Seq, to: Seq, hunks: Array<DiffHunk>, };

/**
 * What one entry of a page's history did.
 */
export type WikiEntryKind = "revision" | "move" | "protect";

/**
 * One entry of a page's history (newest last in the state, newest first in `wiki_history`).
 */
export type WikiHistoryEntry = { seq: Seq, kind: WikiEntryKind, author: UserId, at: number, summary: string, minor: boolean, 
/**
 * Size of the text in bytes after this entry.
 */
size: number, 
/**
 * A revert: the revision whose text this one restores.
 */
restores?: Seq | null, 
/**
 * A rollback by a moderator (of every consecutive edit by the last editor).
 */
rollback?: boolean, 
/**
 * Saved on an older base and merged three-way with the edits in between.
 */
merged?: boolean, };

/**
 * Reply to `wiki_history`: newest first.
 */
export type WikiHistoryOk = { stream: StreamId, title: string, entries: Array<WikiHistoryEntry>, 
/**
 * Older entries exist: ask again with `before` = the last entry's seq.
 */
more: boolean, };

/**
 * Reply to `wiki_links`: what a page links to, and what links here.
 */
export type WikiLinksOk = { stream: StreamId, links: Array<WikiPageRef>, 
/**
 * "What links here", including pages that link to one of its old titles.
 */
backlinks: Array<WikiPageRef>, 
/**
 * Old slugs that redirect here.
 */
redirects: Array<string>, };

/**
 * A wiki namespace as configured (`[[wiki.namespaces]]`): the title prefix
 * (`Help` for `Help:Getting started`), who reads its pages and who edits them.
 * A role means that role and moderators and admins (as a forum category's
 * restriction); none means everyone. The main namespace (prefix `""`) is read
 * and edited by everyone. A page records its namespace's roles when created or
 * moved (`wiki_namespace_set`), and its talk thread takes the read role.
 */
export type WikiNamespace = { prefix: string, read_role?: Role | null, edit_role?: Role | null, };

/**
 * Reply to `wiki_get`.
 */
export type WikiPageOk = { stream: StreamId, title: string, slug: string, 
/**
 * The namespace (`""` for the main one, `"Help"`, `"Internal"`, ...).
 */
namespace: string, 
/**
 * The revision shown (the latest unless `rev` was asked for): its seq is the
 * `base` of an edit.
 */
rev: Seq, latest: Seq, text: string, 
/**
 * The text rendered to sanitized HTML (when `render` was asked for).
 */
html?: string | null, 
/**
 * The slug asked for, when it redirected here (the page was moved).
 */
redirected_from?: string | null, 
/**
 * Protection in force now (lapsed protection is not shown).
 */
protection?: Protection | null, 
/**
 * Whether the caller may edit the page now.
 */
can_edit: boolean, 
/**
 * Whether the caller watches the page.
 */
watching: boolean, 
/**
 * The page stream's head (subscribe from here for edits and "is editing").
 */
head: Seq, 
/**
 * The page's talk thread (a `forum_thread`), once someone opened it (`wiki_talk`).
 */
talk?: StreamId | null, };

/**
 * A page as listed (links, backlinks, page lists).
 */
export type WikiPageRef = { slug: string, 
/**
 * The page's title; for a wanted page, the slug.
 */
title: string, 
/**
 * The page's stream, `None` when the page does not exist (a red link).
 */
stream?: StreamId | null, 
/**
 * For a backlink: it links here through this redirect (an old title).
 */
via?: string | null, };

/**
 * Reply to `wiki_pages`: every page the caller may read, by slug.
 */
export type WikiPagesOk = { pages: Array<WikiPageRef>, 
/**
 * Ask again with this cursor for the next page of the list (`None`: the end).
 */
next?: string | null, };

/**
 * Reply to `wiki_recent`: `wiki_change` events of the recent-changes stream,
 * newest first, filtered.
 */
export type WikiRecentOk = { stream: StreamId, changes: Array<Event>, 
/**
 * Older changes may exist: ask again with `before` = `from`.
 */
more: boolean, 
/**
 * The lowest seq this page of results looked at.
 */
from: Seq, };

/**
 * Reply to `wiki_save`, `wiki_revert` and `wiki_rollback`.
 */
export type WikiSaveOk = { stream: StreamId, 
/**
 * The new revision (for an unchanged text: the current one, `duplicate` true).
 */
rev: Seq, at: number, 
/**
 * The page did not exist and was created.
 */
created: boolean, 
/**
 * The edit's base was older than the latest revision and it was merged three-way.
 */
merged: boolean, duplicate: boolean, };

/**
 * Reply to `wiki_talk`: the page's talk thread (open it with `forum_thread`).
 */
export type WikiTalkOk = { 
/**
 * The page's stream.
 */
page: StreamId, 
/**
 * Its talk thread (a `forum_thread` stream).
 */
thread: StreamId, 
/**
 * This call created the thread.
 */
created: boolean, };

/**
 * Reply to `wiki_wanted`.
 */
export type WikiWantedOk = { pages: Array<WantedPage>, };

/** WebSocket close codes (PROTOCOL.md): 4000-4499 reconnect and resume, 4500-4999 do not. */
export const CloseCode = {
  GoingAway: 1001,
  ProtocolError: 1002,
  InvalidPayload: 1007,
  MessageTooBig: 1009,
  SlowConsumer: 4000,
  IdleTimeout: 4001,
  Flood: 4002,
  Unauthorized: 4500,
  AccountDisabled: 4501,
} as const;
