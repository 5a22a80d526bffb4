//! `status` and `audit`.

use serde::Serialize;

use latchkey_media::session::DesktopReport;
use latchkey_session::host::control_socket::{self, ControlRequest};
use latchkey_store::{ops, Config};

use super::{on_off, print_json};
use crate::exit::CliError;

/// `status --json`: the settings, and what the running host opened.
#[derive(Serialize)]
struct Full {
    #[serde(flatten)]
    status: ops::Status,
    /// The capture and input paths of the host running on this configuration
    /// (`null` when none runs or it cannot be asked).
    host_desktop: Option<DesktopReport>,
}

/// What the host running on `config`'s directory says it opened on its desktop.
fn host_desktop(config: &Config) -> Option<DesktopReport> {
    if !control_socket::locate(config.dir()).exists() {
        return None;
    }
    let runtime = super::session::runtime().ok()?;
    match runtime.block_on(control_socket::call(config.dir(), &ControlRequest::Desktop)) {
        Ok(r) if r.ok => r.desktop,
        Ok(r) => {
            tracing::debug!(error = ?r.error, "the host did not say what it opened");
            None
        }
        Err(e) => {
            tracing::debug!(error = %e, "cannot ask the running host");
            None
        }
    }
}

/// `latchkey status [--json]`.
pub fn status(config: &mut Config, json: bool) -> Result<(), CliError> {
    let s = ops::status(config)?;
    let desktop = host_desktop(config);
    if json {
        return print_json(&Full {
            status: s,
            host_desktop: desktop,
        });
    }
    println!("Fingerprint:        {}", s.fingerprint);
    println!(
        "Incoming requests:  {}",
        match s.interactive {
            latchkey_core::settings::InteractiveMode::Always =>
                "always ask the person at this computer",
            latchkey_core::settings::InteractiveMode::Window =>
                "ask only while the main window is open",
            latchkey_core::settings::InteractiveMode::Never =>
                "never ask (exclusive unattended access)",
        }
    );
    println!("Save login info:    {}", on_off(s.save_login));
    println!(
        "Two-factor:         {}{}",
        on_off(s.two_factor.enabled),
        if s.two_factor.pending {
            " (enrolment pending confirmation)"
        } else {
            ""
        }
    );
    println!("Saved logins:       {}", s.tokens);
    println!("Secret store:       {}", s.secret_store);
    match &desktop {
        None => println!("Running host:       none (or not reachable)"),
        Some(d) => {
            let or_not_yet = |p: &Option<String>| {
                p.clone()
                    .unwrap_or_else(|| "not opened yet (no session so far)".into())
            };
            println!("Screen capture:     {}", or_not_yet(&d.capture));
            println!("Input:              {}", or_not_yet(&d.input));
            for n in &d.notes {
                println!("  {n}");
            }
        }
    }
    println!("Profiles:");
    for p in &s.profiles {
        println!(
            "  {}{:<16} {:<8} unattended {:<3} password {:<3} {}",
            if p.default { "*" } else { " " },
            p.name,
            if p.enabled { "enabled" } else { "disabled" },
            on_off(p.unattended),
            if p.has_password { "set" } else { "-" },
            if p.permissions.is_empty() {
                "view only".to_string()
            } else {
                p.permissions.names().join(",")
            }
        );
    }
    Ok(())
}

/// `latchkey audit [--json] [--tail N]`.
pub fn audit(config: &Config, json: bool, tail: Option<usize>) -> Result<(), CliError> {
    let records = ops::audit(config, tail)?;
    if json {
        return print_json(&records);
    }
    for r in records {
        println!("{}", r.to_line());
    }
    Ok(())
}
