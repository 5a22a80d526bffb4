//! Locking the host's desktop when the session ends (`lock_on_end`), on the
//! `lock_on_end` channel with the desk features' messages
//! (`latchkey_core::feature::desk`). A session that holds the permission
//! locks the desktop when it ends, normally or by dropping (`host::live`
//! does it, whether or not this channel was ever opened); the viewer may
//! turn that off for its session, and on again. Both need the permission.

/// The host half.
pub mod host {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use latchkey_core::feature::desk::{FromHost, FromViewer};
    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;

    use crate::features::desk::host::refusal;
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// One session's choice.
    pub(crate) struct LockHost {
        lock: Arc<AtomicBool>,
    }

    impl FeatureHost for LockHost {
        const SPEC: &'static FeatureSpec = &feature::desk::LOCK_ON_END;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            LockHost {
                lock: ctx.lock_on_end.clone(),
            }
        }

        fn gate(_: &FromViewer) -> Gate {
            Gate::Checked("lock_on_end")
        }

        async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
            let FromViewer::Set { on } = message;
            self.lock.store(on, Ordering::Relaxed);
            let _ = channel.send(&FromHost::State { on }).await;
        }

        async fn refused(&mut self, _: FromViewer, channel: &Control) {
            let _ = channel.send(&refusal(Self::SPEC)).await;
        }
    }
}
