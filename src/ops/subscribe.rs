//! subscribe, unsubscribe, history: reading a stream's log, live and past.
//!
//! Gap-free resume: the connection is registered with the hub *before* the
//! head is read, and the writer delivers by cursor (see `gateway::writer`), so
//! an event appended during the replay is either part of the replay or
//! arrives live after it, never both and never neither.

use super::Session;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::gateway::frames::{Outbound, Subscribed, Unsubscribed};
use crate::registry::StreamEntry;
use crate::streams::screening::shown;
use crate::streams::{can_see, Actor};
use agora_protocol::ops::{Empty, HistoryOk, PresenceStatus, SubscribeOk};
use agora_protocol::push::OkBody;
use agora_protocol::{Event, Seq, StreamId};
use std::sync::Arc;

pub(super) fn subscribe(
    app: &Arc<App>,
    s: &mut Session,
    stream: StreamId,
    since: Option<Seq>,
    epoch: Option<String>,
) -> AppResult<(OkBody, Vec<Outbound>)> {
    let entry = app.readable(&stream, &s.user.id, s.user.role)?;
    let limit = app.config.limits.max_subscriptions_per_connection;
    if !s.subs.contains(&stream) && s.subs.len() >= limit {
        return Err(AppError::TooLarge(format!("at most {limit} subscriptions per connection")));
    }
    let current_epoch = app.log.epoch();
    let recovered = epoch.as_ref().is_none_or(|e| *e == current_epoch);
    // Register first, then read the head: nothing committed after this point can be missed.
    app.hub.subscribe(&stream, &s.conn);
    let head = entry.committed_head();
    let since = match since {
        Some(_) if !recovered => head,
        None => head,
        Some(since) => since,
    };
    let fail = |e: AppError| {
        if !s.subs.contains(&stream) {
            app.hub.unsubscribe(&stream, s.conn.id);
        }
        Err(e)
    };
    if since > head {
        return fail(AppError::BadRequest(format!("since {since} is past the stream's head {head}")));
    }
    if head.0 - since.0 > app.config.limits.replay_limit {
        return fail(AppError::TooFarBehind { behind: head.0 - since.0, head: head.0 });
    }
    s.subs.insert(stream.clone());
    let presence = {
        let st = entry.read();
        st.members.iter().map(|m| app.presence.get(m)).filter(|p| p.status != PresenceStatus::Offline).collect()
    };
    let ok = SubscribeOk { stream: stream.clone(), head, epoch: current_epoch, recovered, presence };
    Ok((OkBody::Subscribe(ok), vec![Outbound::Subscribed(Box::new(Subscribed { reply: None, stream, since, entry }))]))
}

pub(super) fn unsubscribe(app: &Arc<App>, s: &mut Session, stream: StreamId) -> AppResult<(OkBody, Vec<Outbound>)> {
    if !s.subs.remove(&stream) {
        return Err(AppError::NotFound("not subscribed to that stream".into()));
    }
    app.hub.unsubscribe(&stream, s.conn.id);
    Ok((OkBody::Empty(Empty {}), vec![Outbound::Unsubscribed(Box::new(Unsubscribed { reply: None, stream }))]))
}

pub(super) fn history(
    app: &Arc<App>,
    s: &Session,
    stream: &StreamId,
    before: Option<Seq>,
    after: Option<Seq>,
    limit: Option<u32>,
) -> AppResult<OkBody> {
    let entry = app.readable(stream, &s.user.id, s.user.role)?;
    let max = app.config.limits.history_max;
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > max {
        return Err(AppError::BadRequest(format!("limit must be between 1 and {max}")));
    }
    let head = entry.committed_head();
    let who = s.actor();
    let limit = limit as usize;
    // Events the caller may not see are left out, and the page reads on until it
    // holds `limit` visible events, the end, or SCAN_PAGES raw pages (bounded work
    // per request); `from..=to` tells the client where to continue.
    let mut events = Vec::new();
    let (mut from, mut to) = (Seq(0), Seq(0));
    let more = match (before, after) {
        (Some(_), Some(_)) => return Err(AppError::BadRequest("give `before` or `after`, not both".into())),
        (None, Some(after)) => {
            let mut cursor = after;
            for _ in 0..SCAN_PAGES {
                let page = app.log.read_range(stream, cursor, head, limit)?;
                let Some(last) = page.last().map(|e| e.seq) else { break };
                from = if from == Seq(0) { page[0].seq } else { from };
                to = last;
                cursor = last;
                keep_visible(app, &entry, &who, page, &mut events);
                if events.len() >= limit {
                    events.truncate(limit);
                    to = events.last().map_or(to, |e| e.seq);
                    break;
                }
            }
            to.max(after) < head
        }
        (before, None) => {
            let mut cursor = before.unwrap_or(head.next()).min(head.next());
            let mut newest_first = Vec::new();
            for _ in 0..SCAN_PAGES {
                let page = app.log.read_before(stream, cursor, limit)?;
                let Some(first) = page.first().map(|e| e.seq) else { break };
                to = if to == Seq(0) { page[page.len() - 1].seq } else { to };
                from = first;
                cursor = first;
                let mut visible = Vec::new();
                keep_visible(app, &entry, &who, page, &mut visible);
                newest_first.extend(visible.into_iter().rev());
                if newest_first.len() >= limit {
                    newest_first.truncate(limit);
                    from = newest_first.last().map_or(from, |e| e.seq);
                    break;
                }
            }
            events = newest_first.into_iter().rev().collect();
            from > Seq(1)
        }
    };
    Ok(OkBody::History(HistoryOk { stream: stream.clone(), events, head, more, from, to }))
}

/// Raw log pages one `history` call reads at most.
const SCAN_PAGES: usize = 8;

/// Append the events of `page` that `who` may see (the one visibility rule),
/// as they are shown to `who` (censoring).
fn keep_visible(app: &App, entry: &StreamEntry, who: &Actor, page: Vec<Event>, out: &mut Vec<Event>) {
    let st = entry.read().clone();
    let src = app.sources();
    let rules = app.censoring();
    out.extend(page.into_iter().filter(|ev| can_see(&st, ev, who, &*src)).map(|ev| shown(ev, who, rules.as_ref())));
}
