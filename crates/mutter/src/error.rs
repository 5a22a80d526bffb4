//! The crate's error type: what went wrong talking to Mutter or PipeWire.

use std::time::Duration;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can fail while capturing from or injecting into a GNOME
/// (Mutter) Wayland session.
///
/// Messages never carry key names, typed text or clipboard contents: those are
/// what a viewer typed or copied, and errors end up in logs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The D-Bus session bus could not be reached (`DBUS_SESSION_BUS_ADDRESS`
    /// unset, or nothing listening there).
    #[error("cannot connect to the D-Bus session bus: {0}")]
    NoSessionBus(#[source] Box<zbus::Error>),

    /// Nothing on the session bus owns Mutter's interface: no GNOME (Mutter)
    /// session runs on this bus, or it is another desktop.
    #[error(
        "{service} is not on the session bus (no GNOME/Mutter session here; \
         other desktops need their own capture and input paths)"
    )]
    MutterAbsent {
        /// The bus name looked for, e.g. `org.gnome.Mutter.RemoteDesktop`.
        service: &'static str,
    },

    /// Mutter answered a call with an error (refused it, or the session is gone).
    #[error("Mutter refused {method}: {message}")]
    Refused {
        /// The D-Bus method, e.g. `RemoteDesktop.Session.Start`.
        method: &'static str,
        /// The error name and text Mutter sent.
        message: String,
    },

    /// The D-Bus connection failed (bus gone, malformed reply).
    #[error("D-Bus ({what}): {source}")]
    Bus {
        /// What was being done.
        what: &'static str,
        /// The zbus error (boxed: it is large).
        #[source]
        source: Box<zbus::Error>,
    },

    /// Mutter did not answer in time.
    #[error("Mutter did not answer within {after:?} ({what})")]
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// How long it waited.
        after: Duration,
    },

    /// The session has closed (Mutter sent `Closed`, or [`crate::MutterSession::stop`] ran).
    #[error("the remote desktop session has closed")]
    Closed,

    /// A key name that is not known (see [`crate::key_names`]).
    #[error("unknown key name")]
    UnknownKey,

    /// Text holds a character that cannot be typed (a control character other
    /// than `\n` and `\t`), or is longer than [`crate::MAX_TEXT_CHARS`].
    #[error("text holds a character that cannot be typed, or is too long")]
    UntypableText,

    /// A coordinate outside the monitor, or a wheel turn out of range.
    #[error("input out of range: {0}")]
    OutOfRange(&'static str),

    /// The clipboard holds nothing this crate can read as text.
    #[error("the clipboard holds no text")]
    NoClipboardText,

    /// A clipboard transfer sent more than [`crate::MAX_CLIPBOARD_BYTES`].
    #[error("the clipboard content is larger than {0} bytes")]
    ClipboardTooLarge(usize),

    /// PipeWire failed (no daemon to connect to, the stream could not be created or connected).
    #[error("PipeWire ({what}): {message}")]
    PipeWire {
        /// What was being done.
        what: &'static str,
        /// PipeWire's error text.
        message: String,
    },

    /// The stream negotiated a pixel format this crate cannot convert.
    #[error("unsupported video format {0}")]
    UnsupportedFormat(String),

    /// A local system call failed (pipes, poll, reading a transfer).
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

    pub(crate) fn bus(what: &'static str) -> impl FnOnce(zbus::Error) -> Error {
        move |source| Error::Bus {
            what,
            source: Box::new(source),
        }
    }

    pub(crate) fn no_bus(e: zbus::Error) -> Error {
        Error::NoSessionBus(Box::new(e))
    }

    /// Maps the error of a call to Mutter: an error reply is [`Error::Refused`]
    /// (or [`Error::MutterAbsent`] when nobody owns the name), anything else
    /// [`Error::Bus`].
    pub(crate) fn call(method: &'static str) -> impl FnOnce(zbus::Error) -> Error {
        move |e| match e {
            zbus::Error::MethodError(name, text, _) => {
                let name = name.as_str();
                if name == "org.freedesktop.DBus.Error.ServiceUnknown"
                    || name == "org.freedesktop.DBus.Error.NameHasNoOwner"
                {
                    let service = if method.starts_with("ScreenCast") {
                        crate::session::SCREEN_CAST
                    } else {
                        crate::session::REMOTE_DESKTOP
                    };
                    return Error::MutterAbsent { service };
                }
                Error::Refused {
                    method,
                    message: match text {
                        Some(text) => format!("{name}: {text}"),
                        None => name.to_string(),
                    },
                }
            }
            zbus::Error::FDO(fdo) => Error::Refused {
                method,
                message: fdo.to_string(),
            },
            other => Error::Bus {
                what: method,
                source: Box::new(other),
            },
        }
    }
}
