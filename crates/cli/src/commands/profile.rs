//! `profile list|show|create|rename|delete|enable|disable|set|default|tunnel-destinations`.

use latchkey_core::settings::ProfileSummary;
use latchkey_store::{ops, Config};

use super::{on_off, print_json};
use crate::cli::ProfileCmd;
use crate::exit::CliError;

fn print_profile(p: &ProfileSummary, tunnels: &str) {
    println!(
        "Profile:     {}{}{}",
        p.name,
        if p.builtin { " (built-in)" } else { "" },
        if p.default { " (default)" } else { "" }
    );
    println!("Enabled:     {}", if p.enabled { "yes" } else { "no" });
    println!("Unattended:  {}", on_off(p.unattended));
    println!(
        "Password:    {}",
        if p.has_password { "set" } else { "not set" }
    );
    println!(
        "Permissions: {}",
        if p.permissions.is_empty() {
            "none (view only)".into()
        } else {
            p.permissions.names().join(", ")
        }
    );
    println!("Tunnels to:  {tunnels}");
}

/// Run a `profile` subcommand.
pub fn run(config: &mut Config, cmd: ProfileCmd) -> Result<(), CliError> {
    match cmd {
        ProfileCmd::List(f) => {
            let list = config.settings().summaries();
            if f.json {
                return print_json(&list);
            }
            for p in list {
                println!(
                    "{}{:<16} {:<8} unattended {}",
                    if p.default { "*" } else { " " },
                    p.name,
                    if p.enabled { "enabled" } else { "disabled" },
                    on_off(p.unattended)
                );
            }
            Ok(())
        }
        ProfileCmd::Show { name, json } => {
            let p = ops::show_profile(config, &name)?;
            let tunnels = config
                .settings()
                .profiles
                .get(&name)?
                .tunnel_destinations
                .clone();
            if json.json {
                let mut v = serde_json::to_value(&p).map_err(|e| CliError::Other(e.into()))?;
                v["tunnel_destinations"] =
                    serde_json::to_value(&tunnels).map_err(|e| CliError::Other(e.into()))?;
                return print_json(&v);
            }
            print_profile(&p, &tunnels.to_list());
            Ok(())
        }
        ProfileCmd::Create { name, from } => {
            let p = ops::create_profile(config, &name, from.as_deref())?;
            println!(
                "Profile '{}' created{}.",
                p.name,
                from.map(|f| format!(" from '{f}'")).unwrap_or_default()
            );
            Ok(())
        }
        ProfileCmd::Rename { name, new_name } => {
            ops::rename_profile(config, &name, &new_name)?;
            println!("Profile '{name}' is now '{new_name}'.");
            Ok(())
        }
        ProfileCmd::Delete { name } => {
            let n = ops::delete_profile(config, &name)?;
            println!(
                "Profile '{name}' deleted{}.",
                if n > 0 {
                    format!(" with {n} saved login(s)")
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        ProfileCmd::Enable { name } => {
            ops::set_profile_enabled(config, &name, true)?;
            println!("Profile '{name}' enabled.");
            Ok(())
        }
        ProfileCmd::Disable { name } => {
            ops::set_profile_enabled(config, &name, false)?;
            println!("Profile '{name}' disabled.");
            Ok(())
        }
        ProfileCmd::Set {
            name,
            permission,
            state,
        } => {
            ops::set_permission(config, &name, &permission, state.on())?;
            println!("Profile '{name}': {permission} {}.", on_off(state.on()));
            Ok(())
        }
        ProfileCmd::TunnelDestinations { name, destinations } => {
            let d = ops::set_tunnel_destinations(config, &name, &destinations)?;
            println!("Profile '{name}': tunnels to {}.", d.to_list());
            Ok(())
        }
        ProfileCmd::Default { name } => {
            ops::set_default_profile(config, &name)?;
            println!("'{name}' is now the default profile.");
            Ok(())
        }
    }
}
