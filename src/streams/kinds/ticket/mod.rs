//! `ticket`: a support ticket. Its requester (a user or a website visitor) and
//! staff (agents, moderators, admins) read and write it; nobody else knows it
//! exists. Public replies are `message_posted` (chat's messages, edits and
//! reactions apply); internal notes (`ticket_note`) are for staff only, through
//! the kind's audience, so they never reach the requester on any read path.
//!
//! Files: `state.rs` (the ticket's fields, version and status, and their fold),
//! `rules.rs` (the lifecycle), `sla.rs` and `hours.rs` (SLA due times, in
//! calendar time or business hours), `notify.rs` (who hears of an event in
//! their feed), this file (actions, deciding, the `Kind`).
//! What does not live here: validation of op input and the choice of an
//! assignee (ops), the agents' queue (a projection).

pub mod hours;
pub mod notify;
pub mod rules;
pub mod sla;
pub mod state;

use super::{chat, feed};
use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::ops::Role;
use agora_protocol::ticket::{SlaTarget, TicketChanges, TicketStatus};
use agora_protocol::{Event, EventBody, StreamId, StreamKind, UserId};

pub use state::{view, TicketState};

/// What someone asks of a ticket (beyond chat's message actions).
#[derive(Clone, Debug)]
pub enum TicketAction {
    /// Create ticket `id` (the stream this is submitted to) with its first public
    /// message; `changes` are set at once (the op keeps only what the actor may set).
    Open {
        id: StreamId,
        subject: String,
        text: String,
        changes: TicketChanges,
        follow_up_of: Option<StreamId>,
    },
    /// Change fields, decided on ticket version `version`.
    Update {
        version: u64,
        changes: TicketChanges,
    },
    /// The fields given when opening (only right after the creation, by the requester).
    Init {
        changes: TicketChanges,
    },
    /// Link a just-opened follow-up to the closed ticket it follows.
    Link {
        follow_up_of: StreamId,
    },
    /// An internal note (staff only).
    Note {
        text: String,
        mentions: Vec<UserId>,
    },
    /// The requester's rating of a solved ticket (once).
    Rate {
        score: u8,
        comment: String,
    },
    /// A macro: field changes (if any) and then a public reply and an internal note, in one commit.
    Macro {
        version: u64,
        changes: TicketChanges,
        reply: Option<String>,
        note: Option<String>,
    },
    /// Merge this ticket (at `version`) into `into`; `into` learns it in the same commit.
    Merge {
        version: u64,
        into: StreamId,
    },
    /// Undo this ticket's merge (at `version`).
    Split {
        version: u64,
    },
    /// The other side of a merge or split (derived; the server only).
    Absorb {
        from: StreamId,
    },
    Release {
        ticket: StreamId,
    },
}

/// The public channel where SLA breaches are announced (created when first needed).
pub const ESCALATIONS: &str = "ch_escalations";

fn target_name(target: SlaTarget) -> &'static str {
    match target {
        SlaTarget::FirstResponse => "first response",
        SlaTarget::NextReply => "next reply",
        SlaTarget::Resolution => "resolution",
    }
}

/// A post by the server on the escalation channel (created when first needed).
fn announce(cx: &Cx<'_>, text: String) -> Derived {
    Derived {
        stream: StreamId::from(ESCALATIONS),
        actor: cx.actor.clone(),
        ensure: Some(Action::Create {
            kind: StreamKind::Channel,
            name: "escalations".into(),
            topic: "SLA breaches and upcoming breaches, announced by the server".into(),
            members: vec![cx.actor.id.clone()],
        }),
        action: Action::Post { text, reply_to: None, mentions: Vec::new(), attachments: Vec::new() },
    }
}

/// Feed items for the event `a` appends next (`notify.rs` says who and why),
/// committed with it; each is seen only while its owner may see the event.
fn with_notifications(st: &StreamState, cx: &Cx<'_>, mut a: Append) -> Append {
    let ev = Event {
        stream: st.id.clone(),
        seq: cx.head.next(),
        at: cx.now,
        author: cx.actor.id.clone(),
        idem: None,
        body: a.body.clone(),
    };
    for (user, reason) in notify::notifications(st, &ev) {
        a.also.push(feed::notify(&user, notify::item(st, &ev, reason)));
    }
    a
}

/// Who sees internal notes: staff.
pub fn staff() -> Audience {
    Audience::roles(&[Role::Agent, Role::Moderator, Role::Admin])
}

/// The id of the follow-up a requester's reply to closed ticket `of` opens when
/// the ticket's next seq is `seq`: derived, so deciding stays deterministic.
pub fn follow_up_id(of: &StreamId, seq: u64) -> StreamId {
    StreamId(format!("{of}_f{seq}"))
}

fn conflict(st: &StreamState, message: impl Into<String>) -> AppError {
    let current = serde_json::to_value(view(st)).unwrap_or(serde_json::Value::Null);
    AppError::conflict_with(message.into(), current)
}

fn is_requester(st: &StreamState, who: &Actor) -> bool {
    st.created_by == who.id
}

impl Action {
    /// A ticket action, boxed.
    pub fn ticket(a: TicketAction) -> Action {
        Action::Ticket(Box::new(a))
    }
}

pub struct Ticket;

impl Ticket {
    fn open(&self, cx: &Cx<'_>, action: TicketAction) -> AppResult<Decision> {
        let TicketAction::Open { id, subject, text, changes, follow_up_of } = action else {
            return Err(AppError::not_found_stream());
        };
        let body = EventBody::StreamCreated {
            kind: StreamKind::Ticket,
            name: subject,
            topic: String::new(),
            members: vec![cx.actor.id.clone()],
        };
        let mut also = Vec::new();
        let derived = |action| Derived { stream: id.clone(), actor: cx.actor.clone(), ensure: None, action };
        if let Some(of) = follow_up_of {
            also.push(derived(Action::ticket(TicketAction::Link { follow_up_of: of })));
        }
        if !changes.is_empty() {
            also.push(derived(Action::ticket(TicketAction::Init { changes })));
        }
        also.push(derived(Action::Post { text, reply_to: None, mentions: Vec::new(), attachments: Vec::new() }));
        Ok(Append { joined: vec![cx.actor.id.clone()], also, ..Append::event(body) }.into())
    }

    /// A public reply; the requester's reply to a closed ticket opens a follow-up.
    fn reply(&self, st: &StreamState, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let t = state::of(st);
        if t.status != TicketStatus::Closed {
            return chat::message_action(st, cx, action);
        }
        if let Some((into, _)) = &t.merged_into {
            return Err(conflict(st, format!("the ticket was merged into {into}: write there")));
        }
        let Action::Post { text, .. } = action else { return Err(conflict(st, "the ticket is closed")) };
        if !is_requester(st, cx.actor) {
            return Err(conflict(st, "the ticket is closed"));
        }
        let follow_up = follow_up_id(&st.id, cx.head.next().0);
        let open = TicketAction::Open {
            id: follow_up.clone(),
            subject: st.name.clone(),
            text,
            changes: TicketChanges {
                priority: Some(t.priority).filter(|p| *p != Default::default()),
                team: Some(t.team.clone()).filter(|s| !s.is_empty()),
                ..TicketChanges::default()
            },
            follow_up_of: Some(st.id.clone()),
        };
        let derived =
            Derived { stream: follow_up.clone(), actor: cx.actor.clone(), ensure: None, action: Action::ticket(open) };
        Ok(Append { also: vec![derived], ..Append::event(EventBody::TicketFollowUp { follow_up }) }.into())
    }

    fn ticket_action(&self, st: &StreamState, cx: &Cx<'_>, action: TicketAction) -> AppResult<Decision> {
        let t = state::of(st);
        let who = cx.actor;
        let just_created = st.head.0 <= 2 && is_requester(st, who);
        let body = match action {
            TicketAction::Open { .. } => return Err(AppError::Conflict("the ticket exists".into())),
            TicketAction::Update { version, changes } => {
                if !who.role.is_staff() {
                    return Err(AppError::Forbidden("only agents change a ticket's fields".into()));
                }
                if version != t.version {
                    return Err(conflict(
                        st,
                        format!("the ticket changed since version {version} (it is at {})", t.version),
                    ));
                }
                if changes.is_empty() {
                    return Err(AppError::BadRequest("no changes".into()));
                }
                rules::check_update(&t, &changes).map_err(|m| conflict(st, m))?;
                EventBody::TicketUpdated { based_on: t.version, changes: Box::new(changes) }
            }
            TicketAction::Init { changes } => {
                if !just_created || t.version != 0 {
                    return Err(AppError::Forbidden("fields are set when opening only".into()));
                }
                rules::check_update(&t, &changes).map_err(|m| conflict(st, m))?;
                EventBody::TicketUpdated { based_on: 0, changes: Box::new(changes) }
            }
            TicketAction::Link { follow_up_of } => {
                if !just_created || t.follow_up_of.is_some() {
                    return Err(AppError::Forbidden("a ticket is linked when opened only".into()));
                }
                EventBody::TicketLinked { follow_up_of }
            }
            TicketAction::Rate { score, comment } => {
                if !is_requester(st, who) {
                    return Err(AppError::Forbidden("only the requester rates a ticket".into()));
                }
                if !t.survey_offered {
                    return Err(conflict(st, "the ticket was not solved yet"));
                }
                if t.rating.is_some() {
                    return Err(conflict(st, "the ticket was rated already"));
                }
                if !(1..=5).contains(&score) {
                    return Err(AppError::BadRequest("score is 1 to 5".into()));
                }
                EventBody::TicketRated { score, comment }
            }
            TicketAction::Macro { version, changes, reply, note } => {
                let same = |action| Derived { stream: st.id.clone(), actor: who.clone(), ensure: None, action };
                let mut also = Vec::new();
                if let Some(text) = reply {
                    also.push(same(Action::Post {
                        text,
                        reply_to: None,
                        mentions: Vec::new(),
                        attachments: Vec::new(),
                    }));
                }
                if let Some(text) = note {
                    also.push(same(Action::ticket(TicketAction::Note { text, mentions: Vec::new() })));
                }
                if changes.is_empty() {
                    return Err(AppError::BadRequest("a macro changes fields".into()));
                }
                let Decision::Append(a) = self.ticket_action(st, cx, TicketAction::Update { version, changes })? else {
                    return Ok(Decision::AlreadySo);
                };
                return Ok(Append { also, ..a }.into());
            }
            TicketAction::Merge { version, into } => {
                self.staff_at(st, &t, who, version)?;
                if t.merged_into.is_some() || t.status == TicketStatus::Closed {
                    return Err(conflict(st, "the ticket is closed or merged already"));
                }
                if into == st.id {
                    return Err(AppError::BadRequest("a ticket cannot be merged into itself".into()));
                }
                let absorb = Derived {
                    stream: into.clone(),
                    actor: who.clone(),
                    ensure: None,
                    action: Action::ticket(TicketAction::Absorb { from: st.id.clone() }),
                };
                let body = EventBody::TicketMerged { into };
                return Ok(Append { also: vec![absorb], ..Append::event(body) }.into());
            }
            TicketAction::Split { version } => {
                self.staff_at(st, &t, who, version)?;
                let Some((from, status)) = t.merged_into.clone() else {
                    return Err(conflict(st, "the ticket is not merged"));
                };
                let release = Derived {
                    stream: from.clone(),
                    actor: who.clone(),
                    ensure: None,
                    action: Action::ticket(TicketAction::Release { ticket: st.id.clone() }),
                };
                let body = EventBody::TicketUnmerged { from, status };
                return Ok(Append { also: vec![release], ..Append::event(body) }.into());
            }
            TicketAction::Absorb { from } => {
                if !who.role.is_staff() {
                    return Err(AppError::Forbidden("only agents merge tickets".into()));
                }
                if t.status == TicketStatus::Closed || t.merged_into.is_some() {
                    return Err(conflict(st, "cannot merge into a closed ticket"));
                }
                EventBody::TicketAbsorbed { from }
            }
            TicketAction::Release { ticket } => {
                if !t.merged.contains(&ticket) {
                    return Err(conflict(st, format!("{ticket} is not merged into this ticket")));
                }
                EventBody::TicketReleased { ticket }
            }
            TicketAction::Note { text, mentions } => {
                if !who.role.is_staff() {
                    return Err(AppError::Forbidden("only agents write internal notes".into()));
                }
                if t.status == TicketStatus::Closed {
                    return Err(conflict(st, "the ticket is closed"));
                }
                EventBody::TicketNote { text, mentions }
            }
        };
        Ok(Append::event(body).into())
    }
}

impl Ticket {
    /// Staff acting on the ticket as of `version`.
    fn staff_at(&self, st: &StreamState, t: &TicketState, who: &Actor, version: u64) -> AppResult<()> {
        if !who.role.is_staff() {
            return Err(AppError::Forbidden("only agents merge and split tickets".into()));
        }
        if version != t.version {
            return Err(conflict(st, format!("the ticket changed since version {version} (it is at {})", t.version)));
        }
        Ok(())
    }

    /// The timer: record the earliest passed SLA target (announced on the
    /// escalation channel), else close a solved ticket whose idle time is up.
    fn tick(&self, st: &StreamState, cx: &Cx<'_>) -> AppResult<Decision> {
        if !cx.actor.role.is_staff() || cx.actor.id.as_str() != "system" {
            return Err(AppError::Forbidden("the server's timer only".into()));
        }
        let t = state::of(st);
        if let Some((target, due)) = sla::breached(&t, cx.now) {
            let text = format!(
                "SLA breach: {} target of ticket {} ({:?}, {:?} priority) passed",
                target_name(target),
                st.id,
                st.name,
                t.priority
            );
            let body = EventBody::TicketSlaBreached { target, due };
            return Ok(Append { also: vec![announce(cx, text)], ..Append::event(body) }.into());
        }
        if let Some((target, due)) = sla::warning(&t, cx.now) {
            let mins = due.saturating_sub(cx.now).div_ceil(60_000);
            let text = format!(
                "SLA warning: {} target of ticket {} ({:?}, {:?} priority) falls due in {mins} min",
                target_name(target),
                st.id,
                st.name,
                t.priority
            );
            let body = EventBody::TicketSlaWarning { target, due };
            return Ok(Append { also: vec![announce(cx, text)], ..Append::event(body) }.into());
        }
        if sla::close_at(&t).is_some_and(|at| at <= cx.now) {
            let changes = TicketChanges { status: Some(TicketStatus::Closed), ..TicketChanges::default() };
            return Ok(
                Append::event(EventBody::TicketUpdated { based_on: t.version, changes: Box::new(changes) }).into()
            );
        }
        Ok(Decision::AlreadySo)
    }
}

impl Ticket {
    fn decide_action(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let Some(st) = st else {
            return match action {
                Action::Ticket(open) if matches!(*open, TicketAction::Open { .. }) => self.open(cx, *open),
                _ => Err(AppError::not_found_stream()),
            };
        };
        match action {
            Action::Ticket(a) => self.ticket_action(st, cx, *a),
            Action::Tick => self.tick(st, cx),
            post @ Action::Post { .. } => self.reply(st, cx, post),
            a @ (Action::Edit { .. }
            | Action::Delete { .. }
            | Action::React { .. }
            | Action::Unreact { .. }
            | Action::Hide { .. }
            | Action::Unhide { .. }) => {
                if state::of(st).status == TicketStatus::Closed {
                    return Err(conflict(st, "the ticket is closed"));
                }
                chat::message_action(st, cx, a)
            }
            Action::Create { .. } => Err(AppError::Conflict("the ticket exists".into())),
            Action::Join
            | Action::Leave
            | Action::Invite { .. }
            | Action::Rename { .. }
            | Action::SetTopic { .. }
            | Action::Kick { .. }
            | Action::Feed(_)
            | Action::Moderate(_)
            | Action::Audit(_)
            | Action::Review(_)
            | Action::Forum(_)
            | Action::Wiki(_)
            | Action::DeskSettings(_) => Err(AppError::BadRequest("not an action on a ticket".into())),
        }
    }
}

impl Kind for Ticket {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let decision = self.decide_action(st, cx, action)?;
        Ok(match (st, decision) {
            (Some(st), Decision::Append(a)) => with_notifications(st, cx, a).into(),
            (_, d) => d,
        })
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        let by_requester = ev.author == st.created_by;
        match &ev.body {
            EventBody::StreamCreated { .. } => state::update(st, |t| t.created_at = ev.at),
            EventBody::MessagePosted { mentions, .. } => {
                st.counters.add(ev.seq, &ev.author, mentions, Audience::everyone());
                state::update(st, |t| t.replied(by_requester, ev.at));
            }
            EventBody::TicketNote { mentions, .. } => st.counters.add(ev.seq, &ev.author, mentions, staff()),
            EventBody::TicketUpdated { changes, .. } => state::update(st, |t| t.apply(changes, ev.at)),
            EventBody::TicketFollowUp { follow_up } => state::update(st, |t| t.follow_ups.push(follow_up.clone())),
            EventBody::TicketLinked { follow_up_of } => {
                state::update(st, |t| t.follow_up_of = Some(follow_up_of.clone()))
            }
            EventBody::TicketSlaBreached { target, due } => state::update(st, |t| t.breach(*target, *due)),
            EventBody::TicketSlaWarning { target, .. } => state::update(st, |t| t.warn(*target)),
            EventBody::TicketRated { score, .. } => state::update(st, |t| {
                t.rating = Some(*score);
                t.rated_at = Some(ev.at);
            }),
            EventBody::TicketMerged { into } => state::update(st, |t| {
                t.merged_into = Some((into.clone(), t.status));
                t.set_status(TicketStatus::Closed, ev.at);
                t.version += 1;
            }),
            EventBody::TicketUnmerged { status, .. } => state::update(st, |t| {
                t.merged_into = None;
                t.set_status(*status, ev.at);
                t.version += 1;
            }),
            EventBody::TicketAbsorbed { from } => state::update(st, |t| {
                t.merged.push(from.clone());
                t.version += 1;
            }),
            EventBody::TicketReleased { ticket } => state::update(st, |t| {
                t.merged.retain(|m| m != ticket);
                t.version += 1;
            }),
            _ => chat::fold(st, ev),
        }
    }

    fn due(&self, st: &StreamState) -> Option<u64> {
        let t = state::of(st);
        [sla::next_due(&t), sla::next_warning(&t), sla::close_at(&t)].into_iter().flatten().min()
    }

    fn can_read(&self, st: &StreamState, who: &Actor) -> bool {
        is_requester(st, who) || who.role.is_staff()
    }

    fn can_write(&self, st: &StreamState, who: &Actor) -> bool {
        self.can_read(st, who)
    }

    fn audience(&self, st: &StreamState, ev: &Event) -> Audience {
        match ev.body {
            EventBody::TicketNote { .. } | EventBody::TicketSlaWarning { .. } => staff(),
            _ => chat::audience(st, ev),
        }
    }

    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }
}
