//! Dispatch: one function per command group, each a thin layer over
//! `latchkey_store::ops` that prints the result.

mod access;
mod acl;
mod clipboard;
pub(crate) mod clipboard_files;
mod desk;
mod displays;
pub(crate) mod files;
mod input;
mod password;
mod pointer;
mod print;
mod profile;
pub(crate) mod restart;
mod script;
mod service;
mod session;
mod status;
mod system_info;
mod tokens;
mod tunnel;
mod two_factor;
mod whiteboard;

use anyhow::anyhow;
use serde::Serialize;
use std::path::PathBuf;

use latchkey_core::settings::SecretStoreKind;
use latchkey_store::Config;

use crate::cli::{Cli, Command, StoreArg};
use crate::exit::CliError;

/// Run one parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Rendezvous(args) = cli.command {
        return crate::rendezvous_cmd::run(args).map_err(|e| CliError::Coded(e.code, e.message));
    }
    if let Command::FilesHelper { home } = &cli.command {
        // A root host's file operations, with the desktop user's rights: no configuration.
        return latchkey_session::features::files::worker::serve_helper(home)
            .map_err(|e| CliError::Coded(crate::exit::OTHER, e));
    }
    let store = cli.secret_store.map(|s| match s {
        StoreArg::Keyring => SecretStoreKind::Keyring,
        StoreArg::File => SecretStoreKind::File,
    });
    if let Command::Service(c) = cli.command {
        // Before opening a configuration: `--system` has its own, in /var/lib.
        return service::run(c, cli.config_dir, store);
    }
    let dir = match cli.config_dir {
        Some(d) => d,
        None => default_config_dir()?,
    };
    // The control socket's commands need no configuration: a `latchkey` group
    // member may talk to a host whose settings it cannot read.
    match cli.command {
        Command::Requests(f) => return session::requests(&dir, f.json),
        Command::Accept {
            request,
            viewer,
            profile,
            deny_permission,
        } => return session::accept(&dir, request, viewer, profile, deny_permission),
        Command::Deny { request } => return session::deny(&dir, request),
        Command::Control { request } => return session::control_raw(&dir, &request),
        _ => {}
    }
    let mut config = Config::open(&dir, store)?;
    match cli.command {
        Command::Status(f) => status::status(&mut config, f.json),
        Command::Password(c) => password::run(&mut config, c),
        Command::Unattended { state, profile } => {
            access::unattended(&mut config, profile.profile.as_deref(), state.on())
        }
        Command::SaveLogin { state } => access::save_login(&mut config, state.on()),
        Command::Interactive { mode } => access::interactive(&mut config, mode),
        Command::Tokens(c) => tokens::run(&mut config, c),
        Command::Acl(c) => acl::run(&mut config, c),
        Command::TwoFactor(c) => two_factor::run(&mut config, c),
        Command::Profile(c) => profile::run(&mut config, c),
        Command::Audit { json, tail } => status::audit(&config, json.json, tail),
        Command::Id => session::id(&config),
        Command::Host {
            rendezvous,
            display,
            wait_for_rendezvous,
        } => {
            // `--display auto` (or a root service with no $DISPLAY) follows logind.
            let display = service::host_display(display, &dir)?;
            let options = session::HostArgs {
                rendezvous,
                display,
                wait_for_rendezvous,
            };
            session::host(&mut config, &dir, store, options)
        }
        Command::Requests(_)
        | Command::Accept { .. }
        | Command::Deny { .. }
        | Command::Control { .. } => Ok(()),
        Command::Connect(args) => session::connect(&mut config, args),
        Command::Sysinfo(args) => system_info::sysinfo(&mut config, args),
        Command::Restart(args) => restart::restart(&mut config, args),
        Command::Clipboard(args) => clipboard_files::clipboard(&mut config, args),
        Command::Ls(args) => files::ls(&mut config, args),
        Command::Cp(args) => files::cp(&mut config, args),
        Command::Mkdir(args) => files::mkdir(&mut config, args),
        Command::Rm(args) => files::rm(&mut config, args),
        Command::Mv(args) => files::mv(&mut config, args),
        Command::Tunnel(args) => tunnel::run(&mut config, args),
        Command::KnownHosts(c) => session::known_hosts(&config, c),
        Command::Rendezvous(_) | Command::Service(_) | Command::FilesHelper { .. } => Ok(()),
    }
}

fn default_config_dir() -> Result<PathBuf, CliError> {
    directories::ProjectDirs::from("", "", "latchkey")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or_else(|| {
            CliError::Other(anyhow!(
                "cannot find a home directory for the configuration; pass --config-dir"
            ))
        })
}

/// Print a value as one line of JSON.
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(|e| CliError::Other(e.into()))?;
    println!("{text}");
    Ok(())
}

/// `on`/`off` for messages.
pub(crate) fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}
