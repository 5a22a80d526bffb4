//! Fuzz target `control_request`: its body is `latchkey_fuzz_bodies::control_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::control_request(data));
