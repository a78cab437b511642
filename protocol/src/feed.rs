//! The notification feed's wire types: one [`FeedItem`] per thing a user is
//! told about (a mention, a reply, a like, a DM, a flag's outcome...), carried
//! by `feed_item` events in the user's own feed stream (`nf_<user>`).
//!
//! An item names the event it is about (`source`, `source_seq`): the server
//! shows it only while its owner may still see that event, and clients open
//! it there.

use crate::ids::{Seq, StreamId, UserId};
use serde::{Deserialize, Serialize};

/// Why a user is told. Clients must show an unknown reason generically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FeedReason {
    /// `@user` in a message or post.
    Mention,
    /// A reply to the user's message or post.
    Reply,
    /// A post quoting the user's post.
    Quote,
    /// Someone liked or reacted to the user's post (grouped: see [`FeedItem::others`]).
    Like,
    /// A new thread or reply in something the user watches.
    Watched,
    /// A direct message to the user.
    Dm,
    /// A ticket event for the user (assigned, answered, status changed).
    Ticket,
    /// A wiki page the user watches was edited.
    WikiEdit,
    /// A moderator decided on content the user flagged.
    FlagOutcome,
    /// A reason this client does not know (added by a newer server).
    #[serde(other)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown,
}

/// One notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeedItem {
    pub reason: FeedReason,
    /// The stream and event the item is about.
    pub source: StreamId,
    pub source_seq: Seq,
    /// Who caused it (the poster, the liker, the moderator).
    pub actor: UserId,
    /// A short excerpt of the text, when there is one (at most [`EXCERPT_CHARS`] characters).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub excerpt: String,
    /// The source's title or name (a thread's title, a channel's name), when it has one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// For grouped items (likes): how many others did the same before this one
    /// since the owner last read the feed ("ann and 3 others liked your post").
    #[serde(default, skip_serializing_if = "is_zero")]
    pub others: u32,
    /// Free text a kind adds (a flag's outcome: "agreed: hidden").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The longest excerpt an item carries, in characters.
pub const EXCERPT_CHARS: usize = 140;

impl FeedItem {
    /// An item about `source`/`source_seq` by `actor`; the excerpt is cut to
    /// [`EXCERPT_CHARS`] characters.
    pub fn new(reason: FeedReason, source: StreamId, source_seq: Seq, actor: UserId, text: &str) -> FeedItem {
        FeedItem {
            reason,
            source,
            source_seq,
            actor,
            excerpt: excerpt(text),
            title: String::new(),
            others: 0,
            detail: String::new(),
        }
    }
}

/// The first [`EXCERPT_CHARS`] characters of `text`, with `…` when cut.
pub fn excerpt(text: &str) -> String {
    let mut it = text.char_indices();
    match it.nth(EXCERPT_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventBody};

    #[test]
    fn a_feed_item_event_round_trips_and_unknown_reasons_decode() {
        let item = FeedItem::new(FeedReason::Like, "ch_a".into(), Seq(3), "bob".into(), &"é".repeat(200));
        assert_eq!(item.excerpt.chars().count(), EXCERPT_CHARS + 1);
        let ev = Event {
            stream: "nf_ann".into(),
            seq: Seq(2),
            at: 1,
            author: "system".into(),
            idem: None,
            body: EventBody::FeedItem { item },
        };
        let json = serde_json::to_string(&ev).unwrap();
        assert!(json.contains(r#""type":"feed_item""#) && json.contains(r#""reason":"like""#), "{json}");
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), ev);
        let newer = r#"{"reason":"badge","source":"x","source_seq":1,"actor":"a"}"#;
        assert_eq!(serde_json::from_str::<FeedItem>(newer).unwrap().reason, FeedReason::Unknown);
    }
}
