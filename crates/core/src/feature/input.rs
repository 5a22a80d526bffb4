//! Keyboard and mouse buttons, wheel and typed text (`control_input`), on a
//! reliable ordered channel. The event type is the media crate's (`E`), so
//! this crate stays free of it; a `Sync` needs no permission.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The input feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "input",
    access: Access::Needs(Permission::ControlInput),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// From the viewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer<E> {
    /// A key, button, wheel or text event (needs `control_input`).
    Input {
        /// The event.
        event: E,
    },
    /// Answer with `SyncDone` once everything sent before this (and the
    /// pointer motion up to `pointer_seq`) was handled.
    Sync {
        /// Echoed back.
        id: u64,
        /// The last pointer sequence number sent.
        pointer_seq: Option<u64>,
    },
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// Answer to `Sync`.
    SyncDone {
        /// The id sent.
        id: u64,
    },
}
