//! The viewer side: known hosts, connecting (the prompts in the main window
//! call it again with what the host asked for: password, code, accepting a
//! changed key), and driving an open session from its window.

use serde::{Deserialize, Serialize};
use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};
use ts_rs::TS;
use zeroize::Zeroizing;

use latchkey_core::signal::DeviceId;
use latchkey_core::ErrorCode;
use latchkey_media::{DisplayInfo, InputEvent};
use latchkey_session::viewer::{self, ConnectOptions, Granted, Session};
use latchkey_store::known_hosts::KnownHosts;
use latchkey_store::SecretName;
use std::sync::Arc;

use super::settings::with_config;
use super::Ctx;
use crate::error::{AppError, AppResult};
use crate::events::{self, SessionEnded, SessionPermissions};
use crate::state::AppState;
use crate::viewer_session::{self, SessionHandle};

/// A host this device met before.
#[derive(Debug, Serialize, TS)]
pub struct KnownHost {
    /// Its ID (9 digits).
    pub id: String,
    /// Fingerprint of its key.
    pub fingerprint: String,
    /// Whether a saved login for it is kept here.
    pub has_token: bool,
    /// When its key was first accepted (RFC 3339).
    pub since: String,
}

pub async fn known_hosts(ctx: &Ctx) -> AppResult<Vec<KnownHost>> {
    with_config(&ctx.app, |c| {
        let known = KnownHosts::load(c.dir())?;
        let mut out = Vec::new();
        for (id, k) in known.iter() {
            out.push(KnownHost {
                id: id.as_str().to_string(),
                fingerprint: k.key.fingerprint(),
                has_token: c
                    .secrets()
                    .get(&SecretName::ViewerToken(id.clone()))?
                    .is_some(),
                since: latchkey_store::ops::rfc3339(k.since),
            });
        }
        Ok(out)
    })
    .await
}

/// What the connect prompts send.
#[derive(Debug, Deserialize, Serialize, TS)]
pub struct ConnectRequest {
    /// The host's ID, as typed (spaces and dashes allowed).
    pub host_id: String,
    /// A profile to ask for (default: the host's default).
    pub profile: Option<String>,
    /// The profile's password, when logging in unattended.
    pub password: Option<String>,
    /// A 2FA code or recovery code, when the host asked for one.
    pub totp: Option<String>,
    /// Log in automatically from now on (ask for a saved login).
    pub remember: bool,
    /// The person accepted a changed host key.
    pub accept_new_host_key: bool,
}

/// An open session, as its window sees it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    /// Handle for the session commands.
    pub session_id: String,
    /// How it was granted (host, method, profile, permissions, token saved).
    #[serde(flatten)]
    #[ts(flatten)]
    pub granted: Granted,
    /// The host's monitors.
    pub displays: Vec<DisplayInfo>,
    /// The id of the one streamed.
    pub display: u32,
    /// Where the window reads frames (loopback WebSocket with the session's secret).
    pub frames_url: String,
}

fn info_of(id: &str, h: &SessionHandle) -> SessionInfo {
    let (displays, display) = h.displays.lock().unwrap_or_else(|p| p.into_inner()).clone();
    SessionInfo {
        session_id: id.to_string(),
        granted: Granted {
            permissions: *h.permissions.lock().unwrap_or_else(|p| p.into_inner()),
            ..h.granted.clone()
        },
        displays,
        display,
        frames_url: h.frames_url.clone(),
    }
}

pub async fn connect(ctx: &Ctx, request: ConnectRequest) -> AppResult<SessionInfo> {
    let host_id = DeviceId::parse(&request.host_id).ok_or_else(|| {
        AppError::bad_input(format!(
            "'{}' is not a Latchkey ID (9 digits)",
            request.host_id
        ))
    })?;
    let state = ctx.state();
    let rendezvous = state
        .rendezvous()
        .ok_or_else(|| AppError::new(ErrorCode::Local, "no rendezvous server is configured yet"))?;
    let options = ConnectOptions {
        host_id,
        rendezvous,
        profile: request.profile.filter(|p| !p.is_empty()),
        password: request.password.map(Zeroizing::new),
        totp: request
            .totp
            .filter(|t| !t.trim().is_empty())
            .map(Zeroizing::new),
        remember: request.remember,
        accept_new_host_key: request.accept_new_host_key,
        name: viewer::default_name(),
    };
    let mut config = state.config()?;
    let (granted, session) = viewer::connect(&mut config, options).await?;
    let mut raw = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut raw);
    let session_id = hex::encode(raw);
    let (frames_url, publisher) = state.frames.open(&session_id);
    let app = ctx.app.clone();
    let sid = session_id.clone();
    let (app_p, sid_p) = (ctx.app.clone(), session_id.clone());
    let permissions_changed = move |permissions| {
        events::emit(
            &app_p,
            events::SESSION_PERMISSIONS,
            SessionPermissions {
                session_id: sid_p.clone(),
                permissions,
            },
        )
    };
    let ended = move |reason| {
        let state = app.state::<AppState>();
        state.frames.close(&sid);
        state
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&sid);
        events::emit(
            &app,
            events::SESSION_ENDED,
            SessionEnded {
                session_id: sid,
                reason,
            },
        );
    };
    let handle = viewer_session::start(
        session,
        granted,
        frames_url,
        publisher,
        ended,
        permissions_changed,
    )
    .await?;
    let info = info_of(&session_id, &handle);
    state
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(session_id.clone(), handle);
    let label = format!("viewer-{session_id}");
    WebviewWindowBuilder::new(
        &ctx.app,
        &label,
        WebviewUrl::App(format!("viewer.html?session={session_id}").into()),
    )
    .title(format!("Latchkey: {}", info.granted.host_id))
    .inner_size(1280.0, 800.0)
    .build()
    .map_err(|e| {
        AppError::new(
            ErrorCode::Local,
            format!("cannot open the viewer window: {e}"),
        )
    })?;
    Ok(info)
}

/// The session a window may drive: only its own.
pub(super) fn session_of(ctx: &Ctx, session_id: &str) -> AppResult<Arc<Session>> {
    with_handle(ctx, session_id, |h| h.session.clone())
}

/// Look at the handle of the session a window may drive.
pub(super) fn with_handle<T>(
    ctx: &Ctx,
    session_id: &str,
    f: impl FnOnce(&SessionHandle) -> T,
) -> AppResult<T> {
    // A session's viewer and file windows drive that session only.
    let own = [
        format!("viewer-{session_id}"),
        format!("files-{session_id}"),
    ];
    if (ctx.window.starts_with("viewer-") || ctx.window.starts_with("files-"))
        && !own.contains(&ctx.window)
    {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "a window may only drive its own session",
        ));
    }
    ctx.state()
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(session_id)
        .map(f)
        .ok_or_else(|| AppError::new(ErrorCode::SessionEnded, "this session has ended"))
}

pub async fn session_info(ctx: &Ctx, session_id: String) -> AppResult<SessionInfo> {
    with_handle(ctx, &session_id, |h| info_of(&session_id, h))
}

pub async fn send_input(ctx: &Ctx, session_id: String, input: InputEvent) -> AppResult<()> {
    Ok(session_of(ctx, &session_id)?.input().send(input).await?)
}

pub async fn move_pointer(ctx: &Ctx, session_id: String, x: i32, y: i32) -> AppResult<()> {
    Ok(session_of(ctx, &session_id)?
        .pointer()
        .move_to(x, y)
        .await?)
}

pub async fn clipboard_get(ctx: &Ctx, session_id: String) -> AppResult<Option<String>> {
    Ok(session_of(ctx, &session_id)?.clipboard().get().await?)
}

pub async fn clipboard_set(ctx: &Ctx, session_id: String, text: String) -> AppResult<()> {
    Ok(session_of(ctx, &session_id)?.clipboard().set(&text).await?)
}

pub async fn switch_display(ctx: &Ctx, session_id: String, id: u32) -> AppResult<SessionInfo> {
    let (session, displays) = with_handle(ctx, &session_id, |h| {
        (h.session.clone(), h.displays.clone())
    })?;
    crate::viewer_session::switch_display(&session, &displays, id).await?;
    session_info(ctx, session_id).await
}

pub async fn end_session(ctx: &Ctx, session_id: String) -> AppResult<()> {
    let end = with_handle(ctx, &session_id, |h| h.end.clone())?;
    let _ = end.send(()).await;
    if let Some(w) = ctx.app.get_webview_window(&format!("viewer-{session_id}")) {
        let _ = w.close();
    }
    Ok(())
}

pub async fn pending_deep_link(ctx: &Ctx) -> AppResult<Option<crate::deep_links::LinkOutcome>> {
    Ok(crate::deep_links::take(&ctx.app))
}
