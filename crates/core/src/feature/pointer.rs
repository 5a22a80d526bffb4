//! Pointer motion, on an unordered channel without retransmissions: with
//! `control_input` it moves the host's pointer, with `show_pointer` alone it
//! is only shown to the person at the host.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The pointer feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "pointer",
    access: Access::AnyOf(&[Permission::ControlInput, Permission::ShowPointer]),
    channel: ChannelKind::Unordered,
    max_message: MAX_MESSAGE,
};

/// From the viewer: one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromViewer {
    /// Increasing per session; older ones arriving late are ignored.
    pub seq: u64,
    /// x on the streamed monitor, in its pixels (the host adds the monitor's origin).
    pub x: i32,
    /// y on the streamed monitor.
    pub y: i32,
}

/// The host does not answer on this channel.
pub type FromHost = super::NoMessage;
