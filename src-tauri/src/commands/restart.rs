//! The viewer toolbar's "Restart host…" (`restart`): the session's restart
//! handle; the single-use reconnect credential the host issues goes into
//! this device's secret store, and the app logs back in by itself once the
//! host is back (a new viewer window opens), retrying with backoff until
//! the credential expires. If the host then asks for a 2FA code, connecting
//! from the main window uses the same credential and asks for the code.

use std::time::Instant;

use serde::Serialize;
use ts_rs::TS;

use latchkey_core::signal::DeviceId;
use latchkey_core::ErrorCode;
use latchkey_session::features::restart::viewer::{gone_down, Backoff};
use latchkey_store::SecretName;

use super::viewer::{connect, session_of, with_handle, ConnectRequest};
use super::Ctx;
use crate::error::{AppError, AppResult};

/// The host is restarting.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RestartStarted {
    /// Seconds the app keeps trying to log back in.
    pub valid_s: u64,
}

pub async fn restart_host(ctx: &Ctx, session_id: String) -> AppResult<RestartStarted> {
    let session = session_of(ctx, &session_id)?;
    let host = with_handle(ctx, &session_id, |h| h.granted.host_id.clone())?;
    let host_id = DeviceId::parse(&host)
        .ok_or_else(|| AppError::new(ErrorCode::Local, "this session's host has no valid ID"))?;
    let restarting = session.restart().request().await?;
    ctx.state()
        .config()?
        .secrets()
        .set(
            &SecretName::ViewerReconnect(host_id),
            restarting.credential.as_bytes(),
        )
        .map_err(AppError::from)?;
    let valid_s = restarting.valid_s;
    let app = ctx.app.clone();
    tauri::async_runtime::spawn(async move {
        let asked = Instant::now();
        if !gone_down(&session).await {
            tracing::warn!("the host did not go down after saying it restarts");
            return;
        }
        let main = Ctx {
            app,
            window: "main".into(),
        };
        let mut backoff = Backoff::new(asked, valid_s);
        loop {
            backoff.pause().await;
            let request = ConnectRequest {
                host_id: host.clone(),
                profile: None,
                password: None,
                totp: None,
                remember: false,
                accept_new_host_key: false,
            };
            match connect(&main, request).await {
                Ok(_) => {
                    tracing::info!("reconnected after the host's restart");
                    return;
                }
                Err(e)
                    if backoff.again(matches!(
                        e.code,
                        ErrorCode::HostOffline | ErrorCode::Protocol
                    )) => {}
                Err(e) => {
                    tracing::warn!(error = %e.message, "cannot reconnect after the restart");
                    return;
                }
            }
        }
    });
    Ok(RestartStarted { valid_s })
}
