//! The crate's error type: what went wrong with the portal, the token file,
//! or the capture behind it.

use std::path::PathBuf;
use std::time::Duration;

use crate::token::AskReason;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can fail on the xdg-desktop-portal path.
///
/// Messages never carry restore tokens, key names or typed text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The D-Bus session bus could not be reached.
    #[error("cannot connect to the D-Bus session bus: {0}")]
    NoSessionBus(#[source] Box<zbus::Error>),

    /// No xdg-desktop-portal on the bus, or it lacks RemoteDesktop/ScreenCast
    /// (no backend for this desktop offers them).
    #[error("xdg-desktop-portal does not offer {interface} on this session bus")]
    PortalAbsent {
        /// The interface looked for.
        interface: &'static str,
    },

    /// The portal is too old to remember an approval, so every session needs
    /// the desk: RemoteDesktop before version 2 (xdg-desktop-portal before
    /// 1.18, e.g. Debian 12's 1.16) and ScreenCast before version 4 hand out
    /// no restore tokens.
    #[error(
        "the portal's {interface} is version {version} and cannot remember an approval \
         (restore tokens need version {needed}); every session needs the desk's approval"
    )]
    PortalTooOld {
        /// The interface.
        interface: &'static str,
        /// Its version.
        version: u32,
        /// The version needed.
        needed: u32,
    },

    /// Someone at the desk must approve once before unattended sessions can
    /// start ([`AskReason::explain`] says what to tell the user).
    #[error("the person at the desk must approve once: {0}")]
    DeskMustApproveOnce(AskReason),

    /// The portal's dialog was refused at the desk.
    #[error("screen sharing was declined at the desk")]
    DeclinedAtDesk,

    /// A portal request ended with response code 2 (an error other than a refusal).
    #[error("the portal failed at {step}")]
    PortalFailed {
        /// The request, e.g. `RemoteDesktop.Start`.
        step: &'static str,
    },

    /// The portal answered a call with an error.
    #[error("the portal refused {method}: {message}")]
    Refused {
        /// The D-Bus method.
        method: &'static str,
        /// The error name and text.
        message: String,
    },

    /// The D-Bus connection failed, or an answer had an unexpected shape.
    #[error("D-Bus ({what}): {source}")]
    Bus {
        /// What was being done.
        what: &'static str,
        /// The zbus error (boxed: it is large).
        #[source]
        source: Box<zbus::Error>,
    },

    /// The portal did not answer in time.
    #[error("the portal did not answer within {after:?} ({what})")]
    Timeout {
        /// What was awaited.
        what: &'static str,
        /// How long it waited.
        after: Duration,
    },

    /// The session started but shares no screen.
    #[error("the portal session shares no screen")]
    NoStream,

    /// The session was closed (by the portal, the desk, or [`crate::PortalSession::close`]).
    #[error("the portal session has closed")]
    Closed,

    /// Input on a screen-cast (view-only) session.
    #[error("this portal session shares the screen only (no input)")]
    ViewOnly,

    /// A key name that is not known (see `latchkey_mutter::key_names`).
    #[error("unknown key name")]
    UnknownKey,

    /// Text holds a character that cannot be typed, or is too long.
    #[error("text holds a character that cannot be typed, or is too long")]
    UntypableText,

    /// A coordinate outside the screen, or a wheel turn out of range.
    #[error("input out of range: {0}")]
    OutOfRange(&'static str),

    /// The PipeWire capture failed.
    #[error("capture: {0}")]
    Capture(#[from] latchkey_mutter::Error),

    /// The token file was not a token state; it was renamed to `kept_as`
    /// (when that worked) and the next Start asks the desk once.
    #[error("the portal token file {path} is damaged ({reason}); it was set aside as {kept_as:?}")]
    CorruptTokenFile {
        /// The token file.
        path: PathBuf,
        /// Where the damaged file now is.
        kept_as: Option<PathBuf>,
        /// What was wrong with it.
        reason: String,
    },

    /// The token file was written by a newer Latchkey; it is left alone.
    #[error(
        "the portal token file {path} has format version {version}, newer than this Latchkey reads"
    )]
    NewerTokenFile {
        /// The token file.
        path: PathBuf,
        /// Its version.
        version: u64,
    },

    /// Reading or writing the token file failed.
    #[error("{what} ({path}): {source}")]
    File {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// What the app tells the user when the error is about the desk's
    /// approval (the step the person at the desk has to take, or why it
    /// cannot help); `None` for other errors.
    pub fn explain(&self) -> Option<String> {
        match self {
            Error::DeskMustApproveOnce(reason) => Some(reason.explain()),
            Error::DeclinedAtDesk => Some(
                "Screen sharing was declined at this computer. Unattended access starts \
                 working once someone at the computer chooses Share in the desktop's dialog."
                    .to_string(),
            ),
            Error::PortalTooOld { interface, .. }
                if *interface == crate::portal::REMOTE_DESKTOP =>
            {
                Some(
                    "This desktop's portal (xdg-desktop-portal before 1.18) cannot remember an \
                 approval for control, so each remote session with mouse and keyboard must be \
                 approved by someone at this computer. View-only sessions are approved once and \
                 then start without asking."
                        .to_string(),
                )
            }
            Error::PortalTooOld { .. } => Some(
                "This desktop's portal cannot remember an approval, so each remote session must \
                 be approved by someone at this computer."
                    .to_string(),
            ),
            _ => None,
        }
    }

    pub(crate) fn file(
        what: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::File { what, path, source }
    }

    pub(crate) fn bus(what: &'static str) -> impl FnOnce(zbus::Error) -> Error {
        move |source| Error::Bus {
            what,
            source: Box::new(source),
        }
    }

    /// Maps the error of a call to the portal.
    pub(crate) fn call(method: &'static str) -> impl FnOnce(zbus::Error) -> Error {
        move |e| match e {
            zbus::Error::MethodError(name, text, _) => {
                let name = name.as_str();
                if name == "org.freedesktop.DBus.Error.ServiceUnknown"
                    || name == "org.freedesktop.DBus.Error.NameHasNoOwner"
                    || name == "org.freedesktop.DBus.Error.UnknownInterface"
                    || name == "org.freedesktop.DBus.Error.UnknownMethod"
                {
                    let interface = if method.starts_with("ScreenCast") {
                        crate::portal::SCREEN_CAST
                    } else {
                        crate::portal::REMOTE_DESKTOP
                    };
                    return Error::PortalAbsent { interface };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_errors_explain_the_step_others_do_not() {
        let rd = Error::PortalTooOld {
            interface: crate::portal::REMOTE_DESKTOP,
            version: 1,
            needed: 2,
        };
        assert!(rd.explain().is_some_and(|t| t.contains("View-only")));
        let ask = Error::DeskMustApproveOnce(AskReason::TokenRefused);
        assert!(ask
            .explain()
            .is_some_and(|t| t.contains("must approve once")));
        assert!(Error::DeclinedAtDesk.explain().is_some());
        assert_eq!(Error::NoStream.explain(), None);
    }
}
