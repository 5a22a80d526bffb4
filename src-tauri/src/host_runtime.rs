//! Who receives sessions while the app runs. When a host already answers on
//! this configuration's control socket (the system or user service, or a
//! `latchkey host` started by hand), the app is only its control panel.
//! Otherwise the app runs the host itself, in the background. Without a
//! configured rendezvous server it starts one on 127.0.0.1 (IDs kept in
//! the configuration directory), so a new user sees a working ID at once.

use std::path::Path;

use tauri::{AppHandle, Manager};

use latchkey_rendezvous::{serve, ServerConfig};
use latchkey_session::host::control_socket::{self, ControlRequest};
use latchkey_session::host::{HostOptions, Presence};

use latchkey_store::Error as StoreError;

use crate::events::{self, Notice};
use crate::first_run::{self, Checked, StoreProblem};
use crate::state::{AppState, HostMode};

/// Start the host (or find the running one) in the background.
pub fn start(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let dir = state.config_dir.clone();
        if control_socket::call(&dir, &ControlRequest::Requests)
            .await
            .is_ok()
        {
            tracing::info!("a host already runs on this configuration: the app controls it");
            let configured = state
                .config()
                .ok()
                .and_then(|c| c.settings().rendezvous.clone());
            *state.host_mode.lock().unwrap_or_else(|p| p.into_inner()) = HostMode::Service;
            *state.rendezvous.lock().unwrap_or_else(|p| p.into_inner()) = configured;
            state.checked.send_replace(true);
            // Its ID, from the host itself (its configuration may be root-only).
            let id = crate::commands::status_now(&app)
                .await
                .ok()
                .and_then(|s| s.status.device_id)
                .and_then(|d| latchkey_core::signal::DeviceId::parse(&d));
            state.presence_tx.send_replace(match id {
                Some(id) => Presence::Online(id),
                None => Presence::Connecting,
            });
            crate::sync::settings_changed(&app).await;
            return;
        }
        run_host(app.clone()).await;
    });
}

/// Start the in-app host (after the secret store was fixed, say).
pub fn start_host(app: AppHandle) {
    tauri::async_runtime::spawn(run_host(app));
}

/// The in-app host: check the secret store first (nothing is written when
/// it cannot be used: the window offers the choice), then the embedded
/// rendezvous when none is configured, then the host until it stops.
async fn run_host(app: AppHandle) {
    let state = app.state::<AppState>();
    let dir = state.config_dir.clone();
    let checked = first_run::check(&app).await;
    state.checked.send_replace(true);
    match checked {
        Checked::Ready => first_run::set_problem(&app, None),
        Checked::Problem(p) => {
            tracing::warn!(problem = ?p.problem, "the secret store cannot be used");
            first_run::set_problem(&app, Some(p));
            return;
        }
        Checked::Failed(message) => {
            fail(&app, message).await;
            return;
        }
    }
    let configured = state
        .config()
        .ok()
        .and_then(|c| c.settings().rendezvous.clone());
    let url = match (configured, state.rendezvous()) {
        (Some(url), _) => url,
        // The embedded server this app started before (the host stopped and starts again).
        (None, Some(url)) => url,
        (None, None) => match embedded_rendezvous(&dir).await {
            Ok(url) => url,
            Err(e) => {
                fail(
                    &app,
                    format!("cannot start the local rendezvous server: {e}"),
                )
                .await;
                return;
            }
        },
    };
    *state.rendezvous.lock().unwrap_or_else(|p| p.into_inner()) = Some(url.clone());
    *state.host_mode.lock().unwrap_or_else(|p| p.into_inner()) = HostMode::InApp;
    let options = HostOptions {
        config_dir: dir,
        store: state.store(),
        rendezvous: url,
        window_open: state.window_open.clone(),
        presence: Some(state.presence_tx.clone()),
    };
    crate::sync::settings_changed(&app).await;
    if let Err(e) = latchkey_session::host::run(options, std::future::pending()).await {
        if let latchkey_session::Error::Store(StoreError::SecretStoreUnavailable {
            problem, ..
        }) = &e
        {
            // The store broke while the app ran: the window offers the ways out.
            *state.host_mode.lock().unwrap_or_else(|p| p.into_inner()) = HostMode::Off;
            first_run::set_problem(
                &app,
                Some(StoreProblem {
                    problem: *problem,
                    can_use_file: false,
                }),
            );
            crate::sync::settings_changed(&app).await;
            return;
        }
        fail(&app, format!("the host stopped: {e}")).await;
    }
}

async fn fail(app: &AppHandle, message: String) {
    tracing::error!(%message, "host");
    *app.state::<AppState>()
        .host_mode
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = HostMode::Off;
    events::emit(
        app,
        events::NOTICE,
        Notice {
            message,
            section: None,
        },
    );
    crate::sync::settings_changed(app).await;
}

/// A rendezvous server on 127.0.0.1 for this app; returns its URL.
async fn embedded_rendezvous(dir: &Path) -> std::io::Result<String> {
    create_private_dir(dir)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    let config = ServerConfig {
        db_path: Some(dir.join("embedded-rendezvous.sqlite")),
        ..Default::default()
    };
    tokio::spawn(async move {
        if let Err(e) = serve(listener, config, std::future::pending()).await {
            tracing::error!(error = %e, "the local rendezvous server stopped");
        }
    });
    Ok(format!("ws://127.0.0.1:{port}"))
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}
