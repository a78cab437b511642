//! Unread and mention counts, folded as messages commit, so `list_streams`
//! answers from memory instead of reading the log.
//!
//! A reader's unread count in a stream is the number of messages after their
//! read marker that they may see, minus their own. Messages every reader sees
//! are kept as seq ranges (a chat stream is mostly consecutive messages, so a
//! million of them are a handful of ranges); messages only some readers see
//! (hidden ones) are kept with their [`Audience`], and counted for a reader
//! through the same `Audience::admits` every read path uses. Per user, the
//! newest [`PER_USER`] own messages and mentions are kept: counts are exact as
//! long as a reader has fewer than that many own messages (or mentions) after
//! their marker. What counts as a message, and who it is for, is the kind's
//! decision (`kinds/chat.rs`); this file only counts.

use super::visibility::{Actor, Audience};
use agora_protocol::{Seq, UserId};
use serde::{Deserialize, Serialize};

/// Own messages and mentions remembered per user and stream.
pub const PER_USER: usize = 256;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Messages every reader may see: range start → end (inclusive).
    everyone: imbl::OrdMap<u64, u64>,
    /// Messages only some readers may see.
    restricted: imbl::OrdMap<u64, Audience>,
    /// Per author, their newest message seqs (ascending).
    own: imbl::HashMap<UserId, imbl::Vector<u64>>,
    /// Per user, the newest seqs of messages that mention them (ascending).
    mentions: imbl::HashMap<UserId, imbl::Vector<u64>>,
}

/// One reader's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub unread: u32,
    pub mentions: u32,
}

impl Counters {
    /// A new message at `seq` by `author`, mentioning `mentions`, for `audience`.
    pub fn add(&mut self, seq: Seq, author: &UserId, mentions: &[UserId], audience: Audience) {
        let s = seq.0;
        if audience.is_everyone() {
            self.insert_everyone(s);
        } else {
            self.restricted.insert(s, audience);
        }
        remember(&mut self.own, author, s);
        for m in mentions {
            remember(&mut self.mentions, m, s);
        }
    }

    /// The message at `seq` no longer counts (deleted).
    pub fn remove(&mut self, seq: Seq) {
        self.restricted.remove(&seq.0);
        self.remove_everyone(seq.0);
    }

    /// The message at `seq` is now for `audience` (hidden or unhidden).
    pub fn set_audience(&mut self, seq: Seq, audience: Audience) {
        if !self.counts(seq.0) {
            return;
        }
        self.remove(seq);
        if audience.is_everyone() {
            self.insert_everyone(seq.0);
        } else {
            self.restricted.insert(seq.0, audience);
        }
    }

    /// Counts for `who`, whose read marker is `last_read`.
    pub fn counts_for(&self, who: &Actor, last_read: Seq) -> Counts {
        let after = last_read.0;
        let mut total: u64 = 0;
        // Ranges that end after the marker: the one containing it (if any) and all later ones.
        if let Some((_, &end)) = self.everyone.range(..=after).next_back() {
            total += end.saturating_sub(after);
        }
        for (&start, &end) in self.everyone.range(after + 1..) {
            total += end - start + 1;
        }
        total += self.restricted.range(after + 1..).filter(|(_, a)| a.admits_here(who)).count() as u64;
        let sees = |s: u64| self.sees(s, who);
        let own = self.own.get(&who.id).map_or(0, |v| v.iter().filter(|&&s| s > after && sees(s)).count());
        let mentions = self.mentions.get(&who.id).map_or(0, |v| v.iter().filter(|&&s| s > after && sees(s)).count());
        Counts { unread: total.saturating_sub(own as u64).min(u32::MAX as u64) as u32, mentions: mentions as u32 }
    }

    /// Does `seq` count as a message that `who` may see?
    fn sees(&self, seq: u64, who: &Actor) -> bool {
        self.in_everyone(seq) || self.restricted.get(&seq).is_some_and(|a| a.admits_here(who))
    }

    fn counts(&self, seq: u64) -> bool {
        self.in_everyone(seq) || self.restricted.contains_key(&seq)
    }

    fn in_everyone(&self, seq: u64) -> bool {
        self.everyone.range(..=seq).next_back().is_some_and(|(_, &end)| end >= seq)
    }

    fn insert_everyone(&mut self, s: u64) {
        if self.in_everyone(s) {
            return;
        }
        let before = self.everyone.range(..s).next_back().filter(|(_, &end)| end + 1 == s).map(|(&a, _)| a);
        let after = self.everyone.get(&(s + 1)).copied();
        match (before, after) {
            (Some(a), Some(end)) => {
                self.everyone.remove(&(s + 1));
                self.everyone.insert(a, end);
            }
            (Some(a), None) => {
                self.everyone.insert(a, s);
            }
            (None, Some(end)) => {
                self.everyone.remove(&(s + 1));
                self.everyone.insert(s, end);
            }
            (None, None) => {
                self.everyone.insert(s, s);
            }
        }
    }

    fn remove_everyone(&mut self, s: u64) {
        let Some((start, end)) = self.everyone.range(..=s).next_back().map(|(&a, &b)| (a, b)) else { return };
        if end < s {
            return;
        }
        self.everyone.remove(&start);
        if start < s {
            self.everyone.insert(start, s - 1);
        }
        if s < end {
            self.everyone.insert(s + 1, end);
        }
    }
}

/// Append `seq` to `user`'s list, keeping the newest [`PER_USER`].
fn remember(map: &mut imbl::HashMap<UserId, imbl::Vector<u64>>, user: &UserId, seq: u64) {
    let list = map.entry(user.clone()).or_default();
    list.push_back(seq);
    if list.len() > PER_USER {
        list.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::ops::Role;

    fn who(id: &str, role: Role) -> Actor {
        Actor { id: id.into(), role }
    }

    #[test]
    fn unread_counts_others_messages_after_the_marker() {
        let mut c = Counters::default();
        let (ann, bob) = (UserId::from("ann"), UserId::from("bob"));
        for s in 2..=10 {
            let author = if s % 3 == 0 { &ann } else { &bob };
            let mentions = if s == 7 { vec![ann.clone()] } else { vec![] };
            c.add(Seq(s), author, &mentions, Audience::everyone());
        }
        let a = who("ann", Role::Member);
        // Messages 2..=10: ann wrote 3, 6, 9.
        assert_eq!(c.counts_for(&a, Seq(0)), Counts { unread: 6, mentions: 1 });
        assert_eq!(c.counts_for(&a, Seq(5)), Counts { unread: 3, mentions: 1 });
        assert_eq!(c.counts_for(&a, Seq(7)), Counts { unread: 2, mentions: 0 });
        assert_eq!(c.counts_for(&a, Seq(10)), Counts::default());
        // Deleting 4 and 7 (a mention): ranges split, the mention goes.
        c.remove(Seq(4));
        c.remove(Seq(7));
        assert_eq!(c.counts_for(&a, Seq(0)), Counts { unread: 4, mentions: 0 });
        assert_eq!(c.everyone.len(), 3);
    }

    #[test]
    fn hidden_messages_count_only_for_their_audience() {
        let mut c = Counters::default();
        let (ann, bob) = (UserId::from("ann"), UserId::from("bob"));
        c.add(Seq(1), &bob, std::slice::from_ref(&ann), Audience::everyone());
        c.add(Seq(2), &bob, &[], Audience::everyone());
        c.set_audience(Seq(1), Audience::moderators_and(&bob));
        let member = who("ann", Role::Member);
        let moderator = who("carol", Role::Moderator);
        assert_eq!(c.counts_for(&member, Seq(0)), Counts { unread: 1, mentions: 0 });
        assert_eq!(c.counts_for(&moderator, Seq(0)), Counts { unread: 2, mentions: 0 });
        // The author sees their own hidden message but it is theirs: not unread.
        assert_eq!(c.counts_for(&who("bob", Role::Member), Seq(0)), Counts::default());
        c.set_audience(Seq(1), Audience::everyone());
        assert_eq!(c.counts_for(&member, Seq(0)), Counts { unread: 2, mentions: 1 });
    }
}
