//! The host's router for an open session: each feature's data channel, once
//! the viewer opens it, gets a task of its own running that feature's host
//! half, so a slow feature (a clipboard read) never holds up another (input).
//! The router checks the feature's permission when the channel opens and on
//! every message against the live grant, which one settings watcher pushes to
//! every task through one `watch` channel; a message the grant does not allow
//! is dropped, counted, and audited once per kind (`message_dropped`).

use std::sync::Arc;

use tokio::task::JoinSet;

use latchkey_core::feature::{self, FeatureSpec};

use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
use crate::transport::peer::Control;

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
        let message = match F::decode(&bytes) {
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
        &feature::clipboard_files::SPEC,
        spawn::<crate::features::clipboard_files::host::ClipboardFilesHost>,
    ),
    (
        &feature::displays::SPEC,
        spawn::<crate::features::displays::host::DisplaysHost>,
    ),
    (
        &feature::system_info::SPEC,
        spawn::<crate::features::system_info::host::SystemInfoHost>,
    ),
    (
        &feature::files::SPEC,
        spawn::<crate::features::files::host::FilesHost>,
    ),
    (
        &feature::tunnel::SPEC,
        spawn::<crate::features::tunnel::host::TunnelHost>,
    ),
    (
        &feature::desk::BLOCK_INPUT,
        spawn::<crate::features::desk::host::DeskHost<crate::features::desk::host::BlockInput>>,
    ),
    (
        &feature::desk::PRIVACY_MODE,
        spawn::<crate::features::desk::host::DeskHost<crate::features::desk::host::PrivacyMode>>,
    ),
    (
        &feature::desk::LOCK_ON_END,
        spawn::<crate::features::lock_on_end::host::LockHost>,
    ),
    (
        &feature::restart::SPEC,
        spawn::<crate::features::restart::host::RestartHost>,
    ),
    (
        &feature::print::SPEC,
        spawn::<crate::features::print::host::PrintHost>,
    ),
    (
        &feature::whiteboard::SPEC,
        spawn::<crate::features::whiteboard::host::WhiteboardHost>,
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

    /// Stop every feature task, then remove what the session staged and
    /// its printer.
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
        self.ctx.files.end(&self.ctx.shared.desktop).await;
        self.ctx.print.end().await;
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
