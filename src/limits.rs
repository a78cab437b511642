//! Rate limits: per user per command class, and per IP for handshakes, logins
//! and website visitors' tokens.
//!
//! governor's keyed limiters keep every key until `retain_recent` runs, so
//! [`RateLimits::housekeeping`] is called periodically from a background task.

use crate::config::RateLimits as RateConfig;
use crate::error::{AppError, AppResult};
use agora_protocol::{Op, UserId};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Which bucket an op draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandClass {
    /// Everything that appends to a log or creates streams.
    Post,
    /// Typing and presence.
    Ephemeral,
    /// Subscribing, history, listings, read markers.
    Read,
    /// Ping and auth.
    Ping,
}

impl CommandClass {
    pub fn of(op: &Op) -> CommandClass {
        match op {
            Op::Post { .. }
            | Op::Edit { .. }
            | Op::Delete { .. }
            | Op::React { .. }
            | Op::Unreact { .. }
            | Op::Hide { .. }
            | Op::Unhide { .. }
            | Op::CreateChannel { .. }
            | Op::OpenDm { .. }
            | Op::Join { .. }
            | Op::Leave { .. }
            | Op::Invite { .. }
            | Op::Rename { .. }
            | Op::SetTopic { .. }
            | Op::Kick { .. }
            | Op::SuspendUser { .. }
            | Op::UnsuspendUser { .. }
            | Op::SetRole { .. }
            | Op::FeedMarkRead { .. }
            | Op::Mute { .. }
            | Op::Unmute { .. }
            | Op::SlowMode { .. }
            | Op::Lock { .. }
            | Op::Flag { .. }
            | Op::Review { .. }
            | Op::WatchWord { .. }
            | Op::UnwatchWord { .. }
            | Op::ForumSaveCategory { .. }
            | Op::ForumCreateThread { .. }
            | Op::ForumLike { .. }
            | Op::ForumUnlike { .. }
            | Op::ForumRecover { .. }
            | Op::ForumStaff { .. }
            | Op::ForumMove { .. }
            | Op::ForumSplit { .. }
            | Op::ForumMerge { .. }
            | Op::ForumSetLevel { .. }
            | Op::OpenTicket { .. }
            | Op::UpdateTicket { .. }
            | Op::AddNote { .. }
            | Op::RateTicket { .. }
            | Op::MergeTicket { .. }
            | Op::SplitTicket { .. }
            | Op::CannedReply { .. }
            | Op::ApplyMacro { .. }
            | Op::WikiSave { .. }
            | Op::WikiRevert { .. }
            | Op::WikiRollback { .. }
            | Op::WikiMove { .. }
            | Op::WikiProtect { .. }
            | Op::WikiWatch { .. }
            | Op::WikiTalk { .. }
            | Op::SetDeskSettings { .. } => CommandClass::Post,
            Op::Typing { .. } | Op::SetPresence { .. } | Op::SetAgentStatus { .. } => CommandClass::Ephemeral,
            Op::Subscribe { .. }
            | Op::Unsubscribe { .. }
            | Op::History { .. }
            | Op::ListStreams {}
            | Op::StreamInfo { .. }
            | Op::MarkRead { .. }
            | Op::Whoami {}
            | Op::Feed {}
            | Op::AuditLog { .. }
            | Op::ReviewQueue {}
            | Op::WatchedWords {}
            | Op::ForumCategories {}
            | Op::ForumThreads { .. }
            | Op::ForumThread { .. }
            | Op::ForumPostHistory { .. }
            | Op::TicketInfo { .. }
            | Op::TicketQueue { .. }
            | Op::DeskStatus { .. }
            | Op::DeskSettings {}
            | Op::ListCanned { .. }
            | Op::WikiGet { .. }
            | Op::WikiHistory { .. }
            | Op::WikiDiff { .. }
            | Op::WikiLinks { .. }
            | Op::WikiWanted {}
            | Op::WikiPages { .. }
            | Op::WikiRecent { .. }
            | Op::WatchQueue { .. } => CommandClass::Read,
            Op::Ping {} | Op::Auth { .. } | Op::Unknown => CommandClass::Ping,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CommandClass::Post => "post",
            CommandClass::Ephemeral => "ephemeral",
            CommandClass::Read => "read",
            CommandClass::Ping => "ping",
        }
    }
}

pub struct RateLimits {
    post: DefaultKeyedRateLimiter<UserId>,
    ephemeral: DefaultKeyedRateLimiter<UserId>,
    read: DefaultKeyedRateLimiter<UserId>,
    ping: DefaultKeyedRateLimiter<UserId>,
    handshake: DefaultKeyedRateLimiter<IpAddr>,
    login: DefaultKeyedRateLimiter<IpAddr>,
    /// Posts by accounts younger than `moderation.new_user_age_secs` (staff exempt).
    new_user: DefaultKeyedRateLimiter<UserId>,
    visitor: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn quota(per_sec: u32, burst: u32) -> Quota {
    let per = NonZeroU32::new(per_sec.max(1)).expect("max(1) is non-zero");
    let burst = NonZeroU32::new(burst.max(1)).expect("max(1) is non-zero");
    Quota::per_second(per).allow_burst(burst)
}

impl RateLimits {
    pub fn new(c: &RateConfig) -> RateLimits {
        RateLimits::with_new_users(c, 3, 3)
    }

    /// With the new-user post rate: `per_minute` refills, `burst` is the bucket.
    pub fn with_new_users(c: &RateConfig, per_minute: u32, burst: u32) -> RateLimits {
        let per = NonZeroU32::new(per_minute.max(1)).expect("max(1) is non-zero");
        let new_user = Quota::per_minute(per).allow_burst(NonZeroU32::new(burst.max(1)).expect("max(1) is non-zero"));
        RateLimits {
            new_user: RateLimiter::keyed(new_user),
            post: RateLimiter::keyed(quota(c.post_per_sec, c.post_burst)),
            ephemeral: RateLimiter::keyed(quota(c.ephemeral_per_sec, c.ephemeral_burst)),
            read: RateLimiter::keyed(quota(c.read_per_sec, c.read_burst)),
            ping: RateLimiter::keyed(quota(c.ping_per_sec, c.ping_burst)),
            handshake: RateLimiter::keyed(quota(c.handshake_per_ip_per_sec, c.handshake_per_ip_burst)),
            login: RateLimiter::keyed(quota(c.login_per_ip_per_sec, c.login_per_ip_burst)),
            visitor: RateLimiter::keyed(quota(c.visitor_per_ip_per_sec, c.visitor_per_ip_burst)),
            clock: DefaultClock::default(),
        }
    }

    fn check<K: std::hash::Hash + Eq + Clone>(&self, l: &DefaultKeyedRateLimiter<K>, key: &K) -> AppResult<()> {
        l.check_key(key).map_err(|not_until| AppError::RateLimited(not_until.wait_time_from(self.clock.now())))
    }

    pub fn check_user(&self, class: CommandClass, user: &UserId) -> AppResult<()> {
        let l = match class {
            CommandClass::Post => &self.post,
            CommandClass::Ephemeral => &self.ephemeral,
            CommandClass::Read => &self.read,
            CommandClass::Ping => &self.ping,
        };
        self.check(l, user)
    }

    pub fn check_handshake(&self, ip: IpAddr) -> AppResult<()> {
        self.check(&self.handshake, &ip)
    }

    /// One post by a new account (the caller decides who is new and who is exempt).
    pub fn check_new_user(&self, user: &UserId) -> AppResult<()> {
        self.check(&self.new_user, user)
    }

    pub fn check_login(&self, ip: IpAddr) -> AppResult<()> {
        self.check(&self.login, &ip)
    }

    /// A new website visitor token from this address.
    pub fn check_visitor(&self, ip: IpAddr) -> AppResult<()> {
        self.check(&self.visitor, &ip)
    }

    /// Forget keys whose buckets are full again (bounded memory).
    pub fn housekeeping(&self) {
        self.post.retain_recent();
        self.ephemeral.retain_recent();
        self.read.retain_recent();
        self.ping.retain_recent();
        self.handshake.retain_recent();
        self.login.retain_recent();
        self.new_user.retain_recent();
        self.visitor.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limited_with_retry_hint_and_users_are_independent() {
        let c = RateConfig { post_per_sec: 1, post_burst: 2, ..Default::default() };
        let l = RateLimits::new(&c);
        let ann = UserId::from("ann");
        assert!(l.check_user(CommandClass::Post, &ann).is_ok());
        assert!(l.check_user(CommandClass::Post, &ann).is_ok());
        match l.check_user(CommandClass::Post, &ann) {
            Err(AppError::RateLimited(d)) => assert!(d.as_millis() > 0 && d.as_millis() <= 1000),
            other => panic!("expected rate limited, got {other:?}"),
        }
        assert!(l.check_user(CommandClass::Post, &UserId::from("bob")).is_ok());
        assert!(l.check_user(CommandClass::Read, &ann).is_ok());
    }
}
