//! `status` and `audit`.

use latchkey_store::{ops, Config};

use super::{on_off, print_json};
use crate::exit::CliError;

/// `latchkey status [--json]`.
pub fn status(config: &mut Config, json: bool) -> Result<(), CliError> {
    let s = ops::status(config)?;
    if json {
        return print_json(&s);
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
