//! Exit codes and the one-line error a person sees.

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
                StoreError::SecretStoreUnavailable { .. } => STORE,
                StoreError::StoreMismatch { .. } => USAGE,
                StoreError::Core(latchkey_core::Error::Invalid(_)) => USAGE,
                StoreError::Core(latchkey_core::Error::AuthenticationFailed)
                | StoreError::WrongCredential(_) => AUTH,
                _ => OTHER,
            },
            CliError::Other(_) => OTHER,
            CliError::Reported(code) | CliError::Coded(code, _) => *code,
        }
    }
}
