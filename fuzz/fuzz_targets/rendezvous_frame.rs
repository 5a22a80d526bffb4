//! Fuzz target `rendezvous_frame`: its body is `latchkey_fuzz_bodies::rendezvous_frame`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::rendezvous_frame(data));
