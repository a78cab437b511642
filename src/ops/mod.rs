//! One handler per op: validate → authorize → apply → reply. Handlers return
//! replies (and follow-up items for the connection's writer); they never touch
//! sockets. The gateway decodes frames and calls [`dispatch`].
//!
//! Files: `channels` (create, DMs, membership, names, listings), `messages`
//! (post, edit, delete, reactions), `subscribe` (subscribe, unsubscribe,
//! history), `read_state` (read markers and unread counts), `presence`
//! (presence and typing), `wiki` (wiki pages and recent changes).

mod channels;
mod messages;
mod presence;
mod read_state;
mod subscribe;
mod wiki;

pub use channels::dm_id;
pub use presence::announce;

use crate::app::App;
use crate::auth::UserRecord;
use crate::error::{AppError, AppResult};
use crate::gateway::frames::Outbound;
use crate::hub::ConnHandle;
use crate::sequencer::now_ms;
use crate::streams::kinds::wiki::WikiAction;
use crate::streams::Actor;
use agora_protocol::ops::{PingOk, WhoamiOk};
use agora_protocol::push::OkBody;
use agora_protocol::{Encoding, Op, StreamId};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// One authenticated connection's state, owned by its session loop.
pub struct Session {
    pub conn: ConnHandle,
    pub user: UserRecord,
    pub enc: Encoding,
    pub subs: HashSet<StreamId>,
}

impl Session {
    pub fn actor(&self) -> Actor {
        Actor { id: self.user.id.clone(), role: self.user.role }
    }
}

pub type Pending = Pin<Box<dyn Future<Output = AppResult<OkBody>> + Send + 'static>>;

/// How an op finishes.
pub enum Outcome {
    /// Done: the reply, then items for this connection's writer, in order.
    Ready(AppResult<(OkBody, Vec<Outbound>)>),
    /// Enqueued in order; the reply comes when this resolves (after a durable commit).
    Later(Pending),
}

impl Outcome {
    fn ok(body: OkBody) -> Outcome {
        Outcome::Ready(Ok((body, Vec::new())))
    }
    fn err(e: AppError) -> Outcome {
        Outcome::Ready(Err(e))
    }
    fn from_result(r: AppResult<OkBody>) -> Outcome {
        Outcome::Ready(r.map(|b| (b, Vec::new())))
    }
}

/// Run one decoded op for this session.
pub fn dispatch(app: &Arc<App>, s: &mut Session, op: Op) -> Outcome {
    app.metrics.count_request(op.name());
    match op {
        Op::Auth { .. } => Outcome::err(AppError::Conflict("already authenticated".into())),
        Op::Ping {} => Outcome::ok(OkBody::Ping(PingOk { time: now_ms() })),
        Op::Whoami {} => Outcome::ok(OkBody::Whoami(WhoamiOk { user: s.user.info(), epoch: app.log.epoch() })),
        Op::ListStreams {} => Outcome::from_result(channels::list_streams(app, s)),
        Op::StreamInfo { stream } => Outcome::from_result(channels::stream_info(app, s, &stream)),
        Op::CreateChannel { name, topic, private, members } => {
            channels::create_channel(app, s, name, topic, private, members)
        }
        Op::OpenDm { users } => channels::open_dm(app, s, users),
        Op::Join { stream } => channels::membership(app, s, stream, crate::streams::Action::Join),
        Op::Leave { stream } => channels::membership(app, s, stream, crate::streams::Action::Leave),
        Op::Invite { stream, user } => channels::invite(app, s, stream, user),
        Op::Rename { stream, name } => channels::rename(app, s, stream, name),
        Op::SetTopic { stream, topic } => channels::set_topic(app, s, stream, topic),
        Op::Post { stream, text, reply_to, idem } => messages::post(app, s, stream, text, reply_to, idem),
        Op::Edit { stream, target, text } => messages::edit(app, s, stream, target, text),
        Op::Delete { stream, target } => messages::append(app, s, stream, crate::streams::Action::Delete { target }),
        Op::React { stream, target, emoji } => messages::react(app, s, stream, target, emoji, true),
        Op::Unreact { stream, target, emoji } => messages::react(app, s, stream, target, emoji, false),
        Op::Hide { stream, target, reason } => messages::hide(app, s, stream, target, reason),
        Op::Unhide { stream, target } => messages::append(app, s, stream, crate::streams::Action::Unhide { target }),
        Op::Subscribe { stream, since, epoch } => Outcome::Ready(subscribe::subscribe(app, s, stream, since, epoch)),
        Op::Unsubscribe { stream } => Outcome::Ready(subscribe::unsubscribe(app, s, stream)),
        Op::History { stream, before, after, limit } => {
            Outcome::from_result(subscribe::history(app, s, &stream, before, after, limit))
        }
        Op::MarkRead { stream, seq } => read_state::mark_read(app, s, stream, seq),
        Op::SetPresence { status } => Outcome::from_result(presence::set_presence(app, s, status)),
        Op::Typing { stream } => Outcome::from_result(presence::typing(app, s, &stream)),
        Op::WikiGet { page, rev, render } => Outcome::from_result(wiki::get(app, s, &page, rev, render)),
        Op::WikiSave { page, base, text, summary, minor } => wiki::save(app, s, page, base, text, summary, minor),
        Op::WikiHistory { page, before, limit } => Outcome::from_result(wiki::history(app, s, &page, before, limit)),
        Op::WikiDiff { page, from, to } => Outcome::from_result(wiki::diff(app, s, &page, from, to)),
        Op::WikiRevert { page, to, summary } => {
            wiki::act(app, s, &page, WikiAction::Revert { to, summary, account_created: s.user.created_at })
        }
        Op::WikiRollback { page, user } => wiki::act(app, s, &page, WikiAction::Rollback { user }),
        Op::WikiMove { page, to, summary } => {
            wiki::act(app, s, &page, WikiAction::Move { title: to, summary, account_created: s.user.created_at })
        }
        Op::WikiProtect { page, edit, rename, reason, expires } => {
            let protection = agora_protocol::wiki::Protection { edit, rename, reason, expires, by: None };
            wiki::act(app, s, &page, WikiAction::Protect(protection))
        }
        Op::WikiWatch { page, watch } => wiki::act(app, s, &page, WikiAction::Watch(watch)),
        Op::WikiLinks { page } => Outcome::from_result(wiki::links(app, s, &page)),
        Op::WikiWanted {} => Outcome::from_result(wiki::wanted(app, s)),
        Op::WikiPages { namespace } => Outcome::from_result(wiki::pages(app, s, namespace)),
        Op::WikiRecent { user, namespace, before, limit } => {
            Outcome::from_result(wiki::recent(app, s, user, namespace, before, limit))
        }
        Op::Unknown => Outcome::err(AppError::BadRequest("unknown op".into())),
    }
}

/// Check a string field's length in characters.
fn check_len(field: &str, value: &str, min: usize, max: usize) -> AppResult<()> {
    let n = value.chars().count();
    if n > max {
        return Err(AppError::TooLarge(format!("{field} is longer than {max} characters")));
    }
    if n < min {
        return Err(AppError::BadRequest(format!("{field} must not be empty")));
    }
    Ok(())
}
