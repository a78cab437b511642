//! One handler per op: validate → authorize → apply → reply. Handlers return
//! replies (and follow-up items for the connection's writer); they never touch
//! sockets. The gateway decodes frames and calls [`dispatch`].
//!
//! Files: `channels` (create, DMs, membership, names, listings), `messages`
//! (post, edit, delete, reactions), `subscribe` (subscribe, unsubscribe,
//! history), `read_state` (read markers and unread counts), `presence`
//! (presence and typing), `accounts` (admins: suspend, unsuspend, set a role),
//! `feed` (the notification feed), `moderation`
//! (mute, slow mode, lock, delete with a reason, the audit log, watched
//! words), `review` (flags and the review queue).
//! `forum` (categories, thread lists, threads, staff actions, notification levels).
//! `tickets` (the ticket desk: open, update, notes, info).
//! `wiki` (wiki pages and recent changes).

mod accounts;
mod channels;
mod desk_settings;
mod feed;
mod forum;
mod messages;
pub mod moderation;
mod presence;
mod read_state;
mod review;
mod subscribe;
mod tickets;
mod wiki;

pub use channels::dm_id;
pub use presence::announce;

use crate::app::App;
use crate::auth::UserRecord;
use crate::error::{AppError, AppResult};
use crate::gateway::frames::Outbound;
use crate::hub::ConnHandle;
use crate::sequencer::now_ms;
use crate::streams::kinds::forum::ForumAction;
use crate::streams::kinds::ticket::TicketAction;
use crate::streams::kinds::wiki::WikiAction;
use crate::streams::moderation::Moderation;
use crate::streams::{Action, Actor};
use agora_protocol::ops::{PingOk, Role, WhoamiOk};
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
    if s.user.role == Role::Visitor && !visitor_may(&op) {
        return Outcome::err(AppError::Forbidden("website visitors open tickets and chat in them only".into()));
    }
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
        Op::Post { stream, text, reply_to, idem, attachments } => {
            messages::post(app, s, stream, text, reply_to, idem, attachments)
        }
        Op::Edit { stream, target, text } => messages::edit(app, s, stream, target, text),
        Op::Delete { stream, target, reason } => moderation::delete(app, s, stream, target, reason),
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
        Op::Kick { stream, user } => channels::membership(app, s, stream, crate::streams::Action::Kick { user }),
        Op::SuspendUser { user, until } => accounts::suspend(app, s, user, until),
        Op::UnsuspendUser { user } => accounts::unsuspend(app, s, user),
        Op::SetRole { user, role } => accounts::set_role(app, s, user, role),
        Op::Feed {} => feed::feed(app, s),
        Op::FeedMarkRead { items, all } => feed::mark_read(app, s, items, all),
        Op::Mute { user, minutes, reason } => moderation::mute(app, s, user, minutes, reason),
        Op::Unmute { user, reason } => moderation::unmute(app, s, user, reason),
        Op::SlowMode { stream, seconds, reason } => {
            moderation::moderate(app, s, stream, Moderation::SlowMode { seconds, reason })
        }
        Op::Lock { stream, locked, reason } => {
            moderation::moderate(app, s, stream, Moderation::Lock { locked, reason })
        }
        Op::AuditLog { actor, target, before, limit } => {
            Outcome::from_result(moderation::audit_log(app, s, actor, target, before, limit))
        }
        Op::Flag { stream, target, reason, text } => review::flag(app, s, stream, target, reason, text),
        Op::ReviewQueue {} => Outcome::from_result(review::review_queue(app, s)),
        Op::Review { item, decision, reason } => review::review(app, s, item, decision, reason),
        Op::WatchedWords {} => Outcome::from_result(moderation::watched_words(app, s)),
        Op::WatchWord { pattern, action } => moderation::watch_word(app, s, pattern, action),
        Op::UnwatchWord { pattern } => moderation::unwatch_word(app, s, pattern),
        Op::ForumCategories {} => Outcome::from_result(forum::categories(app, s)),
        Op::ForumSaveCategory { category: id, name, slug, description, position, read_role, post_role } => {
            let category = forum::category_from(name, slug, description, position, read_role, post_role);
            forum::save_category(app, s, category, id)
        }
        Op::ForumThreads { category, cursor, limit } => {
            Outcome::from_result(forum::threads(app, s, category, cursor, limit))
        }
        Op::ForumCreateThread { category, title, text } => forum::create_thread(app, s, category, title, text),
        Op::ForumThread { thread, after, limit } => Outcome::from_result(forum::thread(app, s, &thread, after, limit)),
        Op::ForumLike { thread, post } => forum::on_thread(app, s, thread, ForumAction::Like { target: post }),
        Op::ForumUnlike { thread, post } => forum::on_thread(app, s, thread, ForumAction::Unlike { target: post }),
        Op::ForumRecover { thread, post } => forum::on_thread(app, s, thread, ForumAction::Recover { target: post }),
        Op::ForumPostHistory { thread, post } => Outcome::from_result(forum::post_history(app, s, &thread, post)),
        Op::ForumStaff { thread, action } => forum::on_thread(app, s, thread, ForumAction::Staff(action)),
        Op::ForumMove { thread, category } => forum::move_thread(app, s, thread, category),
        Op::ForumSplit { thread, posts, title } => forum::split(app, s, thread, posts, title),
        Op::ForumMerge { thread, into } => forum::merge(app, s, thread, into),
        Op::ForumSetLevel { thread, category, level } => forum::set_level(app, s, thread, category, level),
        Op::OpenTicket { subject, text, changes } => tickets::open(app, s, subject, text, *changes),
        Op::UpdateTicket { stream, version, changes } => tickets::update(app, s, stream, version, *changes),
        Op::AddNote { stream, text } => tickets::note(app, s, stream, text),
        Op::TicketInfo { stream } => Outcome::from_result(tickets::info(app, s, &stream)),
        Op::SetAgentStatus { status, max_chats, teams } => tickets::set_agent_status(app, s, status, max_chats, teams),
        Op::DeskStatus { team } => Outcome::from_result(tickets::desk_status(app, team)),
        Op::TicketQueue { filter, limit } => Outcome::from_result(tickets::queue(app, s, *filter, limit)),
        Op::RateTicket { stream, score, comment } => tickets::rate(app, s, stream, score, comment),
        Op::MergeTicket { stream, version, into } => tickets::merge(app, s, stream, version, into),
        Op::SplitTicket { stream, version } => {
            messages::append(app, s, stream, Action::ticket(TicketAction::Split { version }))
        }
        Op::ListCanned { team } => Outcome::from_result(tickets::list_canned(app, s, team)),
        Op::CannedReply { stream, name } => tickets::canned_reply(app, s, stream, name),
        Op::ApplyMacro { stream, version, name } => tickets::apply_macro(app, s, stream, version, name),
        Op::DeskSettings {} => Outcome::from_result(desk_settings::get(app, s)),
        Op::SetDeskSettings { version, settings } => desk_settings::set(app, s, version, settings),
        Op::WikiGet { page, rev, render } => Outcome::from_result(wiki::get(app, s, &page, rev, render)),
        Op::WikiSave { page, base, text, summary, minor } => wiki::save(app, s, page, base, text, summary, minor),
        Op::WikiHistory { page, before, limit } => Outcome::from_result(wiki::history(app, s, &page, before, limit)),
        Op::WikiDiff { page, from, to } => Outcome::from_result(wiki::diff(app, s, &page, from, to)),
        Op::WikiRevert { page, to, summary } => {
            wiki::act(app, s, &page, WikiAction::Revert { to, summary, editor: wiki::editor(app, s) })
        }
        Op::WikiRollback { page, user } => wiki::act(app, s, &page, WikiAction::Rollback { user }),
        Op::WikiMove { page, to, summary } => {
            let editor = wiki::editor(app, s);
            wiki::act(app, s, &page, WikiAction::Move { title: to, summary, editor, namespace: Default::default() })
        }
        Op::WikiProtect { page, edit, rename, reason, expires } => {
            let protection = agora_protocol::wiki::Protection { edit, rename, reason, expires, by: None };
            wiki::act(app, s, &page, WikiAction::Protect(protection))
        }
        Op::WikiWatch { page, watch } => wiki::act(app, s, &page, WikiAction::Watch(watch)),
        Op::WikiLinks { page } => Outcome::from_result(wiki::links(app, s, &page)),
        Op::WikiWanted {} => Outcome::from_result(wiki::wanted(app, s)),
        Op::WikiPages { namespace, cursor, limit } => {
            Outcome::from_result(wiki::pages(app, s, namespace, cursor, limit))
        }
        Op::WikiRecent { user, namespace, before, limit } => {
            Outcome::from_result(wiki::recent(app, s, user, namespace, before, limit))
        }
        Op::WatchQueue { stop } => Outcome::from_result(tickets::watch_queue(app, s, stop)),
        Op::WikiTalk { page } => wiki::talk(app, s, &page),
        Op::Unknown => Outcome::err(AppError::BadRequest("unknown op".into())),
    }
}

/// What a website visitor may do: their own tickets (the ticket kind decides
/// which), reading, presence and typing. No channels, DMs or moderation.
fn visitor_may(op: &Op) -> bool {
    matches!(
        op,
        Op::Ping {}
            | Op::Whoami {}
            | Op::ListStreams {}
            | Op::StreamInfo { .. }
            | Op::Post { .. }
            | Op::Edit { .. }
            | Op::Delete { .. }
            | Op::React { .. }
            | Op::Unreact { .. }
            | Op::Subscribe { .. }
            | Op::Unsubscribe { .. }
            | Op::History { .. }
            | Op::MarkRead { .. }
            | Op::SetPresence { .. }
            | Op::Typing { .. }
            | Op::OpenTicket { .. }
            | Op::TicketInfo { .. }
            | Op::DeskStatus { .. }
            | Op::RateTicket { .. }
    )
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
