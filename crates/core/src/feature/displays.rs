//! The choice of screen: which monitors the host has and which one is
//! streamed. Open to every session (today's code needs no permission for it:
//! a view-only session picks its screen too). `D` is the media crate's
//! monitor description.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};

/// The displays feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "displays",
    access: Access::Open,
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// From the viewer. (Variants without fields are written `{}` so that
/// unknown fields are refused on them too: serde ignores extra fields on a
/// unit variant of an internally tagged enum.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// Ask for the host's monitors (answered with `Displays`).
    ListDisplays {},
    /// Stream another monitor (answered with `Displays` once it streams).
    SwitchDisplay {
        /// Its id, from `Displays`.
        id: u32,
    },
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost<D> {
    /// The host's monitors and the one being streamed.
    Displays {
        /// Every monitor, primary first.
        displays: Vec<D>,
        /// The id of the streamed one.
        current: u32,
    },
}
