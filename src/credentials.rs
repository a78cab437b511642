//! Which open WebSocket connection was authenticated with which credential, so
//! that revoking a token (log out) closes every connection opened with it at
//! once, with 4500 `unauthorized`.
//!
//! Connections are registered by credential key (`auth::credential_key`) when
//! their session starts and removed when it ends. What does not live here:
//! deciding whether a token is valid or revoked (that is `auth`).

use crate::gateway::frames::Closer;
use crate::hub::ConnId;
use agora_protocol::CloseCode;
use dashmap::DashMap;
use std::sync::Arc;

#[derive(Default)]
pub struct Credentials {
    open: DashMap<String, Vec<(ConnId, Arc<Closer>)>>,
}

impl Credentials {
    /// A connection authenticated with the credential `key` has opened.
    pub fn add(&self, key: &str, conn: ConnId, closer: Arc<Closer>) {
        self.open.entry(key.to_owned()).or_default().push((conn, closer));
    }

    /// That connection has ended.
    pub fn remove(&self, key: &str, conn: ConnId) {
        if let Some(mut v) = self.open.get_mut(key) {
            v.retain(|(c, _)| *c != conn);
        }
        self.open.remove_if(key, |_, v| v.is_empty());
    }

    /// The credential was revoked: close its connections with 4500. Returns how many.
    pub fn close_all(&self, key: &str) -> usize {
        let conns = self.open.get(key).map(|v| v.clone()).unwrap_or_default();
        for (_, closer) in &conns {
            closer.close(CloseCode::Unauthorized);
        }
        conns.len()
    }
}
