//! A commit record's bytes: entries decoded, checked and re-encoded.
//! The body is `agora::fuzz::commit_record`, which tests/fuzz_corpus.rs also runs over corpus/commit_record/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agora::fuzz::commit_record(data));
