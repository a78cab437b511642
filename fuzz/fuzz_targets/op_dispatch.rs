//! Client frames decoded and dispatched on an in-process App over the memory engine.
//! The body is `agora::fuzz::op_dispatch`, which tests/fuzz_corpus.rs also runs over corpus/op_dispatch/.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agora::fuzz::op_dispatch(data));
