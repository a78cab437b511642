//! The diff between two texts as structured hunks: changed lines with three
//! lines of context, and for each changed line the words that differ (so a
//! client renders a MediaWiki-style diff without diffing again). similar does
//! the line diff and the word-level refinement.

use agora_protocol::wiki::{DiffHunk, DiffLine, DiffSpan, DiffTag};
use similar::{ChangeTag, TextDiff};

/// Lines of unchanged context around each change.
const CONTEXT: usize = 3;

pub fn diff(old: &str, new: &str) -> Vec<DiffHunk> {
    let d = TextDiff::from_lines(old, new);
    let mut hunks = Vec::new();
    for group in d.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else { continue };
        let (old_r, new_r) =
            (first.old_range().start..last.old_range().end, first.new_range().start..last.new_range().end);
        let mut lines = Vec::new();
        for op in &group {
            for change in d.iter_inline_changes(op) {
                let tag = match change.tag() {
                    ChangeTag::Equal => DiffTag::Equal,
                    ChangeTag::Delete => DiffTag::Delete,
                    ChangeTag::Insert => DiffTag::Insert,
                };
                let spans: Vec<DiffSpan> = change
                    .iter_strings_lossy()
                    .map(|(changed, s)| DiffSpan { text: s.trim_end_matches('\n').to_owned(), changed })
                    .filter(|s| !s.text.is_empty())
                    .collect();
                let text: String = spans.iter().map(|s| s.text.as_str()).collect();
                // Word spans only where they say something: some words changed, not all.
                let words =
                    if tag != DiffTag::Equal && spans.iter().any(|s| !s.changed) && spans.iter().any(|s| s.changed) {
                        spans
                    } else {
                        Vec::new()
                    };
                lines.push(DiffLine {
                    tag,
                    old: change.old_index().map(|i| i as u32 + 1),
                    new: change.new_index().map(|i| i as u32 + 1),
                    text,
                    words,
                });
            }
        }
        hunks.push(DiffHunk {
            old_start: old_r.start as u32 + 1,
            old_len: old_r.len() as u32,
            new_start: new_r.start as u32 + 1,
            new_len: new_r.len() as u32,
            lines,
        });
    }
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_changed_line_with_its_changed_word() {
        let hunks = diff("a\nthe quick fox\nc\n", "a\nthe slow fox\nc\n");
        assert_eq!(hunks.len(), 1);
        let h = &hunks[0];
        assert_eq!((h.old_start, h.old_len, h.new_start, h.new_len), (1, 3, 1, 3));
        let tags: Vec<DiffTag> = h.lines.iter().map(|l| l.tag).collect();
        assert_eq!(tags, [DiffTag::Equal, DiffTag::Delete, DiffTag::Insert, DiffTag::Equal]);
        let changed: Vec<&str> = h.lines[2].words.iter().filter(|w| w.changed).map(|w| w.text.as_str()).collect();
        assert_eq!(changed, ["slow"]);
        assert_eq!((h.lines[1].old, h.lines[1].new, h.lines[2].old, h.lines[2].new), (Some(2), None, None, Some(2)));
    }

    #[test]
    fn identical_texts_have_no_hunks() {
        assert!(diff("x\ny\n", "x\ny\n").is_empty());
    }
}
