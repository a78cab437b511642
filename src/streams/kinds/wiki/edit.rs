//! Deciding what happens to a wiki page: create, save (with the three-way
//! merge when the base is stale), revert, rollback, move, protect, watch. Each
//! change to the page also records a `wiki_change` in the recent-changes
//! stream (same commit, `Append::also`). Who may edit is the namespace's edit
//! role, then the protection.

use super::{changes, merge, names, namespace_of, notify, page, talk, Editor, PageState, WikiAction, WIKI_NAMES};
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, NameClaim};
use crate::streams::kinds::{audit, feed, forum};
use crate::streams::visibility::Actor;
use crate::streams::{Action, StreamState};
use agora_protocol::moderation::{AuditAction, AuditEntry};
use agora_protocol::wiki::{ChangeKind, ProtectLevel, Protection, WikiConflict, WikiEntryKind, WikiNamespace};
use agora_protocol::{EventBody, FeedItem, FeedReason, Seq, StreamId, StreamKind, UserId};

/// A new page: `stream_created` (the title is its name; it claims the slug),
/// then in the same commit its namespace's roles and its first revision.
pub(super) fn create(
    cx: &Cx<'_>,
    id: StreamId,
    title: String,
    text: String,
    summary: String,
    namespace: WikiNamespace,
) -> AppResult<Decision> {
    if !forum::may_read(namespace.read_role, cx.actor) || !forum::may_read(namespace.edit_role, cx.actor) {
        return Err(AppError::Forbidden(format!("you cannot create pages in {}", namespace.prefix)));
    }
    let claim = Some(NameClaim::new(WIKI_NAMES, &names::slug(&title)));
    let body =
        EventBody::StreamCreated { kind: StreamKind::WikiPage, name: title, topic: String::new(), members: vec![] };
    let first = WikiAction::Save { base: Seq(1), text, summary, minor: false, editor: Editor::default() };
    let also = vec![
        recorded_namespace(&id, namespace),
        Derived { stream: id, actor: cx.actor.clone(), ensure: None, action: Action::Wiki(first) },
    ];
    Ok(Append { claim, also, ..Append::event(body) }.into())
}

pub(super) fn decide(st: &StreamState, cx: &Cx<'_>, action: WikiAction) -> AppResult<Decision> {
    let p = page(st);
    match action {
        WikiAction::Create { .. } | WikiAction::Record(_) => {
            Err(AppError::BadRequest("not an action on a page".into()))
        }
        WikiAction::Talk { thread } => talk::open(st, cx, thread),
        WikiAction::Namespace(namespace) => {
            if p.namespace.as_ref() == Some(&namespace) {
                return Ok(Decision::AlreadySo);
            }
            Ok(Append::event(EventBody::WikiNamespaceSet { namespace }).into())
        }
        WikiAction::Save { base, text, summary, minor, editor } => {
            may_edit(st, cx, editor)?;
            save(st, cx, base, text, summary, minor)
        }
        WikiAction::Revert { to, summary, editor } => {
            may_edit(st, cx, editor)?;
            let text = text_of(p, cx, to)?;
            let summary = if summary.is_empty() { format!("Reverted to revision {to}") } else { summary };
            revision(
                st,
                cx,
                Revision { text, summary, minor: false, restores: Some(to), rollback: false, merged: false },
            )
        }
        WikiAction::Rollback { user } => {
            require_moderator(cx.actor, "roll back")?;
            let to = rollback_target(p, &user)?;
            let text = text_of(p, cx, to)?;
            let summary = format!("Rolled back edits by {user} to revision {to}");
            revision(st, cx, Revision { text, summary, minor: true, restores: Some(to), rollback: true, merged: false })
        }
        WikiAction::Move { title, summary, editor, namespace } => {
            may_edit(st, cx, editor)?;
            if p.protection_at(cx.now).is_some_and(|pr| pr.rename) && !cx.actor.role.can_moderate() {
                return Err(AppError::Forbidden("this page is protected against moving".into()));
            }
            let from = namespace_of(st);
            // Readers stay who they are: the page's history and its talk thread were theirs.
            if from.read_role != namespace.read_role {
                return Err(AppError::BadRequest(format!(
                    "a page cannot move between namespaces with different readers ({:?} to {:?})",
                    from.prefix, namespace.prefix
                )));
            }
            if !forum::may_read(namespace.edit_role, cx.actor) {
                return Err(AppError::Forbidden(format!("you cannot create pages in {}", namespace.prefix)));
            }
            if title == st.name {
                return Ok(Decision::AlreadySo);
            }
            let claim = Some(NameClaim::new(WIKI_NAMES, &names::slug(&title)));
            let mut also = vec![recorded(st, cx, ChangeKind::Move, &title, &namespace, &summary, false, (p.size, 0))];
            if p.namespace.as_ref() != Some(&namespace) {
                also.push(recorded_namespace(&st.id, namespace));
            }
            also.extend(talk::renamed(p, &title));
            let body = EventBody::WikiMoved { from: st.name.clone(), to: title, summary };
            Ok(Append { claim, also, ..Append::event(body) }.into())
        }
        WikiAction::Protect(mut protection) => {
            require_moderator(cx.actor, "protect pages")?;
            if protection.expires.is_some_and(|e| e <= cx.now) {
                return Err(AppError::BadRequest("the expiry is in the past".into()));
            }
            protection.by = Some(cx.actor.id.clone());
            let summary = protection_summary(&protection);
            let ns = namespace_of(st);
            let change = recorded(st, cx, ChangeKind::Protect, &st.name, &ns, &summary, false, (p.size, 0));
            // Every protection change is also an audit entry, committed with it.
            let lifted = protection.edit == ProtectLevel::None && !protection.rename;
            let entry = AuditEntry {
                action: if lifted { AuditAction::Unprotect } else { AuditAction::Protect },
                actor: cx.actor.id.clone(),
                target_user: None,
                stream: Some(st.id.clone()),
                seq: Some(cx.head.next()),
                reason: protection.reason.clone(),
                until: protection.expires,
                reverse: (!lifted).then(|| "wiki_protect".to_owned()),
                detail: summary,
            };
            let also = vec![change, audit::audit(entry)];
            Ok(Append { also, ..Append::event(EventBody::WikiProtected { protection }) }.into())
        }
        WikiAction::Watch(watching) => {
            if p.watchers.contains(&cx.actor.id) == watching {
                return Ok(Decision::AlreadySo);
            }
            Ok(Append::event(EventBody::WikiWatched { user: cx.actor.id.clone(), watching }).into())
        }
    }
}

/// A new revision from `base`: as is when `base` is the latest, merged three-way
/// when someone saved since, refused with `conflict` (and the current text and
/// the overlapping hunks) when the edits overlap.
fn save(st: &StreamState, cx: &Cx<'_>, base: Seq, text: String, summary: String, minor: bool) -> AppResult<Decision> {
    let p = page(st);
    if p.latest == Seq(0) {
        // The first revision (right after creation).
        return revision(st, cx, Revision { text, summary, minor, restores: None, rollback: false, merged: false });
    }
    if base == p.latest {
        return revision(st, cx, Revision { text, summary, minor, restores: None, rollback: false, merged: false });
    }
    if base > p.latest || p.revision(base).is_none() {
        return Err(AppError::BadRequest(format!("base {base} is not a revision of this page")));
    }
    let base_text = text_of(p, cx, base)?;
    let current = text_of(p, cx, p.latest)?;
    match merge::merge(&base_text, &current, &text) {
        merge::Merged::Clean(merged) => {
            revision(st, cx, Revision { text: merged, summary, minor, restores: None, rollback: false, merged: true })
        }
        merge::Merged::Conflict(hunks) => {
            let details = WikiConflict { current: p.latest, text: current, hunks };
            Err(AppError::conflict_with(
                format!("edit conflict: revision {} changed the same lines since revision {base}", p.latest),
                serde_json::to_value(details).map_err(|e| AppError::Internal(e.to_string()))?,
            ))
        }
    }
}

struct Revision {
    text: String,
    summary: String,
    minor: bool,
    restores: Option<Seq>,
    rollback: bool,
    merged: bool,
}

/// Append a revision (unless the text is unchanged: a null edit stores nothing),
/// record it in recent changes, and tell the watchers.
fn revision(st: &StreamState, cx: &Cx<'_>, r: Revision) -> AppResult<Decision> {
    let p = page(st);
    if p.latest != Seq(0) && r.text.len() as u64 == p.size && text_of(p, cx, p.latest)? == r.text {
        return Ok(Decision::AlreadySo);
    }
    let kind = if p.latest == Seq(0) { ChangeKind::Create } else { ChangeKind::Edit };
    let delta = r.text.len() as i64 - p.size as i64;
    let ns = namespace_of(st);
    let change = recorded(st, cx, kind, &st.name, &ns, &r.summary, r.minor, (r.text.len() as u64, delta));
    // Watchers (but the editor) get a feed item in the same commit. Whether each
    // may still read the page is the feed's visibility rule: an item depends on
    // the revision it is about, so a watcher who cannot see it never sees the item.
    let seq = cx.head.next();
    let mut also = vec![change];
    for watcher in notify::watchers_to_notify(st, &cx.actor.id) {
        let mut item = FeedItem::new(FeedReason::WikiEdit, st.id.clone(), seq, cx.actor.id.clone(), &r.summary);
        item.title = st.name.clone();
        also.push(feed::notify(&watcher, item));
    }
    let body = EventBody::WikiRevised {
        text: r.text,
        summary: r.summary,
        minor: r.minor,
        base: p.latest,
        restores: r.restores,
        rollback: r.rollback,
        merged: r.merged,
    };
    Ok(Append { also, ..Append::event(body) }.into())
}

/// Record the page's namespace (as configured) on the page: the server's act,
/// so the page's readers under its namespace so far do not matter.
fn recorded_namespace(page: &StreamId, namespace: WikiNamespace) -> Derived {
    let action = Action::Wiki(WikiAction::Namespace(namespace));
    Derived { stream: page.clone(), actor: Actor::system(), ensure: None, action }
}

/// The `wiki_change` for the page event about to be appended (seq `cx.head + 1`);
/// `size`: the text's size after it and the change in size. The change is read
/// by whoever reads the page (`namespace`'s read role).
#[allow(clippy::too_many_arguments)]
fn recorded(
    st: &StreamState,
    cx: &Cx<'_>,
    change: ChangeKind,
    title: &str,
    namespace: &WikiNamespace,
    summary: &str,
    minor: bool,
    (size, delta): (u64, i64),
) -> Derived {
    let body = EventBody::WikiChange {
        page: st.id.clone(),
        title: title.to_owned(),
        namespace: namespace.prefix.clone(),
        change,
        rev: cx.head.next(),
        summary: summary.to_owned(),
        minor,
        size,
        delta,
        read_role: namespace.read_role,
    };
    changes::record(cx.actor, body)
}

fn protection_summary(p: &Protection) -> String {
    let level = match p.edit {
        ProtectLevel::None => "edit=all",
        ProtectLevel::Semi => "edit=autoconfirmed",
        ProtectLevel::Full => "edit=moderators",
    };
    let rename = if p.rename { ", move=moderators" } else { "" };
    let reason = if p.reason.is_empty() { String::new() } else { format!(": {}", p.reason) };
    format!("[{level}{rename}]{reason}")
}

/// May the actor change the page's text now? See [`may_edit_at`].
fn may_edit(st: &StreamState, cx: &Cx<'_>, editor: Editor) -> AppResult<()> {
    may_edit_at(st, cx.actor, cx.now, editor)
}

/// May `who` (`editor`: their account's age and the age semi-protection asks)
/// change the page's text at `now`? The namespace's edit role first; then the
/// protection, unless lapsed: full allows moderators; semi also accounts older
/// than `editor.min_age_ms`.
pub fn may_edit_at(st: &StreamState, who: &Actor, now: u64, editor: Editor) -> AppResult<()> {
    let ns = namespace_of(st);
    if !forum::may_read(ns.edit_role, who) {
        return Err(AppError::Forbidden(format!("only {:?} edit pages in {}", ns.edit_role, ns.prefix)));
    }
    let p: &PageState = page(st);
    let Some(pr) = p.protection_at(now) else { return Ok(()) };
    if who.role.can_moderate() {
        return Ok(());
    }
    let why = if pr.reason.is_empty() { String::new() } else { format!(" ({})", pr.reason) };
    match pr.edit {
        ProtectLevel::None => Ok(()),
        ProtectLevel::Full => Err(AppError::Forbidden(format!("this page is protected: only moderators edit it{why}"))),
        ProtectLevel::Semi if now.saturating_sub(editor.account_created) >= editor.min_age_ms => Ok(()),
        ProtectLevel::Semi => {
            Err(AppError::Forbidden(format!("this page is semi-protected: new accounts cannot edit it{why}")))
        }
    }
}

fn require_moderator(who: &Actor, what: &str) -> AppResult<()> {
    if who.role.can_moderate() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only moderators can {what}")))
    }
}

/// The revision before the latest run of consecutive revisions by `user`.
fn rollback_target(p: &PageState, user: &UserId) -> AppResult<Seq> {
    let mut revisions = p.entries.iter().rev().filter(|e| e.kind == WikiEntryKind::Revision);
    match revisions.next() {
        Some(last) if &last.author == user => {}
        _ => return Err(AppError::Conflict(format!("the last edit is not by {user}"))),
    }
    revisions
        .find(|e| &e.author != user)
        .map(|e| e.seq)
        .ok_or_else(|| AppError::Conflict(format!("every revision is by {user}: nothing to roll back to")))
}

/// The text of revision `seq` of this page.
fn text_of(p: &PageState, cx: &Cx<'_>, seq: Seq) -> AppResult<String> {
    if p.revision(seq).is_none() {
        return Err(AppError::NotFound(format!("no revision {seq}")));
    }
    match (cx.lookup)(seq)? {
        Some(ev) => match ev.body {
            EventBody::WikiRevised { text, .. } => Ok(text),
            _ => Err(AppError::NotFound(format!("no revision {seq}"))),
        },
        None => Err(AppError::NotFound(format!("no revision {seq}"))),
    }
}
