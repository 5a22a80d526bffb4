//! Fuzz target `feature_message`: its body is `latchkey_fuzz_bodies::feature_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::feature_message(data));
