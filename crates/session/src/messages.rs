//! Messages of an open session that concern the whole session, on the
//! `control` channel after the handshake (each feature's own messages travel
//! on its own channel: see `latchkey_core::feature`).

use serde::{Deserialize, Serialize};

use latchkey_core::permission::PermissionSet;

pub use latchkey_core::feature::MAX_MESSAGE;

/// From the host, on `control`, once the session is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HostSessionMessage {
    /// The session's permissions changed (the host edited the profile).
    Permissions {
        /// Now in force.
        permissions: PermissionSet,
    },
    /// The host ended the session: what it logged in with was revoked
    /// (`profile_disabled`, `password_changed`, `unattended_off`, `token_revoked`, `profile_gone`).
    Ended {
        /// Why.
        reason: String,
    },
}

/// Parse a message, size first.
pub fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    if bytes.len() > MAX_MESSAGE {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}
