//! Fuzz target `handshake_host`: its body is `latchkey_fuzz_bodies::handshake_host`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::handshake_host(data));
