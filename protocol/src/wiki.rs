//! The wiki's wire types: payloads of the `wiki_*` ops and their replies, the
//! protection levels, a page's history entries, diff hunks, edit-conflict
//! details and recent-change records.
//!
//! The events themselves (`wiki_revised`, `wiki_moved`, ...) are variants of
//! [`crate::EventBody`]; the ops are variants of [`crate::Op`]. PROTOCOL.md §
//! "Wiki" is the contract.

use crate::event::Event;
use crate::ids::{Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// The id of the one recent-changes stream (kind `wiki_changes`).
pub const RECENT_CHANGES: &str = "wiki_changes";

/// Who may edit a page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProtectLevel {
    /// Everyone who may read the page.
    #[default]
    None,
    /// Accounts older than the server's autoconfirm age (`wiki.semi_protect_min_age_days`, default 4), and moderators.
    Semi,
    /// Moderators and admins only.
    Full,
}

/// A page's protection as it stands (expiry not yet applied: compare `expires` with the time).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Protection {
    pub edit: ProtectLevel,
    /// Only moderators may move (rename) the page.
    #[serde(default)]
    pub rename: bool,
    #[serde(default)]
    pub reason: String,
    /// When the protection lapses (ms since the epoch, server clock); `None`: never.
    #[serde(default)]
    pub expires: Option<u64>,
    /// The moderator who set it (filled in by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
}

/// What one entry of a page's history did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WikiEntryKind {
    /// A new revision of the text (an edit, a revert or a rollback).
    Revision,
    /// The page was moved (renamed); the old title redirects here.
    Move,
    /// The page's protection changed.
    Protect,
}

/// One entry of a page's history (newest last in the state, newest first in `wiki_history`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiHistoryEntry {
    pub seq: Seq,
    pub kind: WikiEntryKind,
    pub author: UserId,
    pub at: u64,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub minor: bool,
    /// Size of the text in bytes after this entry.
    #[serde(default)]
    pub size: u64,
    /// A revert: the revision whose text this one restores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restores: Option<Seq>,
    /// A rollback by a moderator (of every consecutive edit by the last editor).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
    /// Saved on an older base and merged three-way with the edits in between.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merged: bool,
}

/// Reply to `wiki_get`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiPageOk {
    pub stream: StreamId,
    pub title: String,
    pub slug: String,
    /// The namespace (`""` for the main one, `"Help"`, `"Internal"`, ...).
    pub namespace: String,
    /// The revision shown (the latest unless `rev` was asked for): its seq is the
    /// `base` of an edit.
    pub rev: Seq,
    pub latest: Seq,
    pub text: String,
    /// The text rendered to sanitized HTML (when `render` was asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The slug asked for, when it redirected here (the page was moved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirected_from: Option<String>,
    /// Protection in force now (lapsed protection is not shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protection: Option<Protection>,
    /// Whether the caller may edit the page now.
    pub can_edit: bool,
    /// Whether the caller watches the page.
    pub watching: bool,
    /// The page stream's head (subscribe from here for edits and "is editing").
    pub head: Seq,
    /// The page's talk thread (a `forum_thread`), once someone opened it (`wiki_talk`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk: Option<StreamId>,
}

/// Reply to `wiki_save`, `wiki_revert` and `wiki_rollback`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiSaveOk {
    pub stream: StreamId,
    /// The new revision (for an unchanged text: the current one, `duplicate` true).
    pub rev: Seq,
    pub at: u64,
    /// The page did not exist and was created.
    #[serde(default)]
    pub created: bool,
    /// The edit's base was older than the latest revision and it was merged three-way.
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub duplicate: bool,
}

/// Details of a `conflict` error from `wiki_save` (in the error body's `details`):
/// someone saved since `base`, and their change overlaps the caller's. The
/// caller's text was not saved; show both, keep it, and save again with
/// `base: current`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiConflict {
    /// The latest revision now.
    pub current: Seq,
    /// Its text.
    pub text: String,
    /// The regions both edits changed.
    pub hunks: Vec<ConflictHunk>,
}

/// One region that both edits changed, as lines of text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictHunk {
    /// The region in the base revision.
    pub base: String,
    /// What the latest revision has there.
    pub current: String,
    /// What the rejected edit has there.
    pub yours: String,
}

/// Reply to `wiki_history`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiHistoryOk {
    pub stream: StreamId,
    pub title: String,
    pub entries: Vec<WikiHistoryEntry>,
    /// Older entries exist: ask again with `before` = the last entry's seq.
    pub more: bool,
}

/// How a line (or a word span) of a diff changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DiffTag {
    Equal,
    Delete,
    Insert,
}

/// A piece of a changed line: `changed` marks the words that differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiffSpan {
    pub text: String,
    pub changed: bool,
}

/// One line of a diff hunk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiffLine {
    pub tag: DiffTag,
    /// Line number in the old text (1-based), absent for an inserted line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<u32>,
    /// Line number in the new text (1-based), absent for a deleted line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<u32>,
    /// The line without its newline.
    pub text: String,
    /// For a changed line: the line as spans, the differing words marked (word-level diff).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<DiffSpan>,
}

/// A run of changed lines with up to 3 lines of context around them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiffHunk {
    /// First line in the old text (1-based) and how many old lines the hunk covers.
    pub old_start: u32,
    pub old_len: u32,
    pub new_start: u32,
    pub new_len: u32,
    pub lines: Vec<DiffLine>,
}

/// Reply to `wiki_diff`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiDiffOk {
    pub stream: StreamId,
    pub from: Seq,
    pub to: Seq,
    pub hunks: Vec<DiffHunk>,
}

/// A page as listed (links, backlinks, page lists).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiPageRef {
    pub slug: String,
    /// The page's title; for a wanted page, the slug.
    pub title: String,
    /// The page's stream, `None` when the page does not exist (a red link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamId>,
    /// For a backlink: it links here through this redirect (an old title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// Reply to `wiki_links`: what a page links to, and what links here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiLinksOk {
    pub stream: StreamId,
    pub links: Vec<WikiPageRef>,
    /// "What links here", including pages that link to one of its old titles.
    pub backlinks: Vec<WikiPageRef>,
    /// Old slugs that redirect here.
    pub redirects: Vec<String>,
}

/// A page that is linked to but does not exist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WantedPage {
    pub slug: String,
    /// How many pages (that the caller may read) link to it.
    pub links: u32,
}

/// Reply to `wiki_wanted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiWantedOk {
    pub pages: Vec<WantedPage>,
}

/// Reply to `wiki_pages`: every page the caller may read, by slug.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiPagesOk {
    pub pages: Vec<WikiPageRef>,
    /// Ask again with this cursor for the next page of the list (`None`: the end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A wiki namespace as configured (`[[wiki.namespaces]]`): the title prefix
/// (`Help` for `Help:Getting started`), who reads its pages and who edits them.
/// A role means that role and moderators and admins (as a forum category's
/// restriction); none means everyone. The main namespace (prefix `""`) is read
/// and edited by everyone. A page records its namespace's roles when created or
/// moved (`wiki_namespace_set`), and its talk thread takes the read role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiNamespace {
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_role: Option<crate::ops::Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_role: Option<crate::ops::Role>,
}

/// Reply to `wiki_talk`: the page's talk thread (open it with `forum_thread`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiTalkOk {
    /// The page's stream.
    pub page: StreamId,
    /// Its talk thread (a `forum_thread` stream).
    pub thread: StreamId,
    /// This call created the thread.
    #[serde(default)]
    pub created: bool,
}

/// Reply to `wiki_recent`: `wiki_change` events of the recent-changes stream,
/// newest first, filtered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WikiRecentOk {
    pub stream: StreamId,
    pub changes: Vec<Event>,
    /// Older changes may exist: ask again with `before` = `from`.
    pub more: bool,
    /// The lowest seq this page of results looked at.
    pub from: Seq,
}

/// What a recent change was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Create,
    Edit,
    Move,
    Protect,
}
