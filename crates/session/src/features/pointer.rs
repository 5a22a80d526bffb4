//! Pointer motion on the unordered `pointer` channel: with `control_input`
//! it moves the host's pointer, with `show_pointer` alone it is only shown to
//! the person at the host. The wire message is in `latchkey_core::feature::pointer`.

use latchkey_core::feature::pointer::FromViewer;

/// The host half.
pub mod host {
    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::{Permission, PermissionSet};
    use latchkey_media::InputEvent;

    use super::FromViewer;
    use crate::host::desktop::Job;
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// One session's pointer.
    pub(crate) struct PointerHost {
        ctx: FeatureContext,
        last_seq: u64,
    }

    impl PointerHost {
        /// Take `seq` as seen; false when it is older than what was applied
        /// (the unordered channel reordered it).
        fn advance(&mut self, seq: u64) -> bool {
            if seq <= self.last_seq {
                return false;
            }
            self.last_seq = seq;
            self.ctx.pointer_seq.send_replace(seq);
            true
        }
    }

    impl FeatureHost for PointerHost {
        const SPEC: &'static FeatureSpec = &feature::pointer::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            PointerHost {
                ctx: ctx.clone(),
                last_seq: 0,
            }
        }

        fn gate(_: &FromViewer) -> Gate {
            Gate::Checked("pointer_move")
        }

        async fn handle(&mut self, p: FromViewer, allowed: PermissionSet, _: &Control) {
            if !self.advance(p.seq) {
                return;
            }
            let (ox, oy) = self.ctx.screen.origin();
            let (x, y) = (ox.saturating_add(p.x), oy.saturating_add(p.y));
            if allowed.contains(Permission::ControlInput) {
                self.ctx
                    .shared
                    .desktop
                    .send(Job::Input(InputEvent::PointerMove { x, y }));
            } else {
                // Shown to the person at the host (the desktop app draws it), never moved.
                self.ctx.shared.pointers.set(&self.ctx.viewer, x, y);
            }
        }

        async fn refused(&mut self, p: FromViewer, _: &Control) {
            self.advance(p.seq);
        }
    }
}

/// The viewer half: `session.pointer()`.
pub mod viewer {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::FromViewer;
    use crate::viewer::link::FeatureLink;
    use crate::Error;

    /// Moves the host's pointer (or shows the viewer's there, with `show_pointer` alone).
    #[derive(Clone)]
    pub struct Pointer {
        link: FeatureLink,
        seq: Arc<AtomicU64>,
    }

    impl Pointer {
        pub(crate) fn new(link: FeatureLink) -> Self {
            Pointer {
                link,
                seq: Arc::new(AtomicU64::new(0)),
            }
        }

        /// The last sequence number sent (shared with the input handle's `sync`).
        pub(crate) fn seq(&self) -> Arc<AtomicU64> {
            self.seq.clone()
        }

        /// Move to (`x`, `y`) on the streamed monitor.
        pub async fn move_to(&self, x: i32, y: i32) -> Result<(), Error> {
            // Opened before the number is taken, so a `sync` never waits for
            // a position that could not be sent.
            self.link.channel().await?;
            let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
            self.link.send(&FromViewer { seq, x, y }).await
        }
    }
}
