//! Clipboard text both ways (`clipboard`), on a reliable ordered channel.
//! Text travels in pieces of at most [`super::PIECE`] encoded bytes
//! ([`super::text_pieces`]), up to [`MAX_TEXT`] in all.

use serde::{Deserialize, Serialize};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The clipboard feature.
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "clipboard",
    access: Access::Needs(Permission::Clipboard),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// Largest clipboard text either side accepts in all, in bytes.
pub const MAX_TEXT: usize = 1024 * 1024;

/// From the viewer. (Variants without fields are written `{}` so that
/// unknown fields are refused on them too: serde ignores extra fields on a
/// unit variant of an internally tagged enum.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// Put text on the host's clipboard (needs `clipboard`).
    ClipboardSet {
        /// The text, or a piece of it.
        text: String,
        /// More pieces follow.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// Ask for the host's clipboard text (needs `clipboard`).
    ClipboardGet {},
    /// Answer with `SyncDone` once everything sent before this was handled
    /// (the viewer's wait also collects what the host refused meanwhile).
    Sync {
        /// Echoed back.
        id: u64,
    },
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// The host's clipboard text (`None`: empty or not text).
    ClipboardText {
        /// The text, or a piece of it.
        text: Option<String>,
        /// More pieces follow.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// Clipboard text over [`MAX_TEXT`] was dropped.
    TooLarge {
        /// What was dropped (`clipboard_set`, `clipboard_get`).
        what: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// A request the session's permissions do not allow.
    Refused {
        /// What was refused (`clipboard_set`, `clipboard_get`).
        what: String,
        /// The permission it needs.
        permission: String,
    },
    /// Answer to `Sync`.
    SyncDone {
        /// The id sent.
        id: u64,
    },
}
