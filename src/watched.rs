//! Watched words: the moderators' words and patterns compiled once per change
//! ([`CompiledList`]), and the screening of a post's text against them.
//!
//! Patterns are `regex` crate syntax, matched case-insensitively with Unicode
//! case folding. The crate's automata run in time linear in the text for any
//! pattern (no backtracking), and the compiled size of each pattern is capped,
//! so neither a crafted pattern nor a crafted post can make screening slow.
//! What does not live here: the list itself (entries of the audit stream,
//! `kinds::audit`), and what each outcome does (`ops::moderation`).

use agora_protocol::moderation::WatchAction;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::sync::Arc;

/// Compiled size cap per pattern (bytes of automaton), so a pattern like
/// `\w{1000}{1000}` is refused instead of taking memory and time.
const SIZE_LIMIT: usize = 256 * 1024;

/// What screening decided for a post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Post as is.
    Pass,
    /// Post this text instead (censored words replaced).
    Censored(String),
    /// Refused: this pattern matched.
    Block(String),
    /// Hold for approval (this pattern matched).
    Hold(String),
    /// Post it (censored, if that changed it), and flag it for review (this pattern matched).
    Flag(String, Option<String>),
}

struct Compiled {
    set: RegexSet,
    each: Vec<(Regex, WatchAction, String)>,
}

fn builder(pattern: &str) -> RegexBuilder {
    let mut b = RegexBuilder::new(pattern);
    b.case_insensitive(true).unicode(true).size_limit(SIZE_LIMIT).dfa_size_limit(SIZE_LIMIT);
    b
}

/// Check that `pattern` compiles within the size cap; the error says why not.
pub fn validate(pattern: &str) -> Result<(), String> {
    builder(pattern).build().map(|_| ()).map_err(|e| e.to_string())
}

fn compile(words: &[(String, WatchAction)]) -> Option<Compiled> {
    let set = RegexSetBuilder::new(words.iter().map(|(p, _)| p.as_str()))
        .case_insensitive(true)
        .unicode(true)
        .size_limit(SIZE_LIMIT.saturating_mul(words.len().max(1)))
        .dfa_size_limit(SIZE_LIMIT)
        .build()
        .ok()?;
    let each = words.iter().filter_map(|(p, a)| Some((builder(p).build().ok()?, *a, p.clone()))).collect();
    Some(Compiled { set, each })
}

impl Compiled {
    /// `text` with every match of a `censor` word replaced by one ■ per
    /// character; `None` if none matches.
    fn censor(&self, text: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for i in self.set.matches(text).into_iter() {
            let (re, action, _) = &self.each[i];
            if *action == WatchAction::Censor {
                let cur = out.as_deref().unwrap_or(text);
                let next = re.replace_all(cur, |m: &regex::Captures<'_>| "■".repeat(m[0].chars().count()));
                out = Some(next.into_owned());
            }
        }
        out.filter(|o| o != text)
    }

    fn screen(&self, text: &str) -> Screen {
        let c = self;
        let hits: Vec<usize> = c.set.matches(text).into_iter().collect();
        if hits.is_empty() {
            return Screen::Pass;
        }
        let first = |want: WatchAction| hits.iter().map(|&i| &c.each[i]).find(|(_, a, _)| *a == want);
        if let Some((_, _, p)) = first(WatchAction::Block) {
            return Screen::Block(p.clone());
        }
        if let Some((_, _, p)) = first(WatchAction::RequireApproval) {
            return Screen::Hold(p.clone());
        }
        let mut out = text.to_owned();
        for &i in &hits {
            let (re, action, _) = &c.each[i];
            if *action == WatchAction::Censor {
                out = re.replace_all(&out, |m: &regex::Captures<'_>| "■".repeat(m[0].chars().count())).into_owned();
            }
        }
        if let Some((_, _, p)) = first(WatchAction::Flag) {
            return Screen::Flag(p.clone(), (out != text).then_some(out));
        }
        if out != text {
            Screen::Censored(out)
        } else {
            Screen::Pass
        }
    }
}

/// A list's compiled form, kept beside the list (`kinds::audit::AuditState`)
/// and compiled on first use: copies of the state share it, and a change to
/// the list starts a new one. A cache, not state: never stored, always equal.
#[derive(Clone, Default)]
pub struct CompiledList(Arc<std::sync::OnceLock<Option<Compiled>>>);

impl CompiledList {
    /// Screen `text` against `words` (which must be the list this cache belongs to).
    pub fn screen<'a>(&self, words: impl Iterator<Item = (&'a String, &'a WatchAction)>, text: &str) -> Screen {
        match self.compiled(words) {
            Some(c) => c.screen(text),
            None => Screen::Pass,
        }
    }
}

impl CompiledList {
    /// `text` as members are shown it (see `Compiled::censor`); `None` if unchanged.
    pub fn censor<'a>(&self, words: impl Iterator<Item = (&'a String, &'a WatchAction)>, text: &str) -> Option<String> {
        self.compiled(words).as_ref()?.censor(text)
    }

    fn compiled<'a>(&self, words: impl Iterator<Item = (&'a String, &'a WatchAction)>) -> &Option<Compiled> {
        self.0.get_or_init(|| {
            let words: Vec<(String, WatchAction)> = words.map(|(p, a)| (p.clone(), *a)).collect();
            if words.is_empty() {
                None
            } else {
                compile(&words)
            }
        })
    }
}

impl PartialEq for CompiledList {
    fn eq(&self, _: &CompiledList) -> bool {
        true
    }
}

impl std::fmt::Debug for CompiledList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledList")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::Seq;

    fn words(list: &[(&str, WatchAction)]) -> Vec<(String, WatchAction)> {
        list.iter().map(|(p, a)| (p.to_string(), *a)).collect()
    }

    /// A list's screener, as the audit stream's state keeps it.
    struct W;
    impl W {
        fn screen(&self, _version: Seq, list: &[(String, WatchAction)], text: &str) -> Screen {
            CompiledList::default().screen(list.iter().map(|(p, a)| (p, a)), text)
        }
    }

    #[test]
    fn matching_is_case_insensitive_and_unicode_aware_and_block_wins() {
        let w = W;
        let list = words(&[
            ("straße", WatchAction::Censor),
            ("darn", WatchAction::Censor),
            ("buy now", WatchAction::Flag),
            ("kill", WatchAction::Block),
        ]);
        assert_eq!(w.screen(Seq(1), &list, "hello"), Screen::Pass);
        assert_eq!(
            w.screen(Seq(1), &list, "DARN this STRASSE Straße"),
            Screen::Censored("■■■■ this STRASSE ■■■■■■".into())
        );
        assert_eq!(w.screen(Seq(1), &list, "ΣΊΣΥΦΟΣ"), Screen::Pass);
        assert_eq!(w.screen(Seq(1), &list, "Buy NOW"), Screen::Flag("buy now".into(), None));
        assert_eq!(
            w.screen(Seq(1), &list, "darn, buy now"),
            Screen::Flag("buy now".into(), Some("■■■■, buy now".into()))
        );
        assert_eq!(w.screen(Seq(1), &list, "darn, KILL it"), Screen::Block("kill".into()));
        let greek = words(&[("σίσυφος", WatchAction::RequireApproval)]);
        assert_eq!(w.screen(Seq(2), &greek, "ΣΊΣΥΦΟΣ rolls"), Screen::Hold("σίσυφος".into()));
    }

    #[test]
    fn an_oversized_pattern_is_refused_and_a_pathological_one_stays_linear() {
        assert!(validate(r"\w{1000}{1000}").is_err());
        assert!(validate("(a+)+$").is_ok());
        let w = W;
        let list = words(&[("(a+)+$", WatchAction::Block)]);
        // Exponential for a backtracking engine; a single linear pass here.
        let text = format!("{}b", "a".repeat(100_000));
        assert_eq!(w.screen(Seq(1), &list, &text), Screen::Pass);
    }
}
