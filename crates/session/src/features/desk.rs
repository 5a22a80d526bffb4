//! Keeping the person at the host's desk out: `block_input` and
//! `privacy_mode`, each on its own channel with the same messages
//! (`latchkey_core::feature::desk`). The host half holds the session's claim
//! on the host's desk guard (`host::desk`), which does the X11 work; the
//! claim goes when the viewer turns it off, when the live grant loses the
//! permission, and when the session ends or drops (the half is dropped with
//! its task).

use latchkey_core::feature::desk::{FromHost, FromViewer};

/// The host half.
pub mod host {
    use std::marker::PhantomData;

    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;

    use super::{FromHost, FromViewer};
    use crate::host::desk::{session_id, Desk, Keep};
    use crate::host::feature_host::{on_grant_loss, FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// Which of the two features a half serves.
    pub(crate) trait Which: Send + 'static {
        /// Its registry entry.
        const SPEC: &'static FeatureSpec;
        /// What it asks of the desk guard.
        const KEEP: Keep;
    }

    /// `block_input`.
    pub(crate) struct BlockInput;
    impl Which for BlockInput {
        const SPEC: &'static FeatureSpec = &feature::desk::BLOCK_INPUT;
        const KEEP: Keep = Keep::Input;
    }

    /// `privacy_mode`.
    pub(crate) struct PrivacyMode;
    impl Which for PrivacyMode {
        const SPEC: &'static FeatureSpec = &feature::desk::PRIVACY_MODE;
        const KEEP: Keep = Keep::Privacy;
    }

    /// One session's claim on the desk, for feature `W`.
    pub(crate) struct DeskHost<W: Which> {
        desk: Desk,
        session: u64,
        /// Lets go when the live grant loses the permission.
        watcher: tokio::task::JoinHandle<()>,
        which: PhantomData<W>,
    }

    impl<W: Which> FeatureHost for DeskHost<W> {
        const SPEC: &'static FeatureSpec = W::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            let desk = ctx.shared.desk.clone();
            let session = session_id();
            let watched = desk.clone();
            let watcher = on_grant_loss(
                ctx.grant.clone(),
                |p| W::SPEC.allowed(p),
                move || watched.release(session),
            );
            DeskHost {
                desk,
                session,
                watcher,
                which: PhantomData,
            }
        }

        fn gate(message: &FromViewer) -> Gate {
            match message {
                FromViewer::Set { on: true } => Gate::Checked(W::SPEC.name),
                // Letting go is always allowed.
                FromViewer::Set { on: false } => Gate::Free,
            }
        }

        async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
            let FromViewer::Set { on } = message;
            let answer = match self.desk.set(self.session, W::KEEP, on).await {
                Ok(()) => FromHost::State { on },
                Err(reason) => {
                    tracing::warn!(feature = W::SPEC.name, %reason, "cannot change the desk");
                    FromHost::Failed { reason }
                }
            };
            let _ = channel.send(&answer).await;
        }

        async fn refused(&mut self, _: FromViewer, channel: &Control) {
            let _ = channel.send(&refusal(W::SPEC)).await;
        }
    }

    /// The answer to a switch the session's permissions do not allow.
    pub(crate) fn refusal(spec: &FeatureSpec) -> FromHost {
        FromHost::Refused {
            what: spec.name.into(),
            permission: spec.permission_name().into(),
        }
    }

    impl<W: Which> Drop for DeskHost<W> {
        fn drop(&mut self) {
            self.watcher.abort();
            self.desk.release(self.session);
        }
    }
}

/// The viewer half: `session.block_input()` and `session.privacy_mode()`.
pub mod viewer {
    use super::{FromHost, FromViewer};
    use crate::viewer::link::{FeatureLink, SessionError};

    /// A switch that keeps the person at the host's desk out while on.
    #[derive(Clone)]
    pub struct DeskSwitch {
        link: FeatureLink,
    }

    impl DeskSwitch {
        pub(crate) fn new(link: FeatureLink) -> Self {
            DeskSwitch { link }
        }

        /// Turn it on or off for this session; what the host now holds.
        pub async fn set(&self, on: bool) -> Result<bool, SessionError> {
            let _turn = self.link.turn().await;
            self.link.send(&FromViewer::Set { on }).await?;
            match self.link.recv::<FromHost>().await? {
                FromHost::State { on } => Ok(on),
                FromHost::Failed { reason } => Err(SessionError::HostFailed {
                    what: format!(
                        "turn {} {}",
                        self.link.spec().name,
                        if on { "on" } else { "off" }
                    ),
                    reason,
                }),
                FromHost::Refused { what, permission } => {
                    Err(SessionError::Refused { what, permission })
                }
            }
        }
    }
}
