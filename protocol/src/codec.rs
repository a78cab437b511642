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

/// Maximum nesting depth accepted from a peer in either encoding.
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
            let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
            de.set_max_depth(MAX_DEPTH);
            T::deserialize(&mut de).map_err(|e| e.to_string())
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
                Ok(_) if id.is_none() => {
                    (ErrorCode::BadRequest, "field `id` must be an unsigned integer".to_owned())
                }
                Ok(RequestHead { op: None, .. }) => (ErrorCode::BadRequest, "missing field `op`".to_owned()),
                Ok(RequestHead { op: Some(op), .. }) => {
                    (ErrorCode::BadRequest, format!("bad `{op}` request: {full_err}"))
                }
            };
            Err(DecodeError { id, code, message })
        }
    }
    .and_then(|req| match req.op {
        Op::Unknown => Err(DecodeError {
            id: Some(req.id),
            code: ErrorCode::UnknownOp,
            message: "unknown op".to_owned(),
        }),
        _ => Ok(req),
    })
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

    #[test]
    fn decodes_a_post_in_both_encodings() {
        let req = Request {
            id: 7,
            op: Op::Post { stream: StreamId::from("ch_x"), text: "hi".into(), reply_to: None, idem: Some("k".into()) },
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
        mp.extend(std::iter::repeat(0x91).take(100_000));
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
            body: crate::event::EventBody::MessagePosted { text: "yo".into(), reply_to: None, mentions: vec![] },
        };
        for enc in Encoding::ALL {
            let bytes = encode(&Push::Event(ev.clone()), enc);
            assert_eq!(decode_server_frame(&bytes, enc).unwrap(), ServerFrame::Push(Push::Event(ev.clone())));
        }
    }
}
