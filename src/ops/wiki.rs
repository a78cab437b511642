//! The wiki's ops: read a page (rendered), save with a base revision (merged
//! or refused with `conflict` and details), history, diff, revert, rollback,
//! move, protect, watch, links and backlinks, wanted pages, the page list,
//! recent changes and talk threads. Titles are resolved against the configured
//! namespaces (`config.wiki`), which the actions carry to the page's decision.
//! Pages are found by slug through the wiki index (`app.projections.wiki`);
//! readability is the one rule (`app.readable`).
//! "Is editing" needs no op of its own: it is `typing` on the page's stream.

use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::registry::StreamEntry;
use crate::streams::kinds::wiki::index::Resolved;
use crate::streams::kinds::wiki::{diff, edit, names, namespace_of, page, render, Editor, WikiAction};
use crate::streams::{can_see, Action};
use agora_protocol::ops::AppendOk;
use agora_protocol::push::OkBody;
use agora_protocol::wiki::{
    Protection, WantedPage, WikiConflict, WikiDiffOk, WikiHistoryOk, WikiLinksOk, WikiPageOk, WikiPageRef, WikiPagesOk,
    WikiRecentOk, WikiSaveOk, WikiTalkOk, WikiWantedOk, RECENT_CHANGES,
};
use agora_protocol::{EventBody, Seq, StreamId, UserId};
use std::sync::Arc;

/// Longest edit summary or protection reason, in characters.
const MAX_SUMMARY_CHARS: usize = 500;

/// The page `page` (a title or slug) names, following a redirect, if the caller
/// may read it; and the slug it was found under when that was a redirect.
fn find(app: &App, s: &Session, page: &str) -> AppResult<(Arc<StreamEntry>, Option<String>)> {
    let slug = names::slug(page);
    let (id, via) = match app.projections.wiki.resolve(&slug) {
        Resolved::Page(id) => (id, None),
        Resolved::Redirect(id) => (id, Some(slug)),
        Resolved::Missing => return Err(AppError::NotFound(format!("no page {page:?}"))),
    };
    let entry =
        app.readable(&id, &s.user.id, s.user.role).map_err(|_| AppError::NotFound(format!("no page {page:?}")))?;
    Ok((entry, via))
}

/// The text of revision `rev` of a page (read from the log).
fn text_at(app: &App, stream: &StreamId, rev: Seq) -> AppResult<String> {
    match app.log.get(stream, rev)? {
        Some(ev) => match ev.body {
            EventBody::WikiRevised { text, .. } => Ok(text),
            _ => Err(AppError::NotFound(format!("no revision {rev}"))),
        },
        None => Err(AppError::NotFound(format!("no revision {rev}"))),
    }
}

/// The caller as semi-protection sees them.
pub(super) fn editor(app: &App, s: &Session) -> Editor {
    Editor { account_created: s.user.created_at, min_age_ms: app.config.wiki.semi_protect_min_age_ms() }
}

fn check_summary(field: &str, summary: &str) -> AppResult<()> {
    check_len(field, summary, 0, MAX_SUMMARY_CHARS)
}

pub(super) fn get(app: &Arc<App>, s: &Session, page_name: &str, rev: Option<Seq>, render: bool) -> AppResult<OkBody> {
    let (entry, redirected_from) = find(app, s, page_name)?;
    let (id, title, namespace, latest, protection, can_edit, watching, talk) = {
        let st = entry.read();
        let p = page(&st);
        let now = app.clock.now_ms();
        let can_edit = edit::may_edit_at(&st, &s.actor(), now, editor(app, s)).is_ok();
        let protection: Option<Protection> = p.protection_at(now).cloned();
        let watching = p.watchers.contains(&s.user.id);
        (
            st.id.clone(),
            st.name.clone(),
            namespace_of(&st).prefix,
            p.latest,
            protection,
            can_edit,
            watching,
            p.talk.clone(),
        )
    };
    let rev = rev.unwrap_or(latest);
    if page(&entry.read()).revision(rev).is_none() {
        return Err(AppError::NotFound(format!("no revision {rev}")));
    }
    let text = text_at(app, &id, rev)?;
    let html = render.then(|| render::render(&text, &|slug| app.projections.wiki.exists(slug)));
    Ok(OkBody::WikiPage(Box::new(WikiPageOk {
        stream: id,
        slug: names::slug(&title),
        namespace,
        title,
        rev,
        latest,
        text,
        html,
        redirected_from,
        protection,
        can_edit,
        watching,
        head: entry.committed_head(),
        talk,
    })))
}

/// Submit a wiki action and reply with `reply(app, appended)` once it is durable.
fn submit(
    app: &Arc<App>,
    s: &Session,
    stream: StreamId,
    action: WikiAction,
    reply: impl FnOnce(&App, crate::sequencer::Appended) -> AppResult<OkBody> + Send + 'static,
) -> Outcome {
    let fut = match app.sequencer.submit(stream, s.actor(), Action::Wiki(action), None) {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    Outcome::Later(Box::pin(async move {
        let appended = fut.await?;
        reply(&app, appended)
    }))
}

fn append_ok(_: &App, a: crate::sequencer::Appended) -> AppResult<OkBody> {
    Ok(OkBody::Append(AppendOk { stream: a.stream, seq: a.seq, at: a.at, duplicate: a.duplicate }))
}

/// The reply to a save: the revision now latest (the new one, or for an unchanged text the current one).
fn saved(created: bool) -> impl FnOnce(&App, crate::sequencer::Appended) -> AppResult<OkBody> + Send + 'static {
    move |app, a| {
        let entry = app.registry.get(&a.stream).ok_or_else(AppError::not_found_stream)?;
        let st = entry.read();
        let p = page(&st);
        let merged = p.revision(p.latest).is_some_and(|e| e.merged && !a.duplicate);
        Ok(OkBody::WikiSave(WikiSaveOk {
            stream: a.stream,
            rev: p.latest,
            at: a.at,
            created,
            merged,
            duplicate: a.duplicate,
        }))
    }
}

pub(super) fn save(
    app: &Arc<App>,
    s: &Session,
    page_name: String,
    base: Option<Seq>,
    text: String,
    summary: String,
    minor: bool,
) -> Outcome {
    let namespaces = &app.config.wiki.namespaces;
    let title = match names::normalize_title(&page_name, namespaces) {
        Ok(t) => t,
        Err(e) => return Outcome::err(AppError::BadRequest(e)),
    };
    let max = app.config.limits.max_wiki_page_bytes;
    if text.len() > max {
        return Outcome::err(AppError::TooLarge(format!("a page's text is at most {max} bytes")));
    }
    if let Err(e) = check_summary("summary", &summary) {
        return Outcome::err(e);
    }
    let target = match app.projections.wiki.resolve(&names::slug(&title)) {
        Resolved::Page(id) => Some(id),
        // Saving on an old title edits the page it redirects to; creating there replaces the redirect.
        Resolved::Redirect(id) if base.is_some() => Some(id),
        Resolved::Redirect(_) | Resolved::Missing => None,
    };
    match (target, base) {
        (None, _) => {
            if text.trim().is_empty() {
                return Outcome::err(AppError::BadRequest("a new page needs some text".into()));
            }
            let id = StreamId(format!("wk_{}", crate::ids::random_id(12)));
            let namespace = names::namespace(&title, namespaces);
            let action = WikiAction::Create { id: id.clone(), title, text, summary, namespace };
            submit(app, s, id, action, saved(true))
        }
        (Some(id), None) => {
            // Someone created the page meanwhile: the caller's text is kept by the client.
            let conflict = || -> AppResult<AppError> {
                let entry = app.readable(&id, &s.user.id, s.user.role)?;
                let latest = page(&entry.read()).latest;
                let details = WikiConflict { current: latest, text: text_at(app, &id, latest)?, hunks: vec![] };
                Ok(AppError::conflict_with(
                    "the page exists: edit its latest revision".into(),
                    serde_json::to_value(details).map_err(|e| AppError::Internal(e.to_string()))?,
                ))
            };
            Outcome::err(conflict().unwrap_or_else(|e| e))
        }
        (Some(id), Some(base)) => {
            let action = WikiAction::Save { base, text, summary, minor, editor: editor(app, s) };
            submit(app, s, id, action, saved(false))
        }
    }
}

pub(super) fn history(
    app: &Arc<App>,
    s: &Session,
    page_name: &str,
    before: Option<Seq>,
    limit: Option<u32>,
) -> AppResult<OkBody> {
    let (entry, _) = find(app, s, page_name)?;
    let max = app.config.limits.history_max;
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > max {
        return Err(AppError::BadRequest(format!("limit must be between 1 and {max}")));
    }
    let st = entry.read();
    let p = page(&st);
    let mut entries = Vec::with_capacity(limit as usize);
    let mut more = false;
    for e in p.entries.iter().rev().filter(|e| before.is_none_or(|b| e.seq < b)) {
        if entries.len() == limit as usize {
            more = true;
            break;
        }
        entries.push(e.clone());
    }
    Ok(OkBody::WikiHistory(WikiHistoryOk { stream: st.id.clone(), title: st.name.clone(), entries, more }))
}

pub(super) fn diff(app: &Arc<App>, s: &Session, page_name: &str, from: Seq, to: Seq) -> AppResult<OkBody> {
    let (entry, _) = find(app, s, page_name)?;
    let id = entry.read().id.clone();
    for rev in [from, to] {
        if page(&entry.read()).revision(rev).is_none() {
            return Err(AppError::NotFound(format!("no revision {rev}")));
        }
    }
    let (old, new) = (text_at(app, &id, from)?, text_at(app, &id, to)?);
    Ok(OkBody::WikiDiff(WikiDiffOk { stream: id, from, to, hunks: diff::diff(&old, &new) }))
}

/// Revert, rollback, move, protect and watch: find the page, submit the action.
pub(super) fn act(app: &Arc<App>, s: &Session, page_name: &str, action: WikiAction) -> Outcome {
    let check = match &action {
        WikiAction::Revert { summary, .. } | WikiAction::Move { summary, .. } => check_summary("summary", summary),
        WikiAction::Protect(p) => check_summary("reason", &p.reason),
        _ => Ok(()),
    };
    if let Err(e) = check {
        return Outcome::err(e);
    }
    let action = match action {
        WikiAction::Move { title, summary, editor, .. } => {
            let namespaces = &app.config.wiki.namespaces;
            match names::normalize_title(&title, namespaces) {
                Ok(title) => {
                    WikiAction::Move { namespace: names::namespace(&title, namespaces), title, summary, editor }
                }
                Err(e) => return Outcome::err(AppError::BadRequest(e)),
            }
        }
        other => other,
    };
    let entry = match find(app, s, page_name) {
        Ok((e, _)) => e,
        Err(e) => return Outcome::err(e),
    };
    let id = entry.read().id.clone();
    match action {
        WikiAction::Revert { .. } | WikiAction::Rollback { .. } => submit(app, s, id, action, saved(false)),
        other => submit(app, s, id, other, append_ok),
    }
}

/// A page reference for the caller: its title and stream if it exists and they may read it.
fn page_ref(app: &App, s: &Session, slug: &str, via: Option<String>) -> WikiPageRef {
    let id = match app.projections.wiki.resolve(slug) {
        Resolved::Page(id) | Resolved::Redirect(id) => Some(id),
        Resolved::Missing => None,
    };
    let visible = id.filter(|id| app.readable(id, &s.user.id, s.user.role).is_ok());
    let title = visible.as_ref().and_then(|id| app.projections.wiki.title(id)).unwrap_or_else(|| slug.to_owned());
    WikiPageRef { slug: slug.to_owned(), title, stream: visible, via }
}

pub(super) fn links(app: &Arc<App>, s: &Session, page_name: &str) -> AppResult<OkBody> {
    let (entry, _) = find(app, s, page_name)?;
    let id = entry.read().id.clone();
    let ix = &app.projections.wiki;
    let links = ix.links(&id).iter().map(|slug| page_ref(app, s, slug, None)).collect();
    let backlinks = ix
        .backlinks(&id)
        .into_iter()
        .filter(|(from, _)| app.readable(from, &s.user.id, s.user.role).is_ok())
        .filter_map(|(from, via)| {
            let title = ix.title(&from)?;
            Some(WikiPageRef { slug: names::slug(&title), title, stream: Some(from), via })
        })
        .collect();
    Ok(OkBody::WikiLinks(WikiLinksOk { stream: id.clone(), links, backlinks, redirects: ix.redirects_to(&id) }))
}

pub(super) fn wanted(app: &Arc<App>, s: &Session) -> AppResult<OkBody> {
    let pages = app
        .projections
        .wiki
        .wanted()
        .into_iter()
        .filter_map(|(slug, from)| {
            let n = from.iter().filter(|f| app.readable(f, &s.user.id, s.user.role).is_ok()).count() as u32;
            (n > 0).then_some(WantedPage { slug, links: n })
        })
        .collect();
    Ok(OkBody::WikiWanted(WikiWantedOk { pages }))
}

/// Most pages one `wiki_pages` returns.
const MAX_PAGES: u32 = 500;

/// The page list in slug order, one page after `cursor` (the last slug of the previous one).
pub(super) fn pages(
    app: &Arc<App>,
    s: &Session,
    namespace: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> AppResult<OkBody> {
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGES {
        return Err(AppError::BadRequest(format!("limit must be between 1 and {MAX_PAGES}")));
    }
    let namespaces = &app.config.wiki.namespaces;
    // A namespace's slugs share a prefix (`help:`); the main one's are filtered.
    let prefix = match namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("{}:", names::slug(ns)),
        _ => String::new(),
    };
    let keep = |id: &StreamId, title: &str| {
        namespace.as_deref().is_none_or(|ns| names::namespace(title, namespaces).prefix.eq_ignore_ascii_case(ns))
            && app.readable(id, &s.user.id, s.user.role).is_ok()
    };
    let (rows, next) = app.projections.wiki.pages(&prefix, cursor.as_deref(), limit as usize, &keep);
    let pages = rows
        .into_iter()
        .map(|(id, title)| WikiPageRef { slug: names::slug(&title), title, stream: Some(id), via: None })
        .collect();
    Ok(OkBody::WikiPages(WikiPagesOk { pages, next }))
}

/// The page's talk thread; the first call opens it (one decision on the page's
/// stream, so racing calls get the same thread).
pub(super) fn talk(app: &Arc<App>, s: &Session, page_name: &str) -> Outcome {
    let entry = match find(app, s, page_name) {
        Ok((e, _)) => e,
        Err(e) => return Outcome::err(e),
    };
    let (id, existing) = {
        let st = entry.read();
        (st.id.clone(), page(&st).talk.clone())
    };
    if let Some(thread) = existing {
        return Outcome::ok(OkBody::WikiTalk(WikiTalkOk { page: id, thread, created: false }));
    }
    let thread = StreamId(format!("ft_{}", crate::ids::random_id(12)));
    submit(app, s, id, WikiAction::Talk { thread: thread.clone() }, move |app, a| {
        let entry = app.registry.get(&a.stream).ok_or_else(AppError::not_found_stream)?;
        let talk = page(&entry.read()).talk.clone();
        let talk = talk.ok_or_else(|| AppError::Internal("the talk thread was not linked".into()))?;
        if app.registry.get(&talk).is_none() {
            return Err(AppError::Internal("the talk thread was not created".into()));
        }
        Ok(OkBody::WikiTalk(WikiTalkOk { page: a.stream, created: talk == thread, thread: talk }))
    })
}

/// Raw pages of the recent-changes log one `wiki_recent` reads at most.
const RECENT_SCAN_PAGES: usize = 8;

pub(super) fn recent(
    app: &Arc<App>,
    s: &Session,
    user: Option<UserId>,
    namespace: Option<String>,
    before: Option<Seq>,
    limit: Option<u32>,
) -> AppResult<OkBody> {
    let stream = StreamId::from(RECENT_CHANGES);
    let max = app.config.limits.history_max;
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > max {
        return Err(AppError::BadRequest(format!("limit must be between 1 and {max}")));
    }
    let Ok(entry) = app.readable(&stream, &s.user.id, s.user.role) else {
        return Ok(OkBody::WikiRecent(WikiRecentOk { stream, changes: vec![], more: false, from: Seq(0) }));
    };
    let head = entry.committed_head();
    let who = s.actor();
    let mut cursor = before.unwrap_or(head.next()).min(head.next());
    let mut changes = Vec::new();
    let mut from = cursor;
    for _ in 0..RECENT_SCAN_PAGES {
        let page = app.log.read_before(&stream, cursor, limit as usize)?;
        let Some(first) = page.first().map(|e| e.seq) else { break };
        cursor = first;
        let st = entry.read();
        for ev in page.into_iter().rev() {
            if changes.len() == limit as usize {
                break;
            }
            from = ev.seq;
            let EventBody::WikiChange { namespace: ns, .. } = &ev.body else { continue };
            let wanted = user.as_ref().is_none_or(|u| *u == ev.author)
                && namespace.as_deref().is_none_or(|n| n.eq_ignore_ascii_case(ns));
            if wanted && can_see(&st, &ev, &who, &*app.sources()) {
                changes.push(ev);
            }
        }
        if changes.len() == limit as usize {
            break;
        }
    }
    let more = from > Seq(1);
    Ok(OkBody::WikiRecent(WikiRecentOk { stream, changes, more, from }))
}
