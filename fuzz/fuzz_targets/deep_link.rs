//! Fuzz target `deep_link`: its body is `latchkey_fuzz_bodies::deep_link`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::deep_link(data));
