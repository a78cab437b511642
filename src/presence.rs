//! Presence: each user's status aggregated over their connected devices.
//!
//! In memory only (presence is not history). A device starts `online`; the
//! aggregate is `dnd` if any device says dnd, else `online` if any is online,
//! else `away` if any is connected, else `offline` with `last_seen`.

use crate::hub::ConnId;
use agora_protocol::ops::{PresenceEntry, PresenceStatus};
use agora_protocol::UserId;
use dashmap::DashMap;
use std::collections::HashMap;

#[derive(Default)]
struct UserPresence {
    devices: HashMap<ConnId, PresenceStatus>,
    last_seen: u64,
}

impl UserPresence {
    fn aggregate(&self) -> PresenceStatus {
        let has = |s| self.devices.values().any(|d| *d == s);
        if self.devices.is_empty() {
            PresenceStatus::Offline
        } else if has(PresenceStatus::Dnd) {
            PresenceStatus::Dnd
        } else if has(PresenceStatus::Online) {
            PresenceStatus::Online
        } else {
            PresenceStatus::Away
        }
    }
}

#[derive(Default)]
pub struct Presence {
    users: DashMap<UserId, UserPresence>,
}

impl Presence {
    /// Apply a change to one device; returns the new aggregate if it changed.
    fn update(&self, user: &UserId, now: u64, f: impl FnOnce(&mut UserPresence)) -> Option<PresenceEntry> {
        let mut p = self.users.entry(user.clone()).or_default();
        let before = p.aggregate();
        f(&mut p);
        p.last_seen = now;
        let after = p.aggregate();
        (before != after).then(|| PresenceEntry { user: user.clone(), status: after, last_seen: p.last_seen })
    }

    pub fn connect(&self, user: &UserId, conn: ConnId, now: u64) -> Option<PresenceEntry> {
        self.update(user, now, |p| {
            p.devices.insert(conn, PresenceStatus::Online);
        })
    }

    pub fn set(&self, user: &UserId, conn: ConnId, status: PresenceStatus, now: u64) -> Option<PresenceEntry> {
        self.update(user, now, |p| {
            if status == PresenceStatus::Offline {
                // "Appear offline" is not offered: a connected device is at least away.
                p.devices.insert(conn, PresenceStatus::Away);
            } else {
                p.devices.insert(conn, status);
            }
        })
    }

    pub fn disconnect(&self, user: &UserId, conn: ConnId, now: u64) -> Option<PresenceEntry> {
        self.update(user, now, |p| {
            p.devices.remove(&conn);
        })
    }

    pub fn get(&self, user: &UserId) -> PresenceEntry {
        match self.users.get(user) {
            Some(p) => PresenceEntry { user: user.clone(), status: p.aggregate(), last_seen: p.last_seen },
            None => PresenceEntry { user: user.clone(), status: PresenceStatus::Offline, last_seen: 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_devices() {
        let p = Presence::default();
        let u = UserId::from("ann");
        assert_eq!(p.connect(&u, 1, 10).unwrap().status, PresenceStatus::Online);
        assert!(p.connect(&u, 2, 11).is_none());
        assert!(p.set(&u, 1, PresenceStatus::Away, 12).is_none(), "device 2 still online");
        assert_eq!(p.set(&u, 2, PresenceStatus::Away, 13).unwrap().status, PresenceStatus::Away);
        assert_eq!(p.set(&u, 2, PresenceStatus::Dnd, 14).unwrap().status, PresenceStatus::Dnd);
        assert!(p.disconnect(&u, 1, 15).is_none());
        let off = p.disconnect(&u, 2, 16).unwrap();
        assert_eq!((off.status, off.last_seen), (PresenceStatus::Offline, 16));
    }
}
