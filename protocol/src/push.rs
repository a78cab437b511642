//! What the server sends: replies (`{"re": N, "ok": {...}}` or `{"re": N, "error": {...}}`)
//! and pushes (`{"ev": "...", ...}`).

use crate::error::ErrorBody;
use crate::event::Event;
use crate::forum::{
    ForumCategoriesOk, ForumCategoryOk, ForumPostHistoryOk, ForumThreadCreatedOk, ForumThreadOk, ForumThreadsOk,
};
use crate::ids::{Seq, StreamId, UserId};
use crate::ops::{
    AppendOk, Empty, HistoryOk, ListStreamsOk, PingOk, PresenceStatus, StreamInfoOk, StreamSummary, SubscribeOk,
    WhoamiOk,
};
use serde::{Deserialize, Serialize};

/// A server push, tagged by `ev`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Push {
    /// An event of a subscribed stream (replayed or live), in seq order per stream.
    Event(Event),
    /// A member of a subscribed stream changed presence.
    Presence { stream: StreamId, user: UserId, status: PresenceStatus, last_seen: u64 },
    /// A member is typing in a subscribed stream; forget it after `ttl_ms` unless repeated.
    Typing { stream: StreamId, user: UserId, ttl_ms: u64 },
    /// One of my devices marked `stream` read up to `seq`.
    Read { stream: StreamId, seq: Seq },
    /// I was added to a stream (invited, or someone opened a DM with me).
    StreamAdded { stream: StreamSummary },
    /// Seqs `from..=to` of a subscribed stream exist but are not for me (hidden
    /// messages, notes for staff): advance my cursor past them. Sent in seq order
    /// with the events, so "not for you" is never mistaken for "lost".
    Skip { stream: StreamId, from: Seq, to: Seq },
    /// My notification feed's unread count changed (sent to all my connections).
    FeedUnread { stream: StreamId, unread: u32 },
    /// A ticket was created or changed (fields, status, assignee, SLA): its
    /// current view. Sent to agents who asked with `watch_queue`, while they are staff.
    TicketChanged { ticket: Box<crate::ticket::TicketView> },
    /// A push this client does not know (sent by a newer server). Decoding keeps
    /// going; clients ignore it.
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// Every `ok` payload, for the server to serialize. Untagged: the client knows
/// which op it sent and decodes `ok` as that op's payload type.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(untagged)]
pub enum OkBody {
    Empty(Empty),
    Ping(PingOk),
    Whoami(WhoamiOk),
    ListStreams(ListStreamsOk),
    StreamInfo(StreamInfoOk),
    Append(AppendOk),
    Subscribe(SubscribeOk),
    History(HistoryOk),
    Feed(crate::feed::FeedOk),
    AuditLog(crate::moderation::AuditLogOk),
    ReviewQueue(crate::moderation::ReviewQueueOk),
    WatchedWords(crate::moderation::WatchedWordsOk),
    ForumCategories(ForumCategoriesOk),
    ForumCategory(ForumCategoryOk),
    ForumThreads(ForumThreadsOk),
    ForumThreadCreated(ForumThreadCreatedOk),
    ForumThread(Box<ForumThreadOk>),
    ForumPostHistory(ForumPostHistoryOk),
    Ticket(Box<crate::ticket::TicketOk>),
    AgentStatus(crate::ticket::AgentStatusOk),
    DeskStatus(crate::ticket::DeskStatusOk),
    TicketQueue(crate::ticket::TicketQueueOk),
    Canned(crate::ticket::CannedOk),
    WikiPage(Box<crate::wiki::WikiPageOk>),
    WikiSave(crate::wiki::WikiSaveOk),
    WikiHistory(crate::wiki::WikiHistoryOk),
    WikiDiff(crate::wiki::WikiDiffOk),
    WikiLinks(crate::wiki::WikiLinksOk),
    WikiWanted(crate::wiki::WikiWantedOk),
    WikiPages(crate::wiki::WikiPagesOk),
    WikiRecent(crate::wiki::WikiRecentOk),
    WikiTalk(crate::wiki::WikiTalkOk),
    DeskSettings(crate::desk_settings::DeskSettingsOk),
}

/// A reply as the server writes it. `re` is absent only when the request's
/// id could not be read (the frame was not a request at all).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reply {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub re: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<OkBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

impl Reply {
    pub fn ok(re: u64, body: OkBody) -> Self {
        Reply { re: Some(re), ok: Some(body), error: None }
    }
    pub fn error(re: Option<u64>, error: ErrorBody) -> Self {
        Reply { re, ok: None, error: Some(error) }
    }
}

/// A decoded server frame, for clients (bots, the load-test harness, tests).
#[derive(Clone, Debug, PartialEq)]
pub enum ServerFrame {
    /// A reply; `ok` stays a generic value to decode as the op's payload type.
    Reply {
        re: Option<u64>,
        result: Result<serde_json::Value, ErrorBody>,
    },
    Push(Push),
}

impl ServerFrame {
    /// Decode the `ok` value of a reply into the op's payload type.
    pub fn ok_as<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, serde_json::Error> {
        serde_json::from_value(value)
    }
}
