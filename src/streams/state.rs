//! [`StreamState`]: what a stream is right now, folded from its events.
//!
//! The fields every kind has (id, kind, name, members, head) and the message
//! concerns the chat-like kinds share (deletions, hidden messages, reactions,
//! unread counters). Which events change what is the kind's `fold`
//! (`kinds/`); this file only holds the data.
//!
//! The sets and maps are persistent structures (`imbl`): cloning a state is a
//! few reference-count bumps and a change copies only the path it touches, so
//! the sequencer's working copy of a channel with 100k members or a million
//! messages costs the same as one of an empty channel.

use super::counters::Counters;
use super::kinds::KindState;
use super::moderation::Moderated;
use agora_protocol::{Event, EventBody, Seq, StreamId, StreamKind, UserId};
use serde::{Deserialize, Serialize};

/// The shape of [`StreamState`] this build folds. A snapshot of another shape
/// (an older build that kept no counters, say) is not used: the stream is
/// folded again from its first event.
pub const STATE_VERSION: u32 = 2;

/// Folded state of one stream. Snapshotted (MessagePack) now and then; on start
/// the tail after the snapshot is folded again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    /// [`STATE_VERSION`] when this state was folded (absent in older snapshots: 0).
    #[serde(default)]
    pub version: u32,
    pub id: StreamId,
    pub kind: StreamKind,
    pub name: String,
    pub topic: String,
    pub created_by: UserId,
    pub members: imbl::OrdSet<UserId>,
    /// Last folded sequence.
    pub head: Seq,
    /// Messages that have been deleted (their records are tombstones).
    pub deleted: imbl::HashSet<Seq>,
    /// Messages hidden by a moderator → their author (who still sees them).
    #[serde(default)]
    pub hidden: imbl::HashMap<Seq, UserId>,
    /// Reactions per message: (emoji, user).
    pub reactions: imbl::HashMap<Seq, imbl::OrdSet<(String, UserId)>>,
    /// Unread and mention counting, folded as messages commit.
    #[serde(default)]
    pub counters: Counters,
    /// What only this stream's kind keeps (see `kinds::KindState`).
    #[serde(default)]
    pub ext: KindState,
    /// Attachment hash → the messages that reference it (`can_read_attachment`).
    /// Deleted messages stay listed: the check skips them.
    #[serde(default)]
    pub attachments: imbl::HashMap<String, imbl::OrdSet<Seq>>,
    /// Slow mode and lock (`streams::moderation`), any kind.
    #[serde(default)]
    pub moderation: Moderated,
}

impl StreamState {
    /// The state a `stream_created` event starts (any kind: every stream starts with one).
    /// The kind folds the event too (a ticket starts its own state from it).
    pub fn from_created(ev: &Event) -> Option<StreamState> {
        let mut st = match &ev.body {
            EventBody::StreamCreated { kind, name, topic, members } => StreamState {
                version: STATE_VERSION,
                id: ev.stream.clone(),
                kind: *kind,
                name: name.clone(),
                topic: topic.clone(),
                created_by: ev.author.clone(),
                members: members.iter().cloned().collect(),
                head: ev.seq,
                deleted: Default::default(),
                hidden: Default::default(),
                reactions: Default::default(),
                counters: Counters::default(),
                ext: KindState::default(),
                attachments: Default::default(),
                moderation: Moderated::default(),
            },
            _ => return None,
        };
        st.apply(ev);
        Some(st)
    }

    /// Fold one event (the next in sequence) into the state, by the stream's kind's rules.
    pub fn apply(&mut self, ev: &Event) {
        self.head = self.head.max(ev.seq);
        self.moderation.fold(ev);
        if let Some(kind) = super::kinds::of(self.kind) {
            kind.fold(self, ev);
        }
    }

    pub fn is_member(&self, user: &UserId) -> bool {
        self.members.contains(user)
    }
}
