//! A batched server message (first byte: encoding): batch_frames, then each frame decoded.
//! The body is `agora::fuzz::batch`, which tests/fuzz_corpus.rs also runs over corpus/batch/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agora::fuzz::batch(data));
