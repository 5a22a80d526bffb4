//! `unattended`, `save-login`, `interactive`.

use latchkey_core::settings::InteractiveMode;
use latchkey_store::{ops, Config};

use crate::cli::ModeArg;
use crate::exit::CliError;

/// `latchkey unattended on|off [--profile P]`.
pub fn unattended(config: &mut Config, profile: Option<&str>, on: bool) -> Result<(), CliError> {
    let name = ops::set_unattended(config, profile, on)?;
    if on {
        println!("Unattended access on for profile '{name}'.");
    } else {
        println!("Unattended access off for profile '{name}'; its saved logins have ended.");
    }
    if on && !config.settings().profile(Some(&name))?.enabled {
        println!("Note: profile '{name}' is disabled, so its password will not work until it is enabled.");
    }
    Ok(())
}

/// `latchkey save-login on|off`.
pub fn save_login(config: &mut Config, on: bool) -> Result<(), CliError> {
    ops::set_save_login(config, on)?;
    if on {
        println!("Other computers may now save login information for this one.");
    } else {
        println!("No new saved logins will be issued; existing ones keep working until revoked ('latchkey tokens clear').");
    }
    Ok(())
}

/// `latchkey interactive always|window|never`.
pub fn interactive(config: &mut Config, mode: ModeArg) -> Result<(), CliError> {
    let mode = match mode {
        ModeArg::Always => InteractiveMode::Always,
        ModeArg::Window => InteractiveMode::Window,
        ModeArg::Never => InteractiveMode::Never,
    };
    ops::set_interactive(config, mode)?;
    println!(
        "Incoming requests without a credential: {}.",
        match mode {
            InteractiveMode::Always => "always ask the person at this computer",
            InteractiveMode::Window => "ask only while the main window is open, otherwise refuse",
            InteractiveMode::Never => "refused (exclusive unattended access)",
        }
    );
    Ok(())
}
