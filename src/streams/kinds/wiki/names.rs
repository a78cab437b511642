//! Titles, slugs and namespaces: `Help:Getting started` is the title, its slug
//! `help:getting_started` (case-insensitive, spaces as `_`) is what links and
//! lookups use, and `Help` its namespace. The namespaces and who reads and
//! edits each are configured (`wiki.namespaces`, default [`default_namespaces`]);
//! the ops resolve a title's namespace and the page records it
//! (`wiki_namespace_set`), so the kind's `can_read` needs only the page.

use agora_protocol::ops::Role;
use agora_protocol::wiki::WikiNamespace;

/// Today's namespaces (the config's default): `Help` and `Project` everyone
/// reads and edits, `Internal` only agents (and moderators and admins).
pub fn default_namespaces() -> Vec<WikiNamespace> {
    let ns =
        |prefix: &str, role: Option<Role>| WikiNamespace { prefix: prefix.into(), read_role: role, edit_role: role };
    vec![ns("Help", None), ns("Project", None), ns("Internal", Some(Role::Agent))]
}

/// The default namespaces, for pages whose log predates `wiki_namespace_set`.
fn defaults() -> &'static [WikiNamespace] {
    static D: std::sync::OnceLock<Vec<WikiNamespace>> = std::sync::OnceLock::new();
    D.get_or_init(default_namespaces)
}

/// Characters a title may not contain (they mean something in links and Markdown).
const FORBIDDEN: &[char] = &['[', ']', '{', '}', '|', '#', '<', '>'];

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// A title as stored: trimmed, `_` as spaces, runs of spaces collapsed, the
/// namespace prefix spelled as in `namespaces`; or why it is not a title.
pub fn normalize_title(title: &str, namespaces: &[WikiNamespace]) -> Result<String, String> {
    let spaced = title.replace('_', " ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut t = words.join(" ");
    if t.is_empty() {
        return Err("a title must not be empty".into());
    }
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(format!("a title has at most {MAX_TITLE_CHARS} characters"));
    }
    if let Some(c) = t.chars().find(|c| FORBIDDEN.contains(c) || c.is_control()) {
        return Err(format!("a title must not contain {c:?}"));
    }
    if let Some((prefix, rest)) = t.split_once(':') {
        if let Some(ns) = find(prefix, namespaces) {
            let rest = rest.trim();
            if rest.is_empty() {
                return Err("a title needs a name after its namespace".into());
            }
            t = format!("{}:{rest}", ns.prefix);
        }
    }
    Ok(t)
}

/// The slug of a title (or of a slug): lower case, spaces as `_`. Links,
/// lookups and the unique-name claim use it.
pub fn slug(title: &str) -> String {
    let spaced = title.replace('_', " ");
    spaced.split_whitespace().collect::<Vec<_>>().join("_").to_lowercase()
}

fn find<'a>(prefix: &str, namespaces: &'a [WikiNamespace]) -> Option<&'a WikiNamespace> {
    let prefix = prefix.trim();
    namespaces.iter().find(|ns| !ns.prefix.is_empty() && ns.prefix.eq_ignore_ascii_case(prefix))
}

/// The namespace of a title among `namespaces` (prefix `""`: the main one, everyone reads and edits).
pub fn namespace(title: &str, namespaces: &[WikiNamespace]) -> WikiNamespace {
    title.split_once(':').and_then(|(prefix, _)| find(prefix, namespaces)).cloned().unwrap_or_default()
}

/// The namespace of a title under the default table: for a page that recorded none.
pub fn default_namespace(title: &str) -> WikiNamespace {
    namespace(title, defaults())
}

/// A page's namespace under the default table, by its name (for `wiki_change` events that carry no role).
pub fn default_read_role(namespace_prefix: &str) -> Option<Role> {
    find(namespace_prefix, defaults()).and_then(|ns| ns.read_role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_slugs_and_namespaces() {
        let d = default_namespaces();
        assert_eq!(normalize_title("  help:getting_started ", &d).unwrap(), "Help:getting started");
        assert_eq!(slug("Help:Getting  Started"), "help:getting_started");
        assert_eq!(slug("help:getting_started"), slug("HELP:Getting started"));
        assert_eq!(namespace("Internal:Runbook", &d).prefix, "Internal");
        assert_eq!(namespace("Internal:Runbook", &d).read_role, Some(Role::Agent));
        assert_eq!(namespace("Foo:Bar", &d), WikiNamespace::default());
        assert!(
            normalize_title("a[b]", &d).is_err()
                && normalize_title("  ", &d).is_err()
                && normalize_title("Help:", &d).is_err()
        );
        let custom = vec![WikiNamespace { prefix: "Staff".into(), read_role: Some(Role::Moderator), edit_role: None }];
        assert_eq!(normalize_title("staff:x", &custom).unwrap(), "Staff:x");
        assert_eq!(namespace("Internal:Runbook", &custom), WikiNamespace::default());
        assert_eq!(default_read_role("internal"), Some(Role::Agent));
    }
}
