//! Keeping every view of the settings in step: after a command changes
//! them, when the tray changes them (it pokes `AppState::settings_touched`),
//! and when something else (the CLI, a service) saves `settings.json` (its
//! generation counter moves), every window gets `status_changed` and the
//! tray's check marks follow. Also watches the incoming requests and opens
//! the accept window when one arrives.

use std::time::Duration;

use latchkey_store::config::settings_generation;

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

use crate::events;
use crate::state::AppState;

/// How often the settings' generation and the request list are looked at.
const POLL: Duration = Duration::from_millis(400);

/// Settings changed: tell the windows and the tray.
pub async fn settings_changed(app: &AppHandle) {
    match crate::commands::status_now(app).await {
        Ok(status) => {
            crate::tray::reflect(app, &status);
            events::emit(app, events::STATUS_CHANGED, status);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the status"),
    }
}

/// The requests changed: tell the windows; open the accept window when one waits.
pub async fn requests_changed(app: &AppHandle) {
    let list = crate::commands::pending_requests(app)
        .await
        .unwrap_or_default();
    if !list.is_empty() && app.get_webview_window("accept").is_none() {
        open_accept_window(app);
    }
    if list.is_empty() {
        if let Some(w) = app.get_webview_window("accept") {
            let _ = w.close();
        }
    }
    events::emit(app, events::REQUESTS_CHANGED, list);
}

/// The accept window: above the others, focused.
fn open_accept_window(app: &AppHandle) {
    let built = WebviewWindowBuilder::new(app, "accept", WebviewUrl::App("accept.html".into()))
        .title("Latchkey: incoming session request")
        .inner_size(520.0, 620.0)
        .resizable(false)
        .always_on_top(true)
        .focused(true)
        .center()
        .build();
    match built {
        Ok(w) => {
            let _ = w.set_focus();
        }
        Err(e) => tracing::error!(error = %e, "cannot open the accept window"),
    }
}

/// Watch the settings (their generation, and pokes from the tray) and the
/// requests until the app ends.
pub fn spawn_watchers(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let dir = app.state::<AppState>().config_dir.clone();
        let mut seen = settings_generation(&dir);
        let mut presence = app.state::<AppState>().presence.clone();
        let mut presence_alive = true;
        let mut last_requests = Vec::new();
        let mut service_status = String::new();
        loop {
            let state = app.state::<AppState>();
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = state.settings_touched.notified() => settings_changed(&app).await,
                changed = presence.changed(), if presence_alive => {
                    match changed {
                        Ok(()) => settings_changed(&app).await,
                        // The host stopped reporting (it ended): poll only.
                        Err(_) => presence_alive = false,
                    }
                }
            }
            let now = settings_generation(&dir);
            if now != seen {
                seen = now;
                settings_changed(&app).await;
            }
            // A service's configuration may be out of our sight (root-only):
            // ask it, and tell the windows when its answer changes.
            if app.state::<AppState>().host_mode() == crate::state::HostMode::Service {
                if let Ok(status) = crate::commands::status_now(&app).await {
                    let text = serde_json::to_string(&status).unwrap_or_default();
                    if text != service_status {
                        service_status = text;
                        crate::tray::reflect(&app, &status);
                        events::emit(&app, events::STATUS_CHANGED, status);
                    }
                }
            }
            let requests = crate::commands::pending_requests(&app)
                .await
                .unwrap_or_default();
            let ids: Vec<String> = requests.iter().map(|r| r.info.id.clone()).collect();
            if ids != last_requests {
                last_requests = ids;
                requests_changed(&app).await;
            }
        }
    });
}
