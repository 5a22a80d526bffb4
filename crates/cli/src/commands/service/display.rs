//! `host --display auto`: the CLI's side of following the graphical session
//! in front (`latchkey_session::host::active_desktop` decides): it prints what was
//! found, sets `DISPLAY`/`XAUTHORITY` before any thread starts, and exits
//! with [`exit::DISPLAY_CHANGED`] when the session changes, so that the
//! unit's `Restart=on-failure` starts the host again on the new one.

use std::path::Path;

use latchkey_session::host::active_desktop::{self, EnvChange};
use latchkey_session::host::control_socket::auth;

use crate::exit::{self, CliError};

/// Decide the display for `latchkey host`: the given one, or with `auto`
/// (or, under systemd as root with no `$DISPLAY`, implicitly) logind's, with
/// `XAUTHORITY` set (to a private copy in `config_dir`) and a watcher
/// started. Call before any thread starts.
pub fn host_display(given: Option<String>, config_dir: &Path) -> Result<Option<String>, CliError> {
    let own_uid = auth::effective_uid();
    if !active_desktop::should_follow(given.as_deref(), own_uid) {
        return Ok(given);
    }
    let following = active_desktop::follow(config_dir, own_uid).map_err(|e| match e {
        latchkey_session::Error::Store(e) => CliError::Store(e),
        other => CliError::Coded(exit::OTHER, other.to_string()),
    })?;
    for line in &following.report {
        println!("{line}");
    }
    // Still one thread: the watcher below starts after this.
    for change in &following.environment {
        match change {
            EnvChange::Set(name, value) => std::env::set_var(name, value),
            EnvChange::Remove(name) => std::env::remove_var(name),
        }
    }
    if let Some(watch) = following.watch {
        std::thread::Builder::new()
            .name("latchkey-follow".into())
            .spawn(move || {
                let change = watch.wait_for_change();
                eprintln!(
                    "latchkey: the graphical session in front changed ({change}): \
                     exiting with code {} so that the service starts again on it",
                    exit::DISPLAY_CHANGED
                );
                std::process::exit(i32::from(exit::DISPLAY_CHANGED));
            })
            .map_err(|e| {
                CliError::Coded(
                    exit::OTHER,
                    format!("cannot start the session watcher: {e}"),
                )
            })?;
    }
    Ok(following.display)
}
