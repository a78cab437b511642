//! The two encodings and their decoders, hardened against hostile input.
//!
//! JSON text frames are the default; MessagePack binary frames (maps with field
//! names, as `rmp_serde::to_vec_named` writes them) carry the same structures.
//! Decoders never trust a peer's lengths for allocation beyond the frame they
//! were given, and MessagePack nesting is capped at [`MAX_DEPTH`] (rmp-serde's
//! default of 1024 can overflow a worker's stack).

use crate::error::{ErrorBody, ErrorCode};
use crate::ops::{Op, Request};
use crate::push::{Push, ServerFrame};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Maximum nesting depth accepted from a peer in either encoding: maps/objects
/// and arrays, the outermost one counting as level 1, scalars not counted.
pub const MAX_DEPTH: usize = 32;

/// A connection's encoding, chosen once by subprotocol at the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Json,
    MsgPack,
}

impl Encoding {
    pub const ALL: [Encoding; 2] = [Encoding::Json, Encoding::MsgPack];
    pub fn index(self) -> usize {
        match self {
            Encoding::Json => 0,
            Encoding::MsgPack => 1,
        }
    }
}

/// Why a client frame could not be turned into a [`Request`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DecodeError {
    /// The request id, when at least that much could be read, so the error can be a reply.
    pub id: Option<u64>,
    pub code: ErrorCode,
    pub message: String,
}

impl DecodeError {
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone())
    }
}

/// Serialize any wire value in the given encoding.
pub fn encode<T: Serialize + ?Sized>(value: &T, enc: Encoding) -> Vec<u8> {
    match enc {
        // Serializing our own types into memory cannot fail: they have string keys only.
        Encoding::Json => serde_json::to_vec(value).expect("wire types serialize to JSON"),
        Encoding::MsgPack => rmp_serde::to_vec_named(value).expect("wire types serialize to MessagePack"),
    }
}

/// Deserialize any wire value, with the depth cap.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], enc: Encoding) -> Result<T, String> {
    match enc {
        Encoding::Json => {
            if json_depth_exceeds(bytes, MAX_DEPTH) {
                return Err(format!("nesting deeper than {MAX_DEPTH}"));
            }
            serde_json::from_slice(bytes).map_err(|e| e.to_string())
        }
        Encoding::MsgPack => {
            let mut de = rmp_serde::Deserializer::new(std::io::Cursor::new(bytes));
            // rmp-serde refuses a value *at* its limit, so this allows MAX_DEPTH levels,
            // counted as for JSON (the outermost map is level 1).
            de.set_max_depth(MAX_DEPTH + 1);
            let value = T::deserialize(&mut de).map_err(|e| e.to_string())?;
            // One frame is one value, as in JSON: bytes after it are an error, not ignored.
            match bytes.len() - (de.position() as usize).min(bytes.len()) {
                0 => Ok(value),
                n => Err(format!("{n} bytes after the MessagePack value")),
            }
        }
    }
}

/// A cheap pre-scan: does this JSON nest deeper than `max`? (serde_json's own
/// limit is 128, too deep for our structures; this keeps one limit for both encodings.)
fn json_depth_exceeds(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Just enough of a request to answer it: its id and op name.
#[derive(Deserialize)]
struct RequestHead {
    #[serde(default)]
    id: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    op: Option<String>,
}

#[derive(Deserialize)]
struct RequestId {
    id: u64,
}

/// Decode a client frame into a [`Request`], or say precisely what is wrong with it.
pub fn decode_request(bytes: &[u8], enc: Encoding) -> Result<Request, DecodeError> {
    match decode::<Request>(bytes, enc) {
        Ok(req) => Ok(req),
        Err(full_err) => {
            // Work out the best error: was it even a map with an id and an op?
            let id = decode::<RequestId>(bytes, enc).ok().map(|r| r.id);
            let head = decode::<RequestHead>(bytes, enc);
            let (code, message) = match head {
                Err(e) => (ErrorCode::BadRequest, format!("frame is not a request object: {e}")),
                Ok(h) if h.id.is_none() => (ErrorCode::BadRequest, "missing field `id`".to_owned()),
                Ok(_) if id.is_none() => (ErrorCode::BadRequest, "field `id` must be an unsigned integer".to_owned()),
                Ok(RequestHead { op: None, .. }) => (ErrorCode::BadRequest, "missing field `op`".to_owned()),
                Ok(RequestHead { op: Some(op), .. }) => {
                    (ErrorCode::BadRequest, format!("bad `{op}` request: {full_err}"))
                }
            };
            Err(DecodeError { id, code, message })
        }
    }
    .and_then(|req| match req.op {
        Op::Unknown => {
            Err(DecodeError { id: Some(req.id), code: ErrorCode::UnknownOp, message: "unknown op".to_owned() })
        }
        _ => Ok(req),
    })
}

/// The frames of one server message on a batched connection (the `*.batch.v1`
/// subprotocols), in order. JSON: one frame per line (the server's JSON never
/// contains a raw newline; empty lines are skipped). MessagePack: consecutive
/// values, each found by skipping one value with the depth cap. On a connection
/// without batching every message is exactly one frame, and this yields it whole.
pub fn batch_frames(bytes: &[u8], enc: Encoding) -> BatchFrames<'_> {
    BatchFrames { rest: bytes, enc }
}

/// Iterator returned by [`batch_frames`]; an undecodable MessagePack remainder is
/// yielded once as an error, and iteration stops.
pub struct BatchFrames<'a> {
    rest: &'a [u8],
    enc: Encoding,
}

impl<'a> Iterator for BatchFrames<'a> {
    type Item = Result<&'a [u8], String>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.enc {
            Encoding::Json => loop {
                if self.rest.is_empty() {
                    return None;
                }
                let end = self.rest.iter().position(|&b| b == b'\n').unwrap_or(self.rest.len());
                let frame = &self.rest[..end];
                self.rest = self.rest.get(end + 1..).unwrap_or(&[]);
                if !frame.iter().all(u8::is_ascii_whitespace) {
                    return Some(Ok(frame));
                }
            },
            Encoding::MsgPack => {
                if self.rest.is_empty() {
                    return None;
                }
                let mut de = rmp_serde::Deserializer::new(std::io::Cursor::new(self.rest));
                de.set_max_depth(MAX_DEPTH);
                match serde::de::IgnoredAny::deserialize(&mut de) {
                    Ok(_) => {
                        let end = (de.position() as usize).min(self.rest.len());
                        let (frame, rest) = self.rest.split_at(end);
                        self.rest = rest;
                        Some(Ok(frame))
                    }
                    Err(e) => {
                        self.rest = &[];
                        Some(Err(format!("undecodable MessagePack in a batch: {e}")))
                    }
                }
            }
        }
    }
}

/// Decode a server frame (for clients).
pub fn decode_server_frame(bytes: &[u8], enc: Encoding) -> Result<ServerFrame, String> {
    let value: serde_json::Value = decode(bytes, enc)?;
    let obj = value.as_object().ok_or("server frame is not an object")?;
    if obj.contains_key("ev") {
        let push: Push = serde_json::from_value(value).map_err(|e| e.to_string())?;
        return Ok(ServerFrame::Push(push));
    }
    let re = obj.get("re").and_then(|v| v.as_u64());
    if let Some(err) = obj.get("error") {
        let body: ErrorBody = serde_json::from_value(err.clone()).map_err(|e| e.to_string())?;
        return Ok(ServerFrame::Reply { re, result: Err(body) });
    }
    let ok = obj.get("ok").cloned().ok_or("reply has neither `ok` nor `error`")?;
    Ok(ServerFrame::Reply { re, result: Ok(ok) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StreamId;

    /// A newer server's kinds, event types and pushes decode as `Unknown` (in both
    /// encodings) instead of failing the whole frame, so clients keep going.
    #[test]
    fn unknown_kinds_event_types_and_pushes_decode() {
        use crate::event::{EventBody, StreamKind};
        let future = [
            serde_json::json!({"ev": "event", "stream": "wk_1", "seq": 4, "at": 1, "author": "ann",
                "type": "page_protected", "level": "full"}),
            serde_json::json!({"ev": "notification_badge", "count": 3}),
            serde_json::json!({"ev": "stream_added", "stream": {"id": "wk_1", "kind": "whiteboard", "name": "Home",
                "topic": "", "member_count": 0, "member": false, "head": 4, "last_read": 0, "unread": 0,
                "mentions": 0}}),
        ];
        for enc in Encoding::ALL {
            let bytes: Vec<Vec<u8>> = future.iter().map(|v| encode(v, enc)).collect();
            match decode_server_frame(&bytes[0], enc).unwrap() {
                ServerFrame::Push(Push::Event(ev)) => {
                    assert_eq!((ev.seq, ev.body), (crate::ids::Seq(4), EventBody::Unknown), "{enc:?}")
                }
                other => panic!("{enc:?}: {other:?}"),
            }
            assert_eq!(decode_server_frame(&bytes[1], enc).unwrap(), ServerFrame::Push(Push::Unknown), "{enc:?}");
            match decode_server_frame(&bytes[2], enc).unwrap() {
                ServerFrame::Push(Push::StreamAdded { stream }) => assert_eq!(stream.kind, StreamKind::Unknown),
                other => panic!("{enc:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn batches_split_into_their_frames_in_both_encodings() {
        let frames = [
            Push::Typing { stream: StreamId::from("ch_a"), user: "ann".into(), ttl_ms: 3000 },
            Push::Typing { stream: StreamId::from("ch_b"), user: "bob\nby".into(), ttl_ms: 10 },
        ];
        for enc in Encoding::ALL {
            let parts: Vec<Vec<u8>> = frames.iter().map(|f| encode(f, enc)).collect();
            let sep: &[u8] = if enc == Encoding::Json { b"\n" } else { b"" };
            let batch = parts.join(sep);
            let got: Vec<&[u8]> = batch_frames(&batch, enc).map(|r| r.unwrap()).collect();
            assert_eq!(got, parts.iter().map(|p| p.as_slice()).collect::<Vec<_>>(), "{enc:?}");
            // One frame alone is its own batch.
            assert_eq!(batch_frames(&parts[0], enc).count(), 1);
            let back: Push = decode(got[1], enc).unwrap();
            assert_eq!(back, frames[1]);
        }
        // A truncated MessagePack value is an error, once.
        let mp = encode(&frames[0], Encoding::MsgPack);
        let bad = [mp.as_slice(), &mp[..mp.len() - 2]].concat();
        let got: Vec<_> = batch_frames(&bad, Encoding::MsgPack).collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok() && got[1].is_err());
        assert_eq!(batch_frames(b"\n\n", Encoding::Json).count(), 0);
    }

    #[test]
    fn decodes_a_post_in_both_encodings() {
        let req = Request {
            id: 7,
            op: Op::Post {
                stream: StreamId::from("ch_x"),
                text: "hi".into(),
                reply_to: None,
                idem: Some("k".into()),
                attachments: vec![],
            },
        };
        for enc in Encoding::ALL {
            let bytes = encode(&req, enc);
            assert_eq!(decode_request(&bytes, enc).unwrap(), req);
        }
    }

    #[test]
    fn unknown_op_keeps_the_id() {
        let err = decode_request(br#"{"id":3,"op":"fly","to":"moon"}"#, Encoding::Json).unwrap_err();
        assert_eq!((err.id, err.code), (Some(3), ErrorCode::UnknownOp));
    }

    #[test]
    fn missing_field_is_bad_request_with_id() {
        let err = decode_request(br#"{"id":4,"op":"post","stream":"ch_x"}"#, Encoding::Json).unwrap_err();
        assert_eq!((err.id, err.code), (Some(4), ErrorCode::BadRequest));
        assert!(err.message.contains("text"), "{}", err.message);
    }

    #[test]
    fn wrong_type_is_bad_request() {
        let err = decode_request(br#"{"id":5,"op":"post","stream":1,"text":"x"}"#, Encoding::Json).unwrap_err();
        assert_eq!((err.id, err.code), (Some(5), ErrorCode::BadRequest));
    }

    #[test]
    fn garbage_is_bad_request_without_id() {
        for bytes in [&b"not json"[..], b"[1,2]", b"{\"op\":\"ping\"}", b"\xff\x00"] {
            let err = decode_request(bytes, Encoding::Json).unwrap_err();
            assert_eq!(err.code, ErrorCode::BadRequest);
            assert_eq!(err.id, None);
        }
    }

    #[test]
    fn deep_nesting_is_refused_in_both_encodings() {
        let deep_json = format!("{{\"id\":1,\"op\":\"ping\",\"x\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(decode_request(deep_json.as_bytes(), Encoding::Json).unwrap_err().code, ErrorCode::BadRequest);
        // MessagePack: a map {id:1, op:"ping", x: [[[[...]]]]} nested 100k deep (0x91 = array of one).
        let mut mp = vec![0x83, 0xa2, b'i', b'd', 0x01, 0xa2, b'o', b'p', 0xa4, b'p', b'i', b'n', b'g', 0xa1, b'x'];
        mp.extend(std::iter::repeat_n(0x91, 100_000));
        mp.push(0xc0);
        assert_eq!(decode_request(&mp, Encoding::MsgPack).unwrap_err().code, ErrorCode::BadRequest);
    }

    #[test]
    fn huge_declared_length_does_not_allocate() {
        // array32 claiming 4 billion elements, with no elements behind it.
        let mp = [0x82, 0xa2, b'i', b'd', 0x01, 0xa2, b'o', b'p', 0xdd, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode_request(&mp, Encoding::MsgPack).unwrap_err().code, ErrorCode::BadRequest);
    }

    #[test]
    fn push_round_trips_through_server_frame() {
        let ev = crate::event::Event {
            stream: StreamId::from("ch_x"),
            seq: crate::ids::Seq(3),
            at: 1,
            author: "ann".into(),
            idem: None,
            body: crate::event::EventBody::MessagePosted {
                text: "yo".into(),
                reply_to: None,
                mentions: vec![],
                attachments: vec![],
            },
        };
        for enc in Encoding::ALL {
            let bytes = encode(&Push::Event(ev.clone()), enc);
            assert_eq!(decode_server_frame(&bytes, enc).unwrap(), ServerFrame::Push(Push::Event(ev.clone())));
        }
    }

    /// A request whose `x` nests `levels - 1` arrays: `levels` levels in all.
    fn nested_request(levels: usize) -> serde_json::Value {
        let mut v = serde_json::json!(1);
        for _ in 1..levels {
            v = serde_json::json!([v]);
        }
        serde_json::json!({"id": 1, "op": "ping", "x": v})
    }

    #[test]
    fn both_encodings_accept_max_depth_levels_and_refuse_one_more() {
        for enc in Encoding::ALL {
            // The request map is level 1, so `x` at MAX_DEPTH - 1 arrays is level MAX_DEPTH.
            assert!(decode_request(&encode(&nested_request(MAX_DEPTH), enc), enc).is_ok(), "{enc:?}");
            let e = decode_request(&encode(&nested_request(MAX_DEPTH + 1), enc), enc).unwrap_err();
            assert_eq!((e.id, e.code), (None, ErrorCode::BadRequest), "{enc:?}: {e:?}");
        }
    }

    #[test]
    fn bytes_after_the_value_are_refused_in_both_encodings() {
        for enc in Encoding::ALL {
            let mut b = encode(&serde_json::json!({"id": 1, "op": "ping"}), enc);
            b.extend_from_slice(match enc {
                Encoding::Json => b" 7",
                Encoding::MsgPack => &[0x07],
            });
            let e = decode_request(&b, enc).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadRequest, "{enc:?}: {e:?}");
        }
        // Trailing whitespace is not a value in JSON.
        assert!(decode_request(b"{\"id\":1,\"op\":\"ping\"}\n", Encoding::Json).is_ok());
    }

    #[test]
    fn messagepack_bin_is_accepted_where_a_string_is_expected_if_it_is_utf8() {
        // {"id": 1, "op": bin "post", "stream": bin "ch", "text": bin TEXT}
        let msg = |text: &[u8]| {
            let mut m = vec![0x84, 0xa2, b'i', b'd', 0x01, 0xa2, b'o', b'p', 0xc4, 4];
            m.extend_from_slice(b"post");
            m.extend_from_slice(&[0xa6]);
            m.extend_from_slice(b"stream");
            m.extend_from_slice(&[0xc4, 2]);
            m.extend_from_slice(b"ch");
            m.extend_from_slice(&[0xa4]);
            m.extend_from_slice(b"text");
            m.extend_from_slice(&[0xc4, text.len() as u8]);
            m.extend_from_slice(text);
            m
        };
        let req = decode_request(&msg(b"hi"), Encoding::MsgPack).unwrap();
        assert!(matches!(req.op, Op::Post { ref text, .. } if text == "hi"), "{req:?}");
        let e = decode_request(&msg(&[0xff, 0xfe]), Encoding::MsgPack).unwrap_err();
        assert_eq!((e.id, e.code), (Some(1), ErrorCode::BadRequest), "{e:?}");
    }
}
