//! `password set|verify|strength|clear`.

use latchkey_store::{ops, Config};

use super::print_json;
use crate::cli::PasswordCmd;
use crate::exit::CliError;
use crate::input::read_password;

/// Run a `password` subcommand.
pub fn run(config: &mut Config, cmd: PasswordCmd) -> Result<(), CliError> {
    match cmd {
        PasswordCmd::Set(p) => {
            let profile = config.settings().profile_name(p.profile.as_deref())?;
            let password = read_password(&format!("New password for profile '{profile}': "), true)?;
            let revoked = ops::set_password(config, Some(&profile), &password)?;
            println!("Password set for profile '{profile}'.");
            if revoked > 0 {
                println!("{revoked} saved login(s) for this profile stopped working.");
            }
            if !config.settings().profile(Some(&profile))?.unattended {
                println!("Unattended access is still off: turn it on with 'latchkey unattended on --profile {profile}'.");
            }
            Ok(())
        }
        PasswordCmd::Verify(p) => {
            let profile = config.settings().profile_name(p.profile.as_deref())?;
            let password = read_password(&format!("Password for profile '{profile}': "), false)?;
            ops::verify_password(config, Some(&profile), &password)?;
            println!("The password matches profile '{profile}'.");
            Ok(())
        }
        PasswordCmd::Strength => {
            let password = read_password("Password to judge: ", false).or_else(|e| match e {
                // An empty password is simply very weak.
                CliError::Usage(m) if m.starts_with("the password is empty") => {
                    Ok(Default::default())
                }
                other => Err(other),
            })?;
            let verdict = ops::password_strength(config, None, &password);
            print_json(&verdict)
        }
        PasswordCmd::Clear(p) => {
            let profile = config.settings().profile_name(p.profile.as_deref())?;
            let revoked = ops::clear_password(config, Some(&profile))?;
            println!("Password removed from profile '{profile}'; its unattended access is off.");
            if revoked > 0 {
                println!("{revoked} saved login(s) for this profile stopped working.");
            }
            Ok(())
        }
    }
}
