//! Delivery correctness: per subscriber, per stream, every event exactly once, in seq order.
//!
//! A [`StreamCheck`] follows one subscription (across reconnects: a resumed
//! subscription continues the same check). Sequences are gapless per stream, so
//! from the first expected seq on, seq `n` must be followed by `n + 1`:
//! - a seq above the expected one opens a **gap** (the skipped seqs are *missing*);
//! - a seq below it that was missing is a **reorder** (late, but not lost);
//! - a seq below it that was already received is a **duplicate**.
//!
//! Message content is checked too: a publisher numbers its posts, so the same
//! (publisher, number) twice in one stream is a duplicate stored under two seqs.
//! Missing seqs left at the end, plus any shortfall against the stream's final
//! head, are the losses.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// At most this many human-readable problem samples are kept per summary.
const MAX_SAMPLES: usize = 20;

/// The check of one subscriber's view of one stream.
#[derive(Clone, Debug, Default)]
pub struct StreamCheck {
    /// The next seq we expect; `None` until a baseline is known.
    expected: Option<u64>,
    /// Missing seqs as ranges start -> end (inclusive).
    missing: BTreeMap<u64, u64>,
    /// Highest publisher message number seen, per publisher.
    last_msg: HashMap<u32, u64>,
    pub received: u64,
    pub duplicates: u64,
    pub reorders: u64,
    pub content_duplicates: u64,
    /// Seqs the stream had at the end that never arrived (set by [`StreamCheck::finish`]).
    pub tail_missing: u64,
    pub samples: Vec<String>,
}

impl StreamCheck {
    /// A check that expects `since + 1` next (for `subscribe`: the reply's head, or the `since` sent).
    pub fn starting_after(since: u64) -> Self {
        StreamCheck { expected: Some(since + 1), ..Default::default() }
    }

    /// The last seq received in order (what to send as `since` when resuming).
    pub fn last_seq(&self) -> Option<u64> {
        self.expected.map(|e| e - 1)
    }

    fn sample(&mut self, s: String) {
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(s);
        }
    }

    /// Observe one delivered event.
    pub fn observe(&mut self, seq: u64) {
        self.received += 1;
        let expected = *self.expected.get_or_insert(seq);
        if seq == expected {
            self.expected = Some(seq + 1);
        } else if seq > expected {
            self.missing.insert(expected, seq - 1);
            self.sample(format!("gap: expected {expected}, got {seq}"));
            self.expected = Some(seq + 1);
        } else if self.take_missing(seq) {
            self.reorders += 1;
            self.sample(format!("reorder: {seq} arrived after {}", expected - 1));
        } else {
            self.duplicates += 1;
            self.sample(format!("duplicate: {seq} again (next expected {expected})"));
        }
    }

    /// Observe a publisher's numbered message (after [`StreamCheck::observe`] of its seq).
    pub fn observe_message(&mut self, publisher: u32, number: u64, seq: u64) {
        match self.last_msg.get(&publisher) {
            Some(&last) if number <= last => {
                self.content_duplicates += 1;
                self.sample(format!("message {publisher}/{number} at seq {seq} after {publisher}/{last}"));
            }
            _ => {
                self.last_msg.insert(publisher, number);
            }
        }
    }

    /// If `seq` was missing, remove it from the missing ranges.
    fn take_missing(&mut self, seq: u64) -> bool {
        let Some((&start, &end)) = self.missing.range(..=seq).next_back() else { return false };
        if seq > end {
            return false;
        }
        self.missing.remove(&start);
        if start < seq {
            self.missing.insert(start, seq - 1);
        }
        if seq < end {
            self.missing.insert(seq + 1, end);
        }
        true
    }

    /// Seqs skipped and never delivered.
    pub fn missing(&self) -> u64 {
        self.missing.iter().map(|(s, e)| e - s + 1).sum()
    }

    /// Gaps (ranges of missing seqs) still open.
    pub fn gap_count(&self) -> u64 {
        self.missing.len() as u64
    }

    /// Whether everything up to `head` has arrived.
    pub fn reached(&self, head: u64) -> bool {
        self.expected.is_some_and(|e| e > head)
    }

    /// Close the check against the stream's final head: seqs up to it that never came are lost.
    pub fn finish(&mut self, head: u64) {
        if let Some(e) = self.expected {
            if e <= head {
                self.tail_missing = head - e + 1;
                self.sample(format!("tail: seqs {e}..={head} never arrived"));
            }
        }
    }

    #[cfg_attr(not(test), allow(dead_code))]
    pub fn is_clean(&self) -> bool {
        self.missing() == 0
            && self.duplicates == 0
            && self.reorders == 0
            && self.content_duplicates == 0
            && self.tail_missing == 0
    }
}

/// Totals over many stream checks; what reports show and children hand to the parent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckSummary {
    /// Subscriptions checked (subscriber × stream).
    pub subscriptions: u64,
    pub events: u64,
    /// Seqs never delivered (inside gaps, or between the last delivered and the final head).
    pub missing: u64,
    pub gaps: u64,
    pub duplicates: u64,
    pub reorders: u64,
    pub content_duplicates: u64,
    pub samples: Vec<String>,
}

impl CheckSummary {
    pub fn add_check(&mut self, who: &str, c: &StreamCheck) {
        self.subscriptions += 1;
        self.events += c.received;
        self.missing += c.missing() + c.tail_missing;
        self.gaps += c.gap_count() + u64::from(c.tail_missing > 0);
        self.duplicates += c.duplicates;
        self.reorders += c.reorders;
        self.content_duplicates += c.content_duplicates;
        for s in &c.samples {
            if self.samples.len() < MAX_SAMPLES {
                self.samples.push(format!("{who}: {s}"));
            }
        }
    }

    pub fn merge(&mut self, o: &CheckSummary) {
        self.subscriptions += o.subscriptions;
        self.events += o.events;
        self.missing += o.missing;
        self.gaps += o.gaps;
        self.duplicates += o.duplicates;
        self.reorders += o.reorders;
        self.content_duplicates += o.content_duplicates;
        let room = MAX_SAMPLES.saturating_sub(self.samples.len());
        self.samples.extend(o.samples.iter().take(room).cloned());
    }

    /// Errors of any kind: a run with any has no throughput figure.
    pub fn errors(&self) -> u64 {
        self.missing + self.duplicates + self.reorders + self.content_duplicates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start_after: u64, seqs: &[u64]) -> StreamCheck {
        let mut c = StreamCheck::starting_after(start_after);
        for &s in seqs {
            c.observe(s);
        }
        c
    }

    #[test]
    fn in_order_delivery_is_clean() {
        let mut c = run(10, &[11, 12, 13, 14]);
        c.finish(14);
        assert!(c.is_clean(), "{c:?}");
        assert_eq!((c.received, c.last_seq()), (4, Some(14)));
    }

    #[test]
    fn a_skipped_seq_is_a_gap() {
        let c = run(0, &[1, 2, 5, 6]);
        assert_eq!((c.missing(), c.gap_count()), (2, 1));
        assert!(!c.is_clean());
        assert!(c.samples[0].contains("expected 3, got 5"));
    }

    #[test]
    fn a_missing_first_event_is_a_gap() {
        let c = run(10, &[12, 13]);
        assert_eq!(c.missing(), 1);
    }

    #[test]
    fn a_repeated_seq_is_a_duplicate() {
        let c = run(0, &[1, 2, 2, 3, 1]);
        assert_eq!((c.duplicates, c.reorders, c.missing()), (2, 0, 0));
    }

    #[test]
    fn a_late_seq_is_a_reorder_not_a_loss() {
        let c = run(0, &[1, 3, 2, 4]);
        assert_eq!((c.reorders, c.missing(), c.duplicates), (1, 0, 0));
        // A late one in the middle of a wide gap splits it.
        let c = run(0, &[1, 10, 5]);
        assert_eq!((c.reorders, c.missing(), c.gap_count()), (1, 7, 2));
        // Arriving twice late: a reorder, then a duplicate.
        let c = run(0, &[1, 3, 2, 2]);
        assert_eq!((c.reorders, c.duplicates), (1, 1));
    }

    #[test]
    fn the_tail_short_of_the_final_head_is_lost() {
        let mut c = run(0, &[1, 2, 3]);
        assert!(c.reached(3) && !c.reached(4));
        c.finish(5);
        assert_eq!(c.tail_missing, 2);
        assert!(!c.is_clean());
    }

    #[test]
    fn without_a_baseline_the_first_event_sets_it() {
        let mut c = StreamCheck::default();
        c.observe(7);
        c.observe(8);
        assert!(c.is_clean() && c.last_seq() == Some(8));
    }

    #[test]
    fn the_same_message_under_two_seqs_is_a_content_duplicate() {
        let mut c = StreamCheck::starting_after(0);
        for (seq, n) in [(1, 1), (2, 2), (3, 2)] {
            c.observe(seq);
            c.observe_message(9, n, seq);
        }
        assert_eq!(c.content_duplicates, 1);
        assert!(!c.is_clean());
    }

    #[test]
    fn summaries_add_up_and_count_errors() {
        let mut s = CheckSummary::default();
        s.add_check("sub0/ch", &run(0, &[1, 2, 3]));
        s.add_check("sub1/ch", &run(0, &[1, 3, 3]));
        assert_eq!((s.subscriptions, s.events, s.missing, s.gaps, s.duplicates), (2, 6, 1, 1, 1));
        assert_eq!(s.errors(), 2);
        let mut t = CheckSummary::default();
        t.merge(&s);
        t.merge(&s);
        assert_eq!((t.subscriptions, t.errors()), (4, 4));
        assert!(t.samples[0].starts_with("sub1/ch: gap"), "{:?}", t.samples);
    }
}
