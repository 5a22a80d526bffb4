//! `latchkey tunnel ID -L [BIND:]PORT:DEST:DESTPORT -R ...`: ssh's port
//! forwarding through a host (on `session.tunnel()`). Each `-L` is checked
//! with the host, then listened on here; each `-R` listens on the host. One
//! `tunnel ready` line (or JSON object) per tunnel with the port bound, then
//! it stays until Ctrl-C, the session's end, or `tcp_tunnel` is withdrawn.

use serde_json::json;
use tokio::net::TcpListener;

use latchkey_core::feature::tunnel::{host_port, TunnelSpec};
use latchkey_core::permission::Permission;
use latchkey_core::ErrorCode;
use latchkey_session::features::tunnel::viewer::{Tunnel, TunnelError};
use latchkey_session::viewer::{self, Session, SessionEvent};
use latchkey_store::Config;

use super::print_json;
use super::session::{connect_options, report_failure, runtime};
use crate::cli::TunnelArgs;
use crate::exit::{self, CliError};

/// `latchkey tunnel ...`.
pub fn run(config: &mut Config, args: TunnelArgs) -> Result<(), CliError> {
    if args.local.is_empty() && args.remote.is_empty() {
        return Err(CliError::Usage(
            "give at least one -L or -R [BIND:]PORT:DEST:DESTPORT".into(),
        ));
    }
    let options = connect_options(config, &args.target, || Ok(()))?;
    runtime()?.block_on(async {
        let (_, session) = viewer::connect(config, options)
            .await
            .map_err(|e| report_failure(&e, args.json))?;
        let result = serve(&session, &args).await;
        session.close().await;
        result
    })
}

/// A failure with its code: printed as JSON too with `--json`.
fn failure(code: ErrorCode, message: String, json: bool) -> CliError {
    let status = exit::for_code(code);
    if !json {
        return CliError::Coded(status, message);
    }
    if let Err(e) = print_json(&json!({"ok": false, "error": code, "message": message})) {
        return e;
    }
    eprintln!("latchkey: {message}");
    CliError::Reported(status)
}

fn tunnel_failure(e: TunnelError, what: &str, json: bool) -> CliError {
    let code = match &e {
        TunnelError::Refused { .. } | TunnelError::NotAllowed { .. } => ErrorCode::Permission,
        TunnelError::Failed(_) | TunnelError::Broken(_) => ErrorCode::Local,
    };
    failure(code, format!("{what}: {e}"), json)
}

/// Print one ready tunnel.
fn ready(json: bool, kind: &str, spec: &TunnelSpec, port: u16) -> Result<(), CliError> {
    if json {
        return print_json(&json!({
            "ok": true,
            "tunnel": kind,
            "bind": spec.bind,
            "port": port,
            "dest": spec.dest,
            "dest_port": spec.dest_port,
        }));
    }
    println!(
        "tunnel ready {kind} {} -> {}",
        host_port(&spec.bind, port),
        host_port(&spec.dest, spec.dest_port)
    );
    Ok(())
}

/// Set every tunnel up, then carry connections until the end.
async fn serve(session: &Session, args: &TunnelArgs) -> Result<(), CliError> {
    let tunnel = session.tunnel().clone();
    let mut events = session.events();
    let mut forwards = tokio::task::JoinSet::new();
    for spec in &args.local {
        let what = format!("-L {}", host_port(&spec.dest, spec.dest_port));
        tunnel
            .check(&spec.dest, spec.dest_port)
            .await
            .map_err(|e| tunnel_failure(e, &what, args.json))?;
        let listener = TcpListener::bind((spec.bind.as_str(), spec.port))
            .await
            .map_err(|e| {
                let at = host_port(&spec.bind, spec.port);
                failure(
                    ErrorCode::Local,
                    format!("cannot listen on {at}: {e}"),
                    args.json,
                )
            })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(spec.port);
        ready(args.json, "-L", spec, port)?;
        forwards.spawn(forward(listener, tunnel.clone(), spec.clone()));
    }
    for spec in &args.remote {
        let what = format!("-R {}", host_port(&spec.bind, spec.port));
        let port = tunnel
            .listen(&spec.bind, spec.port, &spec.dest, spec.dest_port)
            .await
            .map_err(|e| tunnel_failure(e, &what, args.json))?;
        ready(args.json, "-R", spec, port)?;
    }
    loop {
        tokio::select! {
            _ = crate::rendezvous_cmd::shutdown_signal() => return Ok(()),
            reason = session.closed() => {
                let message = match reason {
                    Some(r) => format!("the host ended the session ({r})"),
                    None => "the connection to the host closed".into(),
                };
                return Err(failure(ErrorCode::SessionEnded, message, args.json));
            }
            ev = events.recv() => match ev {
                Ok(SessionEvent::PermissionsChanged(p)) if !p.contains(Permission::TcpTunnel) => {
                    return Err(failure(
                        ErrorCode::Permission,
                        "the host withdrew 'tcp_tunnel': its tunnels are closed".into(),
                        args.json,
                    ));
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return Err(failure(ErrorCode::SessionEnded, "the session ended".into(), args.json));
                }
                _ => {}
            },
        }
    }
}

/// One `-L`: every connection here is carried to its destination from the host.
async fn forward(listener: TcpListener, tunnel: Tunnel, spec: TunnelSpec) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let (tunnel, spec) = (tunnel.clone(), spec.clone());
        tokio::spawn(async move {
            if let Err(e) = tunnel.open(tcp, &spec.dest, spec.dest_port).await {
                eprintln!(
                    "latchkey: -L {} -> {}: {e}",
                    host_port(&spec.bind, spec.port),
                    host_port(&spec.dest, spec.dest_port)
                );
            }
        });
    }
}
