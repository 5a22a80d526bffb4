//! Latchkey's desktop app: a Tauri 2 shell around the crates. It shows the
//! status and every setting (the UI in `ui/`), asks the person at the host
//! to accept incoming requests, opens viewer windows on remote screens,
//! keeps a tray icon with quick toggles, answers `latchkey://` links, and
//! runs the host in the background unless a service already does.
//!
//! # Layout
//!
//! - [`commands`]: every command the UI may call (thin wrappers over
//!   `latchkey_store::ops` and `latchkey_session`), declared once.
//! - [`bindings`]: renders `ui/src/bindings.ts` from the command table
//!   and the events, with the declarations [`ts_types`] makes.
//! - [`events`]: what the Rust side tells the windows.
//! - [`state`]: what the app keeps while it runs.
//! - [`host_runtime`]: the in-app host and the embedded rendezvous server.
//! - [`first_run`]: the secret store it needs, and the choice the window
//!   offers when the OS keyring cannot be used.
//! - [`viewer_session`] and [`frames`]: open sessions and their frame path.
//! - [`sync`]: settings and requests kept in step across windows and tray.
//! - [`tray`], [`deep_links`].
//!
//! Environment: `LATCHKEY_CONFIG_DIR` (default: the CLI's configuration
//! directory) and `LATCHKEY_SECRET_STORE` (`keyring` or `file`) choose the
//! configuration, as the CLI's `--config-dir` and `--secret-store` do.

pub mod bindings;
pub mod commands;
pub mod deep_links;
pub mod error;
pub mod events;
pub mod first_run;
pub mod frames;
pub mod host_runtime;
pub mod state;
pub mod sync;
pub mod tray;
pub mod ts_types;
pub mod viewer_session;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::{Manager, RunEvent, WindowEvent};
use tokio::sync::watch;

use latchkey_core::settings::SecretStoreKind;
use latchkey_session::host::Presence;

use crate::state::{AppState, HostMode};

/// Where the configuration lives and which secret store it uses.
fn configuration() -> Result<(PathBuf, Option<SecretStoreKind>), String> {
    let dir = match std::env::var_os("LATCHKEY_CONFIG_DIR") {
        Some(d) => PathBuf::from(d),
        None => directories::ProjectDirs::from("", "", "latchkey")
            .map(|d| d.config_dir().to_path_buf())
            .ok_or("cannot find a home directory for the configuration")?,
    };
    let store = match std::env::var("LATCHKEY_SECRET_STORE").ok().as_deref() {
        None | Some("") => None,
        Some("keyring") => Some(SecretStoreKind::Keyring),
        Some("file") => Some(SecretStoreKind::File),
        Some(other) => {
            return Err(format!(
                "LATCHKEY_SECRET_STORE is '{other}': use 'keyring' or 'file'"
            ))
        }
    };
    Ok((dir, store))
}

/// Run the app until the person quits it (closing the main window only hides it).
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let (config_dir, store) = match configuration() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("latchkey-app: {e}");
            std::process::exit(2);
        }
    };
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // A second start: hand its links to this instance and show it.
            deep_links::handle(app, argv.get(1..).unwrap_or_default());
            tray::show_main(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .invoke_handler(commands::handler())
        .setup(move |app| {
            let frames = tauri::async_runtime::block_on(frames::FrameServer::start())?;
            let (presence_tx, presence_rx) = watch::channel(Presence::Connecting);
            app.manage(AppState {
                config_dir,
                store: Mutex::new(store),
                store_problem: Mutex::new(None),
                checked: watch::Sender::new(false),
                presence_tx,
                rendezvous: Mutex::new(None),
                host_mode: Mutex::new(HostMode::Off),
                presence: presence_rx,
                window_open: Arc::new(AtomicBool::new(true)),
                sessions: Mutex::default(),
                frames,
                settings_touched: tokio::sync::Notify::new(),
                transfers: Default::default(),
            });
            app.manage(deep_links::PendingLink::default());
            if let Err(e) = tray::install(app.handle()) {
                tracing::warn!(error = %e, "no tray icon");
            }
            host_runtime::start(app.handle().clone());
            sync::spawn_watchers(app.handle().clone());
            let args: Vec<String> = std::env::args().skip(1).collect();
            deep_links::handle(app.handle(), &args);
            Ok(())
        })
        .on_window_event(|window, event| {
            if window.label() != "main" {
                return;
            }
            let open = &window.state::<AppState>().window_open;
            match event {
                // Closing the main window keeps Latchkey in the tray.
                WindowEvent::CloseRequested { api, .. } => {
                    api.prevent_close();
                    let _ = window.hide();
                    open.store(false, Ordering::Relaxed);
                }
                WindowEvent::Focused(true) => open.store(true, Ordering::Relaxed),
                _ => {}
            }
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("latchkey-app: cannot start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|_app, event| {
        // The last window closing does not end the app; "Quit" does.
        if let RunEvent::ExitRequested {
            api, code: None, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}
