//! The `latchkey-app` binary: the desktop app. Everything is in the library.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    latchkey_app::run();
}
