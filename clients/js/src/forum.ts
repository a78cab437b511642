/**
 * The forum's wire types (protocol/PROTOCOL.md §18): categories, thread rows,
 * thread views, staff actions and notification levels. The `forum_*` ops are
 * in `Ops` (types.ts), with these as their payloads.
 */
import type { Millis, Role, Seq, StreamId, UserId } from "./types.js";

export type NotificationLevel = "muted" | "normal" | "tracking" | "watching" | "watching_first_post";
export type StaffAction = "pin" | "pin_globally" | "unpin" | "lock" | "unlock" | "close" | "reopen" | "archive" | "unarchive";

export interface Category {
  id: string;
  name: string;
  slug: string;
  description: string;
  position: number;
  read_role?: Role;
  post_role?: Role;
}

export interface CategoryInfo extends Category {
  thread_count: number;
  level: NotificationLevel;
}

export interface ThreadRow {
  thread: StreamId;
  category: string;
  title: string;
  author: UserId;
  created_at: Millis;
  last_activity: Millis;
  last_poster: UserId;
  replies: number;
  likes: number;
  participants: UserId[];
  pinned: "no" | "category" | "globally";
  locked: boolean;
  closed: boolean;
  archived: boolean;
  merged_into?: StreamId;
  last_read: Seq;
  unread: number;
  level: NotificationLevel;
}

export interface PostView {
  seq: Seq;
  author: UserId;
  at: Millis;
  text: string;
  quote?: Seq;
  likes: number;
  liked: boolean;
  edits: number;
  deleted: boolean;
  moved_from?: StreamId;
}

export interface SmallAction {
  seq: Seq;
  by: UserId;
  at: Millis;
  action: string;
  detail?: string;
}

export interface ForumThreadOk {
  row: ThreadRow;
  posts: PostView[];
  actions: SmallAction[];
  first_unread?: Seq;
  to: Seq;
  head: Seq;
  more: boolean;
}

export interface PostVersion {
  seq: Seq;
  by: UserId;
  at: Millis;
  text: string;
}

export interface ForumOps {
  forum_categories: [Record<string, never>, { categories: CategoryInfo[] }];
  forum_save_category: [
    { category?: string; name: string; slug: string; description?: string; position?: number; read_role?: Role | null; post_role?: Role | null },
    { category: Category },
  ];
  forum_threads: [{ category?: string; cursor?: string; limit?: number }, { threads: ThreadRow[]; next?: string }];
  forum_create_thread: [{ category: string; title: string; text: string }, { thread: StreamId }];
  forum_thread: [{ thread: StreamId; after?: Seq; limit?: number }, ForumThreadOk];
  forum_like: [{ thread: StreamId; post: Seq }, import("./types.js").AppendOk];
  forum_unlike: [{ thread: StreamId; post: Seq }, import("./types.js").AppendOk];
  forum_recover: [{ thread: StreamId; post: Seq }, import("./types.js").AppendOk];
  forum_post_history: [{ thread: StreamId; post: Seq }, { versions: PostVersion[] }];
  forum_staff: [{ thread: StreamId; action: StaffAction }, import("./types.js").AppendOk];
  forum_move: [{ thread: StreamId; category: string }, import("./types.js").AppendOk];
  forum_split: [{ thread: StreamId; posts: Seq[]; title: string }, { thread: StreamId }];
  forum_merge: [{ thread: StreamId; into: StreamId }, import("./types.js").AppendOk];
  forum_set_level: [{ thread?: StreamId; category?: string; level: NotificationLevel }, import("./types.js").AppendOk];
}
