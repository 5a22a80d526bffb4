//! # latchkey-store: where a Latchkey device keeps what it knows
//!
//! The core crate decides; this crate remembers, durably and without leaking.
//!
//! # Layout
//!
//! - [`config`]: [`Config`], the one door to a configuration directory: it
//!   loads the settings, holds the lock while they change, saves them
//!   atomically and writes the audit event for every change.
//! - [`secrets`]: the secret store, either the OS keyring or a 0600 file,
//!   behind the [`SecretStore`] trait.
//! - [`settings_file`]: reading and atomically writing `settings.json`.
//! - [`audit_log`]: the append-only JSON-lines audit log with rotation.
//! - [`ops`]: the administrative operations (set a password, clear tokens, edit
//!   profiles...) shared by the CLI and the desktop app.
//! - [`known_hosts`]: the viewer's memory of each host's device key.
//! - [`throttle_file`]: the host's failed-login counters, kept across restarts.
//! - [`atomic`]: write-to-temp, fsync, rename.
//! - [`error`]: the crate's error type.
//!
//! # On disk
//!
//! ```text
//! <config-dir>/            mode 0700
//!   settings.json          non-secret settings (mode 0600, atomic writes)
//!   secrets                only with the file secret store (mode 0600, atomic writes)
//!   audit.log, .1 .. .3    security events, one JSON object a line
//!   throttle.json          failed-login counters (mode 0600, atomic writes)
//!   .lock                  held while the settings or the secrets file change
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod atomic;
pub mod audit_log;
pub mod config;
mod dir_lock;
pub mod error;
pub mod known_hosts;
pub mod ops;
pub mod secrets;
pub mod settings_file;
pub mod throttle_file;

pub use config::Config;
pub use error::{Error, KeyringProblem};
pub use secrets::{SecretName, SecretStore};
