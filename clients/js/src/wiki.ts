/**
 * The wiki's wire types (PROTOCOL.md §23). Everything on the wire is generated
 * from the protocol crate (protocol.gen.ts) and re-exported here for the wiki
 * screens; `WikiConflict` is written by hand because it travels as the JSON
 * `details` of a `wiki_save` conflict (ErrorBody), which the generator does not reach.
 */
import type { Seq } from "./protocol.gen.js";

export type {
  DiffHunk,
  DiffLine,
  ProtectLevel,
  Protection,
  WikiHistoryEntry,
  WikiPageOk,
  WikiNamespace,
  WikiPageRef,
  WikiPagesOk,
  WikiSaveOk,
  WikiTalkOk,
} from "./protocol.gen.js";

/** The `details` of a `conflict` from `wiki_save`: the current revision, its text, and the overlapping hunks. */
export interface WikiConflict {
  current: Seq;
  text: string;
  hunks: { base: string; current: string; yours: string }[];
}
