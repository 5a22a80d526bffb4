//! Status and the Security settings: interactive access, saving logins,
//! saved logins (tokens) and the second factor. Thin: each calls
//! `latchkey_store::ops` and then tells every window (and the tray).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use latchkey_core::settings::InteractiveMode;
use latchkey_session::host::Presence;
use latchkey_store::ops::{self, Status, TokenSummary, TwoFactorScope};
use latchkey_store::Config;

use super::Ctx;
use crate::error::{AppError, AppResult};
use crate::state::{AppState, HostMode};

/// Everything the main window and the tray show.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    /// The configuration's status, as `latchkey status --json` prints it.
    #[serde(flatten)]
    #[ts(flatten)]
    pub status: Status,
    /// This device's ID (9 digits), once the rendezvous gave one.
    pub device_id: Option<String>,
    /// Whether the host is reachable now.
    pub online: Reachability,
    /// Why not, when offline.
    pub offline_reason: Option<String>,
    /// The rendezvous server in use.
    pub rendezvous: Option<String>,
    /// Who runs the host.
    pub host_mode: HostMode,
    /// How someone gets in without sitting here.
    pub access: Access,
}

/// Whether the host is reachable through the rendezvous.
#[derive(Debug, Clone, Copy, Serialize, TS, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// Registered with the rendezvous.
    Online,
    /// Connecting.
    Connecting,
    /// Unreachable; retrying.
    Offline,
}

/// The access summary on the main window.
#[derive(Debug, Clone, Copy, Serialize, TS, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Someone here must accept each session.
    Attended,
    /// A password lets viewers in with no one here; asking is still possible.
    Unattended,
    /// Only unattended access: nobody is ever asked.
    Exclusive,
}

fn access_of(status: &Status) -> Access {
    let unattended = status
        .profiles
        .iter()
        .any(|p| p.enabled && p.unattended && p.has_password);
    match (status.interactive, unattended) {
        (InteractiveMode::Never, _) => Access::Exclusive,
        (_, true) => Access::Unattended,
        (_, false) => Access::Attended,
    }
}

/// The status now, from a configuration already open.
pub fn status_of(state: &AppState, config: &mut Config) -> AppResult<AppStatus> {
    let status = ops::status(config)?;
    let presence = state.presence.borrow().clone();
    let (online, offline_reason) = match (&presence, state.host_mode()) {
        (_, HostMode::Off) => (
            Reachability::Offline,
            Some("the host is not running".to_string()),
        ),
        (Presence::Online(_), _) => (Reachability::Online, None),
        (Presence::Connecting, _) => (Reachability::Connecting, None),
        (Presence::Offline(why), _) => (Reachability::Offline, Some(why.clone())),
    };
    let device_id = match &presence {
        Presence::Online(id) => Some(id.as_str().to_string()),
        _ => config
            .settings()
            .device_id
            .as_ref()
            .map(|i| i.as_str().to_string()),
    };
    Ok(AppStatus {
        access: access_of(&status),
        status,
        device_id,
        online,
        offline_reason,
        rendezvous: state.rendezvous(),
        host_mode: state.host_mode(),
    })
}

/// Run `f` on a freshly opened configuration, off the async threads (Argon2
/// and the keyring block), then tell every window that settings changed when
/// `changes` says so.
pub(super) async fn with_config<T: Send + 'static>(
    ctx: &Ctx,
    changes: bool,
    f: impl FnOnce(&mut Config) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let (dir, store) = {
        let s = ctx.state();
        (s.config_dir.clone(), s.store)
    };
    let out = tokio::task::spawn_blocking(move || {
        let mut config = Config::open(&dir, store)?;
        f(&mut config)
    })
    .await
    .map_err(|e| AppError::new("local", format!("the operation stopped: {e}")))??;
    if changes {
        crate::sync::settings_changed(&ctx.app).await;
    }
    Ok(out)
}

pub async fn get_status(ctx: &Ctx) -> AppResult<AppStatus> {
    let app = ctx.app.clone();
    with_config(ctx, false, move |c| {
        use tauri::Manager;
        status_of(&app.state::<AppState>(), c)
    })
    .await
}

pub async fn set_interactive(ctx: &Ctx, mode: InteractiveMode) -> AppResult<AppStatus> {
    with_config(ctx, true, move |c| Ok(ops::set_interactive(c, mode)?)).await?;
    get_status(ctx).await
}

pub async fn set_save_login(ctx: &Ctx, on: bool) -> AppResult<AppStatus> {
    with_config(ctx, true, move |c| Ok(ops::set_save_login(c, on)?)).await?;
    get_status(ctx).await
}

pub async fn list_tokens(ctx: &Ctx) -> AppResult<Vec<TokenSummary>> {
    with_config(ctx, false, |c| Ok(ops::list_tokens(c))).await
}

pub async fn revoke_token(ctx: &Ctx, id: String) -> AppResult<()> {
    with_config(ctx, true, move |c| Ok(ops::revoke_token(c, &id)?)).await
}

pub async fn clear_tokens(ctx: &Ctx) -> AppResult<u32> {
    with_config(ctx, true, |c| Ok(count(ops::clear_tokens(c)?))).await
}

/// A count for the UI.
pub(super) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A 2FA enrolment, shown once.
#[derive(Debug, Serialize, TS)]
pub struct Enrollment {
    /// `otpauth://` URI.
    pub uri: String,
    /// The secret in base32, for typing by hand.
    pub secret_base32: String,
    /// QR code of the URI (SVG markup; the UI shows it as an image).
    pub qr_svg: String,
}

pub async fn enroll_two_factor(ctx: &Ctx) -> AppResult<Enrollment> {
    with_config(ctx, true, |c| {
        let e = ops::enroll_two_factor(c)?;
        Ok(Enrollment {
            uri: e.uri.to_string(),
            secret_base32: e.secret_base32.to_string(),
            qr_svg: e.qr_svg.to_string(),
        })
    })
    .await
}

pub async fn confirm_two_factor(ctx: &Ctx, code: String) -> AppResult<Vec<String>> {
    with_config(ctx, true, move |c| {
        Ok(ops::confirm_two_factor(c, &code)?
            .iter()
            .map(|r| r.to_string())
            .collect())
    })
    .await
}

pub async fn disable_two_factor(ctx: &Ctx) -> AppResult<()> {
    with_config(ctx, true, |c| Ok(ops::disable_two_factor(c)?)).await
}

/// Which login the second factor may be waived for.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Saved-login (token) logins.
    Tokens,
    /// The reconnect after a remote restart.
    Reconnect,
}

pub async fn set_two_factor_scope(ctx: &Ctx, scope: Scope, on: bool) -> AppResult<()> {
    let scope = match scope {
        Scope::Tokens => TwoFactorScope::Tokens,
        Scope::Reconnect => TwoFactorScope::Reconnect,
    };
    with_config(ctx, true, move |c| {
        Ok(ops::set_two_factor_scope(c, scope, on)?)
    })
    .await
}
