//! What the app keeps while it runs: where its configuration lives, the host
//! it runs (or the service it controls), and the viewer sessions it opened.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use latchkey_core::settings::SecretStoreKind;
use latchkey_session::host::Presence;
use latchkey_store::Config;
use tokio::sync::watch;

use crate::error::{AppError, AppResult};
use crate::first_run::StoreProblem;
use crate::frames::FrameServer;
use crate::viewer_session::SessionHandle;

/// Shared by every command (Tauri's managed state).
pub struct AppState {
    /// The configuration directory (the same one the `latchkey` CLI uses).
    pub config_dir: PathBuf,
    /// The secret store asked for (`None`: what the configuration says);
    /// set to `file` when the person picks it for a new configuration.
    pub store: Mutex<Option<SecretStoreKind>>,
    /// Why the secret store cannot be used, while the window offers the ways out.
    pub store_problem: Mutex<Option<StoreProblem>>,
    /// Set once the secret store was first checked (or a service runs the
    /// host): status reads wait for it, so they never race the check.
    pub checked: watch::Sender<bool>,
    /// Where the host reports its reachability (kept to start it again).
    pub presence_tx: watch::Sender<Presence>,
    /// The rendezvous URL in use (configured, or the embedded server's).
    pub rendezvous: Mutex<Option<String>>,
    /// Whether the host runs in this app, a service runs it, or none does.
    pub host_mode: Mutex<HostMode>,
    /// Reachability of the host.
    pub presence: watch::Receiver<Presence>,
    /// Whether the main window is open (interactive mode `window`).
    pub window_open: Arc<AtomicBool>,
    /// Open viewer sessions by id.
    pub sessions: Mutex<HashMap<String, SessionHandle>>,
    /// Serves decoded frames to the viewer windows.
    pub frames: FrameServer,
    /// Poked when something here changed the settings (or tried to: a tray
    /// toggle that was refused), so the settings watcher (`crate::sync`)
    /// tells every window and the tray now instead of at its next look.
    pub settings_touched: tokio::sync::Notify,
    /// The file windows' copies that run, to cancel them.
    pub transfers: Arc<crate::commands::Transfers>,
}

/// Who runs the host on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum HostMode {
    /// This app, in the background while it runs.
    InApp,
    /// A system or user service; the app is its control panel.
    Service,
    /// Nobody (it failed to start).
    Off,
}

impl AppState {
    /// Open the configuration (fresh each time: the CLI may have changed it).
    pub fn config(&self) -> AppResult<Config> {
        Config::open(&self.config_dir, self.store()).map_err(AppError::from)
    }

    /// The secret store asked for now.
    pub fn store(&self) -> Option<SecretStoreKind> {
        *self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rendezvous URL, if one is known yet.
    pub fn rendezvous(&self) -> Option<String> {
        self.rendezvous
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The host mode now.
    pub fn host_mode(&self) -> HostMode {
        *self.host_mode.lock().unwrap_or_else(|p| p.into_inner())
    }
}
