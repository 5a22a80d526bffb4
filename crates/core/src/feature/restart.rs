//! Restarting the host with automatic reconnect (`restart`): the viewer
//! asks, the host (only a system service that starts at boot) issues this
//! viewer a reconnect credential (`crate::reconnect`), sends it, and reboots
//! the machine; the viewer logs back in with it, no password.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The restart feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "restart",
    access: Access::Needs(Permission::Restart),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// Restart the host (answered with `Restarting`, `Failed` or `Refused`).
    /// Braces, so that extra fields are refused too.
    Restart {},
}

/// From the host.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// The machine restarts now; log back in with this.
    Restarting {
        /// The single-use reconnect credential (text form).
        credential: String,
        /// Seconds it stays valid.
        valid_s: u64,
    },
    /// The host will not or cannot restart (not a service that starts at
    /// boot, the reboot call failed, ...).
    Failed {
        /// Why.
        reason: String,
    },
    /// The session's permissions do not allow it.
    Refused {
        /// What was refused (`restart`).
        what: String,
        /// The permission it needs.
        permission: String,
    },
}

impl std::fmt::Debug for FromHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FromHost::Restarting { valid_s, .. } => f
                .debug_struct("Restarting")
                .field("credential", &"REDACTED")
                .field("valid_s", valid_s)
                .finish(),
            FromHost::Failed { reason } => {
                f.debug_struct("Failed").field("reason", reason).finish()
            }
            FromHost::Refused { what, permission } => f
                .debug_struct("Refused")
                .field("what", what)
                .field("permission", permission)
                .finish(),
        }
    }
}
