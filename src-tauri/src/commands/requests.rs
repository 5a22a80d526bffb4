//! The accept window's side: the requests waiting for an answer, and the
//! answer (the person may only lower the permissions asked for). Goes
//! through the host's control socket, so it works the same whether this app
//! or a service runs the host.

use serde::Serialize;
use ts_rs::TS;

use latchkey_core::permission::{Permission, PermissionSet};
use latchkey_core::ErrorCode;
use latchkey_session::host::control_socket::{self, ControlRequest};
use latchkey_session::host::requests::RequestInfo;

use super::Ctx;
use crate::error::{AppError, AppResult};

/// A waiting request, with the permissions its profile would grant.
#[derive(Debug, Clone, Serialize, TS, PartialEq, Eq)]
pub struct Request {
    /// What the host knows of it.
    #[serde(flatten)]
    #[ts(flatten)]
    pub info: RequestInfo,
    /// The permissions of the profile asked for (the most the person can grant).
    pub permissions: PermissionSet,
}

/// The requests now (also used to tell the windows when they change).
pub async fn pending(ctx_app: &tauri::AppHandle) -> AppResult<Vec<Request>> {
    use tauri::Manager;
    let state = ctx_app.state::<crate::state::AppState>();
    let dir = state.config_dir.clone();
    let store = state.store();
    let response = control_socket::call(&dir, &ControlRequest::Requests)
        .await
        .map_err(|e| {
            AppError::new(
                ErrorCode::HostOffline,
                format!("the host does not answer: {e}"),
            )
        })?;
    let infos = response.requests.unwrap_or_default();
    if infos.is_empty() {
        return Ok(Vec::new());
    }
    tokio::task::spawn_blocking(move || {
        let config = latchkey_store::Config::open(&dir, store)?;
        Ok(infos
            .into_iter()
            .map(|info| {
                let permissions = config
                    .settings()
                    .profiles
                    .get(&info.profile)
                    .map(|p| p.permissions)
                    .unwrap_or(PermissionSet::NONE);
                Request { info, permissions }
            })
            .collect())
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Local, e.to_string()))?
}

pub async fn list_requests(ctx: &Ctx) -> AppResult<Vec<Request>> {
    pending(&ctx.app).await
}

/// Answer request `id`. `viewer` and `profile` are the fingerprint and the
/// profile the window showed: the host accepts only if they are still the
/// request's.
pub async fn answer_request(
    ctx: &Ctx,
    id: String,
    accept: bool,
    viewer: String,
    profile: String,
    permissions: Option<Vec<Permission>>,
) -> AppResult<()> {
    let dir = ctx.state().config_dir.clone();
    let request = if accept {
        let asked = pending(&ctx.app)
            .await?
            .into_iter()
            .find(|r| r.info.id == id)
            .ok_or_else(|| {
                AppError::new(ErrorCode::NotFound, "this request is no longer waiting")
            })?;
        // Whatever the window sends, it can only take permissions away.
        let keep: PermissionSet = permissions
            .map(|list| list.into_iter().collect())
            .unwrap_or(asked.permissions);
        let deny_permissions = asked
            .permissions
            .iter()
            .filter(|p| !keep.contains(*p))
            .map(|p| p.name().to_string())
            .collect();
        ControlRequest::Accept {
            id,
            viewer,
            requested_profile: profile,
            profile: None,
            deny_permissions,
        }
    } else {
        ControlRequest::Deny { id }
    };
    let response = control_socket::call(&dir, &request).await.map_err(|e| {
        AppError::new(
            ErrorCode::HostOffline,
            format!("the host does not answer: {e}"),
        )
    })?;
    if !response.ok {
        // A mismatch means the request the window showed is not waiting any more.
        let code = if response.code == Some(ErrorCode::Forbidden) {
            ErrorCode::Forbidden
        } else {
            ErrorCode::NotFound
        };
        return Err(AppError::new(
            code,
            response.error.unwrap_or_else(|| "refused".into()),
        ));
    }
    crate::sync::requests_changed(&ctx.app).await;
    Ok(())
}
