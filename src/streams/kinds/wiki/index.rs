//! The wiki's read model across pages (a [`Projection`]): slug → page, old
//! slugs → the page they redirect to, each page's outgoing links and the
//! backlinks they make. Folded from each page's state (which holds its links
//! and redirects), so it is rebuilt at start from snapshots without reading a
//! text. Answers lookups by slug, "what links here" (through redirects),
//! wanted pages and the page list.

use super::{names, page};
use crate::projections::Projection;
use crate::streams::StreamState;
use agora_protocol::{Event, StreamId, StreamKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::RwLock;

#[derive(Default)]
struct Index {
    /// Slug → page (pages hold their slug by a unique-name claim), in slug
    /// order: the page list is a range read from a cursor.
    pages: BTreeMap<String, StreamId>,
    /// Page → its title (and so its slug and namespace).
    titles: HashMap<StreamId, String>,
    /// Old slug → the page it redirects to.
    redirects: HashMap<String, StreamId>,
    /// Page → the slugs it links to.
    links: HashMap<StreamId, BTreeSet<String>>,
    /// Slug → the pages linking to it.
    backlinks: BTreeMap<String, BTreeSet<StreamId>>,
}

/// The wiki index; see the module doc.
#[derive(Default)]
pub struct WikiIndex {
    inner: RwLock<Index>,
}

/// How a slug resolves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Page(StreamId),
    /// An old title of this page.
    Redirect(StreamId),
    Missing,
}

impl WikiIndex {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A page by slug: the page holding it, else the page it redirects to.
    pub fn resolve(&self, slug: &str) -> Resolved {
        let ix = self.read();
        if let Some(id) = ix.pages.get(slug) {
            return Resolved::Page(id.clone());
        }
        match ix.redirects.get(slug) {
            Some(id) => Resolved::Redirect(id.clone()),
            None => Resolved::Missing,
        }
    }

    /// Does a page (or a redirect) answer to this slug?
    pub fn exists(&self, slug: &str) -> bool {
        let ix = self.read();
        ix.pages.contains_key(slug) || ix.redirects.contains_key(slug)
    }

    pub fn title(&self, id: &StreamId) -> Option<String> {
        self.read().titles.get(id).cloned()
    }

    /// Pages linking to `id` directly (via `None`) or through one of its old slugs (`Some(slug)`).
    pub fn backlinks(&self, id: &StreamId) -> Vec<(StreamId, Option<String>)> {
        let ix = self.read();
        let Some(title) = ix.titles.get(id) else { return Vec::new() };
        let mut out: Vec<(StreamId, Option<String>)> = Vec::new();
        let mut seen = BTreeSet::new();
        for from in ix.backlinks.get(&names::slug(title)).into_iter().flatten() {
            if seen.insert(from.clone()) {
                out.push((from.clone(), None));
            }
        }
        // An old slug that a page holds again is that page's, not a redirect.
        let mut old: Vec<&String> =
            ix.redirects.iter().filter(|(s, to)| *to == id && !ix.pages.contains_key(*s)).map(|(s, _)| s).collect();
        old.sort();
        for slug in old {
            for from in ix.backlinks.get(slug).into_iter().flatten() {
                if seen.insert(from.clone()) {
                    out.push((from.clone(), Some(slug.clone())));
                }
            }
        }
        out
    }

    /// The slugs a page links to.
    pub fn links(&self, id: &StreamId) -> Vec<String> {
        self.read().links.get(id).map(|l| l.iter().cloned().collect()).unwrap_or_default()
    }

    /// Old slugs redirecting to the page.
    pub fn redirects_to(&self, id: &StreamId) -> Vec<String> {
        let ix = self.read();
        let mut v: Vec<String> = ix
            .redirects
            .iter()
            .filter(|(s, to)| *to == id && !ix.pages.contains_key(*s))
            .map(|(s, _)| s.clone())
            .collect();
        v.sort();
        v
    }

    /// Slugs linked to by no existing page or redirect, with the pages linking to them.
    pub fn wanted(&self) -> Vec<(String, Vec<StreamId>)> {
        let ix = self.read();
        ix.backlinks
            .iter()
            .filter(|(slug, from)| {
                !from.is_empty() && !ix.pages.contains_key(*slug) && !ix.redirects.contains_key(*slug)
            })
            .map(|(slug, from)| (slug.clone(), from.iter().cloned().collect()))
            .collect()
    }

    /// One page of the page list in slug order: pages whose slug starts with
    /// `prefix`, after slug `after`, that `keep(id, title)` accepts; at most
    /// `limit`, and the cursor (the last slug) when more follow.
    pub fn pages(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        keep: &dyn Fn(&StreamId, &str) -> bool,
    ) -> (Vec<(StreamId, String)>, Option<String>) {
        let ix = self.read();
        let start = match after {
            Some(a) if a >= prefix => Bound::Excluded(a),
            _ => Bound::Included(prefix),
        };
        let mut out = Vec::new();
        let mut last = None;
        for (slug, id) in ix.pages.range::<str, _>((start, Bound::Unbounded)) {
            if !slug.starts_with(prefix) {
                break;
            }
            let Some(title) = ix.titles.get(id) else { continue };
            if !keep(id, title) {
                continue;
            }
            if out.len() == limit {
                return (out, last);
            }
            out.push((id.clone(), title.clone()));
            last = Some(slug.clone());
        }
        (out, None)
    }

    /// Make the index agree with one page's state.
    fn sync(&self, st: &StreamState) {
        if st.kind != StreamKind::WikiPage {
            return;
        }
        let p = page(st);
        let mut ix = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let id = &st.id;
        if let Some(old) = ix.titles.insert(id.clone(), st.name.clone()) {
            let old = names::slug(&old);
            if ix.pages.get(&old) == Some(id) {
                ix.pages.remove(&old);
            }
        }
        ix.pages.insert(names::slug(&st.name), id.clone());
        ix.redirects.retain(|_, to| to != id);
        for r in &p.redirects {
            ix.redirects.insert(r.clone(), id.clone());
        }
        let new: BTreeSet<String> = p.links.iter().cloned().collect();
        let old = ix.links.insert(id.clone(), new.clone()).unwrap_or_default();
        for gone in old.difference(&new) {
            if let Some(set) = ix.backlinks.get_mut(gone) {
                set.remove(id);
                if set.is_empty() {
                    ix.backlinks.remove(gone);
                }
            }
        }
        for added in new.difference(&old) {
            ix.backlinks.entry(added.clone()).or_default().insert(id.clone());
        }
    }
}

impl Projection for WikiIndex {
    fn load(&self, st: &StreamState) {
        self.sync(st);
    }
    fn apply(&self, st: &StreamState, ev: &Event) {
        use agora_protocol::EventBody::*;
        if matches!(ev.body, StreamCreated { .. } | WikiRevised { .. } | WikiMoved { .. }) {
            self.sync(st);
        }
    }
}
