//! Messages of an open session, after the handshake: on the reliable,
//! ordered `control` channel (keys, clicks, text, clipboard, sync) and on the
//! unordered, unreliable `pointer` channel (pointer motion only).

use serde::{Deserialize, Serialize};

use latchkey_core::permission::PermissionSet;
use latchkey_media::{DisplayInfo, InputEvent};

/// Label of the pointer channel.
pub const POINTER_LABEL: &str = "pointer";
/// Largest session message accepted, in bytes (a data-channel message carries at most 16 KiB).
pub const MAX_MESSAGE: usize = 12 * 1024;
/// Largest clipboard text carried in one message, in bytes; longer text
/// travels in several (`more: true` on all but the last).
pub const CLIPBOARD_CHUNK: usize = 8 * 1024;
/// Largest clipboard text either side accepts in all, in bytes.
pub const MAX_CLIPBOARD_TEXT: usize = 1024 * 1024;

/// `text` cut into pieces whose JSON encoding takes at most
/// [`CLIPBOARD_CHUNK`] bytes, on character boundaries (at least one piece,
/// maybe empty), so each fits in one message however much JSON escapes it.
pub fn clipboard_chunks(text: &str) -> Vec<&str> {
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
        if size + n > CLIPBOARD_CHUNK {
            out.push(&text[start..i]);
            (start, size) = (i, 0);
        }
        size += n;
    }
    out.push(&text[start..]);
    out
}

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
        /// The text, or a piece of it.
        text: String,
        /// More pieces follow.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// Ask for the host's clipboard text (needs `clipboard`).
    ClipboardGet,
    /// Ask for the host's monitors (answered with `Displays`).
    ListDisplays,
    /// Stream another monitor (answered with `Displays` once it streams).
    SwitchDisplay {
        /// Its id, from `Displays`.
        id: u32,
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

/// From the viewer, on `pointer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointerMessage {
    /// Increasing per session; older ones arriving late are ignored.
    pub seq: u64,
    /// x on the streamed monitor, in its pixels (the host adds the monitor's origin).
    pub x: i32,
    /// y on the streamed monitor.
    pub y: i32,
}

/// From the host, on `control`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HostSessionMessage {
    /// The host's clipboard text (`None`: empty or not text).
    ClipboardText {
        /// The text, or a piece of it.
        text: Option<String>,
        /// More pieces follow.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// Clipboard text over [`MAX_CLIPBOARD_TEXT`] was dropped.
    TooLarge {
        /// What was dropped (`clipboard_set`, `clipboard_get`).
        what: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The host's monitors and the one being streamed.
    Displays {
        /// Every monitor, primary first.
        displays: Vec<DisplayInfo>,
        /// The id of the streamed one.
        current: u32,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cut_on_character_boundaries_and_rejoin() {
        let text = "é".repeat(CLIPBOARD_CHUNK); // 2 bytes each: 2 * CHUNK bytes
        let chunks = clipboard_chunks(&text);
        assert!(chunks.len() >= 2);
        assert!(chunks.iter().all(|c| c.len() <= CLIPBOARD_CHUNK));
        assert_eq!(chunks.concat(), text);
        assert_eq!(clipboard_chunks(""), vec![""]);
        assert_eq!(clipboard_chunks("abc"), vec!["abc"]);
    }

    #[test]
    fn every_chunk_fits_in_a_message_however_escaped() {
        for text in [
            "x".repeat(3 * CLIPBOARD_CHUNK),
            "\u{1}".repeat(CLIPBOARD_CHUNK),
            "\"\\".repeat(CLIPBOARD_CHUNK),
            "€😀".repeat(CLIPBOARD_CHUNK / 2),
        ] {
            let chunks = clipboard_chunks(&text);
            assert_eq!(chunks.concat(), text);
            for chunk in chunks {
                let json = serde_json::to_vec(&ViewerSessionMessage::ClipboardSet {
                    text: chunk.to_string(),
                    more: true,
                })
                .expect("json");
                assert!(json.len() <= MAX_MESSAGE, "{} bytes", json.len());
            }
        }
    }
}
