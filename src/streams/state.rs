//! [`StreamState`]: what a stream is right now, folded from its events.

use agora_protocol::{Event, EventBody, Seq, StreamId, StreamKind, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Folded state of one stream. Snapshotted (MessagePack) into the snapshot
/// table now and then; on start the tail after the snapshot is folded again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamState {
    pub id: StreamId,
    pub kind: StreamKind,
    pub name: String,
    pub topic: String,
    pub created_by: UserId,
    pub members: BTreeSet<UserId>,
    /// Last folded sequence.
    pub head: Seq,
    /// Messages that have been deleted (their records are tombstones).
    pub deleted: HashSet<Seq>,
    /// Reactions per message: (emoji, user).
    pub reactions: HashMap<Seq, BTreeSet<(String, UserId)>>,
}

impl StreamState {
    /// The state a `stream_created` event starts.
    pub fn from_created(ev: &Event) -> Option<StreamState> {
        match &ev.body {
            EventBody::StreamCreated { kind, name, topic, members } => Some(StreamState {
                id: ev.stream.clone(),
                kind: *kind,
                name: name.clone(),
                topic: topic.clone(),
                created_by: ev.author.clone(),
                members: members.iter().cloned().collect(),
                head: ev.seq,
                deleted: HashSet::new(),
                reactions: HashMap::new(),
            }),
            _ => None,
        }
    }

    /// Fold one event (the next in sequence) into the state.
    pub fn apply(&mut self, ev: &Event) {
        self.head = self.head.max(ev.seq);
        match &ev.body {
            EventBody::StreamCreated { .. } | EventBody::MessagePosted { .. } | EventBody::MessageEdited { .. } => {}
            EventBody::Tombstone { .. } => {}
            EventBody::StreamRenamed { name } => self.name = name.clone(),
            EventBody::TopicSet { topic } => self.topic = topic.clone(),
            EventBody::MemberJoined { user } | EventBody::MemberInvited { user } => {
                self.members.insert(user.clone());
            }
            EventBody::MemberLeft { user } => {
                self.members.remove(user);
            }
            EventBody::MessageDeleted { target } => {
                self.deleted.insert(*target);
                self.reactions.remove(target);
            }
            EventBody::ReactionAdded { target, emoji } => {
                self.reactions.entry(*target).or_default().insert((emoji.clone(), ev.author.clone()));
            }
            EventBody::ReactionRemoved { target, emoji } => {
                if let Some(set) = self.reactions.get_mut(target) {
                    set.remove(&(emoji.clone(), ev.author.clone()));
                    if set.is_empty() {
                        self.reactions.remove(target);
                    }
                }
            }
        }
    }

    pub fn is_member(&self, user: &UserId) -> bool {
        self.members.contains(user)
    }
}
