//! The forum's thread lists: a [`Projection`] keeping every thread's row and
//! ordered indexes by last activity, "latest" across categories and one per
//! category, so a page is a range read from a cursor (never an offset scan).
//! Pinned threads are kept apart and lead the first page: globally pinned in
//! every list, category-pinned in their category's.
//!
//! Rows are rebuilt from a thread's committed state after each of its events
//! (`kinds::forum::ThreadState` already holds counts, participants and the
//! last poster). What is per user (read marker, unread count, level) is added
//! by `ops/forum.rs` for the rows of one page. Readability is the same rule
//! as the thread's `can_read` (`kinds::forum::may_read`), applied per row.

use crate::projections::Projection;
use crate::streams::kinds::forum::{may_read, ThreadState};
use crate::streams::{Actor, StreamState};
use agora_protocol::forum::Pinned;
use agora_protocol::ops::Role;
use agora_protocol::{Event, StreamId, StreamKind, UserId};
use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

/// A list position: newest activity first, then thread id.
pub type Key = (Reverse<u64>, StreamId);

/// What a list shows of a thread, the same for every reader.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub thread: StreamId,
    pub category: String,
    pub read_role: Option<Role>,
    pub title: String,
    pub author: UserId,
    pub state: ThreadState,
}

impl Row {
    fn key(&self) -> Key {
        (Reverse(self.state.last_activity), self.thread.clone())
    }
}

#[derive(Default)]
struct Index {
    rows: HashMap<StreamId, Row>,
    /// Every thread, by last activity.
    latest: BTreeSet<Key>,
    /// Per category, by last activity.
    by_category: HashMap<String, BTreeSet<Key>>,
    /// Pinned threads (few), so the first page finds them without a scan.
    pinned: BTreeSet<Key>,
}

/// The thread lists. See the module doc.
#[derive(Default)]
pub struct ForumList {
    index: RwLock<Index>,
}

/// A page cursor as the wire carries it: `<last_activity>:<thread>`.
pub fn encode_cursor(k: &Key) -> String {
    format!("{}:{}", k.0 .0, k.1)
}

pub fn decode_cursor(s: &str) -> Option<Key> {
    let (at, id) = s.split_once(':')?;
    Some((Reverse(at.parse().ok()?), StreamId::from(id)))
}

impl ForumList {
    fn upsert(&self, st: &StreamState) {
        if st.kind != StreamKind::ForumThread {
            return;
        }
        let Some(t) = ThreadState::of(st) else { return };
        if t.category.is_empty() {
            return; // created, not yet placed (the same commit places it)
        }
        let row = Row {
            thread: st.id.clone(),
            category: t.category.clone(),
            read_role: t.read_role,
            title: st.name.clone(),
            author: st.created_by.clone(),
            state: t.clone(),
        };
        let mut ix = self.index.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = ix.rows.remove(&row.thread) {
            let k = old.key();
            ix.latest.remove(&k);
            ix.pinned.remove(&k);
            if let Some(set) = ix.by_category.get_mut(&old.category) {
                set.remove(&k);
            }
        }
        let k = row.key();
        ix.latest.insert(k.clone());
        if row.state.pinned != Pinned::No {
            ix.pinned.insert(k.clone());
        }
        ix.by_category.entry(row.category.clone()).or_default().insert(k);
        ix.rows.insert(row.thread.clone(), row);
    }

    /// One page for `who`: of `category` or across all, after `cursor`, at most
    /// `limit` rows; and the cursor of the next page. Pinned rows lead the first page.
    pub fn page(
        &self,
        category: Option<&str>,
        cursor: Option<&Key>,
        limit: usize,
        who: &Actor,
    ) -> (Vec<Row>, Option<Key>) {
        let ix = self.index.read().unwrap_or_else(|e| e.into_inner());
        let empty = BTreeSet::new();
        let set = match category {
            Some(c) => ix.by_category.get(c).unwrap_or(&empty),
            None => &ix.latest,
        };
        let pinned_here = |r: &Row| match r.state.pinned {
            Pinned::No => false,
            Pinned::Globally => true,
            Pinned::Category => category.is_some(),
        };
        let mut out = Vec::new();
        if cursor.is_none() {
            // Pinned threads are few: a walk of the pins (globally pinned first).
            let mut pins: Vec<&Row> = ix
                .pinned
                .iter()
                .filter_map(|k| ix.rows.get(&k.1))
                .filter(|r| category.is_none_or(|c| r.category == c))
                .filter(|r| pinned_here(r) && may_read(r.read_role, who))
                .collect();
            pins.sort_by_key(|r| r.state.pinned != Pinned::Globally);
            out.extend(pins.into_iter().cloned());
        }
        let range = match cursor {
            Some(c) => set.range((std::ops::Bound::Excluded(c.clone()), std::ops::Bound::Unbounded)),
            None => set.range::<Key, _>(..),
        };
        let mut next = None;
        let mut taken = 0;
        for k in range {
            let Some(r) = ix.rows.get(&k.1) else { continue };
            if pinned_here(r) || !may_read(r.read_role, who) {
                continue;
            }
            if taken == limit {
                next = out.last().map(Row::key);
                break;
            }
            out.push(r.clone());
            taken += 1;
        }
        (out, next)
    }

    /// The row of one thread.
    pub fn row(&self, thread: &StreamId) -> Option<Row> {
        self.index.read().unwrap_or_else(|e| e.into_inner()).rows.get(thread).cloned()
    }
}

impl Projection for ForumList {
    fn load(&self, st: &StreamState) {
        self.upsert(st);
    }
    fn apply(&self, st: &StreamState, _ev: &Event) {
        self.upsert(st);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::kinds::KindState;
    use agora_protocol::ops::Role;
    use agora_protocol::{Seq, StreamKind};

    fn thread(id: &str, category: &str, at: u64, pinned: Pinned, read_role: Option<Role>) -> StreamState {
        let t = ThreadState { category: category.into(), read_role, last_activity: at, pinned, ..Default::default() };
        StreamState {
            version: 0,
            id: id.into(),
            kind: StreamKind::ForumThread,
            name: id.into(),
            topic: String::new(),
            created_by: "ann".into(),
            members: Default::default(),
            head: Seq(3),
            deleted: Default::default(),
            hidden: Default::default(),
            reactions: Default::default(),
            counters: Default::default(),
            ext: KindState::ForumThread(t),
            attachments: Default::default(),
            moderation: Default::default(),
        }
    }

    fn ids(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|r| r.thread.as_str()).collect()
    }

    #[test]
    fn pages_follow_activity_with_pins_first_and_restricted_rows_left_out() {
        let list = ForumList::default();
        let member = Actor { id: "bob".into(), role: Role::Member };
        for i in 0..10u64 {
            let pinned = if i == 2 { Pinned::Category } else { Pinned::No };
            let role = (i == 5).then_some(Role::Moderator);
            list.load(&thread(&format!("t{i}"), if i % 2 == 0 { "a" } else { "b" }, 100 + i, pinned, role));
        }
        list.load(&thread("g", "b", 1, Pinned::Globally, None));
        let (p1, next) = list.page(None, None, 4, &member);
        // Latest: only the global pin leads; t2 (pinned in its category) is in activity order.
        assert_eq!(ids(&p1), ["g", "t9", "t8", "t7", "t6"]);
        let (p2, next) = list.page(None, next.as_ref(), 4, &member);
        assert_eq!(ids(&p2), ["t4", "t3", "t2", "t1"], "t5 is for staff only");
        let (p3, next) = list.page(None, next.as_ref(), 4, &member);
        assert_eq!((ids(&p3), next), (vec!["t0"], None));
        let (a, _) = list.page(Some("a"), None, 10, &member);
        assert_eq!(ids(&a), ["t2", "t8", "t6", "t4", "t0"]);
        let (b, _) = list.page(Some("b"), None, 10, &member);
        assert_eq!(ids(&b), ["g", "t9", "t7", "t3", "t1"]);
        // Activity moves a row; the cursor stays valid.
        let (_, after_t8) = list.page(None, None, 2, &member);
        list.apply(&thread("t0", "a", 500, Pinned::No, None), &dummy());
        let (rest, _) = list.page(None, after_t8.as_ref(), 100, &member);
        assert_eq!(ids(&rest), ["t7", "t6", "t4", "t3", "t2", "t1"], "t0 moved above the cursor: not shown twice");
        assert_eq!(decode_cursor(&encode_cursor(&after_t8.unwrap())).unwrap().1.as_str(), "t8");
    }

    fn dummy() -> Event {
        Event {
            stream: "t0".into(),
            seq: Seq(4),
            at: 500,
            author: "ann".into(),
            idem: None,
            body: agora_protocol::EventBody::Unknown,
        }
    }
}
