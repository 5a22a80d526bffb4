//! Fuzz target `vp8_rtp`: its body is `latchkey_fuzz_bodies::vp8_rtp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::vp8_rtp(data));
