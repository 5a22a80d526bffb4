//! The one error type every command returns to the UI: a stable `code` the
//! UI turns into words and a next step, and a `message` for people.

use serde::Serialize;
use ts_rs::TS;

use latchkey_core::ErrorCode;
use latchkey_session::viewer::{ConnectError, SessionError};
use latchkey_store::Error as StoreError;

/// What went wrong, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// Stable, snake_case: `wrong_credentials`, `host_key_changed`, `weak_password`, ...
    pub code: ErrorCode,
    /// For people.
    pub message: String,
    /// For `throttled`: seconds to wait.
    #[ts(type = "number | null")]
    pub retry_after_s: Option<u64>,
    /// For `host_key_changed`: the remembered fingerprint.
    pub expected: Option<String>,
    /// For `host_key_changed`: the fingerprint the host presented.
    pub got: Option<String>,
}

impl AppError {
    /// An error with just a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            retry_after_s: None,
            expected: None,
            got: None,
        }
    }

    /// Bad input from the UI.
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadInput, message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if let StoreError::SecretStoreUnavailable { problem, .. } = &e {
            // The store's own text is the command line's; the window words it.
            return AppError::new(ErrorCode::SecretStore, crate::first_run::describe(*problem));
        }
        if let StoreError::StoreMismatch { configured, .. } = &e {
            return AppError::new(
                ErrorCode::SecretStore,
                format!(
                    "This configuration keeps its secrets in the {configured} store, and LATCHKEY_SECRET_STORE asks for the other one"
                ),
            );
        }
        AppError::new(e.code(), e.to_string())
    }
}

impl From<ConnectError> for AppError {
    fn from(e: ConnectError) -> Self {
        let mut out = AppError::new(e.code(), e.to_string());
        match e {
            ConnectError::Denied { retry_after_s, .. } => out.retry_after_s = retry_after_s,
            ConnectError::HostKeyChanged { expected, got } => {
                out.message = "The host's identity key is not the one this device remembers. \
                               Someone may be impersonating it, or it was reinstalled."
                    .into();
                out.expected = Some(expected);
                out.got = Some(got);
            }
            _ => {}
        }
        out
    }
}

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> Self {
        let code = match &e {
            SessionError::TooLarge { .. } => ErrorCode::BadInput,
            SessionError::Broken(_) => ErrorCode::SessionEnded,
            other => other.code(),
        };
        AppError::new(code, e.to_string())
    }
}

impl From<latchkey_session::Error> for AppError {
    fn from(e: latchkey_session::Error) -> Self {
        match e {
            latchkey_session::Error::Store(s) => s.into(),
            latchkey_session::Error::Usage(m) => AppError::bad_input(m),
            other => AppError::new(ErrorCode::SessionEnded, other.to_string()),
        }
    }
}

/// What commands return.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_store::KeyringProblem;

    /// The store's own message names the CLI's option; the window's must not.
    #[test]
    fn a_secret_store_error_is_worded_for_the_window() {
        for problem in [
            KeyringProblem::NoService,
            KeyringProblem::Locked,
            KeyringProblem::NoDefaultCollection,
            KeyringProblem::Refused,
        ] {
            let e = AppError::from(StoreError::SecretStoreUnavailable {
                problem,
                message: "the OS keyring is not available: or run with --secret-store file".into(),
            });
            assert_eq!(e.code, ErrorCode::SecretStore);
            assert!(!e.message.contains("--"), "{}", e.message);
        }
        let e = AppError::from(StoreError::StoreMismatch {
            dir: "/tmp/x".into(),
            configured: "file",
        });
        assert_eq!(e.code, ErrorCode::SecretStore);
        assert!(!e.message.contains("--"), "{}", e.message);
    }

    /// The UI receives the same `code` string as before.
    #[test]
    fn the_code_goes_to_the_ui_as_its_name() {
        let e = AppError::new(ErrorCode::WeakPassword, "too short");
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(v["code"], "weak_password");
    }
}
