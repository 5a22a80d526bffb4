//! Fuzz target `handshake_message`: its body is `latchkey_fuzz_bodies::handshake_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::handshake_message(data));
