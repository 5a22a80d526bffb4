//! Events the Rust side sends the windows, with their payload types. The
//! names are the same strings on both sides (see `render_names`).

use serde::Serialize;
use tauri::{AppHandle, Emitter};
use ts_rs::TS;

use crate::bindings::collect;

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

/// Send `payload` to every window; a window that is gone is not an error.
pub fn emit<T: Serialize + Clone>(app: &AppHandle, event: &str, payload: T) {
    if let Err(e) = app.emit(event, payload) {
        tracing::debug!(error = %e, event, "cannot emit");
    }
}

/// Declare the payload types.
pub fn declare(cfg: &ts_rs::Config, out: &mut Vec<(String, String)>) {
    collect::<DeepLink>(cfg, out);
    collect::<Refused>(cfg, out);
    collect::<SessionEnded>(cfg, out);
    collect::<SessionPermissions>(cfg, out);
    collect::<Notice>(cfg, out);
    collect::<crate::first_run::StoreProblem>(cfg, out);
}

/// The event names and payload types for the bindings.
pub fn render_names() -> String {
    let cfg = crate::bindings::config();
    let rows = [
        (STATUS_CHANGED, crate::commands::status_type(&cfg)),
        (REQUESTS_CHANGED, crate::commands::requests_type(&cfg)),
        (DEEP_LINK, DeepLink::name(&cfg)),
        (DEEP_LINK_REFUSED, Refused::name(&cfg)),
        (SESSION_ENDED, SessionEnded::name(&cfg)),
        (SESSION_PERMISSIONS, SessionPermissions::name(&cfg)),
        (NOTICE, Notice::name(&cfg)),
        (
            STORE_PROBLEM,
            <Option<crate::first_run::StoreProblem> as TS>::name(&cfg),
        ),
    ];
    let mut s = String::from(
        "/** Events from the Rust side: name -> payload. */\nexport type EventPayloads = {\n",
    );
    for (name, ty) in &rows {
        s.push_str(&format!("  {name}: {ty};\n"));
    }
    s.push_str("};\n\nexport const EVENTS = {\n");
    for (name, _) in &rows {
        s.push_str(&format!("  {name}: \"{name}\",\n"));
    }
    s.push_str("} as const;\n");
    s
}
