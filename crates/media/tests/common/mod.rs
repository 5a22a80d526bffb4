//! Test support: a private Xvfb per test, running a test body in a child
//! process whose `DISPLAY` points at it, drawing on the X screen, and a
//! synthetic desktop-like picture.
//!
//! Why child processes: `xcap`, `rdev` and `arboard` read `DISPLAY` from the
//! environment and take no display argument, and `std::env::set_var` is unsound
//! while other test threads run. So each X test is a pair: a parent `#[test]`
//! starts Xvfb and re-runs this test binary for just the matching `child_*`
//! test, with `DISPLAY` set on that child process only. The child tests are
//! `#[ignore]`d so a plain `cargo test` runs them only through their parents.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::process::{Command, Stdio};

use x11rb::rust_connection::RustConnection;

#[allow(unused_imports)] // each test binary uses a different part
pub use latchkey_testkit::{desktop, draw_rgba, Xvfb, HEIGHT, WIDTH};

/// Set (to the display name) in the environment of child test processes.
pub const CHILD_ENV: &str = "LATCHKEY_MEDIA_TEST_DISPLAY";

/// In a child test process: the display to use. `None` when run directly.
pub fn child_display() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Runs the `#[ignore]`d test `name` of this test binary in a child process
/// with `DISPLAY=display`, and fails with its output if it fails.
pub fn run_child(name: &str, display: &str) {
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([name, "--exact", "--ignored", "--test-threads=1"])
        .env("DISPLAY", display)
        .env(CHILD_ENV, display)
        // xcap picks its Wayland portal path when either of these says "wayland".
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE")
        .stdin(Stdio::null())
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child test {name} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// A parent test that runs `child` under a fresh Xvfb, and the child itself.
#[macro_export]
macro_rules! xvfb_test {
    ($parent:ident => $child:ident $body:block) => {
        #[test]
        fn $parent() {
            let x = common::Xvfb::start();
            common::run_child(stringify!($child), &x.display);
        }

        #[test]
        #[ignore = "child half of an Xvfb test: run by its parent with DISPLAY set"]
        fn $child() {
            if common::child_display().is_none() {
                return;
            }
            $body
        }
    };
}

/// Connects to the child's display.
pub fn connect() -> (RustConnection, usize) {
    let display = child_display().expect("only in child tests");
    latchkey_testkit::connect(&display)
}
