//! Damaged segment files (first byte: how many) opened as the event log: torn tails cut, corruption refused, repair idempotent.
//! The body is `agora::fuzz::recovery`, which tests/fuzz_corpus.rs also runs over corpus/recovery/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agora::fuzz::recovery(data));
