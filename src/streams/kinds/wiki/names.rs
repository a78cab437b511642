//! Titles, slugs and namespaces: `Help:Getting started` is the title, its slug
//! `help:getting_started` (case-insensitive, spaces as `_`) is what links and
//! lookups use, and `Help` its namespace. Which roles read each namespace is
//! the table [`NAMESPACES`]; the page kind's `can_read` asks it, so every read
//! path applies it.

use agora_protocol::ops::Role;

/// Who may read the pages of a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readers {
    Everyone,
    /// Agents, moderators and admins.
    Staff,
}

/// The namespaces besides the main one (`""`, read by everyone). A title
/// prefix that is not one of these (`Foo:Bar`) is part of a main-namespace title.
pub const NAMESPACES: &[(&str, Readers)] =
    &[("Help", Readers::Everyone), ("Project", Readers::Everyone), ("Internal", Readers::Staff)];

/// Characters a title may not contain (they mean something in links and Markdown).
const FORBIDDEN: &[char] = &['[', ']', '{', '}', '|', '#', '<', '>'];

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// A title as stored: trimmed, `_` as spaces, runs of spaces collapsed, the
/// namespace prefix spelled as in [`NAMESPACES`]; or why it is not a title.
pub fn normalize_title(title: &str) -> Result<String, String> {
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
        if let Some((ns, _)) = NAMESPACES.iter().find(|(ns, _)| ns.eq_ignore_ascii_case(prefix.trim())) {
            let rest = rest.trim();
            if rest.is_empty() {
                return Err("a title needs a name after its namespace".into());
            }
            t = format!("{ns}:{rest}");
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

/// The namespace of a title (`""`: the main one).
pub fn namespace(title: &str) -> &'static str {
    title
        .split_once(':')
        .and_then(|(prefix, _)| NAMESPACES.iter().find(|(ns, _)| ns.eq_ignore_ascii_case(prefix.trim())))
        .map_or("", |(ns, _)| ns)
}

/// The readers of a namespace (unknown namespaces are the main one's: everyone).
pub fn readers(namespace: &str) -> Readers {
    NAMESPACES.iter().find(|(ns, _)| ns.eq_ignore_ascii_case(namespace)).map_or(Readers::Everyone, |(_, r)| *r)
}

pub fn can_read_namespace(namespace: &str, role: Role) -> bool {
    match readers(namespace) {
        Readers::Everyone => true,
        Readers::Staff => matches!(role, Role::Agent | Role::Moderator | Role::Admin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_slugs_and_namespaces() {
        assert_eq!(normalize_title("  help:getting_started ").unwrap(), "Help:getting started");
        assert_eq!(slug("Help:Getting  Started"), "help:getting_started");
        assert_eq!(slug("help:getting_started"), slug("HELP:Getting started"));
        assert_eq!(namespace("Internal:Runbook"), "Internal");
        assert_eq!(namespace("Foo:Bar"), "");
        assert!(
            normalize_title("a[b]").is_err() && normalize_title("  ").is_err() && normalize_title("Help:").is_err()
        );
        assert!(!can_read_namespace("Internal", Role::Member) && can_read_namespace("Internal", Role::Agent));
        assert!(can_read_namespace("Help", Role::Member) && can_read_namespace("", Role::Bot));
    }
}
