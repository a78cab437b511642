//! Validation of user-supplied strings and extraction of `@mentions`.

use agora_protocol::UserId;

/// Characters in a string, as users count them (Unicode scalar values).
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Is this a valid username? 2–32 of `a-z 0-9 _ . -`, starting with a letter or digit.
pub fn valid_username(s: &str) -> bool {
    (2..=32).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'))
        && s.as_bytes()[0].is_ascii_alphanumeric()
}

/// `@name` tokens in a text, lower-cased, deduplicated, in order of first use.
pub fn mention_candidates(text: &str) -> Vec<UserId> {
    let mut out: Vec<UserId> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'@' && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'_' | b'.' | b'-'))
            {
                end += 1;
            }
            // A trailing '.' or '-' is punctuation, not part of the name ("thanks @ann.").
            while end > start && matches!(bytes[end - 1], b'.' | b'-') {
                end -= 1;
            }
            let name = text[start..end].to_ascii_lowercase();
            if valid_username(&name) && !out.iter().any(|u| u.0 == name) {
                out.push(UserId(name));
            }
            i = end.max(start);
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mentions_but_not_emails() {
        let m = mention_candidates("hi @Ann and @bob.smith, mail x@y.com, thanks @ann.");
        assert_eq!(m, vec![UserId::from("ann"), UserId::from("bob.smith")]);
    }

    #[test]
    fn usernames() {
        assert!(valid_username("ann"));
        assert!(valid_username("bot-1"));
        assert!(!valid_username("Ann"));
        assert!(!valid_username("a"));
        assert!(!valid_username("_x"));
    }
}
