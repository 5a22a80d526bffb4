//! The viewer: reach a host by ID through the rendezvous, check its identity
//! against `known_hosts`, and log in with a saved token, a password (OPAQUE,
//! bound to this connection) or by asking the person at the host.

use serde::Serialize;

mod handshake;
pub(crate) mod link;
pub mod session;
pub(crate) mod track_drain;

pub use handshake::connect;
pub use link::SessionError;
pub use session::{Session, SessionEvent};
use std::time::Duration;
use zeroize::Zeroizing;

use latchkey_core::handshake::{DenialCode, Method};
use latchkey_core::permission::PermissionSet;
use latchkey_core::signal::DeviceId;
use latchkey_core::ErrorCode;

use crate::Error;

/// How long the host has to answer each step (the accept window gets its 60 s on top).
const STEP: Duration = Duration::from_secs(10);

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The host's ID.
    pub host_id: DeviceId,
    /// Rendezvous URL.
    pub rendezvous: String,
    /// Profile to ask for (default: the host's default).
    pub profile: Option<String>,
    /// Password, when logging in by password.
    pub password: Option<Zeroizing<String>>,
    /// TOTP or recovery code, if the host asks for one.
    pub totp: Option<Zeroizing<String>>,
    /// Ask for a saved-login token.
    pub remember: bool,
    /// Accept a host key different from the remembered one.
    pub accept_new_host_key: bool,
    /// Name shown in the host's accept window.
    pub name: String,
}

/// The name a viewer shows in the host's accept window: `user@hostname`.
pub fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let user = std::env::var("USER").unwrap_or_default();
    match (user.is_empty(), host.is_empty()) {
        (false, false) => format!("{user}@{host}"),
        (true, false) => host,
        _ => "latchkey viewer".into(),
    }
}

/// A granted session, as `connect --probe --json` reports it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Granted {
    /// The host's ID.
    pub host_id: String,
    /// How the session was granted.
    pub method: Method,
    /// Granted profile.
    pub profile: String,
    /// Granted permissions.
    pub permissions: PermissionSet,
    /// Whether a new saved-login token was stored.
    pub token_saved: bool,
    /// The candidate types of the path ICE selected (`relay` when through TURN).
    #[cfg_attr(feature = "ts", ts(skip))]
    pub ice: Option<crate::transport::peer::IcePath>,
}

/// Why a connection did not come about.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host refused.
    #[error("{message}")]
    Denied {
        /// Why.
        code: DenialCode,
        /// For `throttled`.
        retry_after_s: Option<u64>,
        /// For people.
        message: String,
    },
    /// The host is not connected (or went away mid-way).
    #[error("host {0} is offline")]
    HostOffline(String),
    /// No host has this ID.
    #[error("no host has the ID {0}")]
    UnknownId(String),
    /// The host's key is not the one remembered.
    #[error("the host's key changed (remembered {expected}, got {got}): if you trust this change, connect again with --accept-new-host-key")]
    HostKeyChanged {
        /// Fingerprint remembered.
        expected: String,
        /// Fingerprint presented.
        got: String,
    },
    /// No network path to the host came up, and a TURN relay says why
    /// (e.g. it refused the credentials).
    #[error("cannot reach host {host}: {why}")]
    NoPath {
        /// The host's ID.
        host: String,
        /// What the relay answered.
        why: String,
    },
    /// The host broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Something local failed (config, keyring, rendezvous unreachable).
    #[error(transparent)]
    Local(#[from] Error),
}

impl ConnectError {
    /// The shared error name.
    pub fn code(&self) -> ErrorCode {
        match self {
            ConnectError::Denied { code, .. } => ErrorCode::from(*code),
            ConnectError::HostOffline(_) | ConnectError::NoPath { .. } => ErrorCode::HostOffline,
            ConnectError::UnknownId(_) => ErrorCode::UnknownId,
            ConnectError::HostKeyChanged { .. } => ErrorCode::HostKeyChanged,
            ConnectError::Protocol(_) => ErrorCode::Protocol,
            ConnectError::Local(Error::RendezvousUnreachable(_))
            | ConnectError::Local(Error::RendezvousLost(_)) => ErrorCode::HostOffline,
            ConnectError::Local(_) => ErrorCode::Local,
        }
    }
}
