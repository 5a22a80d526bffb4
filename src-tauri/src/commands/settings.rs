//! Status and the Security settings: interactive access, saving logins,
//! saved logins (tokens) and the second factor. Thin: each calls
//! `latchkey_store::ops` and then tells every window (and the tray).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use latchkey_core::settings::InteractiveMode;
use latchkey_core::ErrorCode;
use latchkey_session::host::control_socket::{self, ControlRequest};
use latchkey_session::host::Presence;
use latchkey_store::ops::{self, AdminOp, Status, TokenSummary, TwoFactorScope};
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

/// The app's status around the configuration's `status`.
pub fn status_with(state: &AppState, mut status: Status) -> AppStatus {
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
    // The ID the host registered under now, else the one it had.
    if let Presence::Online(id) = &presence {
        status.device_id = Some(id.as_str().to_string());
    }
    AppStatus {
        access: access_of(&status),
        status,
        online,
        offline_reason,
        rendezvous: state.rendezvous(),
        host_mode: state.host_mode(),
    }
}

/// Carry out a settings operation where the configuration is: through the
/// host's control socket when a service runs the host (its configuration
/// may be root-only; the socket checks who asks), else here.
async fn apply(app: &tauri::AppHandle, op: impl Into<AdminOp>) -> AppResult<serde_json::Value> {
    let op = op.into();
    use tauri::Manager;
    let state = app.state::<AppState>();
    if state.host_mode() != HostMode::Service {
        return with_config(app, move |c| Ok(op.apply(c)?)).await;
    }
    let r = control_socket::call(&state.config_dir, &ControlRequest::Admin { op })
        .await
        .map_err(|e| AppError::new(ErrorCode::HostOffline, e.to_string()))?;
    if !r.ok {
        return Err(AppError::new(
            r.code.unwrap_or(ErrorCode::Local),
            r.error.unwrap_or_else(|| "refused".into()),
        ));
    }
    Ok(r.result.unwrap_or(serde_json::Value::Null))
}

/// [`apply`], then tell every window (and the tray) when it changed something.
pub(super) async fn admin(ctx: &Ctx, op: impl Into<AdminOp>) -> AppResult<serde_json::Value> {
    let op = op.into();
    let changes = op.changes_anything();
    let out = apply(&ctx.app, op).await?;
    if changes {
        crate::sync::settings_changed(&ctx.app).await;
    }
    Ok(out)
}

/// A result of [`admin`] as its Rust type.
pub(super) fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> AppResult<T> {
    serde_json::from_value(v)
        .map_err(|e| AppError::new(ErrorCode::Local, format!("unexpected answer: {e}")))
}

/// Run `f` on a freshly opened configuration, off the async threads (Argon2
/// and the keyring block).
pub(super) async fn with_config<T: Send + 'static>(
    app: &tauri::AppHandle,
    f: impl FnOnce(&mut Config) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    use tauri::Manager;
    let (dir, store) = {
        let s = app.state::<AppState>();
        // Never touch the configuration before its secret store was checked,
        // nor while the window offers the choice (nothing is half-made).
        let mut checked = s.checked.subscribe();
        let _ = checked.wait_for(|done| *done).await;
        if let Some(p) = crate::first_run::problem(app) {
            return Err(AppError::new(
                ErrorCode::SecretStore,
                crate::first_run::describe(p.problem),
            ));
        }
        (s.config_dir.clone(), s.store())
    };
    let done = tokio::task::spawn_blocking(move || {
        let mut config = Config::open(&dir, store)?;
        // A keyring that broke while the app runs (locked since, say) is
        // found here without its prompt; the window then offers the ways out.
        if config.settings().secret_store == latchkey_core::settings::SecretStoreKind::Keyring {
            if let Some(problem) = latchkey_store::secrets::keyring_problem() {
                return Ok(Err(problem));
            }
        }
        f(&mut config).map(Ok)
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Local, format!("the operation stopped: {e}")))?;
    match done? {
        Ok(value) => Ok(value),
        Err(problem) => {
            crate::first_run::store_broke(app, problem);
            Err(AppError::new(
                ErrorCode::SecretStore,
                crate::first_run::describe(problem),
            ))
        }
    }
}

pub async fn get_status(ctx: &Ctx) -> AppResult<AppStatus> {
    status_now(&ctx.app).await
}

/// The status now, wherever the configuration is (see [`apply`]).
pub async fn status_now(app: &tauri::AppHandle) -> AppResult<AppStatus> {
    use tauri::Manager;
    let status: Status = typed(apply(app, ops::GetStatus {}).await?)?;
    Ok(status_with(&app.state::<AppState>(), status))
}

pub async fn set_interactive(ctx: &Ctx, mode: InteractiveMode) -> AppResult<AppStatus> {
    admin(ctx, ops::SetInteractive { mode }).await?;
    get_status(ctx).await
}

pub async fn set_save_login(ctx: &Ctx, on: bool) -> AppResult<AppStatus> {
    admin(ctx, ops::SetSaveLogin { on }).await?;
    get_status(ctx).await
}

pub async fn list_tokens(ctx: &Ctx) -> AppResult<Vec<TokenSummary>> {
    typed(admin(ctx, ops::ListTokens {}).await?)
}

pub async fn revoke_token(ctx: &Ctx, id: String) -> AppResult<()> {
    admin(ctx, ops::RevokeToken { id }).await.map(|_| ())
}

pub async fn clear_tokens(ctx: &Ctx) -> AppResult<u32> {
    typed(admin(ctx, ops::ClearTokens {}).await?)
}

/// A 2FA enrolment, shown once.
#[derive(Debug, Serialize, Deserialize, TS)]
pub struct Enrollment {
    /// `otpauth://` URI.
    pub uri: String,
    /// The secret in base32, for typing by hand.
    pub secret_base32: String,
    /// QR code of the URI (SVG markup; the UI shows it as an image).
    pub qr_svg: String,
}

pub async fn enroll_two_factor(ctx: &Ctx) -> AppResult<Enrollment> {
    typed(admin(ctx, ops::EnrollTwoFactor {}).await?)
}

pub async fn confirm_two_factor(ctx: &Ctx, code: String) -> AppResult<Vec<String>> {
    typed(admin(ctx, ops::ConfirmTwoFactor { code }).await?)
}

pub async fn disable_two_factor(ctx: &Ctx) -> AppResult<()> {
    admin(ctx, ops::DisableTwoFactor {}).await.map(|_| ())
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
    admin(ctx, ops::SetTwoFactorScope { scope, on })
        .await
        .map(|_| ())
}
