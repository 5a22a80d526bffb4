//! `acl add|remove|list|on|off`: the access control list.

use latchkey_store::{ops, Config};

use super::print_json;
use crate::cli::AclCmd;
use crate::exit::CliError;

/// Run an `acl` subcommand.
pub fn run(config: &mut Config, cmd: AclCmd) -> Result<(), CliError> {
    match cmd {
        AclCmd::Add {
            fingerprint,
            profiles,
        } => {
            let e = ops::acl_add(config, &fingerprint, &profiles)?;
            println!(
                "{} may ask for {}.",
                e.fingerprint,
                profiles_text(&e.profiles)
            );
            if !config.settings().acl.enabled {
                println!(
                    "Note: the list is off; 'latchkey acl on' refuses every viewer not on it."
                );
            }
            Ok(())
        }
        AclCmd::Remove { fingerprint } => {
            ops::acl_remove(config, &fingerprint)?;
            println!("Removed from the access control list.");
            Ok(())
        }
        AclCmd::List(f) => {
            let acl = ops::acl_list(config);
            if f.json {
                return print_json(&acl);
            }
            println!(
                "Access control list: {}",
                if acl.enabled {
                    "on (only these viewers may ask)"
                } else {
                    "off (any viewer may ask)"
                }
            );
            if acl.entries.is_empty() {
                println!("No viewers listed.");
            }
            for e in acl.entries {
                println!("{}  {}", e.fingerprint, profiles_text(&e.profiles));
            }
            Ok(())
        }
        AclCmd::On => {
            ops::set_acl_enabled(config, true)?;
            let n = config.settings().acl.entries.len();
            println!(
                "Access control list on: only the {n} listed viewer(s) may ask for a session."
            );
            Ok(())
        }
        AclCmd::Off => {
            ops::set_acl_enabled(config, false)?;
            println!("Access control list off: any viewer may ask for a session.");
            Ok(())
        }
    }
}

fn profiles_text(profiles: &[String]) -> String {
    if profiles.is_empty() {
        "any profile".into()
    } else {
        format!("profile(s) {}", profiles.join(", "))
    }
}
