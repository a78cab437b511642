//! `audit`: the one audit log. Every moderation and staff action in every
//! kind is one `audit_entry` event here (actor, target, reason, the reversing
//! action), appended by the server in the same commit as the action itself:
//! kinds return [`audit`] in their decision's `Append::also`. Mutes have no
//! stream of their own, so muting *is* appending its entry, and the mutes in
//! force are folded here ([`AuditState`], read by `ops::moderation`).
//! Moderators and admins read it; nobody else knows it exists.

use crate::error::{AppError, AppResult};
use crate::streams::kind::{Append, Cx, Decision, Derived, Kind, NameClaim};
use crate::streams::kinds::KindState;
use crate::streams::roles::{may, require, Permission};
use crate::streams::visibility::{Actor, Audience};
use crate::streams::{Action, StreamState};
use agora_protocol::moderation::WatchAction;
use agora_protocol::{AuditAction, AuditEntry, Event, EventBody, Seq, StreamId, StreamKind, UserId};
use serde::{Deserialize, Serialize};

/// The audit stream's id.
pub const AUDIT_STREAM: &str = "audit";

pub fn audit_id() -> StreamId {
    StreamId::from(AUDIT_STREAM)
}

/// What may be asked of the audit stream.
#[derive(Clone, Debug)]
pub enum AuditOp {
    /// Record an entry (the server only, through [`audit`]).
    Record(Box<AuditEntry>),
    /// Mute `user` for `duration_ms` from the append's time; the entry is the mute.
    Mute {
        user: UserId,
        duration_ms: u64,
        reason: String,
    },
    Unmute {
        user: UserId,
        reason: String,
    },
    /// Add a watched word or change its action (the op has checked the pattern compiles).
    Watch {
        pattern: String,
        action: WatchAction,
    },
    Unwatch {
        pattern: String,
    },
}

/// The audit stream's own state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditState {
    /// Users muted → until when (ms). Expired entries are harmless (compared with now).
    #[serde(default)]
    pub mutes: imbl::HashMap<UserId, u64>,
    /// Watched words: pattern → action.
    #[serde(default)]
    pub watched: imbl::OrdMap<String, WatchAction>,
    /// The seq of the last change to `watched` (the compiled list is rebuilt when it moves).
    #[serde(default)]
    pub watched_version: Seq,
    /// `watched` compiled (on first use after each change).
    #[serde(skip)]
    pub compiled: crate::watched::CompiledList,
}

impl AuditState {
    /// Screen a text against the watched words.
    pub fn screen(&self, text: &str) -> crate::watched::Screen {
        self.compiled.screen(self.watched.iter(), text)
    }

    /// Is any watched word censored (replaced when shown)?
    pub fn censors(&self) -> bool {
        self.watched.values().any(|a| *a == WatchAction::Censor)
    }

    /// `text` as members are shown it; `None` if no censored word is in it.
    pub fn censor(&self, text: &str) -> Option<String> {
        self.compiled.censor(self.watched.iter(), text)
    }
}

/// The audit stream's state, if `st` is it.
pub fn audit_state(st: &StreamState) -> Option<&AuditState> {
    match &st.ext {
        KindState::Audit(a) => Some(a),
        _ => None,
    }
}

fn action_name(a: WatchAction) -> &'static str {
    match a {
        WatchAction::Block => "block",
        WatchAction::Censor => "censor",
        WatchAction::RequireApproval => "require_approval",
        WatchAction::Flag => "flag",
        WatchAction::Unknown => "unknown",
    }
}

fn action_named(s: &str) -> WatchAction {
    [WatchAction::Block, WatchAction::Censor, WatchAction::RequireApproval, WatchAction::Flag]
        .into_iter()
        .find(|a| action_name(*a) == s)
        .unwrap_or(WatchAction::Unknown)
}

/// The create action of the audit stream (made on first use).
pub fn create() -> Action {
    Action::Create { kind: StreamKind::Audit, name: AUDIT_STREAM.into(), topic: String::new(), members: Vec::new() }
}

/// Record `entry` in the audit log, in the same commit as the action it
/// describes. Return it in `Append::also`; `entry.actor` is who acted.
pub fn audit(entry: AuditEntry) -> Derived {
    Derived {
        stream: audit_id(),
        actor: Actor::system(),
        ensure: Some(create()),
        action: Action::Audit(AuditOp::Record(Box::new(entry))),
    }
}

/// Until when `user` is muted, if a mute is in force at `now`.
pub fn muted_until(st: &StreamState, user: &UserId, now: u64) -> Option<u64> {
    match &st.ext {
        KindState::Audit(a) => a.mutes.get(user).copied().filter(|until| *until > now),
        _ => None,
    }
}

fn is_system(who: &Actor) -> bool {
    *who == Actor::system()
}

pub struct Audit;

impl Kind for Audit {
    fn decide(&self, st: Option<&StreamState>, cx: &Cx<'_>, action: Action) -> AppResult<Decision> {
        let who = cx.actor;
        let entry = match (st, action) {
            (None, Action::Create { kind, name, topic, .. }) => {
                if !is_system(who) && !may(who.role, Permission::ReadAudit) {
                    return Err(AppError::not_found_stream());
                }
                let body = EventBody::StreamCreated { kind, name, topic, members: Vec::new() };
                return Ok(Append::event(body).into());
            }
            (None, _) => return Err(AppError::not_found_stream()),
            (Some(_), Action::Create { .. }) => return Ok(Decision::AlreadySo),
            (Some(_), Action::Audit(AuditOp::Record(entry))) => {
                if !is_system(who) {
                    return Err(AppError::Forbidden("only the server writes the audit log".into()));
                }
                *entry
            }
            (Some(_), Action::Audit(AuditOp::Mute { user, duration_ms, reason })) => {
                require(who, Permission::Mute)?;
                if duration_ms == 0 {
                    return Err(AppError::BadRequest("a mute must last".into()));
                }
                let until = cx.now.saturating_add(duration_ms);
                AuditEntry {
                    target_user: Some(user),
                    until: Some(until),
                    reverse: Some("unmute".into()),
                    ..AuditEntry::new(AuditAction::Mute, who.id.clone(), reason)
                }
            }
            (Some(st), Action::Audit(AuditOp::Unmute { user, reason })) => {
                require(who, Permission::Mute)?;
                if muted_until(st, &user, cx.now).is_none() {
                    return Err(AppError::Conflict(format!("{user} is not muted")));
                }
                AuditEntry { target_user: Some(user), ..AuditEntry::new(AuditAction::Unmute, who.id.clone(), reason) }
            }
            (Some(st), Action::Audit(AuditOp::Watch { pattern, action })) => {
                require(who, Permission::WatchedWords)?;
                if audit_state(st).and_then(|a| a.watched.get(&pattern)) == Some(&action) {
                    return Ok(Decision::AlreadySo);
                }
                AuditEntry {
                    detail: format!("{} {pattern}", action_name(action)),
                    reverse: Some("unwatch_word".into()),
                    ..AuditEntry::new(AuditAction::WatchedWordAdded, who.id.clone(), "")
                }
            }
            (Some(st), Action::Audit(AuditOp::Unwatch { pattern })) => {
                require(who, Permission::WatchedWords)?;
                if audit_state(st).is_none_or(|a| !a.watched.contains_key(&pattern)) {
                    return Err(AppError::NotFound("no such watched word".into()));
                }
                AuditEntry {
                    detail: pattern,
                    reverse: Some("watch_word".into()),
                    ..AuditEntry::new(AuditAction::WatchedWordRemoved, who.id.clone(), "")
                }
            }
            (Some(_), _) => return Err(AppError::Forbidden("the audit log takes no posts".into())),
        };
        Ok(Append::event(EventBody::AuditEntry { entry }).into())
    }

    fn fold(&self, st: &mut StreamState, ev: &Event) {
        if !matches!(st.ext, KindState::Audit(_)) {
            st.ext = KindState::Audit(AuditState::default());
        }
        let (KindState::Audit(a), EventBody::AuditEntry { entry }) = (&mut st.ext, &ev.body) else { return };
        match (entry.action, &entry.target_user, entry.until) {
            (AuditAction::Mute, Some(u), Some(until)) => {
                a.mutes.insert(u.clone(), until);
            }
            (AuditAction::Unmute, Some(u), _) => {
                a.mutes.remove(u);
            }
            (AuditAction::WatchedWordAdded, _, _) => {
                if let Some((action, pattern)) = entry.detail.split_once(' ') {
                    a.watched.insert(pattern.to_owned(), action_named(action));
                    a.watched_version = ev.seq;
                    a.compiled = Default::default();
                }
            }
            (AuditAction::WatchedWordRemoved, _, _) => {
                a.watched.remove(&entry.detail);
                a.watched_version = ev.seq;
                a.compiled = Default::default();
            }
            _ => {}
        }
    }

    fn can_read(&self, _st: &StreamState, who: &Actor) -> bool {
        may(who.role, Permission::ReadAudit) || is_system(who)
    }

    fn can_write(&self, _st: &StreamState, _who: &Actor) -> bool {
        false
    }

    fn audience(&self, _st: &StreamState, _ev: &Event) -> Audience {
        Audience::everyone()
    }

    fn name_claim(&self, _st: &StreamState) -> Option<NameClaim> {
        None
    }
}
