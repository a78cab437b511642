//! A client frame as a JSON text message: decode_request and decode_server_frame, with round trips.
//! The body is `agora::fuzz::json_frame`, which tests/fuzz_corpus.rs also runs over corpus/json_frame/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agora::fuzz::json_frame(data));
