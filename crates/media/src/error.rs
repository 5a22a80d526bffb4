//! The crate's one error type.

use std::sync::Arc;

/// Everything that can go wrong in `latchkey-media`.
///
/// Foreign errors are kept as their message (or, for [`Error::Other`], as the
/// source itself) so that the enum stays `Clone` and `Send + Sync`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No display with this id exists (see [`crate::capture::list_displays`]).
    #[error("no display with id {id} (available: {available:?})")]
    NoSuchDisplay {
        /// The id that was asked for.
        id: u32,
        /// The ids that do exist, to make the message useful.
        available: Vec<u32>,
    },
    /// The windowing system could not be reached or refused a request
    /// (no `DISPLAY`, X server gone, capture refused, ...).
    #[error("display server: {0}")]
    Display(String),
    /// A frame or image did not have the shape the operation needs
    /// (buffer too short, odd size mismatch, zero width...).
    #[error("bad frame: {0}")]
    BadFrame(String),
    /// Colour conversion failed in the SIMD converter.
    #[error("colour conversion: {0}")]
    Convert(String),
    /// libvpx refused an operation.
    #[error("libvpx {op}: {detail}")]
    Codec {
        /// The libvpx call (or step) that failed.
        op: &'static str,
        /// libvpx's own message.
        detail: String,
    },
    /// A setting is out of range (bitrate 0, fps 0, ...).
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// A key `code` (DOM `KeyboardEvent.code` name) that this crate does not map.
    /// The message leaves the code out: errors are logged, and what a viewer
    /// presses or types never is.
    #[error("unknown key code")]
    UnknownKeyCode(String),
    /// A character that cannot be typed on this host (no keysym, no spare
    /// keycode). The message leaves the character out, as above.
    #[error("a character that cannot be typed on this host")]
    CannotType(char),
    /// Injecting an input event failed (XTest unavailable, display gone); the
    /// message names the kind of event, never its key or text.
    #[error("input injection failed: {0}")]
    Inject(String),
    /// The clipboard could not be read or written.
    #[error("clipboard: {0}")]
    Clipboard(String),
    /// The sound server could not be reached or refused a request.
    #[error("sound server: {0}")]
    Sound(String),
    /// libopus refused an operation.
    #[error("opus {op}: {detail}")]
    Opus {
        /// The step that failed.
        op: &'static str,
        /// libopus's own message.
        detail: String,
    },
    /// A file could not be written.
    #[error("{0}")]
    Io(String),
    /// Any other foreign error.
    #[error(transparent)]
    Other(Arc<dyn std::error::Error + Send + Sync>),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
