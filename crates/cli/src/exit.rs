//! Exit codes and the one-line error a person sees.

use latchkey_core::ErrorCode;
use latchkey_store::Error as StoreError;

/// Everything went well.
pub const OK: u8 = 0;
/// Anything not covered below.
pub const OTHER: u8 = 1;
/// Usage error or refused input.
pub const USAGE: u8 = 2;
/// Authentication failed.
pub const AUTH: u8 = 3;
/// The secret store is unavailable.
pub const STORE: u8 = 4;
/// The host's key changed.
pub const HOST_KEY: u8 = 5;
/// The host is offline or the ID unknown.
pub const OFFLINE: u8 = 6;
/// `service install` wrote the unit but did not enable it (no running
/// systemd to ask, `systemctl` failed, or `--unit-dir` was given).
pub const NOT_ENABLED: u8 = 7;
/// The host's control socket refused the caller (to read or to change): it
/// is not root, the host's own user, or a member of the `latchkey` group.
pub const FORBIDDEN: u8 = 8;
/// `host --display auto`: the graphical session the host followed ended or
/// changed; the service's `Restart=on-failure` starts it again to follow the new one.
pub const DISPLAY_CHANGED: u8 = 9;
/// There was nothing to copy: `clipboard --get-files` found no files on the
/// host's clipboard (like grep's "no match", not a usage error).
pub const EMPTY: u8 = 10;

/// The exit code for a failure with `code`, in one place for every code
/// (the store's errors, the control socket's answers). No wildcard arm: a
/// new code must be given one.
pub fn for_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::WeakPassword
        | ErrorCode::NoPassword
        | ErrorCode::NotFound
        | ErrorCode::Exists
        | ErrorCode::Builtin
        | ErrorCode::BadInput
        | ErrorCode::Malformed
        | ErrorCode::Invalid
        | ErrorCode::UnknownRequest
        | ErrorCode::RequestMismatch
        | ErrorCode::IsDirectory
        | ErrorCode::NotDirectory => USAGE,
        ErrorCode::WrongCredentials
        | ErrorCode::SecondFactorRequired
        | ErrorCode::SecondFactorInvalid
        | ErrorCode::Denied
        | ErrorCode::Throttled
        | ErrorCode::Permission => AUTH,
        ErrorCode::SecretStore => STORE,
        ErrorCode::HostKeyChanged => HOST_KEY,
        ErrorCode::HostOffline | ErrorCode::UnknownId => OFFLINE,
        ErrorCode::Forbidden => FORBIDDEN,
        ErrorCode::Empty => EMPTY,
        ErrorCode::Protocol
        | ErrorCode::Unsupported
        | ErrorCode::TooLarge
        | ErrorCode::SessionEnded
        | ErrorCode::NoSpace
        | ErrorCode::Local => OTHER,
    }
}

/// An error on its way out of the CLI, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Refused input found by the CLI itself (bad stdin, ...).
    #[error("{0}")]
    Usage(String),
    /// From the store (and through it, the core).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
    /// A failure whose message was already printed (JSON mode), with its code.
    #[error("")]
    Reported(u8),
    /// An error with an explicit exit code.
    #[error("{1}")]
    Coded(u8, String),
}

impl From<latchkey_core::Invalid> for CliError {
    fn from(e: latchkey_core::Invalid) -> Self {
        CliError::Store(e.into())
    }
}

impl CliError {
    /// The exit code for this error.
    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) => USAGE,
            CliError::Store(e) => match e {
                // The two whose exit code is not their code's: a secret store
                // other than the configured one is a usage error (the option
                // or variable contradicts the directory), and a failed local
                // OPAQUE check is an authentication failure (its code is `local`).
                StoreError::StoreMismatch { .. } => USAGE,
                StoreError::Core(latchkey_core::Error::AuthenticationFailed) => AUTH,
                e => for_code(e.code()),
            },
            CliError::Other(_) => OTHER,
            CliError::Reported(code) | CliError::Coded(code, _) => *code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each code's exit code, as the CLI gave it before the enum (the control
    /// socket's answers in `requests|accept|deny`, the store's errors).
    #[test]
    fn every_code_has_the_exit_code_it_had() {
        let expected = |c: ErrorCode| match c.name() {
            "unknown_request" | "request_mismatch" | "invalid" | "malformed" | "weak_password"
            | "no_password" | "not_found" | "exists" | "builtin" | "bad_input" | "is_directory"
            | "not_directory" => USAGE,
            "forbidden" => FORBIDDEN,
            "wrong_credentials"
            | "second_factor_required"
            | "second_factor_invalid"
            | "denied"
            | "throttled"
            // Added with the session features: a refused feature request.
            | "permission" => AUTH,
            "secret_store" => STORE,
            "host_key_changed" => HOST_KEY,
            "host_offline" | "unknown_id" => OFFLINE,
            // Added with files through the clipboard.
            "empty" => EMPTY,
            _ => OTHER,
        };
        for code in ErrorCode::ALL {
            assert_eq!(for_code(code), expected(code), "{code}");
        }
        // Only the exit codes that mean a failure.
        for code in ErrorCode::ALL {
            assert!(![OK, NOT_ENABLED, DISPLAY_CHANGED].contains(&for_code(code)));
        }
    }

    /// The store's errors keep the exit codes they had.
    #[test]
    fn store_errors_keep_their_exit_codes() {
        use latchkey_core::Invalid;
        let code = |e: StoreError| CliError::Store(e).code();
        assert_eq!(code(Invalid::NoPendingEnrollment.into()), USAGE);
        assert_eq!(code(Invalid::UnknownProfile("x".into()).into()), USAGE);
        assert_eq!(code(StoreError::WrongCredential("no".into())), AUTH);
        assert_eq!(
            code(StoreError::Core(latchkey_core::Error::AuthenticationFailed)),
            AUTH
        );
        assert_eq!(
            code(StoreError::StoreMismatch {
                dir: "/x".into(),
                configured: "file"
            }),
            USAGE
        );
        assert_eq!(
            code(StoreError::SecretStoreUnavailable {
                problem: latchkey_store::KeyringProblem::Locked,
                message: "locked".into()
            }),
            STORE
        );
        assert_eq!(
            code(StoreError::Core(latchkey_core::Error::Corrupt("x".into()))),
            OTHER
        );
    }
}
