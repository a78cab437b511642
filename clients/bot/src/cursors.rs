//! Resume bookkeeping, without I/O: per followed stream, the last seq
//! processed and the epoch it belongs to (PROTOCOL.md §7, "The reconnect recipe").

use agora_protocol::ops::SubscribeOk;
use agora_protocol::{Seq, StreamId};
use std::collections::HashMap;

/// Where one followed stream stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The highest seq processed (None until the first subscribe reply).
    pub last_seq: Option<Seq>,
    /// The epoch `last_seq` belongs to.
    pub epoch: Option<String>,
}

/// The cursors of every followed stream.
#[derive(Clone, Debug, Default)]
pub struct Cursors {
    streams: HashMap<StreamId, Cursor>,
}

impl Cursors {
    /// Start following `stream` (no-op if already followed).
    pub fn follow(&mut self, stream: &StreamId) {
        self.streams.entry(stream.clone()).or_default();
    }

    pub fn forget(&mut self, stream: &StreamId) {
        self.streams.remove(stream);
    }

    pub fn is_followed(&self, stream: &StreamId) -> bool {
        self.streams.contains_key(stream)
    }

    pub fn get(&self, stream: &StreamId) -> Option<&Cursor> {
        self.streams.get(stream)
    }

    pub fn followed(&self) -> Vec<StreamId> {
        self.streams.keys().cloned().collect()
    }

    /// `since` and `epoch` to resume `stream` with (both None: live only).
    pub fn resume_point(&self, stream: &StreamId) -> (Option<Seq>, Option<String>) {
        match self.streams.get(stream) {
            Some(c) if c.last_seq.is_some() => (c.last_seq, c.epoch.clone()),
            _ => (None, None),
        }
    }

    /// Apply a subscribe reply to a request sent with `sent_since`. Returns true
    /// when the stream must be reset: a resume was asked for and not honoured.
    pub fn subscribed(&mut self, ok: &SubscribeOk, sent_since: Option<Seq>) -> bool {
        let reset = sent_since.is_some() && !ok.recovered;
        let c = self.streams.entry(ok.stream.clone()).or_default();
        match sent_since {
            Some(since) if ok.recovered => c.last_seq = Some(since),
            _ => c.last_seq = Some(ok.head),
        }
        c.epoch = Some(ok.epoch.clone());
        reset
    }

    /// Record an event; false when it is a duplicate (seq already processed)
    /// or belongs to a stream no longer followed.
    pub fn accept(&mut self, stream: &StreamId, seq: Seq) -> bool {
        let Some(c) = self.streams.get_mut(stream) else { return false };
        if matches!(c.last_seq, Some(last) if seq <= last) {
            return false;
        }
        c.last_seq = Some(seq);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(stream: &str, head: u64, epoch: &str, recovered: bool) -> SubscribeOk {
        SubscribeOk { stream: stream.into(), head: Seq(head), epoch: epoch.into(), recovered, presence: vec![] }
    }

    #[test]
    fn live_subscribe_then_events_dedup_by_seq() {
        let mut c = Cursors::default();
        let s = StreamId::from("ch_a");
        c.follow(&s);
        assert_eq!(c.resume_point(&s), (None, None));
        assert!(!c.subscribed(&ok("ch_a", 5, "e1", true), None));
        assert!(!c.accept(&s, Seq(5)), "head itself was not sent after a live subscribe");
        assert!(c.accept(&s, Seq(6)));
        assert!(!c.accept(&s, Seq(6)), "duplicate");
        assert!(!c.accept(&s, Seq(3)), "older");
        assert!(c.accept(&s, Seq(7)));
        assert_eq!(c.resume_point(&s), (Some(Seq(7)), Some("e1".into())));
    }

    #[test]
    fn resume_keeps_since_and_epoch_change_resets() {
        let mut c = Cursors::default();
        let s = StreamId::from("ch_a");
        c.follow(&s);
        c.subscribed(&ok("ch_a", 10, "e1", true), None);
        // Reconnect: resume from 10; the server is at 14 and will replay 11..=14.
        assert!(!c.subscribed(&ok("ch_a", 14, "e1", true), Some(Seq(10))));
        assert_eq!(c.get(&s).unwrap().last_seq, Some(Seq(10)));
        assert!(c.accept(&s, Seq(11)));
        // The store was replaced: recovered false -> reset, continue from the new head.
        assert!(c.subscribed(&ok("ch_a", 3, "e2", false), Some(Seq(11))));
        assert_eq!(c.resume_point(&s), (Some(Seq(3)), Some("e2".into())));
        assert!(c.accept(&s, Seq(4)));
    }

    #[test]
    fn unfollowed_streams_are_dropped() {
        let mut c = Cursors::default();
        assert!(!c.accept(&StreamId::from("ch_x"), Seq(1)));
    }
}
