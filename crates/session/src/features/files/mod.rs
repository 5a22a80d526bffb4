//! The file manager (`files`): list, make, remove and rename paths on the
//! host, and copy files both ways, streamed in chunks with flow control,
//! checked by SHA-256 end to end, written under a temporary name and renamed
//! into place, and resumed when repeated. The wire messages, path rules and
//! resume rule are in `latchkey_core::feature::files`.
//!
//! - [`worker`]: whose rights the host's file operations have, where they run
//!   (a thread, or a helper process with the desktop user's rights).
//! - [`ops`]: the host's blocking file operations (run on that thread).
//! - [`host`]: the host half (a `FeatureHost`).
//! - [`shared`]: the session's worker and clipboard scope, shared with `clipboard_files`.
//! - [`viewer`]: the viewer half, `session.files()`.
//! - [`transfer`]: copies of files and trees over it (the CLI's `cp`, the app's file window).

use latchkey_core::ErrorCode;

pub mod host;
pub(crate) mod ops;
pub(crate) mod shared;
pub mod transfer;
pub mod viewer;
pub mod worker;

/// A failed file operation: its code and what a person reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{message}")]
pub struct Failure {
    /// For a program.
    pub code: ErrorCode,
    /// For a person.
    pub message: String,
}

impl Failure {
    /// A failure with `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// An I/O error on `what` (a path as the user gave it).
    pub fn io(what: &str, e: &std::io::Error) -> Self {
        Failure::new(io_code(e), format!("{what}: {}", describe(e)))
    }
}

/// The code for an I/O error.
pub fn io_code(e: &std::io::Error) -> ErrorCode {
    match e.raw_os_error() {
        Some(libc::ENOENT) => ErrorCode::NotFound,
        Some(libc::EACCES) | Some(libc::EPERM) => ErrorCode::Forbidden,
        Some(libc::EISDIR) => ErrorCode::IsDirectory,
        Some(libc::ENOTDIR) => ErrorCode::NotDirectory,
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => ErrorCode::NoSpace,
        Some(libc::EEXIST) | Some(libc::ENOTEMPTY) => ErrorCode::Exists,
        Some(libc::ELOOP) => ErrorCode::BadInput,
        _ => match e.kind() {
            std::io::ErrorKind::NotFound => ErrorCode::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorCode::Forbidden,
            std::io::ErrorKind::AlreadyExists => ErrorCode::Exists,
            _ => ErrorCode::Local,
        },
    }
}

fn describe(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOENT) => "no such file or directory".into(),
        Some(libc::EISDIR) => "is a directory".into(),
        Some(libc::ENOTDIR) => "not a directory".into(),
        Some(libc::ENOSPC) => "no space left on the device".into(),
        Some(libc::ENOTEMPTY) => "the directory is not empty (use -r)".into(),
        Some(libc::ELOOP) => "is a symbolic link (not followed)".into(),
        _ => e.to_string(),
    }
}
