//! `id`, `host`, `requests`, `accept`, `deny`, `connect`, `known-hosts`:
//! thin wrappers over `latchkey_session`.

use std::path::Path;

use latchkey_core::settings::SecretStoreKind;
use latchkey_core::signal::DeviceId;
use latchkey_session::control_socket::{self, ControlRequest};
use latchkey_session::viewer::{self, ConnectError, ConnectOptions};
use latchkey_store::known_hosts::KnownHosts;
use latchkey_store::Config;
use serde_json::json;

use super::print_json;
use crate::cli::{ConnectArgs, KnownHostsCmd};
use crate::exit::{self, CliError};
use crate::input::read_password;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new()
        .map_err(|e| CliError::Coded(exit::OTHER, format!("cannot start the async runtime: {e}")))
}

fn session_err(e: latchkey_session::Error) -> CliError {
    match e {
        latchkey_session::Error::Store(s) => CliError::Store(s),
        latchkey_session::Error::Usage(m) => CliError::Usage(m),
        other => CliError::Coded(exit::OTHER, other.to_string()),
    }
}

/// The rendezvous URL: the one given (remembered for next time) or the remembered one.
fn rendezvous_url(config: &mut Config, given: Option<String>) -> Result<String, CliError> {
    match given {
        Some(url) => {
            latchkey_session::signaling::check_url(&url).map_err(session_err)?;
            if config.settings().rendezvous.as_deref() != Some(url.as_str()) {
                let u = url.clone();
                config.update(|s, _| {
                    s.rendezvous = Some(u);
                    Ok(((), vec![]))
                })?;
            }
            Ok(url)
        }
        None => config.settings().rendezvous.clone().ok_or_else(|| {
            CliError::Usage(
                "no rendezvous server configured: pass --rendezvous ws://HOST:PORT once".into(),
            )
        }),
    }
}

/// `latchkey id`.
pub fn id(config: &Config) -> Result<(), CliError> {
    match &config.settings().device_id {
        Some(id) => {
            println!("{}", id.grouped());
            Ok(())
        }
        None => Err(CliError::Coded(
            exit::OTHER,
            "this device has no ID yet: run 'latchkey host --rendezvous URL' once".into(),
        )),
    }
}

/// `latchkey host [--rendezvous URL]`.
pub fn host(
    config: &mut Config,
    dir: &Path,
    store: Option<SecretStoreKind>,
    rendezvous: Option<String>,
) -> Result<(), CliError> {
    let url = rendezvous_url(config, rendezvous)?;
    let options = latchkey_session::host::HostOptions {
        config_dir: dir.to_path_buf(),
        store,
        rendezvous: url,
        window_open: false,
    };
    runtime()?
        .block_on(latchkey_session::host::run(
            options,
            crate::rendezvous_cmd::shutdown_signal(),
        ))
        .map_err(session_err)
}

fn control(
    dir: &Path,
    request: ControlRequest,
) -> Result<control_socket::ControlResponse, CliError> {
    let response = runtime()?
        .block_on(control_socket::call(dir, &request))
        .map_err(|e| CliError::Coded(exit::OTHER, e.to_string()))?;
    if response.ok {
        Ok(response)
    } else {
        let msg = response.error.clone().unwrap_or_else(|| "refused".into());
        let code = match response.code.as_deref() {
            Some("unknown_request") | Some("invalid") => exit::USAGE,
            _ => exit::OTHER,
        };
        Err(CliError::Coded(code, msg))
    }
}

/// `latchkey requests [--json]`.
pub fn requests(dir: &Path, json: bool) -> Result<(), CliError> {
    let list = control(dir, ControlRequest::Requests)?
        .requests
        .unwrap_or_default();
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        println!("No pending requests.");
    }
    for r in list {
        println!(
            "{:>3}  {} ({})  profile {}  from {}  denied in {} s",
            r.id,
            r.viewer_name,
            r.viewer,
            r.profile,
            r.addr.as_deref().unwrap_or("?"),
            r.expires_in_s
        );
    }
    Ok(())
}

/// `latchkey accept REQ [--profile P] [--deny-permission PERM]...`.
pub fn accept(
    dir: &Path,
    id: String,
    profile: Option<String>,
    deny_permissions: Vec<String>,
) -> Result<(), CliError> {
    for p in &deny_permissions {
        p.parse::<latchkey_core::permission::Permission>()?;
    }
    control(
        dir,
        ControlRequest::Accept {
            id: id.clone(),
            profile,
            deny_permissions,
        },
    )?;
    println!("Request {id} accepted.");
    Ok(())
}

/// `latchkey deny REQ`.
pub fn deny(dir: &Path, id: String) -> Result<(), CliError> {
    control(dir, ControlRequest::Deny { id: id.clone() })?;
    println!("Request {id} denied.");
    Ok(())
}

fn viewer_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let user = std::env::var("USER").unwrap_or_default();
    match (user.is_empty(), host.is_empty()) {
        (false, false) => format!("{user}@{host}"),
        (true, false) => host,
        _ => "latchkey viewer".into(),
    }
}

/// `latchkey connect ID ...`.
pub fn connect(config: &mut Config, args: ConnectArgs) -> Result<(), CliError> {
    let host_id = DeviceId::parse(&args.id)
        .ok_or_else(|| CliError::Usage(format!("'{}' is not a Latchkey ID (9 digits)", args.id)))?;
    let url = rendezvous_url(config, args.rendezvous.clone())?;
    let password = if args.password_stdin {
        Some(read_password("Password: ", false)?)
    } else {
        None
    };
    if let Some(code) = &args.totp {
        if code.trim().is_empty() || code.len() > 64 {
            return Err(CliError::Usage(
                "--totp takes a 6-digit code or a recovery code".into(),
            ));
        }
    }
    let options = ConnectOptions {
        host_id,
        rendezvous: url,
        profile: args.profile.clone(),
        password,
        totp: args.totp.clone().map(zeroize::Zeroizing::new),
        remember: args.remember,
        accept_new_host_key: args.accept_new_host_key,
        name: viewer_name(),
    };
    let rt = runtime()?;
    let result = rt.block_on(async {
        let outcome = viewer::connect(config, options).await;
        match outcome {
            Ok((granted, session)) => {
                if args.probe {
                    session.close().await;
                    Ok((granted, None))
                } else {
                    Ok((granted, Some(session)))
                }
            }
            Err(e) => Err(e),
        }
    });
    match result {
        Ok((granted, session)) => {
            if args.json {
                let mut v =
                    serde_json::to_value(&granted).map_err(|e| CliError::Other(e.into()))?;
                v["ok"] = json!(true);
                print_json(&v)?;
            } else {
                println!(
                    "Connected to {} ({}): profile {}, permissions: {}{}",
                    DeviceId::parse(&granted.host_id)
                        .map(|i| i.grouped())
                        .unwrap_or(granted.host_id.clone()),
                    granted.method.name(),
                    granted.profile,
                    if granted.permissions.is_empty() {
                        "none (view only)".to_string()
                    } else {
                        granted.permissions.names().join(", ")
                    },
                    if granted.token_saved {
                        "; login saved on this device"
                    } else {
                        ""
                    }
                );
            }
            if let Some(session) = session {
                // Hold the session until Ctrl-C or the host ends it.
                rt.block_on(async {
                    tokio::select! {
                        _ = crate::rendezvous_cmd::shutdown_signal() => {},
                        _ = session.control.recv() => {},
                    }
                    session.close().await;
                });
            }
            Ok(())
        }
        Err(e) => {
            let code = match &e {
                ConnectError::Denied { .. } => exit::AUTH,
                ConnectError::HostKeyChanged { .. } => exit::HOST_KEY,
                ConnectError::HostOffline(_) | ConnectError::UnknownId(_) => exit::OFFLINE,
                ConnectError::Local(latchkey_session::Error::RendezvousUnreachable(_)) => {
                    exit::OFFLINE
                }
                ConnectError::Local(latchkey_session::Error::Store(
                    latchkey_store::Error::SecretStoreUnavailable(_),
                )) => exit::STORE,
                _ => exit::OTHER,
            };
            if args.json {
                let mut v = json!({"ok": false, "error": e.code(), "message": e.to_string()});
                if let ConnectError::Denied {
                    retry_after_s: Some(s),
                    ..
                } = &e
                {
                    v["retry_after_s"] = json!(s);
                }
                print_json(&v)?;
                eprintln!("latchkey: {e}");
                Err(CliError::Reported(code))
            } else {
                Err(CliError::Coded(code, e.to_string()))
            }
        }
    }
}

/// `latchkey known-hosts list|forget`.
pub fn known_hosts(config: &Config, cmd: KnownHostsCmd) -> Result<(), CliError> {
    let mut known = KnownHosts::load(config.dir())?;
    match cmd {
        KnownHostsCmd::List(f) => {
            let list: Vec<_> = known
                .iter()
                .map(|(id, k)| json!({"id": id.as_str(), "fingerprint": k.key.fingerprint(), "key": k.key.to_string(), "since": k.since.0}))
                .collect();
            if f.json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("No known hosts.");
            }
            for (id, k) in known.iter() {
                println!("{}  {}", id.grouped(), k.key.fingerprint());
            }
            Ok(())
        }
        KnownHostsCmd::Forget { id } => {
            let id = DeviceId::parse(&id).ok_or_else(|| {
                CliError::Usage(format!("'{id}' is not a Latchkey ID (9 digits)"))
            })?;
            if known.forget(&id)? {
                println!("Forgot the key of {}.", id.grouped());
                Ok(())
            } else {
                Err(CliError::Usage(format!(
                    "{} is not a known host",
                    id.grouped()
                )))
            }
        }
    }
}
