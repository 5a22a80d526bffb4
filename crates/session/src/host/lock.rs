//! Locking the shared desktop when a session that holds `lock_on_end` ends:
//! logind's `LockSession` for the graphical session on our display when
//! there is one (`loginctl lock-session ID`), else the session's locker:
//! `xscreensaver-command -lock` (which fails when xscreensaver cannot lock),
//! `xdg-screensaver lock`, and last `xset s activate` (it locks only where a
//! locker listens to the screen saver). Blocking: run it off the runtime.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::host::active_desktop::logind::{active_session, Lookup};

/// Longest wait for one locker command.
const STEP: Duration = Duration::from_secs(10);

/// Lock the desktop on `DISPLAY`; which way worked, or why none did.
pub fn lock_desktop() -> Result<&'static str, String> {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    if let Lookup::Found(session) = active_session(None) {
        if session.display == display && run("loginctl", &["lock-session", &session.id]) {
            return Ok("logind");
        }
    }
    let lockers: [(&'static str, &[&str]); 3] = [
        ("xscreensaver-command", &["-lock"]),
        ("xdg-screensaver", &["lock"]),
        ("xset", &["s", "activate"]),
    ];
    for (program, args) in lockers {
        if run(program, args) {
            return Ok(program);
        }
    }
    Err(format!("no locker answered on display {display}"))
}

/// Run a command with no input or output, for at most [`STEP`]; whether it succeeded.
pub(crate) fn run(program: &str, args: &[&str]) -> bool {
    let Ok(mut child) = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let deadline = Instant::now() + STEP;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}
