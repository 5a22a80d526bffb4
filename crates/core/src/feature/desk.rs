//! Keeping the person at the host's desk out, as two features with the same
//! messages on channels of their own: `block_input` (the host's local
//! keyboards and pointers have no effect) and `privacy_mode` (its monitors
//! show nothing, and local input is blocked too), each a switch the session
//! holds: on until the viewer turns it off or the session ends; and
//! `lock_on_end` (the host's desktop locks when the session ends), a switch
//! that is on unless the viewer turns it off.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// Blocking the host's local input.
pub const BLOCK_INPUT: FeatureSpec = FeatureSpec {
    name: "block_input",
    access: Access::Needs(Permission::BlockInput),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// Privacy mode: the host's monitors blank, its local input blocked.
pub const PRIVACY_MODE: FeatureSpec = FeatureSpec {
    name: "privacy_mode",
    access: Access::Needs(Permission::PrivacyMode),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// Locking the host's desktop when the session ends (on unless the viewer
/// turns it off; both ways need the permission).
pub const LOCK_ON_END: FeatureSpec = FeatureSpec {
    name: "lock_on_end",
    access: Access::Needs(Permission::LockOnEnd),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// Turn it on or off for this session (answered with `State`,
    /// `Failed` or `Refused`).
    Set {
        /// On or off.
        on: bool,
    },
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// What this session holds now.
    State {
        /// On or off.
        on: bool,
    },
    /// The host could not do it (no X server, no RandR, ...).
    Failed {
        /// Why.
        reason: String,
    },
    /// The session's permissions do not allow it.
    Refused {
        /// What was refused (the feature's name).
        what: String,
        /// The permission it needs.
        permission: String,
    },
}
