//! What a feature's host half is given and must do: the live grant, the
//! session's context, the drop log, and the [`FeatureHost`] trait the
//! router runs (kept apart from the router so that the features and the
//! router do not import each other).

use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use tokio::sync::watch;

use latchkey_core::access::Revoked;
use latchkey_core::audit::AuditEvent;
use latchkey_core::feature::{FeatureSpec, WireError};
use latchkey_core::permission::{Permission, PermissionSet};
use latchkey_store::Config;

use crate::features::video::ScreenChoice;
use crate::host::shared::HostShared;
use crate::transport::peer::Control;

/// The session's permissions as they are now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LiveGrant {
    /// The grant, within the profile as it is now (none once revoked).
    pub permissions: PermissionSet,
    /// What the session logged in with was revoked: it ends.
    pub revoked: Option<Revoked>,
}

/// What every feature task of one session gets.
#[derive(Clone)]
pub(crate) struct FeatureContext {
    /// The host's shared state (desktop thread, remote pointers, config).
    pub shared: HostShared,
    /// Fingerprint of the viewer's device key.
    pub viewer: String,
    /// The viewer's device key (what a reconnect credential is bound to).
    pub viewer_key: latchkey_core::identity::DevicePublicKey,
    /// What the session logged in with (a reconnect credential carries it on).
    pub credential: latchkey_core::access::SessionCredential,
    /// The name the viewer gave (proves nothing): its printer's name, and shown beside its pointer.
    pub viewer_name: String,
    /// The granted profile (its limits, such as `tunnel_destinations`, are
    /// read from the settings as they are when used).
    pub profile: String,
    /// The live grant (see [`LiveGrant`]).
    pub grant: watch::Receiver<LiveGrant>,
    /// Dropped messages, for the audit log.
    pub drops: DropLog,
    /// The monitor being streamed (pointer positions are on it).
    pub screen: Arc<ScreenChoice>,
    /// The last pointer sequence number applied: the pointer task moves it,
    /// the input task's `Sync` waits for it.
    pub pointer_seq: Arc<watch::Sender<u64>>,
    /// The session's file worker and what `clipboard_files` opens on `files`
    /// (shared by those two features; its staging folder goes with the session).
    pub files: crate::features::files::shared::SessionFiles,
    /// Whether the desktop locks when the session ends (with `lock_on_end`;
    /// the viewer may turn it off).
    pub lock_on_end: Arc<std::sync::atomic::AtomicBool>,
    /// The session's printer on the host, once the viewer started it
    /// (removed with the session).
    pub print: crate::features::print::host::SessionPrinter,
}

/// Call `lost` whenever the live grant changes to one that is revoked or
/// that `keeps` no longer holds (a feature half taking down what the
/// session may no longer have); abort the task when the half goes.
pub(crate) fn on_grant_loss(
    mut grant: watch::Receiver<LiveGrant>,
    keeps: impl Fn(PermissionSet) -> bool + Send + 'static,
    lost: impl Fn() + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while grant.changed().await.is_ok() {
            let g = *grant.borrow();
            if g.revoked.is_some() || !keeps(g.permissions) {
                lost();
            }
        }
    })
}

/// Messages dropped in this session: counted, and audited once per kind.
#[derive(Clone, Default)]
pub(crate) struct DropLog(Arc<Mutex<Drops>>);

#[derive(Default)]
struct Drops {
    count: u64,
    reported: Vec<&'static str>,
}

impl DropLog {
    /// Count one dropped message; audit it if it is the first of its kind.
    pub fn drop_message(
        &self,
        shared: &HostShared,
        viewer: &str,
        kind: &'static str,
        permission: Permission,
    ) {
        let first = {
            // No await while locked; a poisoned count is still a count.
            let mut d = self.0.lock().unwrap_or_else(|p| p.into_inner());
            d.count += 1;
            let first = !d.reported.contains(&kind);
            if first {
                d.reported.push(kind);
            }
            first
        };
        if first {
            let event = AuditEvent::MessageDropped {
                viewer: viewer.to_string(),
                kind: kind.into(),
                permission: permission.name().into(),
            };
            if let Err(e) =
                Config::open(&shared.config_dir, shared.store).and_then(|c| c.record(event))
            {
                tracing::error!(error = %e, "cannot write the audit log");
            }
        }
    }

    /// How many were dropped.
    pub fn count(&self) -> u64 {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).count
    }
}

/// Whether a message needs its feature's permission.
pub(crate) enum Gate {
    /// No (a `Sync`, or an open feature).
    Free,
    /// Yes; refused, it is counted and audited under this kind.
    Checked(&'static str),
    /// Yes; refused, it is neither counted nor audited (a clipboard piece
    /// with more to come: the last piece is).
    Quiet,
}

/// A feature's host half: what it does with the messages the router lets
/// through, and with those it refused.
pub(crate) trait FeatureHost: Sized + Send + 'static {
    /// The feature.
    const SPEC: &'static FeatureSpec;
    /// What the viewer sends on its channel.
    type FromViewer: DeserializeOwned + Send;
    /// A fresh half for one session.
    fn new(ctx: &FeatureContext) -> Self;
    /// Read one message off the channel (size first): the feature's JSON
    /// form unless it has another (`tcp_tunnel`'s binary data frames).
    fn decode(bytes: &[u8]) -> Result<Self::FromViewer, WireError> {
        latchkey_core::feature::parse(Self::SPEC, bytes)
    }
    /// Whether `message` needs the feature's permission.
    fn gate(message: &Self::FromViewer) -> Gate;
    /// Carry out an allowed message (`allowed`: the live permissions).
    fn handle(
        &mut self,
        message: Self::FromViewer,
        allowed: PermissionSet,
        channel: &Control,
    ) -> impl Future<Output = ()> + Send;
    /// After the router refused `message` (and audited it): tell the viewer, forget state.
    fn refused(
        &mut self,
        message: Self::FromViewer,
        channel: &Control,
    ) -> impl Future<Output = ()> + Send;
}
