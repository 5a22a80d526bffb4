//! [`ErrorCode`]: the one list of machine-readable failure names that every
//! program on the other end reads (the control socket's `code`, the desktop
//! app's `AppError.code`, the CLI's `--json` errors), instead of strings.
//! The CLI's exit code for each is in `crates/cli/src/exit.rs` (`for_code`).

use serde::{Deserialize, Serialize};

use crate::handshake::DenialCode;

/// Why something failed, for a program: stable snake_case names on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // The host refused the session (the handshake's `DenialCode`).
    /// Password or token wrong (or unattended access off, or profile disabled).
    WrongCredentials,
    /// 2FA applies and no code was given.
    SecondFactorRequired,
    /// The 2FA code was wrong or already used.
    SecondFactorInvalid,
    /// The person at the host said no, did not answer, or no one may be asked.
    Denied,
    /// Too many failures: wait.
    Throttled,
    /// The other side broke the protocol.
    Protocol,

    // Reaching the host.
    /// The host is offline (or the rendezvous server is unreachable).
    HostOffline,
    /// No host has this ID.
    UnknownId,
    /// The host's key is not the one remembered.
    HostKeyChanged,

    // Settings operations (the store's errors).
    /// The password does not meet the policy.
    WeakPassword,
    /// The profile has no password (needed for unattended access).
    NoPassword,
    /// The profile, token, permission or ACL entry does not exist.
    NotFound,
    /// A profile with that name exists.
    Exists,
    /// Built-in or default profiles cannot be renamed or deleted.
    Builtin,
    /// Refused input.
    BadInput,
    /// The secret store is unavailable or not the configured one.
    SecretStore,

    // The control socket.
    /// The caller may not use the host's control socket, or a window may not
    /// drive another's session.
    Forbidden,
    /// Not a control request.
    Malformed,
    /// A control request with an invalid field (an unknown permission).
    Invalid,
    /// No pending request has this id.
    UnknownRequest,
    /// The pending request is not the one the person saw.
    RequestMismatch,
    /// This host takes no such request here.
    Unsupported,
    /// A request line over the limit.
    TooLarge,

    // An open session's features.
    /// The session's permissions (or its profile's limits, such as
    /// `tunnel_destinations`) do not allow what was asked.
    Permission,

    // The desktop app.
    /// The session ended.
    SessionEnded,

    /// Anything else, on this machine. A name this build does not know (from
    /// a newer host) reads as this one.
    Local,

    // The file manager.
    /// A directory where a file was expected.
    IsDirectory,
    /// A file where a directory was expected.
    NotDirectory,
    /// The disk is full.
    NoSpace,

    // Files through the clipboard.
    /// There is nothing to copy (the host's clipboard holds no files).
    Empty,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 30] = [
        ErrorCode::WrongCredentials,
        ErrorCode::SecondFactorRequired,
        ErrorCode::SecondFactorInvalid,
        ErrorCode::Denied,
        ErrorCode::Throttled,
        ErrorCode::Protocol,
        ErrorCode::HostOffline,
        ErrorCode::UnknownId,
        ErrorCode::HostKeyChanged,
        ErrorCode::WeakPassword,
        ErrorCode::NoPassword,
        ErrorCode::NotFound,
        ErrorCode::Exists,
        ErrorCode::Builtin,
        ErrorCode::BadInput,
        ErrorCode::SecretStore,
        ErrorCode::Forbidden,
        ErrorCode::Malformed,
        ErrorCode::Invalid,
        ErrorCode::UnknownRequest,
        ErrorCode::RequestMismatch,
        ErrorCode::Unsupported,
        ErrorCode::TooLarge,
        ErrorCode::Permission,
        ErrorCode::SessionEnded,
        ErrorCode::Local,
        ErrorCode::IsDirectory,
        ErrorCode::NotDirectory,
        ErrorCode::NoSpace,
        ErrorCode::Empty,
    ];

    /// The wire name (what serde writes).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::WrongCredentials => "wrong_credentials",
            ErrorCode::SecondFactorRequired => "second_factor_required",
            ErrorCode::SecondFactorInvalid => "second_factor_invalid",
            ErrorCode::Denied => "denied",
            ErrorCode::Throttled => "throttled",
            ErrorCode::Protocol => "protocol",
            ErrorCode::HostOffline => "host_offline",
            ErrorCode::UnknownId => "unknown_id",
            ErrorCode::HostKeyChanged => "host_key_changed",
            ErrorCode::WeakPassword => "weak_password",
            ErrorCode::NoPassword => "no_password",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Exists => "exists",
            ErrorCode::Builtin => "builtin",
            ErrorCode::BadInput => "bad_input",
            ErrorCode::SecretStore => "secret_store",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Malformed => "malformed",
            ErrorCode::Invalid => "invalid",
            ErrorCode::UnknownRequest => "unknown_request",
            ErrorCode::RequestMismatch => "request_mismatch",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Permission => "permission",
            ErrorCode::SessionEnded => "session_ended",
            ErrorCode::Local => "local",
            ErrorCode::IsDirectory => "is_directory",
            ErrorCode::NotDirectory => "not_directory",
            ErrorCode::NoSpace => "no_space",
            ErrorCode::Empty => "empty",
        }
    }

    /// The code with this wire name, if there is one.
    pub fn from_name(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl From<DenialCode> for ErrorCode {
    fn from(code: DenialCode) -> Self {
        match code {
            DenialCode::WrongCredentials => ErrorCode::WrongCredentials,
            DenialCode::SecondFactorRequired => ErrorCode::SecondFactorRequired,
            DenialCode::SecondFactorInvalid => ErrorCode::SecondFactorInvalid,
            DenialCode::Denied => ErrorCode::Denied,
            DenialCode::Throttled => ErrorCode::Throttled,
            DenialCode::Protocol => ErrorCode::Protocol,
        }
    }
}

/// By name; a name this build does not know (a newer host's) reads as [`ErrorCode::Local`].
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(ErrorCode::from_name(&name).unwrap_or(ErrorCode::Local))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A code equals its wire name.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, name: &&str) -> bool {
        self.name() == *name
    }
}

#[cfg(test)]
mod tests;
