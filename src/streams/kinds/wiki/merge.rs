//! Three-way merge of concurrent edits: the base revision the editor started
//! from, the current revision, and the editor's text. Changes to different
//! lines merge; overlapping changes are a conflict, reported as structured
//! hunks (base / current / yours) so the client can show both and keep the
//! editor's text. diffy does the merge; we read its conflict regions back from
//! markers long enough that no wiki text will contain them.

use agora_protocol::wiki::ConflictHunk;
use diffy::{ConflictStyle, IncompleteHunkStyle, MergeOptions};

/// The outcome of a merge.
#[derive(Debug, PartialEq)]
pub enum Merged {
    Clean(String),
    Conflict(Vec<ConflictHunk>),
}

const MARKER_LEN: usize = 41;

pub fn merge(base: &str, current: &str, yours: &str) -> Merged {
    let mut opts = MergeOptions::new();
    opts.set_conflict_marker_length(MARKER_LEN)
        .set_conflict_style(ConflictStyle::Diff3)
        .set_incomplete_hunk_style(IncompleteHunkStyle::Git);
    match opts.merge(base, current, yours) {
        Ok(text) => Merged::Clean(text),
        Err(marked) => Merged::Conflict(hunks(&marked)),
    }
}

/// The conflict regions of diffy's marked-up output (Diff3 style: ours = current,
/// original = base, theirs = yours).
fn hunks(marked: &str) -> Vec<ConflictHunk> {
    #[derive(PartialEq)]
    enum In {
        Clean,
        Current,
        Base,
        Yours,
    }
    let marker = |c: char, line: &str| line.len() >= MARKER_LEN && line.chars().take(MARKER_LEN).all(|x| x == c);
    let mut out = Vec::new();
    let mut state = In::Clean;
    let mut hunk = ConflictHunk { base: String::new(), current: String::new(), yours: String::new() };
    for line in marked.split_inclusive('\n') {
        match state {
            In::Clean if marker('<', line) => state = In::Current,
            In::Current if marker('|', line) => state = In::Base,
            In::Current | In::Base if marker('=', line) => state = In::Yours,
            In::Yours if marker('>', line) => {
                out.push(std::mem::replace(
                    &mut hunk,
                    ConflictHunk { base: String::new(), current: String::new(), yours: String::new() },
                ));
                state = In::Clean;
            }
            In::Clean => {}
            In::Current => hunk.current.push_str(line),
            In::Base => hunk.base.push_str(line),
            In::Yours => hunk.yours.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n";

    #[test]
    fn edits_to_different_paragraphs_merge() {
        let current = "# Title\n\nFirst paragraph, edited by Ann.\n\nSecond paragraph.\n";
        let yours = "# Title\n\nFirst paragraph.\n\nSecond paragraph, edited by Bob.\n";
        assert_eq!(
            merge(BASE, current, yours),
            Merged::Clean("# Title\n\nFirst paragraph, edited by Ann.\n\nSecond paragraph, edited by Bob.\n".into())
        );
    }

    #[test]
    fn edits_to_the_same_line_conflict_with_both_sides() {
        let current = "# Title\n\nFirst paragraph by Ann.\n\nSecond paragraph.\n";
        let yours = "# Title\n\nFirst paragraph by Bob.\n\nSecond paragraph.\n";
        let Merged::Conflict(hunks) = merge(BASE, current, yours) else { panic!("merged") };
        assert_eq!(
            hunks,
            vec![ConflictHunk {
                base: "First paragraph.\n".into(),
                current: "First paragraph by Ann.\n".into(),
                yours: "First paragraph by Bob.\n".into(),
            }]
        );
    }

    #[test]
    fn a_conflict_at_the_end_without_a_newline() {
        let Merged::Conflict(hunks) = merge("a\nb", "a\nc", "a\nd") else { panic!("merged") };
        assert_eq!(hunks.len(), 1);
        assert_eq!((hunks[0].current.trim_end(), hunks[0].yours.trim_end()), ("c", "d"));
    }
}
