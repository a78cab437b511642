//! Key layouts of the sled tree `log`, where versions before the segment log
//! kept events. Read only to move such a log into segments
//! (`SegmentLog::migrate_sled_log`); the builders serve that move's test.
//!
//! Tree `log` held, under one-byte prefixes so one atomic batch covered them:
//!   `S` + stream                              → ()            (stream registry)
//!   `L` + u8 len + stream + seq (u64 BE)      → Event (MessagePack)
//!   `I` + u8 len + stream + u8 len + author + key → seq (u64 BE)  (idempotency)
//! State tables are trees of their own, keyed as their owners choose.

use agora_protocol::{Seq, StreamId, UserId};

#[cfg(test)]
pub const STREAM: u8 = b'S';
pub const LOG: u8 = b'L';
pub const IDEM: u8 = b'I';

#[cfg(test)]
fn push_str(out: &mut Vec<u8>, s: &str) {
    // Ids are validated to be short ASCII elsewhere; cap defensively so the length fits a byte.
    let b = &s.as_bytes()[..s.len().min(255)];
    out.push(b.len() as u8);
    out.extend_from_slice(b);
}

#[cfg(test)]
pub fn stream_key(stream: &StreamId) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + stream.0.len());
    k.push(STREAM);
    k.extend_from_slice(stream.0.as_bytes());
    k
}

/// `L` + stream: the prefix of all of a stream's events.
#[cfg(test)]
pub fn log_prefix(stream: &StreamId) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + stream.0.len() + 8);
    k.push(LOG);
    push_str(&mut k, &stream.0);
    k
}

#[cfg(test)]
pub fn log_key(stream: &StreamId, seq: Seq) -> Vec<u8> {
    let mut k = log_prefix(stream);
    k.extend_from_slice(&seq.0.to_be_bytes());
    k
}

pub fn seq_of_log_key(key: &[u8]) -> Option<Seq> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(Seq(u64::from_be_bytes(tail)))
}

/// Read a length-prefixed string at the front of `rest` and move past it.
fn take_str<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
    let (&len, tail) = rest.split_first()?;
    let s = tail.get(..len as usize)?;
    *rest = &tail[len as usize..];
    std::str::from_utf8(s).ok()
}

/// (stream, seq) of an `L` key.
pub fn parse_log_key(key: &[u8]) -> Option<(StreamId, Seq)> {
    let mut rest = key.strip_prefix(&[LOG])?;
    let stream = take_str(&mut rest)?;
    (rest.len() == 8).then_some(())?;
    Some((StreamId::from(stream), seq_of_log_key(rest)?))
}

/// (stream, author, key) of an `I` key.
pub fn parse_idem_key(key: &[u8]) -> Option<(StreamId, UserId, String)> {
    let mut rest = key.strip_prefix(&[IDEM])?;
    let stream = take_str(&mut rest)?;
    let author = take_str(&mut rest)?;
    Some((StreamId::from(stream), UserId::from(author), std::str::from_utf8(rest).ok()?.to_owned()))
}

#[cfg(test)]
pub fn idem_key(stream: &StreamId, author: &UserId, key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + stream.0.len() + author.0.len() + key.len());
    k.push(IDEM);
    push_str(&mut k, &stream.0);
    push_str(&mut k, &author.0);
    k.extend_from_slice(key.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_keys_sort_by_seq_within_a_stream_and_never_mix_streams() {
        let a = StreamId::from("ch_a");
        let ab = StreamId::from("ch_ab");
        assert!(log_key(&a, Seq(2)) < log_key(&a, Seq(10)));
        assert!(
            log_key(&a, Seq(u64::MAX)) < log_key(&ab, Seq(0)) || !log_key(&ab, Seq(0)).starts_with(&log_prefix(&a))
        );
        assert!(!log_key(&ab, Seq(1)).starts_with(&log_prefix(&a)));
        assert_eq!(seq_of_log_key(&log_key(&a, Seq(77))), Some(Seq(77)));
    }

    #[test]
    fn keys_parse_back_and_others_do_not() {
        let a = StreamId::from("ch_a");
        assert_eq!(parse_log_key(&log_key(&a, Seq(77))), Some((a.clone(), Seq(77))));
        assert_eq!(parse_idem_key(&idem_key(&a, &"ann".into(), "k 1")), Some((a.clone(), "ann".into(), "k 1".into())));
        assert_eq!(parse_log_key(&stream_key(&a)), None);
        assert_eq!(parse_log_key(&idem_key(&a, &"ann".into(), "k")), None);
        assert_eq!(parse_idem_key(&log_key(&a, Seq(1))), None);
        let k = log_key(&a, Seq(1));
        assert_eq!(parse_log_key(&k[..k.len() - 1]), None);
        assert_eq!(parse_log_key(&[LOG, 200]), None);
    }
}
