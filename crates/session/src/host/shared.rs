//! What every session of one host shares, and the small helpers both the
//! handshake and the open session use (moved out of `handshake.rs` so that
//! `live` and `handshake` no longer import each other).

use std::sync::{Arc, Mutex};

use latchkey_core::audit::AuditEvent;
use latchkey_core::settings::SecretStoreKind;
use latchkey_core::signal::DeviceId;
use latchkey_core::throttle::Throttle;
use latchkey_store::Config;

use crate::host::requests::Requests;

/// What every session of one host shares.
#[derive(Clone)]
pub struct HostShared {
    /// The host's configuration directory.
    pub config_dir: std::path::PathBuf,
    /// Its secret store.
    pub store: Option<SecretStoreKind>,
    /// Failure counters, shared by all sessions.
    pub throttle: Arc<Mutex<Throttle>>,
    /// Requests waiting for the person at the host.
    pub requests: Requests,
    /// Whether the main window is open (always false for the headless host).
    pub window_open: Arc<std::sync::atomic::AtomicBool>,
    /// This host's ID, once registered.
    pub device_id: Option<DeviceId>,
    /// Input injection and the clipboard, shared by all sessions.
    pub desktop: crate::host::desktop::Desktop,
    /// Keeps the person at the desk out (blocked input, blank monitors).
    pub desk: crate::host::desk::Desk,
    /// Pointers of viewers that may show theirs but not move the host's.
    pub pointers: crate::host::requests::RemotePointers,
    /// A viewer restarted the machine: new sessions are turned away until
    /// this process is gone (a reconnect must reach the host after the restart).
    pub restarting: Arc<std::sync::atomic::AtomicBool>,
    /// The printers offered to sessions that print (`print`).
    pub printers: crate::features::print::printers::Printers,
    /// What is drawn on top of the screen (whiteboards, viewers' pointers).
    pub overlays: crate::host::overlay::Overlays,
}

pub(crate) use crate::transport::peer::is_dead;

/// Audit a connection refused before any viewer key was proven (its SDP or
/// its DTLS certificate did not match): who it was is not known.
pub(crate) fn refused_connection(shared: &HostShared, from_addr: &Option<String>, reason: &str) {
    tracing::warn!(%reason, "connection refused");
    let event = AuditEvent::AccessDecision {
        viewer: "-".into(),
        viewer_name: String::new(),
        addr: from_addr.clone(),
        method: "-".into(),
        profile: None,
        outcome: "refused".into(),
        reason: Some(reason.to_string()),
    };
    if let Err(e) = Config::open(&shared.config_dir, shared.store).and_then(|c| c.record(event)) {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}
