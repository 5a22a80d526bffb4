//! Events the Rust side sends the windows, with their payload types. The
//! names are the same strings on both sides (`crate::bindings` renders them
//! for the UI; this module depends on nothing else in the app).

use serde::Serialize;
use tauri::{AppHandle, Emitter};
use ts_rs::TS;
/// `status_changed`: settings or reachability changed (tray, CLI, another window).
pub const STATUS_CHANGED: &str = "status_changed";
/// `requests_changed`: the incoming requests waiting for an answer.
pub const REQUESTS_CHANGED: &str = "requests_changed";
/// `deep_link`: open the connect flow for this host.
pub const DEEP_LINK: &str = "deep_link";
/// `deep_link_refused`: a link was refused (it carried a secret, say).
pub const DEEP_LINK_REFUSED: &str = "deep_link_refused";
/// `session_ended`: a viewer session ended.
pub const SESSION_ENDED: &str = "session_ended";
/// `session_permissions`: the host changed a viewer session's permissions.
pub const SESSION_PERMISSIONS: &str = "session_permissions";
/// `notice`: something the person should read in the main window (a tray
/// toggle that was refused, say), with the settings section that helps.
pub const NOTICE: &str = "notice";
/// A file window's copy moved on, ended, failed or was cancelled ([`TransferProgress`]).
pub const FILE_TRANSFER: &str = "file_transfer";

/// A job printed on the host arrived at this viewer ([`PrintArrived`]).
pub const PRINT_ARRIVED: &str = "print_arrived";

/// `store_problem`: the secret store cannot be used (with what was found),
/// or `null` once it can.
pub const STORE_PROBLEM: &str = "store_problem";

/// Payload of [`NOTICE`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct Notice {
    /// For people.
    pub message: String,
    /// The settings section to show (`security`, `profiles`), if any.
    pub section: Option<String>,
}

/// Payload of [`DEEP_LINK`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeepLink {
    /// The host's ID (9 digits).
    pub host_id: String,
    /// The profile the link asks for.
    pub profile: Option<String>,
}

/// Payload of [`DEEP_LINK_REFUSED`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct Refused {
    /// Why, for people.
    pub message: String,
}

/// Payload of [`SESSION_ENDED`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionEnded {
    /// Which session.
    pub session_id: String,
    /// Why, for people.
    pub reason: String,
}

/// Payload of [`SESSION_PERMISSIONS`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionPermissions {
    /// Which session.
    pub session_id: String,
    /// The permissions now in force.
    pub permissions: latchkey_core::permission::PermissionSet,
}

/// Where a copy of the file window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Copying (`sent` of `total` bytes).
    Running,
    /// Copied, checked (SHA-256) and in place.
    Done,
    /// Stopped by an error (`error` says which).
    Failed,
    /// Stopped by the person; copying it again resumes.
    Cancelled,
}

/// Payload of [`FILE_TRANSFER`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferProgress {
    /// Which session.
    pub session_id: String,
    /// Which copy (from `start_transfer`).
    pub id: u32,
    /// The file or folder copied.
    pub name: String,
    /// Which way.
    pub direction: latchkey_session::features::files::transfer::Direction,
    /// Where it is.
    pub state: TransferState,
    /// Bytes copied so far (with what an earlier try left).
    pub sent: u64,
    /// Bytes in all (0 until counted).
    pub total: u64,
    /// Why it failed.
    pub error: Option<String>,
}

/// Payload of [`PRINT_ARRIVED`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct PrintArrived {
    /// Which session.
    pub session_id: String,
    /// The job's number in the session (for `print_job`, `save_print_job`).
    pub job: u64,
    /// Its title, as the host's printing program gave it.
    pub title: String,
    /// Bytes of PDF.
    pub bytes: u64,
}

/// Send `payload` to every window; a window that is gone is not an error.
pub fn emit<T: Serialize + Clone>(app: &AppHandle, event: &str, payload: T) {
    if let Err(e) = app.emit(event, payload) {
        tracing::debug!(error = %e, event, "cannot emit");
    }
}
