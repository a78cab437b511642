//! A client frame as a MessagePack binary message: decode_request and decode_server_frame, with round trips.
//! The body is `agora::fuzz::msgpack_frame`, which tests/fuzz_corpus.rs also runs over corpus/msgpack_frame/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agora::fuzz::msgpack_frame(data));
