//! WebSocket conformance (RFC 6455), one test per family of the Autobahn
//! testsuite (which does not run here): framing, pings and pongs, reserved bits,
//! opcodes, fragmentation, UTF-8 handling, close handling, limits. Frames are
//! written byte by byte over raw TCP (`common::raw`), and each case asserts
//! what the client actually receives: the reply, the pong, or the close code
//! RFC 6455 requires followed by a clean end of the TCP connection (no reset).
//! PROTOCOL.md §15 lists the codes.

mod common;
use common::raw::{self, Ending, RawWs, BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use common::*;
use serde_json::json;

const HARD_CAP: usize = 64 * 1024;
const FRAME_CAP: usize = 16 * 1024;

struct Fixture {
    srv: TestServer,
    token: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let srv = TestServer::start_with(|c| {
            c.limits.max_frame_bytes = FRAME_CAP;
            c.limits.hard_frame_bytes = HARD_CAP;
            // Every case sends `ping` ops as the same user.
            c.limits.rate.ping_per_sec = 100_000;
            c.limits.rate.ping_burst = 100_000;
        })
        .await;
        let token = srv.user("conformance").await;
        Fixture { srv, token }
    }

    async fn connect(&self) -> RawWs {
        RawWs::connect(self.srv.addr, &self.token, "").await
    }

    /// Send `bytes` on a fresh connection; the connection must end with a close
    /// frame carrying `code`, then FIN.
    async fn closes_with(&self, case: &str, bytes: &[u8], code: u16) {
        let mut ws = self.connect().await;
        ws.send_bytes(bytes).await;
        assert_eq!(ws.ending().await, Ending::Closed(code), "{case}");
    }
}

/// A `ping` op with id `id` (the server's cheapest request), padded with an
/// ignored field so the frame has the length we want.
fn ping_op(id: u64, pad: usize) -> String {
    json!({"id": id, "op": "ping", "pad": "p".repeat(pad)}).to_string()
}

/// The connection answers a request: a `ping` op gets its reply.
async fn assert_answers(ws: &mut RawWs, id: u64) {
    ws.send_text(&ping_op(id, 0)).await;
    let r = ws.read_json().await;
    assert_eq!(r["re"], json!(id), "{r}");
    assert!(r["ok"]["time"].as_u64().is_some(), "{r}");
}

fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw::encode(fin, 0, opcode, payload, true)
}

// 1. Framing.

#[tokio::test]
async fn framing_every_length_encoding_and_both_data_opcodes_are_read() {
    let f = Fixture::new().await;
    let mut ws = f.connect().await;
    // 7-bit, 16-bit and (just under the frame cap) 16-bit lengths.
    for (id, pad) in [(1, 0), (2, 200), (3, FRAME_CAP - 100)] {
        ws.send_text(&ping_op(id, pad)).await;
        assert_eq!(ws.read_json().await["re"], json!(id));
    }
    // A 64-bit length (over max_frame_bytes, under the hard cap): parsed as a
    // frame, refused as too large, the connection stays open.
    ws.send_text(&ping_op(4, HARD_CAP - 1000)).await;
    let r = ws.read_json().await;
    assert_eq!(r["error"]["code"], json!("too_large"), "{r}");
    // A binary frame is decoded in the connection's encoding (PROTOCOL.md §3).
    ws.send(true, BINARY, ping_op(5, 0).as_bytes()).await;
    assert_eq!(ws.read_json().await["re"], json!(5));
    // An empty text frame is a well-formed frame and a malformed request.
    ws.send(true, TEXT, b"").await;
    assert_eq!(ws.read_json().await["error"]["code"], json!("bad_request"));
    // Several frames in one TCP write.
    let mut two = frame(true, TEXT, ping_op(6, 0).as_bytes());
    two.extend(frame(true, TEXT, ping_op(7, 0).as_bytes()));
    ws.send_bytes(&two).await;
    assert_eq!(ws.read_json().await["re"], json!(6));
    assert_eq!(ws.read_json().await["re"], json!(7));
    // A frame trickled one byte at a time.
    for b in frame(true, TEXT, ping_op(8, 0).as_bytes()) {
        ws.send_bytes(&[b]).await;
    }
    assert_eq!(ws.read_json().await["re"], json!(8));
}

#[tokio::test]
async fn framing_an_unmasked_client_frame_closes_with_1002() {
    let f = Fixture::new().await;
    f.closes_with("unmasked text", &raw::encode(true, 0, TEXT, ping_op(1, 0).as_bytes(), false), 1002).await;
    f.closes_with("unmasked ping", &raw::encode(true, 0, PING, b"hi", false), 1002).await;
    // Before authenticating (no token, the `auth` frame not sent yet): 1002 too, not 4500.
    let mut ws = RawWs::connect(f.srv.addr, "", "").await;
    ws.send_bytes(&raw::encode(true, 0, TEXT, b"{}", false)).await;
    assert_eq!(ws.ending().await, Ending::Closed(1002), "before auth");
    // After a good request, the violation still gets its reply first.
    let mut ws = f.connect().await;
    assert_answers(&mut ws, 1).await;
    ws.send_bytes(&raw::encode(true, 0, TEXT, ping_op(2, 0).as_bytes(), false)).await;
    assert_eq!(ws.ending().await, Ending::Closed(1002));
}

// 2. Pings and pongs.

#[tokio::test]
async fn pings_are_answered_with_the_same_payload_and_pongs_are_ignored() {
    let f = Fixture::new().await;
    let mut ws = f.connect().await;
    for payload in [Vec::new(), b"hello".to_vec(), vec![0xfe; 125], (0..125u8).collect()] {
        ws.send(true, PING, &payload).await;
        let pong = ws.read_frame().await.expect("a pong");
        assert_eq!((pong.opcode, pong.fin, &pong.payload), (PONG, true, &payload));
    }
    // Unsolicited pongs are ignored.
    ws.send(true, PONG, b"unsolicited").await;
    ws.send(true, PONG, b"").await;
    assert_answers(&mut ws, 1).await;
    // Ten pings in a row: answered in order.
    for i in 0..10u8 {
        ws.send(true, PING, &[i]).await;
    }
    // RFC 6455 §5.5.3 allows answering only the latest of several pings: pongs come
    // in order and the last one is answered.
    let mut last = None;
    while last != Some(9) {
        let pong = ws.read_frame().await.expect("a pong");
        assert_eq!(pong.opcode, PONG);
        let i = pong.payload[0];
        assert!(last.is_none_or(|l| i > l), "pongs in order");
        last = Some(i);
    }
}

#[tokio::test]
async fn pings_over_125_bytes_or_fragmented_close_with_1002() {
    let f = Fixture::new().await;
    f.closes_with("ping of 126 bytes", &frame(true, PING, &[b'x'; 126]), 1002).await;
    f.closes_with("ping of 64 KiB", &frame(true, PING, &vec![b'x'; 65_535]), 1002).await;
    f.closes_with("fragmented ping", &frame(false, PING, b"part"), 1002).await;
    f.closes_with("pong of 126 bytes", &frame(true, PONG, &[b'x'; 126]), 1002).await;
}

// 3. Reserved bits.

#[tokio::test]
async fn any_reserved_bit_closes_with_1002() {
    let f = Fixture::new().await;
    for rsv in 1..=7u8 {
        let case = format!("text with rsv {rsv:03b}");
        f.closes_with(&case, &raw::encode(true, rsv, TEXT, ping_op(1, 0).as_bytes(), true), 1002).await;
    }
    f.closes_with("binary with rsv1", &raw::encode(true, 4, BINARY, ping_op(1, 0).as_bytes(), true), 1002).await;
    f.closes_with("ping with rsv3", &raw::encode(true, 1, PING, b"", true), 1002).await;
    f.closes_with("close with rsv2", &raw::encode(true, 2, CLOSE, &raw::close_payload(1000, b""), true), 1002).await;
    // A good request, then a bad frame, then a ping: the reply, then 1002, no pong.
    let mut ws = f.connect().await;
    let mut bytes = frame(true, TEXT, ping_op(1, 0).as_bytes());
    bytes.extend(raw::encode(true, 2, TEXT, ping_op(2, 0).as_bytes(), true));
    bytes.extend(frame(true, PING, b"after"));
    ws.send_bytes(&bytes).await;
    assert_eq!(ws.read_json().await["re"], json!(1));
    assert_eq!(ws.ending().await, Ending::Closed(1002));
}

// 4. Opcodes.

#[tokio::test]
async fn reserved_opcodes_close_with_1002() {
    let f = Fixture::new().await;
    for op in (0x3..=0x7).chain(0xB..=0xF) {
        f.closes_with(&format!("opcode {op:#x}"), &frame(true, op, b"reserved"), 1002).await;
        f.closes_with(&format!("empty opcode {op:#x}"), &frame(true, op, b""), 1002).await;
    }
}

// 5. Fragmentation.

#[tokio::test]
async fn fragmented_messages_are_reassembled_with_control_frames_between() {
    let f = Fixture::new().await;
    let mut ws = f.connect().await;
    let text = ping_op(1, 300);
    let (a, rest) = text.as_bytes().split_at(100);
    let (b, c) = rest.split_at(100);
    ws.send(false, TEXT, a).await;
    ws.send(false, CONTINUATION, b).await;
    ws.send(true, CONTINUATION, c).await;
    assert_eq!(ws.read_json().await["re"], json!(1));
    // Empty fragments, and a ping between fragments (answered at once).
    let text = ping_op(2, 0);
    ws.send(false, TEXT, b"").await;
    ws.send(false, CONTINUATION, text.as_bytes()).await;
    ws.send(true, PING, b"between").await;
    let pong = ws.read_frame().await.expect("a pong between fragments");
    assert_eq!((pong.opcode, pong.payload.as_slice()), (PONG, &b"between"[..]));
    ws.send(true, CONTINUATION, b"").await;
    assert_eq!(ws.read_json().await["re"], json!(2));
    // A binary message in one-byte fragments.
    let text = ping_op(3, 0);
    let bytes = text.as_bytes();
    ws.send(false, BINARY, &bytes[..1]).await;
    for i in 1..bytes.len() - 1 {
        ws.send(false, CONTINUATION, &bytes[i..=i]).await;
    }
    ws.send(true, CONTINUATION, &bytes[bytes.len() - 1..]).await;
    assert_eq!(ws.read_json().await["re"], json!(3));
}

#[tokio::test]
async fn broken_fragment_sequences_close_with_1002() {
    let f = Fixture::new().await;
    f.closes_with("continuation without a start", &frame(true, CONTINUATION, b"orphan"), 1002).await;
    f.closes_with("unfinished continuation without a start", &frame(false, CONTINUATION, b"orphan"), 1002).await;
    let mut text_inside = frame(false, TEXT, b"{\"id\":");
    text_inside.extend(frame(true, TEXT, b"1}"));
    f.closes_with("a text frame inside a fragmented message", &text_inside, 1002).await;
    let mut binary_inside = frame(false, TEXT, b"{\"id\":");
    binary_inside.extend(frame(false, BINARY, b"1}"));
    f.closes_with("a binary frame inside a fragmented message", &binary_inside, 1002).await;
    let mut after_end = frame(true, TEXT, ping_op(1, 0).as_bytes());
    after_end.extend(frame(true, CONTINUATION, b"late"));
    let mut ws = f.connect().await;
    ws.send_bytes(&after_end).await;
    assert_eq!(ws.read_json().await["re"], json!(1), "the complete message is answered");
    assert_eq!(ws.ending().await, Ending::Closed(1002), "a continuation after the final fragment");
}

// 6. UTF-8 handling.

#[tokio::test]
async fn valid_utf8_is_accepted_whole_and_split_at_every_byte() {
    let f = Fixture::new().await;
    let mut ws = f.connect().await;
    let text = json!({"id": 1, "op": "ping", "pad": "κόσμε 𝄞 \u{fffd} \u{10ffff}"}).to_string();
    ws.send_text(&text).await;
    assert_eq!(ws.read_json().await["re"], json!(1));
    // Ids 1001.. keep the length fixed, so every cut point is tried once.
    let len = text.len() + 3;
    for cut in 1..len {
        let id = 1000 + cut as u64;
        let msg = json!({"id": id, "op": "ping", "pad": "κόσμε 𝄞 \u{fffd} \u{10ffff}"}).to_string();
        let m = msg.as_bytes();
        ws.send(false, TEXT, &m[..cut]).await;
        ws.send(true, CONTINUATION, &m[cut..]).await;
        assert_eq!(ws.read_json().await["re"], json!(id), "split at byte {cut}");
    }
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let f = Fixture::new().await;
    let cases: [(&str, &[u8]); 6] = [
        ("a 0xff byte", b"{\"id\":1,\"op\":\"ping\",\"x\":\"\xff\"}"),
        ("an overlong slash", b"{\"x\":\"\xc0\xaf\"}"),
        ("a UTF-16 surrogate", b"{\"x\":\"\xed\xa0\x80\"}"),
        ("past U+10FFFF", b"\xf4\x90\x80\x80"),
        ("a lone continuation byte", b"\x80"),
        ("truncated at the end", b"\xce\xba\xe1\xbd"),
    ];
    for (case, bytes) in cases {
        f.closes_with(case, &frame(true, TEXT, bytes), 1007).await;
        // The same bytes split over two fragments.
        let mut split = frame(false, TEXT, &bytes[..1]);
        split.extend(frame(true, CONTINUATION, &bytes[1..]));
        f.closes_with(&format!("{case}, fragmented"), &split, 1007).await;
    }
    // Valid fragments that end in the middle of a character.
    let mut unfinished = frame(false, TEXT, b"\xce");
    unfinished.extend(frame(true, CONTINUATION, b"A"));
    f.closes_with("a character cut by a fragment and not continued", &unfinished, 1007).await;
    // A close reason must be UTF-8 too (RFC 6455 §5.5.1, §8.1).
    f.closes_with("close reason not UTF-8", &frame(true, CLOSE, &raw::close_payload(1000, b"\xff\xfe")), 1007).await;
}

// 7. Close handling.

#[tokio::test]
async fn a_client_close_is_echoed_and_the_server_ends_tcp() {
    let f = Fixture::new().await;
    for code in [1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
        let mut ws = f.connect().await;
        ws.send(true, CLOSE, &raw::close_payload(code, b"bye")).await;
        assert_eq!(ws.ending().await, Ending::Closed(code), "close {code} is echoed");
    }
    // No status code: the reply has none either.
    f.closes_with("empty close", &frame(true, CLOSE, b""), 1005).await;
    // The longest reason a control frame allows (123 bytes).
    f.closes_with("close with a 123-byte reason", &frame(true, CLOSE, &raw::close_payload(1000, &[b'r'; 123])), 1000)
        .await;
    // Anything after the close is ignored: no reply to the request.
    let mut ws = f.connect().await;
    let mut bytes = frame(true, CLOSE, &raw::close_payload(1000, b""));
    bytes.extend(frame(true, TEXT, ping_op(1, 0).as_bytes()));
    bytes.extend(frame(true, PING, b"after close"));
    ws.send_bytes(&bytes).await;
    let first = ws.read_frame().await.expect("the close reply");
    assert_eq!((first.opcode, first.close_code()), (CLOSE, 1000), "nothing but the close reply: {first:?}");
    assert_eq!(ws.ending().await, Ending::Eof, "then the end of the connection");
}

#[tokio::test]
async fn malformed_close_frames_close_with_1002() {
    let f = Fixture::new().await;
    f.closes_with("a 1-byte close payload", &frame(true, CLOSE, &[0x03]), 1002).await;
    for code in [0u16, 999, 1004, 1005, 1006, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
        f.closes_with(&format!("close code {code}"), &frame(true, CLOSE, &raw::close_payload(code, b"")), 1002).await;
    }
    f.closes_with("a close payload of 126 bytes", &frame(true, CLOSE, &raw::close_payload(1000, &[b'r'; 124])), 1002)
        .await;
    f.closes_with("a fragmented close", &frame(false, CLOSE, &raw::close_payload(1000, b"")), 1002).await;
}

// 8. Limits.

#[tokio::test]
async fn a_message_over_the_hard_cap_closes_with_1009_even_with_input_unread() {
    let f = Fixture::new().await;
    // One frame over the cap, much of it still unsent (or unread by the server)
    // when the server closes: the close frame must still arrive, then FIN.
    let mut ws = f.connect().await;
    let big = frame(true, TEXT, &vec![b' '; 4 * HARD_CAP]);
    let mut wr = ws.second_handle();
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        // The server stops reading this frame and closes: a failed write is fine.
        let _ = wr.write_all(&big).await;
    });
    assert_eq!(ws.ending().await, Ending::Closed(1009), "one frame over the cap");
    writer.abort();

    // A fragmented message whose fragments are each under the cap but whose sum is not.
    let mut ws = f.connect().await;
    let piece = vec![b' '; HARD_CAP / 2];
    let mut bytes = frame(false, TEXT, &piece);
    bytes.extend(frame(false, CONTINUATION, &piece));
    bytes.extend(frame(true, CONTINUATION, &piece));
    ws.send_bytes(&bytes).await;
    assert_eq!(ws.ending().await, Ending::Closed(1009), "fragments summing over the cap");

    // Over max_frame_bytes but under the hard cap: too_large, the connection stays.
    let mut ws = f.connect().await;
    ws.send_text(&ping_op(1, FRAME_CAP)).await;
    let r = ws.read_json().await;
    assert_eq!((r["re"].clone(), r["error"]["code"].clone()), (json!(null), json!("too_large")), "{r}");
    assert_answers(&mut ws, 2).await;
}

#[tokio::test]
async fn limits_a_server_message_larger_than_the_client_frame_cap_is_sent_whole() {
    // A full history page of long messages is far larger than `hard_frame_bytes`
    // (which bounds what clients send): it must still go out, in one message.
    let srv = TestServer::start_with(|c| {
        c.limits.hard_frame_bytes = HARD_CAP;
        c.limits.rate.post_per_sec = 100_000;
        c.limits.rate.post_burst = 100_000;
    })
    .await;
    let t = srv.user("ann").await;
    let mut ann = srv.connect(&t).await;
    let ch = ann.create_channel("big-history").await;
    let texts: Vec<String> = (0..200).map(|_| "🎉".repeat(4000)).collect();
    ann.post_many(&ch, &texts).await;
    let h = ann.ok(json!({"op": "history", "stream": ch, "limit": 200})).await;
    let events = h["events"].as_array().unwrap();
    assert_eq!(events.len(), 200);
    assert!(h.to_string().len() > 3_000_000, "a 3 MB reply");
    ann.assert_usable().await;
}
