//! The scenarios: one module each, plus the publish/subscribe engine that
//! `fanout` and `resume` share. Each scenario has a `setup` (run once, by the
//! parent) that returns a [`Plan`], and a `run_shard` (run by every process over
//! its share of the connections) that returns a [`RunResult`].

pub mod chat;
pub mod connect;
pub mod desk;
pub mod fanout;
pub mod flood;
pub mod forum;
pub mod peer;
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
