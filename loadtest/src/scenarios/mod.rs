//! The scenarios: one module each, plus the publish/subscribe engine that
//! `fanout` and `resume` share. Each scenario has a `setup` (run once, by the
//! parent) that returns a [`Plan`], and a `run_shard` (run by every process over
//! its share of the connections) that returns a [`RunResult`].

pub mod chat;
pub mod connect;
pub mod fanout;
pub mod pubsub;
pub mod resume;

use crate::cli::Common;
use crate::client::ConnectOpts;
use std::net::IpAddr;

/// What every shard needs to open connections.
pub struct Env {
    pub common: Common,
    pub opts: ConnectOpts,
}

impl Env {
    /// The source address for the connection with this global index (round-robin over `--source-addrs`).
    pub fn source(&self, index: usize) -> Option<IpAddr> {
        let s = &self.common.source_addrs;
        (!s.is_empty()).then(|| s[index % s.len()])
    }
}

/// The text a publisher posts: `lt1 PUBLISHER NUMBER SENT_NS ` then padding up to `size` bytes.
/// `SENT_NS` is on the shared monotonic clock (`util::mono_ns`).
pub fn stamp_text(publisher: u32, number: u64, sent_ns: u64, size: usize) -> String {
    let mut s = format!("lt1 {publisher} {number} {sent_ns} ");
    if s.len() < size {
        s.extend(std::iter::repeat_n('x', size - s.len()));
    }
    s
}

/// Read back (publisher, number, sent_ns) from a stamped text.
pub fn parse_stamp(text: &str) -> Option<(u32, u64, u64)> {
    let mut it = text.split(' ');
    if it.next()? != "lt1" {
        return None;
    }
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_pad_to_size() {
        let t = stamp_text(3, 17, 123456789, 100);
        assert_eq!(t.len(), 100);
        assert_eq!(parse_stamp(&t), Some((3, 17, 123456789)));
        // A size smaller than the header keeps the header whole.
        let t = stamp_text(3, 17, 123456789, 4);
        assert_eq!(parse_stamp(&t), Some((3, 17, 123456789)));
        assert_eq!(parse_stamp("hello there"), None);
        assert_eq!(parse_stamp("lt1 x 1 2"), None);
    }
}
