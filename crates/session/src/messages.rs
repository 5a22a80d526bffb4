//! Messages of an open session, after the handshake: on the reliable,
//! ordered `control` channel (keys, clicks, text, clipboard, sync) and on the
//! unordered, unreliable `pointer` channel (pointer motion only).

use serde::{Deserialize, Serialize};

use latchkey_core::permission::PermissionSet;
use latchkey_media::InputEvent;

/// Label of the pointer channel.
pub const POINTER_LABEL: &str = "pointer";
/// Largest session message accepted, in bytes (a data-channel message carries at most 16 KiB).
pub const MAX_MESSAGE: usize = 12 * 1024;
/// Largest clipboard text carried in one message, in bytes.
pub const MAX_CLIPBOARD_TEXT: usize = 8 * 1024;

/// From the viewer, on `control`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ViewerSessionMessage {
    /// A key, button, wheel or text event (needs `control_input`).
    Input {
        /// The event.
        event: InputEvent,
    },
    /// Put text on the host's clipboard (needs `clipboard`).
    ClipboardSet {
        /// The text.
        text: String,
    },
    /// Ask for the host's clipboard text (needs `clipboard`).
    ClipboardGet,
    /// Answer with `SyncDone` once everything sent before this (and the
    /// pointer motion up to `pointer_seq`) was handled.
    Sync {
        /// Echoed back.
        id: u64,
        /// The last pointer sequence number sent.
        pointer_seq: Option<u64>,
    },
}

/// From the viewer, on `pointer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointerMessage {
    /// Increasing per session; older ones arriving late are ignored.
    pub seq: u64,
    /// Absolute x on the host's screen.
    pub x: i32,
    /// Absolute y.
    pub y: i32,
}

/// From the host, on `control`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HostSessionMessage {
    /// The host's clipboard text (`None`: empty or not text).
    ClipboardText {
        /// The text.
        text: Option<String>,
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
    /// The session's permissions changed (the host edited the profile).
    Permissions {
        /// Now in force.
        permissions: PermissionSet,
    },
}

/// Parse a message, size first.
pub fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    if bytes.len() > MAX_MESSAGE {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}
