//! Fuzz target `opus_rtp`: its body is `latchkey_fuzz_bodies::opus_rtp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::opus_rtp(data));
