//! `latchkey restart ID [--wait] [--json]`: log in like `connect`, ask the
//! host to restart (`session.restart()`), and keep the single-use reconnect
//! credential it issues in this device's secret store, where the next
//! `connect` to that ID finds it (no password). With `--wait`: wait until the
//! host went down, then log back in with it, retrying with backoff until the
//! host is back or the credential expires.

use std::time::Instant;

use clap::Args;
use latchkey_session::features::restart::viewer::{gone_down, Backoff, GOING_DOWN};
use latchkey_session::viewer::{self, ConnectError};
use latchkey_store::secrets::SecretName;
use latchkey_store::Config;
use serde_json::json;

use super::print_json;
use super::session::{connect_options, report_failure, runtime};
use super::system_info::refused;
use crate::cli::ConnectTarget;
use crate::exit::{self, CliError};

/// `restart ID ...`
#[derive(Debug, Args)]
pub struct RestartArgs {
    /// The host and the login.
    #[command(flatten)]
    pub target: ConnectTarget,
    /// Wait for the host to come back and log in again (no password).
    #[arg(long)]
    pub wait: bool,
    /// Print JSON lines (`restarting`, then with --wait `reconnected`).
    #[arg(long)]
    pub json: bool,
}

/// `latchkey restart ID ...`.
pub fn restart(config: &mut Config, args: RestartArgs) -> Result<(), CliError> {
    let options = connect_options(config, &args.target, || Ok(()))?;
    let host_id = options.host_id.clone();
    let grouped = host_id.grouped();
    // The reconnect logs in with the credential alone (a code if 2FA asks).
    let mut again = options.clone();
    again.password = None;
    again.remember = false;
    let rt = runtime()?;
    rt.block_on(async {
        let (_, session) = viewer::connect(config, options)
            .await
            .map_err(|e| report_failure(&e, args.json))?;
        let asked = session.restart().request().await;
        let restarting = match asked {
            Ok(r) => r,
            Err(e) => {
                session.close().await;
                return Err(refused(&e, args.json));
            }
        };
        config
            .secrets()
            .set(
                &SecretName::ViewerReconnect(host_id.clone()),
                restarting.credential.as_bytes(),
            )
            .map_err(CliError::Store)?;
        let valid_s = restarting.valid_s;
        if args.json {
            print_json(&json!({"ok": true, "event": "restarting", "id": grouped, "valid_s": valid_s}))?;
        } else {
            println!(
                "{grouped} is restarting. This device may log back in without a password within {} min{}.",
                valid_s / 60,
                if args.wait { "" } else { " (latchkey connect uses it)" }
            );
        }
        if !args.wait {
            session.close().await;
            return Ok(());
        }
        let asked_at = Instant::now();
        let went_down = gone_down(&session).await;
        session.close().await;
        if !went_down {
            return Err(CliError::Coded(
                exit::OTHER,
                format!("{grouped} did not go down within {} s", GOING_DOWN.as_secs()),
            ));
        }
        let mut backoff = Backoff::new(asked_at, valid_s);
        let (granted, session) = loop {
            backoff.pause().await;
            match viewer::connect(config, again.clone()).await {
                Ok(back) => break back,
                Err(e) if backoff.again(not_back_yet(&e)) => {
                    tracing::debug!(error = %e, "the host is not back yet");
                }
                Err(e) => return Err(report_failure(&e, args.json)),
            }
        };
        session.close().await;
        let seconds = asked_at.elapsed().as_secs();
        if args.json {
            print_json(&json!({
                "ok": true,
                "event": "reconnected",
                "id": grouped,
                "method": granted.method.name(),
                "profile": granted.profile,
                "seconds": seconds,
            }))
        } else {
            println!(
                "Reconnected to {grouped} after {seconds} s ({}, profile {}).",
                granted.method.name(),
                granted.profile
            );
            Ok(())
        }
    })
}

/// Whether a failed attempt means "not back yet" (try again) rather than a refusal.
fn not_back_yet(e: &ConnectError) -> bool {
    use latchkey_core::ErrorCode;
    matches!(e.code(), ErrorCode::HostOffline | ErrorCode::Protocol)
        || matches!(e, ConnectError::Local(latchkey_session::Error::Timeout(_)))
}
