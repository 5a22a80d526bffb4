//! The crate's error type: what went wrong talking to a Wayland compositor.

use std::path::PathBuf;
use std::time::Duration;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can fail while capturing from or injecting into a Wayland compositor.
///
/// Messages never carry key names or typed text: those are what a viewer typed, and
/// errors end up in logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No Wayland display was named: `WAYLAND_DISPLAY` (or `XDG_RUNTIME_DIR` for a
    /// relative name) is not set.
    #[error("no Wayland display: {0}")]
    NoDisplay(String),

    /// The display's socket could not be reached (no compositor there, or no permission).
    #[error("cannot connect to the Wayland display at {path}: {source}")]
    Connect {
        /// The socket tried.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },

    /// The compositor does not offer a protocol this operation needs.
    #[error(
        "the compositor does not offer {protocol} (wlroots compositors such as sway do; \
         GNOME and KDE need their own capture and input paths)"
    )]
    MissingProtocol {
        /// The Wayland interface name, e.g. `zwlr_screencopy_manager_v1`.
        protocol: &'static str,
    },

    /// The compositor offers the protocol, but in a version older than needed.
    #[error("the compositor offers {protocol} version {have}, version {need} is needed")]
    ProtocolTooOld {
        /// The Wayland interface name.
        protocol: &'static str,
        /// The version the compositor offers.
        have: u32,
        /// The version this crate needs.
        need: u32,
    },

    /// No output has this name (or the compositor has no output at all).
    #[error("no output named {0:?}")]
    NoOutput(String),

    /// The compositor announced no seat, so there is nowhere to send input.
    #[error("the compositor has no seat to send input to")]
    NoSeat,

    /// The compositor refused or abandoned a capture (`failed` event): the output
    /// went away, or the buffer did not suit it.
    #[error("the compositor could not copy output {0:?}")]
    CaptureFailed(String),

    /// The compositor offered only shm pixel formats this crate cannot convert.
    #[error("unsupported shm pixel format {0:#010x}")]
    UnsupportedFormat(u32),

    /// The compositor described a buffer whose size makes no sense.
    #[error("bad buffer geometry from the compositor: {0}")]
    BadGeometry(String),

    /// The compositor did not answer in time.
    #[error("the compositor did not answer within {after:?} ({what})")]
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// How long it waited.
        after: Duration,
    },

    /// A key name that the virtual keyboard does not know (see [`crate::key_names`]).
    #[error("unknown key name")]
    UnknownKey,

    /// Text holds a character that cannot be typed (a control character other than
    /// `\n` and `\t`), or is longer than [`crate::MAX_TEXT_CHARS`].
    #[error("text holds a character that cannot be typed, or is too long")]
    UntypableText,

    /// The Wayland connection failed or the compositor reported a protocol error.
    #[error("Wayland connection: {0}")]
    Wayland(String),

    /// A local system call failed (memfd, poll, reading the buffer).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Io { what, source }
    }
}

impl From<wayland_client::backend::WaylandError> for Error {
    fn from(e: wayland_client::backend::WaylandError) -> Self {
        Error::Wayland(e.to_string())
    }
}

impl From<wayland_client::DispatchError> for Error {
    fn from(e: wayland_client::DispatchError) -> Self {
        Error::Wayland(e.to_string())
    }
}
