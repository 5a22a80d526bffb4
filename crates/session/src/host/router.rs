//! The host's router for an open session: each feature's data channel, once
//! the viewer opens it, gets a task of its own running that feature's host
//! half, so a slow feature (a clipboard read) never holds up another (input).
//! The router checks the feature's permission when the channel opens and on
//! every message against the live grant, which one settings watcher pushes to
//! every task through one `watch` channel; a message the grant does not allow
//! is dropped, counted, and audited once per kind (`message_dropped`).

use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::JoinSet;

use latchkey_core::access::Revoked;
use latchkey_core::audit::AuditEvent;
use latchkey_core::feature::{self, FeatureSpec};
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
    /// The live grant (see [`LiveGrant`]).
    pub grant: watch::Receiver<LiveGrant>,
    /// Dropped messages, for the audit log.
    pub drops: DropLog,
    /// The monitor being streamed (pointer positions are on it).
    pub screen: Arc<ScreenChoice>,
    /// The last pointer sequence number applied: the pointer task moves it,
    /// the input task's `Sync` waits for it.
    pub pointer_seq: Arc<watch::Sender<u64>>,
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

/// Run feature `F` on its channel until the channel closes.
async fn serve<F: FeatureHost>(channel: Control, ctx: FeatureContext) {
    if !F::SPEC.allowed(ctx.grant.borrow().permissions) {
        tracing::debug!(
            feature = F::SPEC.name,
            "channel opened without its permission: its messages are refused"
        );
    }
    let mut half = F::new(&ctx);
    while let Ok(bytes) = channel.recv().await {
        let grant = *ctx.grant.borrow();
        if grant.revoked.is_some() {
            continue;
        }
        let message = match feature::parse::<F::FromViewer>(F::SPEC, &bytes) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(error = %e, "ignoring a feature message");
                continue;
            }
        };
        let allowed = F::SPEC.allowed(grant.permissions);
        match F::gate(&message) {
            Gate::Free => half.handle(message, grant.permissions, &channel).await,
            _ if allowed => half.handle(message, grant.permissions, &channel).await,
            Gate::Checked(kind) => {
                if let Some(permission) = F::SPEC.permission() {
                    ctx.drops
                        .drop_message(&ctx.shared, &ctx.viewer, kind, permission);
                }
                half.refused(message, &channel).await;
            }
            Gate::Quiet => half.refused(message, &channel).await,
        }
    }
}

/// Start feature `F`'s task on `channel`.
fn spawn<F: FeatureHost>(channel: Control, ctx: FeatureContext, tasks: &mut JoinSet<()>) {
    tasks.spawn(serve::<F>(channel, ctx));
}

type Spawn = fn(Control, FeatureContext, &mut JoinSet<()>);

/// Every feature's host half, by its registry entry.
const HOST_HALVES: &[(&FeatureSpec, Spawn)] = &[
    (
        &feature::input::SPEC,
        spawn::<crate::features::input::host::InputHost>,
    ),
    (
        &feature::pointer::SPEC,
        spawn::<crate::features::pointer::host::PointerHost>,
    ),
    (
        &feature::clipboard::SPEC,
        spawn::<crate::features::clipboard::host::ClipboardHost>,
    ),
    (
        &feature::displays::SPEC,
        spawn::<crate::features::displays::host::DisplaysHost>,
    ),
];

/// The feature tasks of one session.
pub(crate) struct Router {
    ctx: FeatureContext,
    tasks: JoinSet<()>,
    opened: Vec<&'static str>,
}

impl Router {
    /// A router with no channel open yet.
    pub fn new(ctx: FeatureContext) -> Self {
        Router {
            ctx,
            tasks: JoinSet::new(),
            opened: Vec::new(),
        }
    }

    /// A data channel the viewer opened: start its feature, if it names one
    /// (once per feature); anything else is closed.
    pub async fn open(&mut self, dc: Arc<dyn webrtc::data_channel::DataChannel>) {
        let label = dc.label().await.unwrap_or_default();
        let half = HOST_HALVES
            .iter()
            .find(|(spec, _)| spec.name == label)
            .filter(|(spec, _)| !self.opened.contains(&spec.name));
        let Some((spec, spawn)) = half else {
            tracing::debug!(%label, "closing a data channel that is no feature (or a second one)");
            let _ = dc.close().await;
            return;
        };
        self.opened.push(spec.name);
        spawn(Control::new(dc), self.ctx.clone(), &mut self.tasks);
    }

    /// Stop every feature task.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_feature_has_a_host_half() {
        for spec in feature::REGISTRY {
            assert!(
                HOST_HALVES.iter().any(|(s, _)| s == spec),
                "{} has no host half",
                spec.name
            );
        }
        assert_eq!(HOST_HALVES.len(), feature::REGISTRY.len());
    }
}
