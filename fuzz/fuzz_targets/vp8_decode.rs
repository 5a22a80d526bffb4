//! Fuzz target `vp8_decode`: its body is `latchkey_fuzz_bodies::vp8_decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::vp8_decode(data));
