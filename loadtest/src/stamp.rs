//! The stamp a publisher writes at the start of each text: `lt1 PUBLISHER NUMBER SENT_NS `,
//! then padding. `SENT_NS` is on the shared monotonic clock (`util::mono_ns`), so any
//! process of the machine can compute the delivery latency; (PUBLISHER, NUMBER)
//! identifies the message for the content-duplicate check.

/// What a stamped text says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub publisher: u32,
    pub number: u64,
    pub sent_ns: u64,
}

impl Stamp {
    /// The text to post: the stamp, then `x` padding up to `size` bytes.
    pub fn text(&self, size: usize) -> String {
        let mut s = format!("lt1 {} {} {} ", self.publisher, self.number, self.sent_ns);
        if s.len() < size {
            s.extend(std::iter::repeat_n('x', size - s.len()));
        }
        s
    }

    /// Read a stamp back; `None` for any text we did not stamp.
    /// Digits are read in place: this runs for every delivery the harness sees.
    pub fn parse(text: &str) -> Option<Stamp> {
        let mut rest = text.as_bytes().strip_prefix(b"lt1 ")?;
        let mut field = || -> Option<u64> {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || digits > 19 || rest.get(digits).is_some_and(|&b| b != b' ') {
                return None;
            }
            let n = rest[..digits].iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
            rest = rest.get(digits + 1..).unwrap_or_default();
            Some(n)
        };
        Some(Stamp { publisher: u32::try_from(field()?).ok()?, number: field()?, sent_ns: field()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_pad_to_size() {
        let st = Stamp { publisher: 3, number: 17, sent_ns: 123456789 };
        let t = st.text(100);
        assert_eq!(t.len(), 100);
        assert_eq!(Stamp::parse(&t), Some(st));
        // A size smaller than the stamp keeps the stamp whole.
        assert_eq!(Stamp::parse(&st.text(4)), Some(st));
        assert_eq!(Stamp::parse("hello there"), None);
        assert_eq!(Stamp::parse("lt1 x 1 2"), None);
        assert_eq!(Stamp::parse("lt1 1 2"), None);
        assert_eq!(Stamp::parse("lt1 1x 2 3"), None);
        assert_eq!(Stamp::parse("lt1 99999999999 2 3"), None, "publisher is a u32");
        assert_eq!(Stamp::parse("lt1 1 2 3"), Some(Stamp { publisher: 1, number: 2, sent_ns: 3 }));
    }
}
