//! Fuzz target `secrets_file`: its body is `latchkey_fuzz_bodies::secrets_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::secrets_file(data));
