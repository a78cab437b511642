//! Markdown to the HTML every client shows, and the links in a text.
//!
//! pulldown-cmark renders CommonMark (with tables, strikethrough and
//! `[[wiki links]]`); ammonia then keeps only an allow-list of tags,
//! attributes and URL schemes, so `<script>`, `on*` handlers and `javascript:`
//! URLs come out inert whatever the text says. Links:
//! - `[[Page name]]`, `[[Page name|label]]`, `[[Page#Section]]`: to `/wiki/<slug>`;
//!   a page that does not exist gets class `new` (a red link);
//! - `[[#ch_abc]]`: to a stream by id (`/c/<id>` for channels and DMs,
//!   `/forum/t/<id>` for forum threads `ft_`, `/desk/t/<id>` for tickets `tk_`).

use super::names;
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS | Options::ENABLE_WIKILINKS
}

/// Where a wiki link goes.
enum Target {
    Page(String),
    Stream(String),
}

fn target(dest: &str) -> Option<Target> {
    if let Some(id) = dest.strip_prefix('#') {
        let id = id.trim();
        let ok =
            !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        return ok.then(|| Target::Stream(id.to_owned()));
    }
    let page = dest.split('#').next().unwrap_or("").trim();
    let s = names::slug(page);
    (!s.is_empty()).then_some(Target::Page(s))
}

/// The slugs of the pages `text` links to with `[[...]]` (code blocks excluded), deduplicated.
pub fn links(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Parser::new_ext(text, options())
        .filter_map(|ev| match ev {
            Event::Start(Tag::Link { link_type: LinkType::WikiLink { .. }, dest_url, .. }) => match target(&dest_url) {
                Some(Target::Page(s)) => Some(s),
                _ => None,
            },
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Percent-encode a path segment (also makes it safe inside an HTML attribute).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn stream_href(id: &str) -> String {
    // The web app's routes (clients/web/src/router.ts): forum threads and tickets live
    // under `t/` of their section.
    let section = match id.split('_').next() {
        Some("ft") => "forum/t",
        Some("tk") => "desk/t",
        _ => "c",
    };
    format!("/{section}/{}", encode(id))
}

/// Render `text` to sanitized HTML. `exists(slug)` says whether a linked page exists.
pub fn render(text: &str, exists: &dyn Fn(&str) -> bool) -> String {
    let events = Parser::new_ext(text, options()).map(|ev| match ev {
        Event::Start(Tag::Link { link_type: LinkType::WikiLink { .. }, dest_url, .. }) => {
            let tag = match target(&dest_url) {
                Some(Target::Page(s)) => {
                    let class = if exists(&s) { "wikilink" } else { "wikilink new" };
                    format!("<a href=\"/wiki/{}\" class=\"{class}\">", encode(&s))
                }
                Some(Target::Stream(id)) => format!("<a href=\"{}\" class=\"streamlink\">", stream_href(&id)),
                None => "<a>".to_owned(),
            };
            Event::InlineHtml(CowStr::from(tag))
        }
        Event::End(TagEnd::Link) => Event::InlineHtml(CowStr::Borrowed("</a>")),
        other => other,
    });
    let mut html = String::with_capacity(text.len() + text.len() / 4);
    pulldown_cmark::html::push_html(&mut html, events);
    sanitizer().clean(&html).to_string()
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_allowed_classes("a", &["wikilink", "new", "streamlink"]);
        b.add_tag_attributes("input", &["type", "checked", "disabled"]);
        b.add_tags(&["input"]);
        b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(_: &str) -> bool {
        true
    }

    #[test]
    fn wiki_links_and_stream_links() {
        let html = render("See [[Help:Getting started|the guide]], [[Missing page]] and [[#ch_abc]].", &|s| {
            s == "help:getting_started"
        });
        assert!(html.contains(r#"<a href="/wiki/help:getting_started" class="wikilink""#), "{html}");
        assert!(html.contains(">the guide</a>"), "{html}");
        assert!(html.contains(r#"href="/wiki/missing_page" class="wikilink new""#), "{html}");
        assert!(html.contains(r#"href="/c/ch_abc""#), "{html}");
        let html = render("[[#ft_abc]] and [[#tk_abc]]", &|_| true);
        assert!(html.contains(r#"href="/forum/t/ft_abc""#), "{html}");
        assert!(html.contains(r#"href="/desk/t/tk_abc""#), "{html}");
        assert_eq!(links("[[B]] [[a#x]] `[[not code]]` [[#ch_x]] [[A]]"), vec!["a", "b"]);
    }

    /// The tags of `html` (what lies between `<` and `>`), lower-cased. ammonia
    /// escapes `<` and `>` in text and attribute values, so this is exact.
    fn tags(html: &str) -> Vec<String> {
        html.split('<').skip(1).filter_map(|t| t.split_once('>').map(|(tag, _)| tag.to_lowercase())).collect()
    }

    #[test]
    fn malicious_markdown_comes_out_inert() {
        let evil = "<script>alert(1)</script>\n\n[x](javascript:alert(2)) <img src=x onerror=\"alert(3)\"> \
                    <a href=\"javascript:alert(4)\" onclick=\"alert(5)\">y</a> [[Page\" onmouseover=\"alert(6)]] \
                    <iframe src=\"https://evil\"></iframe> <svg onload=alert(7)> <style>*{}</style> \
                    [z](JaVaScRiPt:alert(8)) <a href=\"data:text/html,x\">d</a>";
        let html = render(evil, &all);
        for tag in tags(&html) {
            let name = tag.split_whitespace().next().unwrap_or("").trim_start_matches('/');
            assert!(["p", "a", "img"].contains(&name), "tag {tag:?} in {html}");
            for attr in tag.split_whitespace().skip(1) {
                assert!(!attr.starts_with("on"), "handler {attr:?} in {html}");
            }
            assert!(!tag.contains("javascript:") && !tag.contains("data:"), "{tag:?} in {html}");
        }
        assert!(!html.to_lowercase().contains("<script"), "{html}");
    }
}
