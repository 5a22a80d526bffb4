//! The secret store the app finds, on first run and whenever it breaks:
//! before the in-app host starts (and before anything is written), the app
//! checks that the store can keep this device's identity. When the OS
//! keyring cannot (no Secret Service, locked, no login keyring yet), the
//! main window says so and offers the ways out: the Secret Service's own
//! unlock (or create) prompt, a file only this user can read (for a new
//! configuration: chosen once and remembered by it, as the CLI's
//! configurations remember theirs), or quitting, which leaves nothing behind.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use ts_rs::TS;

use latchkey_core::settings::SecretStoreKind;
use latchkey_store::{Config, Error as StoreError, KeyringProblem};

use crate::events;
use crate::state::{AppState, HostMode};

/// How long the Secret Service's prompt may wait for the person.
const PROMPT_TIMEOUT_S: u64 = 120;

/// What the main window shows instead of the status when the secret store
/// cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct StoreProblem {
    /// What the app found.
    pub problem: KeyringProblem,
    /// Whether the secrets may go to a file instead: only for a
    /// configuration that does not exist yet (an existing one keeps its
    /// identity in the keyring; a file would be a new device).
    pub can_use_file: bool,
}

/// What the person chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreChoice {
    /// Unlock (or create) the login keyring through the Secret Service's
    /// prompt, or try again after starting one.
    Keyring,
    /// Keep the secrets in `<config-dir>/secrets`, mode 0600.
    File,
}

/// The result of [`check`].
pub enum Checked {
    /// This device's identity is in the store (made now if it was new).
    Ready,
    /// The keyring cannot be used.
    Problem(StoreProblem),
    /// Something else is wrong with the configuration (for people).
    Failed(String),
}

/// Check (without any prompt) that the configuration's secret store works,
/// and make this device's identity in it when it does. A store that does
/// not work leaves no file and no keyring entry behind.
pub async fn check(app: &AppHandle) -> Checked {
    let state = app.state::<AppState>();
    let (dir, store) = (state.config_dir.clone(), state.store());
    let done = tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
        let mut config = Config::open(&dir, store)?;
        if config.settings().secret_store == SecretStoreKind::Keyring {
            if let Some(problem) = latchkey_store::secrets::keyring_problem() {
                return Err(StoreError::SecretStoreUnavailable {
                    problem,
                    message: String::new(),
                });
            }
        }
        config.device_key().map(|_| ())
    })
    .await;
    match done {
        Ok(Ok(())) => Checked::Ready,
        Ok(Err(StoreError::SecretStoreUnavailable { problem, .. })) => {
            Checked::Problem(StoreProblem {
                problem,
                can_use_file: can_use_file(app),
            })
        }
        Ok(Err(e)) => Checked::Failed(e.to_string()),
        Err(e) => Checked::Failed(format!("the check stopped: {e}")),
    }
}

/// A file store is offered only to a configuration not made yet, and not
/// when `LATCHKEY_SECRET_STORE` asks for the keyring.
fn can_use_file(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    state.store() != Some(SecretStoreKind::Keyring)
        && Config::open(&state.config_dir, None)
            .map(|c| !c.is_saved())
            .unwrap_or(false)
}

/// What was found, in the window's words.
pub fn describe(problem: KeyringProblem) -> &'static str {
    match problem {
        KeyringProblem::NoService => {
            "No keyring service (Secret Service) is running in this session"
        }
        KeyringProblem::Locked => "The login keyring is locked",
        KeyringProblem::NoDefaultCollection => "The keyring service has no login keyring yet",
        KeyringProblem::Refused => "The keyring refused to keep Latchkey's secrets",
    }
}

/// Remember the problem (or its end) and tell the windows.
pub fn set_problem(app: &AppHandle, problem: Option<StoreProblem>) {
    let state = app.state::<AppState>();
    *state
        .store_problem
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = problem.clone();
    events::emit(app, events::STORE_PROBLEM, problem);
}

/// The keyring stopped working after the check (locked since, say): the
/// window offers the ways out (a file only if the configuration is not
/// made yet).
pub fn store_broke(app: &AppHandle, problem: KeyringProblem) {
    let can_use_file = can_use_file(app);
    set_problem(
        app,
        Some(StoreProblem {
            problem,
            can_use_file,
        }),
    );
}

/// The problem now, if any.
pub fn problem(app: &AppHandle) -> Option<StoreProblem> {
    app.state::<AppState>()
        .store_problem
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// Carry out the person's choice; `None` when the store works now (and the
/// host runs or is starting), else what is still wrong.
pub async fn resolve(app: &AppHandle, choice: StoreChoice) -> Result<Option<StoreProblem>, String> {
    let state = app.state::<AppState>();
    match choice {
        StoreChoice::Keyring => {
            // The Secret Service's own prompt, where one can appear; what it
            // says is found by the check that follows.
            if let Err(e) = tokio::task::spawn_blocking(|| {
                latchkey_store::secrets::unlock_keyring(PROMPT_TIMEOUT_S)
            })
            .await
            .unwrap_or(Ok(()))
            {
                tracing::info!(error = %e, "the keyring was not unlocked");
            }
        }
        StoreChoice::File => {
            if !can_use_file(app) {
                return Err("this configuration keeps its secrets in the OS keyring".into());
            }
            *state.store.lock().unwrap_or_else(|p| p.into_inner()) = Some(SecretStoreKind::File);
        }
    }
    match check(app).await {
        Checked::Ready => {
            set_problem(app, None);
            if state.host_mode() == HostMode::Off {
                crate::host_runtime::start_host(app.clone());
            } else {
                crate::sync::settings_changed(app).await;
            }
            Ok(None)
        }
        Checked::Problem(p) => {
            if choice == StoreChoice::File {
                *state.store.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
            set_problem(app, Some(p.clone()));
            Ok(Some(p))
        }
        Checked::Failed(message) => Err(message),
    }
}
