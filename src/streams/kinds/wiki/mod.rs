//! `wiki_page`: a wiki page as a stream. Its first event is `stream_created`
//! (the title is the stream's name); every edit appends a `wiki_revised` with
//! the full Markdown text; moves, protection and watching are events too.
//!
//! The folded state ([`PageState`]) holds each history entry's metadata, the
//! latest revision's seq, the page's links and old titles, its protection and
//! its watchers, but no text: texts are read from the log (`Cx::lookup` when
//! deciding, the engine when reading), so a page with 1,000 revisions of 100 KB
//! costs its metadata in memory, not 100 MB.
//!
//! Files: `edit` (deciding saves, reverts, rollbacks, moves, protection,
//! watching), `merge` (three-way merge of concurrent edits), `diff` (diffs
//! between revisions), `render` (Markdown to sanitized HTML, and the links in a
//! text), `names` (titles, slugs and namespaces, and who reads each
//! namespace), `changes` (the recent-changes stream's kind), `index` (the
//! links/backlinks/redirects projection), `notify` (who hears of an edit),
//! `talk` (the page's talk thread, a forum thread). Ops live in `ops/wiki.rs`.

pub mod changes;
pub mod diff;
pub mod edit;
pub mod index;
pub mod merge;
pub mod names;
pub mod notify;
pub mod render;
pub mod talk;

use super::KindState;
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Cx, Decision, Kind, NameClaim};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::ops::Role;
use agora_protocol::wiki::{Protection, WikiEntryKind, WikiHistoryEntry, WikiNamespace};
use agora_protocol::{Event, EventBody, Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// Namespace of page slugs: unique among wiki pages, case-insensitive.
pub const WIKI_NAMES: &str = "wiki";

/// What semi-protection asks of an editor: their account's creation time, and
/// the age an account needs (`wiki.semi_protect_min_age_days`), both from the op.
#[derive(Clone, Copy, Debug, Default)]
pub struct Editor {
    pub account_created: u64,
    pub min_age_ms: u64,
}

/// What someone asks of a wiki page (or, `Record`, of the recent-changes stream).
#[derive(Clone, Debug)]
pub enum WikiAction {
    /// Create page `id` (a new stream) with its first revision, in `namespace`
    /// (the title's, as configured).
    Create { id: StreamId, title: String, text: String, summary: String, namespace: WikiNamespace },
    /// A new revision, edited from `base`.
    Save { base: Seq, text: String, summary: String, minor: bool, editor: Editor },
    /// Restore revision `to` as a new revision.
    Revert { to: Seq, summary: String, editor: Editor },
    /// Moderators: undo the latest consecutive revisions by `user`.
    Rollback { user: UserId },
    /// Rename the page to `title`, in `namespace` (the new title's, as configured).
    Move { title: String, summary: String, editor: Editor, namespace: WikiNamespace },
    /// Record the page's namespace and its roles (derived from a create or a move).
    Namespace(WikiNamespace),
    /// Open the page's talk thread as `thread`, unless it has one (`talk.rs`).
    Talk { thread: StreamId },
    /// Moderators: set the protection (`edit: none`, `rename: false` lifts it).
    Protect(Protection),
    /// Start (true) or stop watching the page.
    Watch(bool),
    /// Append a `wiki_change` to the recent-changes stream (derived from a page event).
    Record(EventBody),
}

/// A page's own folded state (see the module doc: no texts here).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageState {
    /// Every revision, move and protection change, oldest first.
    #[serde(default)]
    pub entries: imbl::Vector<WikiHistoryEntry>,
    /// The latest revision (its text is the page's current text).
    #[serde(default)]
    pub latest: Seq,
    /// The latest text's size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Slugs the latest text links to (`[[Page]]`).
    #[serde(default)]
    pub links: imbl::OrdSet<String>,
    /// Slugs of the page's old titles, which redirect here.
    #[serde(default)]
    pub redirects: imbl::OrdSet<String>,
    /// The latest protection (lapsed or not: compare `expires` with the clock).
    #[serde(default)]
    pub protection: Option<Protection>,
    #[serde(default)]
    pub watchers: imbl::OrdSet<UserId>,
    /// The page's namespace and its roles as recorded (`None`: before
    /// `wiki_namespace_set` existed; the default table by title applies).
    #[serde(default)]
    pub namespace: Option<WikiNamespace>,
    /// The page's talk thread, once opened.
    #[serde(default)]
    pub talk: Option<StreamId>,
}

impl PageState {
    /// The protection in force at `now` (none once it has expired).
    pub fn protection_at(&self, now: u64) -> Option<&Protection> {
        self.protection.as_ref().filter(|p| p.expires.is_none_or(|e| now < e))
    }

    /// The revision entry at `seq`, if `seq` is a revision of this page.
    pub fn revision(&self, seq: Seq) -> Option<&WikiHistoryEntry> {
        let i = self.entries.binary_search_by_key(&seq, |e| e.seq).ok()?;
        self.entries.get(i).filter(|e| e.kind == WikiEntryKind::Revision)
    }
}

/// A page's namespace: as recorded, else the default table's for its title.
pub fn namespace_of(st: &StreamState) -> WikiNamespace {
    page(st).namespace.clone().unwrap_or_else(|| names::default_namespace(&st.name))
}

/// Who reads a page (a role, and moderators and admins; `None`: everyone).
pub fn read_role(st: &StreamState) -> Option<Role> {
    match &page(st).namespace {
        Some(ns) => ns.read_role,
        None => names::default_namespace(&st.name).read_role,
    }
}

/// A page's state (empty for a stream that is not a page, or has no revision yet).
pub fn page(st: &StreamState) -> &PageState {
    static EMPTY: std::sync::OnceLock<PageState> = std::sync::OnceLock::new();
    match &st.ext {
        KindState::Wiki(p) => p,
        _ => EMPTY.get_or_init(PageState::default),
    }
}

fn page_mut(st: &mut StreamState) -> &mut PageState {
    if !matches!(st.ext, KindState::Wiki(_)) {
        st.ext = KindState::Wiki(Box::default());
    }
    match &mut st.ext {
        KindState::Wiki(p) => p,
        _ => unreachable!("set just above"),
    }
}

pub struct WikiPage;

impl Kind for WikiPage {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let Action::Wiki(action) = action else {
            return Err(AppError::BadRequest("not an action on a wiki page".into()));
        };
        match (st, action) {
            (None, WikiAction::Create { id, title, text, summary, namespace }) => {
                edit::create(cx, id, title, text, summary, namespace)
            }
            (None, _) => Err(AppError::not_found_stream()),
            (Some(_), WikiAction::Create { .. }) => Err(AppError::Conflict("the page exists".into())),
            (Some(st), action) => edit::decide(st, cx, action),
        }
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        let entry = |kind, summary: String| WikiHistoryEntry {
            seq: ev.seq,
            kind,
            author: ev.author.clone(),
            at: ev.at,
            summary,
            minor: false,
            size: 0,
            restores: None,
            rollback: false,
            merged: false,
        };
        match &ev.body {
            EventBody::WikiRevised { text, summary, minor, restores, rollback, merged, .. } => {
                let p = page_mut(st);
                p.latest = ev.seq;
                p.size = text.len() as u64;
                p.links = render::links(text).into_iter().collect();
                p.entries.push_back(WikiHistoryEntry {
                    minor: *minor,
                    size: p.size,
                    restores: *restores,
                    rollback: *rollback,
                    merged: *merged,
                    ..entry(WikiEntryKind::Revision, summary.clone())
                });
            }
            EventBody::WikiMoved { from, to, summary } => {
                st.name = to.clone();
                let p = page_mut(st);
                let (old, new) = (names::slug(from), names::slug(to));
                p.redirects.remove(&new);
                if old != new {
                    p.redirects.insert(old);
                }
                let size = p.size;
                let text =
                    if summary.is_empty() { format!("{from} → {to}") } else { format!("{from} → {to}: {summary}") };
                p.entries.push_back(WikiHistoryEntry { size, ..entry(WikiEntryKind::Move, text) });
            }
            EventBody::WikiProtected { protection } => {
                let p = page_mut(st);
                let lifted = protection.edit == agora_protocol::wiki::ProtectLevel::None && !protection.rename;
                p.protection = (!lifted).then(|| protection.clone());
                let size = p.size;
                p.entries
                    .push_back(WikiHistoryEntry { size, ..entry(WikiEntryKind::Protect, protection.reason.clone()) });
            }
            EventBody::WikiWatched { user, watching } => {
                let p = page_mut(st);
                if *watching {
                    p.watchers.insert(user.clone());
                } else {
                    p.watchers.remove(user);
                }
            }
            EventBody::WikiNamespaceSet { namespace } => page_mut(st).namespace = Some(namespace.clone()),
            EventBody::WikiTalkLinked { thread, .. } => page_mut(st).talk = Some(thread.clone()),
            _ => {}
        }
    }

    /// The namespace's read role, by the same rule as a forum category's
    /// restriction (so the page's talk thread, which takes the role, agrees).
    fn can_read(&self, st: &StreamState, who: &Actor) -> bool {
        super::forum::may_read(read_role(st), who)
    }

    /// Readers may signal that they are editing (`typing`); whether a save is
    /// allowed (protection) is decided with the clock in `decide`.
    fn can_write(&self, st: &StreamState, who: &Actor) -> bool {
        self.can_read(st, who)
    }

    fn audience(&self, _st: &StreamState, ev: &Event) -> Audience {
        match &ev.body {
            // Whom someone watches is theirs alone.
            EventBody::WikiWatched { user, .. } => Audience::only(vec![user.clone()]),
            _ => Audience::everyone(),
        }
    }

    fn name_claim(&self, st: &StreamState) -> Option<NameClaim> {
        Some(NameClaim::new(WIKI_NAMES, &names::slug(&st.name)))
    }

    /// Found through `wiki_pages`, which pages in slug order.
    fn listed(&self) -> bool {
        false
    }
}
