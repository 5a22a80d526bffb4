//! The feature registry: every feature a session carries declares here its
//! name (which is also its data channel's label), the permission it needs,
//! the channel it travels on and the largest message it accepts. Each
//! feature's wire messages live in its own module, as typed serde enums that
//! refuse unknown fields; [`parse`] checks the size before it reads a byte.
//!
//! Adding a feature: a module here with its [`FeatureSpec`] and messages, and
//! one line in [`REGISTRY`].

use serde::de::DeserializeOwned;

use crate::permission::{Permission, PermissionSet};

pub mod clipboard;
pub mod clipboard_files;
pub mod desk;
pub mod displays;
pub mod files;
pub mod frame;
pub mod input;
pub mod pointer;
pub mod print;
pub mod restart;
pub mod system_info;
pub mod tunnel;
pub mod whiteboard;

#[cfg(test)]
mod tests;

/// How a feature's traffic travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// A reliable, ordered data channel (keys, clipboard, files).
    ReliableOrdered,
    /// An unordered data channel without retransmissions (pointer motion:
    /// a late position is worth less than the next one).
    Unordered,
    /// A media track (screen, sound).
    MediaTrack,
}

/// What a session must have been granted to use a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Nothing: every session may (the choice of screen, for a view-only session too).
    Open,
    /// This permission.
    Needs(Permission),
    /// Any one of these; the first is the one a refusal names.
    AnyOf(&'static [Permission]),
}

/// One feature, as the registry knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureSpec {
    /// Its name, and the label of its data channel.
    pub name: &'static str,
    /// The permission it needs.
    pub access: Access,
    /// The channel it travels on.
    pub channel: ChannelKind,
    /// The largest message either side accepts on it, in bytes (a data-channel
    /// message carries at most 16 KiB).
    pub max_message: usize,
}

impl FeatureSpec {
    /// Whether a session with `permissions` may use the feature.
    pub fn allowed(&self, permissions: PermissionSet) -> bool {
        match self.access {
            Access::Open => true,
            Access::Needs(p) => permissions.contains(p),
            Access::AnyOf(list) => list.iter().any(|p| permissions.contains(*p)),
        }
    }

    /// The permission a refusal names (`None` for an open feature).
    pub fn permission(&self) -> Option<Permission> {
        match self.access {
            Access::Open => None,
            Access::Needs(p) => Some(p),
            Access::AnyOf(list) => list.first().copied(),
        }
    }

    /// The name of the permission a refusal names (empty for an open feature).
    pub fn permission_name(&self) -> &'static str {
        self.permission().map(|p| p.name()).unwrap_or_default()
    }
}

/// Every feature, in the order the viewer's UI lists them.
pub const REGISTRY: &[&FeatureSpec] = &[
    &input::SPEC,
    &pointer::SPEC,
    &clipboard::SPEC,
    &clipboard_files::SPEC,
    &displays::SPEC,
    &system_info::SPEC,
    &files::SPEC,
    &tunnel::SPEC,
    &desk::BLOCK_INPUT,
    &desk::PRIVACY_MODE,
    &desk::LOCK_ON_END,
    &restart::SPEC,
    &print::SPEC,
    &whiteboard::SPEC,
];

/// The feature whose data channel has this label.
pub fn by_name(name: &str) -> Option<&'static FeatureSpec> {
    REGISTRY.iter().copied().find(|f| f.name == name)
}

/// Why a feature message was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Over the feature's size limit (not parsed at all).
    #[error("a {feature} message of {len} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// The feature.
        feature: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Not one of the feature's messages (bad JSON, unknown type or field).
    #[error("a malformed {feature} message")]
    Malformed {
        /// The feature.
        feature: &'static str,
    },
}

/// Read one of `spec`'s messages: size first, then the typed form.
pub fn parse<T: DeserializeOwned>(spec: &FeatureSpec, bytes: &[u8]) -> Result<T, WireError> {
    if bytes.len() > spec.max_message {
        return Err(WireError::TooLarge {
            feature: spec.name,
            len: bytes.len(),
            limit: spec.max_message,
        });
    }
    serde_json::from_slice(bytes).map_err(|_| WireError::Malformed { feature: spec.name })
}

/// The largest message on a data channel of an open session, in bytes.
pub const MAX_MESSAGE: usize = 12 * 1024;

/// A message type with no values, for a feature that does not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NoMessage {}

/// Largest text carried in one message, in encoded bytes; longer text
/// travels in several (`more: true` on all but the last).
pub const PIECE: usize = 8 * 1024;

/// `text` cut into pieces whose JSON encoding takes at most [`PIECE`] bytes,
/// on character boundaries (at least one piece, maybe empty), so each fits in
/// one message however much JSON escapes it.
pub fn text_pieces(text: &str) -> Vec<&str> {
    fn encoded_len(c: char) -> usize {
        match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if u32::from(c) < 0x20 => 6,
            c => c.len_utf8(),
        }
    }
    let mut out = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, c) in text.char_indices() {
        let n = encoded_len(c);
        if size + n > PIECE {
            out.push(&text[start..i]);
            (start, size) = (i, 0);
        }
        size += n;
    }
    out.push(&text[start..]);
    out
}
