//! Fuzz target `settings_file`: its body is `latchkey_fuzz_bodies::settings_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| latchkey_fuzz_bodies::settings_file(data));
