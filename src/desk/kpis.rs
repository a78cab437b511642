//! The community manager's ticket figures, computed from the tickets' folded
//! states (which hold, from their events, when each ticket was created, first
//! answered, solved and reopened, rated, and which SLA targets it breached). So
//! the figures are a function of the log: folding every ticket again from its
//! first event (`replay`) gives exactly the live figures, and `GET
//! /api/v1/kpis?replay=true` checks it. Definitions (after Zendesk's):
//!
//! - `outstanding`: tickets now new, open, pending or on-hold, by status and priority.
//! - `created` / `solved` / `reopened`: tickets created in the period; distinct
//!   tickets solved in it; reopenings (solved → open) in it. Per bucket:
//!   creations, solves (a ticket solved twice counts twice) and reopenings.
//! - `closure_rate` = solved ÷ created in the period; `one_touch`: tickets first
//!   solved in the period after exactly one public agent reply and never reopened.
//! - `first_response_ms`: creation → first public agent reply, for first replies
//!   in the period; `resolution_ms` (first resolution): creation → first solve,
//!   for first solves in it; `full_resolution_ms`: creation → last solve, for
//!   tickets solved (or closed after a solve) now whose last solve is in it;
//!   `next_reply_ms`: a requester's public message after an agent's public reply
//!   → the next public agent reply (later requester messages before it do not
//!   restart the wait), for agent replies in the period; median and p90 by
//!   nearest rank; calendar time.
//! - per bucket, `backlog`: tickets outstanding at the bucket's end (or at `to`).
//! - `sla`: breaches per target with a due time in the period; `met_pct` per target
//!   = tickets created in the period that ran the target and did not breach it.
//! - `csat`: ratings in the period; score = ratings 4–5 ÷ all × 100; response
//!   rate = ratings ÷ surveys offered (first solves) in the period; distribution.
//!
//! - `forum`: new threads, replies, likes; `engaged_users` = distinct users who
//!   opened a thread, replied or liked in the period; `dau` = engaged users in
//!   the day before `to`, `mau` = in the 30 days before `to`, `dau_mau` = dau ÷
//!   mau × 100 (Discourse's stickiness); `new_contributors` = users whose first
//!   forum post ever is in the period; `time_to_first_reply_ms`: a thread's
//!   opening → its first post by someone else, for first replies in the period.
//! - `chat`: messages in channels, private channels and DMs, and distinct users
//!   who sent them; `wiki`: revisions and distinct editors.
//!
//! The ticket figures follow `team`; forum, chat and wiki figures have no team.
//! Those needing each event (next reply, backlog, activity) come from the
//! [`Activity`](super::activity::Activity) projection. Not yet here: business hours.

use super::activity::{Act, Inner};
use crate::streams::kinds::ticket::{self, TicketState};
use crate::streams::StreamState;
use agora_protocol::ticket::{Priority, SlaTarget, TicketStatus};
use agora_protocol::StreamKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const DAY_MS: u64 = 86_400_000;

/// What `GET /api/v1/kpis` asks for.
#[derive(Clone, Debug, Deserialize)]
pub struct KpiQuery {
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub team: Option<String>,
    #[serde(default)]
    pub bucket: Bucketing,
    /// Admins: fold every ticket again from the log and compute from that.
    #[serde(default)]
    pub replay: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucketing {
    #[default]
    Day,
    Week,
}

impl Bucketing {
    /// A bucket's length in ms.
    pub fn span(self) -> u64 {
        match self {
            Bucketing::Day => DAY_MS,
            Bucketing::Week => 7 * DAY_MS,
        }
    }

    /// The start of the bucket holding `t` (weeks start on Monday, UTC).
    pub fn start(self, t: u64) -> u64 {
        match self {
            Bucketing::Day => t - t % DAY_MS,
            // 1970-01-01 was a Thursday: Mondays are 4 days after a multiple of 7.
            Bucketing::Week => {
                let shift = 4 * DAY_MS;
                let w = 7 * DAY_MS;
                (t + w - shift) / w * w + shift - w
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stat {
    pub count: u32,
    pub median: Option<u64>,
    pub p90: Option<u64>,
}

pub(crate) fn stat(mut v: Vec<u64>) -> Stat {
    v.sort_unstable();
    let rank = |p: f64| -> Option<u64> {
        let n = v.len();
        (n > 0).then(|| v[((p * n as f64).ceil() as usize).clamp(1, n) - 1])
    };
    Stat { count: v.len() as u32, median: rank(0.5), p90: rank(0.9) }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BucketFigures {
    pub start: u64,
    pub created: u32,
    pub solved: u32,
    pub reopened: u32,
    pub backlog: u32,
    pub forum_threads: u32,
    pub forum_replies: u32,
    pub engaged_users: u32,
    pub new_contributors: u32,
    pub chat_messages: u32,
    pub chat_users: u32,
    pub wiki_edits: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Forum {
    pub threads: u32,
    pub replies: u32,
    pub likes: u32,
    pub engaged_users: u32,
    pub dau: u32,
    pub mau: u32,
    pub dau_mau: Option<f64>,
    pub new_contributors: u32,
    pub time_to_first_reply_ms: Stat,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Chat {
    pub messages: u32,
    pub active_users: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Wiki {
    pub edits: u32,
    pub editors: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Csat {
    pub ratings: u32,
    pub surveys: u32,
    pub score: Option<f64>,
    pub response_rate: Option<f64>,
    /// Ratings of 1, 2, 3, 4 and 5.
    pub distribution: [u32; 5],
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sla {
    pub breaches: BTreeMap<SlaTarget, u32>,
    pub met_pct: BTreeMap<SlaTarget, f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Kpis {
    pub from: u64,
    pub to: u64,
    pub bucket: Bucketing,
    pub outstanding_by_status: BTreeMap<TicketStatus, u32>,
    pub outstanding_by_priority: BTreeMap<Priority, u32>,
    pub created: u32,
    pub solved: u32,
    pub reopened: u32,
    pub closure_rate: Option<f64>,
    pub one_touch: u32,
    pub first_response_ms: Stat,
    pub resolution_ms: Stat,
    pub full_resolution_ms: Stat,
    pub next_reply_ms: Stat,
    pub sla: Sla,
    pub csat: Csat,
    pub forum: Forum,
    pub chat: Chat,
    pub wiki: Wiki,
    pub buckets: Vec<BucketFigures>,
    /// `first_response_ms` and `resolution_ms` in business hours (on each ticket's
    /// schedule; tickets without one are left out). See `kpis_hours.rs`.
    pub first_response_business_ms: Stat,
    pub resolution_business_ms: Stat,
}

/// At most this many buckets are listed (a longer period lists only buckets with figures).
const MAX_BUCKETS: u64 = 1000;

/// The figures over `tickets` (ticket streams' states) for `[from, to)`.
pub fn compute<'a>(
    tickets: impl Iterator<Item = &'a StreamState>,
    activity: &Inner,
    from: u64,
    to: u64,
    q: &KpiQuery,
) -> Kpis {
    let within = |t: u64| t >= from && t < to;
    let mut k = Kpis { from, to, bucket: q.bucket, ..Kpis::default() };
    let mut buckets: BTreeMap<u64, BucketFigures> = BTreeMap::new();
    let bucketing = q.bucket;
    // Every bucket of the period, when there are not too many.
    if from < to && (to - from) / bucketing.span() < MAX_BUCKETS {
        let mut start = bucketing.start(from);
        while start < to {
            buckets.insert(start, BucketFigures { start, ..BucketFigures::default() });
            start += bucketing.span();
        }
    }
    let mut bucket = |t: u64, f: &dyn Fn(&mut BucketFigures)| {
        let start = bucketing.start(t);
        f(buckets.entry(start).or_insert_with(|| BucketFigures { start, ..BucketFigures::default() }))
    };
    let (mut frt, mut res, mut full, mut next) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut tracks = Vec::new();
    let mut solved = BTreeSet::new();
    let mut ran: BTreeMap<SlaTarget, (u32, u32)> = BTreeMap::new();
    for st in tickets.filter(|s| s.kind == StreamKind::Ticket) {
        let t: TicketState = ticket::state::of(st);
        if q.team.as_ref().is_some_and(|team| &t.team != team) {
            continue;
        }
        if matches!(t.status, TicketStatus::New | TicketStatus::Open | TicketStatus::Pending | TicketStatus::OnHold) {
            *k.outstanding_by_status.entry(t.status).or_default() += 1;
            *k.outstanding_by_priority.entry(t.priority).or_default() += 1;
        }
        if within(t.created_at) {
            k.created += 1;
            bucket(t.created_at, &|b| b.created += 1);
            let breached = |target| t.breach_log.iter().any(|(b, _)| *b == target);
            for (target, has) in [
                (SlaTarget::FirstResponse, t.policy.first_response_ms.is_some()),
                (SlaTarget::Resolution, t.policy.resolution_ms.is_some()),
            ] {
                if has {
                    let e = ran.entry(target).or_default();
                    e.0 += 1;
                    e.1 += u32::from(!breached(target));
                }
            }
        }
        for &at in t.solves.iter().filter(|a| within(**a)) {
            bucket(at, &|b| b.solved += 1);
            solved.insert(st.id.clone());
        }
        for &at in t.reopens.iter().filter(|a| within(**a)) {
            k.reopened += 1;
            bucket(at, &|b| b.reopened += 1);
        }
        if let Some(first) = t.first_response_at.filter(|a| within(*a)) {
            frt.push(first - t.created_at);
        }
        if let Some(&last) = t.solves.last().filter(|a| within(**a)) {
            if matches!(t.status, TicketStatus::Solved | TicketStatus::Closed) {
                full.push(last - t.created_at);
            }
        }
        if let Some(track) = activity.tickets.get(&st.id) {
            next.extend(track.next_replies.iter().filter(|(at, _)| within(*at)).map(|(_, d)| *d));
            tracks.push(track);
        }
        if let Some(&first) = t.solves.first().filter(|a| within(**a)) {
            res.push(first - t.created_at);
            k.csat.surveys += 1;
            if t.agent_replies == 1 && t.reopens.is_empty() {
                k.one_touch += 1;
            }
        }
        for (target, due) in &t.breach_log {
            if within(*due) {
                *k.sla.breaches.entry(*target).or_default() += 1;
            }
        }
        if let (Some(score), Some(at)) = (t.rating, t.rated_at) {
            if within(at) && (1..=5).contains(&score) {
                k.csat.ratings += 1;
                k.csat.distribution[usize::from(score) - 1] += 1;
            }
        }
    }
    for b in buckets.values_mut() {
        let end = (b.start + bucketing.span()).min(to);
        b.backlog = tracks.iter().filter(|t| t.outstanding_before(end)).count() as u32;
    }
    k.solved = solved.len() as u32;
    k.closure_rate = (k.created > 0).then(|| f64::from(k.solved) / f64::from(k.created));
    k.first_response_ms = stat(frt);
    k.resolution_ms = stat(res);
    k.full_resolution_ms = stat(full);
    k.next_reply_ms = stat(next);
    activity_figures(&mut k, &mut buckets, activity, bucketing);
    let good = k.csat.distribution[3] + k.csat.distribution[4];
    k.csat.score = (k.csat.ratings > 0).then(|| f64::from(good) * 100.0 / f64::from(k.csat.ratings));
    k.csat.response_rate = (k.csat.surveys > 0).then(|| f64::from(k.csat.ratings) * 100.0 / f64::from(k.csat.surveys));
    k.sla.met_pct = ran.into_iter().map(|(t, (n, met))| (t, f64::from(met) * 100.0 / f64::from(n))).collect();
    k.buckets = buckets.into_values().collect();
    k
}

/// The forum, chat and wiki figures of `[k.from, k.to)`, and their buckets.
fn activity_figures(k: &mut Kpis, buckets: &mut BTreeMap<u64, BucketFigures>, a: &Inner, bucketing: Bucketing) {
    let (from, to) = (k.from, k.to);
    let within = |t: u64| t >= from && t < to;
    let (mut engaged, mut chatters, mut editors) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let (mut dau, mut mau) = (BTreeSet::new(), BTreeSet::new());
    // Per bucket: distinct engaged users and chat users.
    let mut per_bucket: BTreeMap<u64, (BTreeSet<u32>, BTreeSet<u32>)> = BTreeMap::new();
    for e in &a.entries {
        let forum = matches!(e.act, Act::Thread | Act::Reply | Act::Like);
        if forum && e.at < to && e.at.saturating_add(30 * DAY_MS) >= to {
            mau.insert(e.user);
            if e.at.saturating_add(DAY_MS) >= to {
                dau.insert(e.user);
            }
        }
        if !within(e.at) {
            continue;
        }
        let start = bucketing.start(e.at);
        let b = buckets.entry(start).or_insert_with(|| BucketFigures { start, ..BucketFigures::default() });
        let sets = per_bucket.entry(start).or_default();
        match e.act {
            Act::Thread => {
                k.forum.threads += 1;
                b.forum_threads += 1;
            }
            Act::Reply => {
                k.forum.replies += 1;
                b.forum_replies += 1;
            }
            Act::Like => k.forum.likes += 1,
            Act::Chat => {
                k.chat.messages += 1;
                b.chat_messages += 1;
                chatters.insert(e.user);
                sets.1.insert(e.user);
            }
            Act::WikiEdit => {
                k.wiki.edits += 1;
                b.wiki_edits += 1;
                editors.insert(e.user);
            }
        }
        if forum {
            engaged.insert(e.user);
            sets.0.insert(e.user);
        }
    }
    for (start, (e, c)) in per_bucket {
        if let Some(b) = buckets.get_mut(&start) {
            b.engaged_users = e.len() as u32;
            b.chat_users = c.len() as u32;
        }
    }
    for &first in a.first_post.values().filter(|t| within(**t)) {
        k.forum.new_contributors += 1;
        let start = bucketing.start(first);
        buckets.entry(start).or_insert_with(|| BucketFigures { start, ..BucketFigures::default() }).new_contributors +=
            1;
    }
    k.forum.engaged_users = engaged.len() as u32;
    k.forum.dau = dau.len() as u32;
    k.forum.mau = mau.len() as u32;
    k.forum.dau_mau = (k.forum.mau > 0).then(|| f64::from(k.forum.dau) * 100.0 / f64::from(k.forum.mau));
    k.forum.time_to_first_reply_ms =
        stat(a.first_replies.iter().filter(|(at, _)| within(*at)).map(|(_, d)| *d).collect());
    k.chat.active_users = chatters.len() as u32;
    k.wiki.editors = editors.len() as u32;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_percentiles_are_nearest_rank() {
        // 2026-12-03 is a Thursday; its week starts on Monday 2026-11-30 (UTC).
        let thu = 1_796_256_000_000 + 3_600_000; // 2026-12-03T01:00Z
        assert_eq!(Bucketing::Week.start(thu), 1_795_996_800_000);
        assert_eq!(Bucketing::Day.start(thu), 1_796_256_000_000);
        let monday = 1_795_996_800_000;
        assert_eq!(Bucketing::Week.start(monday), monday, "a Monday starts its own week");
        assert_eq!(Bucketing::Week.start(monday - 1), monday - 7 * DAY_MS);
        let s = stat(vec![30, 10, 20]);
        assert_eq!((s.count, s.median, s.p90), (3, Some(20), Some(30)));
        assert_eq!(stat(vec![]).median, None);
    }
}
