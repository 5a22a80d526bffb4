//! The store's error type.

use std::path::PathBuf;

use latchkey_core::ErrorCode;

/// What can go wrong while remembering.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The secret store cannot be reached (no keyring running, locked keyring...).
    /// `message` is worded for the command line (it names `--secret-store`);
    /// other front ends word `problem` themselves.
    #[error("{message}")]
    SecretStoreUnavailable {
        /// What was found, for front ends to put in their own words.
        problem: KeyringProblem,
        /// The command line's message.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// Which file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The settings file is damaged or from a newer version: refused, left untouched.
    #[error("cannot use {path}: {reason}. The file was left untouched: restore it from a backup, or move it away to start over")]
    BadSettings {
        /// The settings file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The secrets file or a secret in the keyring is damaged.
    #[error("a stored secret is damaged: {0}")]
    CorruptSecret(String),
    /// The configuration asks for one secret store and the command for another.
    #[error("{dir} keeps its secrets in the {configured} store; run with --secret-store {configured} (or without the option)")]
    StoreMismatch {
        /// The configuration directory.
        dir: PathBuf,
        /// The store it was set up with.
        configured: &'static str,
    },
    /// A password or code did not match; the message says which.
    #[error("{0}")]
    WrongCredential(String),
    /// A rule of the core refused the change, or a credential did not match.
    #[error(transparent)]
    Core(#[from] latchkey_core::Error),
}

/// Why the OS keyring cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KeyringProblem {
    /// No Secret Service answers on the session bus (or there is no session bus).
    NoService,
    /// The keyring is locked (or its unlock prompt was dismissed).
    Locked,
    /// The Secret Service has no default collection (no login keyring yet).
    NoDefaultCollection,
    /// The keyring refused the request for another reason.
    Refused,
}

impl From<latchkey_core::Invalid> for Error {
    fn from(e: latchkey_core::Invalid) -> Self {
        Error::Core(latchkey_core::Error::Invalid(e))
    }
}

impl Error {
    /// An I/O error with its context.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The machine-readable name of this error for a program on the other
    /// end (the desktop app, a control-socket client): `weak_password`,
    /// `no_password`, `not_found`, `exists`, `builtin`, `wrong_credentials`,
    /// `secret_store`, `bad_input` or `local`.
    pub fn code(&self) -> ErrorCode {
        use latchkey_core::{Error as CoreError, Invalid};
        match self {
            Error::Core(CoreError::Invalid(i)) => match i {
                Invalid::WeakPassword(_) => ErrorCode::WeakPassword,
                Invalid::NoPassword(_) => ErrorCode::NoPassword,
                Invalid::UnknownProfile(_)
                | Invalid::UnknownToken(_)
                | Invalid::UnknownPermission(_)
                | Invalid::NotOnAcl(_) => ErrorCode::NotFound,
                Invalid::ProfileExists(_) => ErrorCode::Exists,
                Invalid::BuiltinProfile(..) | Invalid::IsDefaultProfile(_) => ErrorCode::Builtin,
                _ => ErrorCode::BadInput,
            },
            Error::WrongCredential(_) => ErrorCode::WrongCredentials,
            Error::SecretStoreUnavailable { .. } | Error::StoreMismatch { .. } => {
                ErrorCode::SecretStore
            }
            _ => ErrorCode::Local,
        }
    }
}
