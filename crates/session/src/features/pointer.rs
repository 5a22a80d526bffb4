//! Pointer motion on the unordered `pointer` channel: with `control_input`
//! it moves the host's pointer, with `show_pointer` alone it is only shown to
//! the person at the host: drawn there as a coloured arrow with the
//! viewer's name (a click-through overlay, `host::overlay`, one colour per
//! viewer), taken down when the session ends or drops, or when the live
//! grant no longer says "show, don't move". The wire message is in
//! `latchkey_core::feature::pointer`.

use latchkey_core::feature::pointer::FromViewer;

/// The host half.
pub mod host {
    use latchkey_core::feature::pointer::{shown_name, ARROW, SHOWN_COLORS};
    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::{Permission, PermissionSet};
    use latchkey_media::overlay::{Drawing, Shape};
    use latchkey_media::InputEvent;

    use super::FromViewer;
    use crate::host::desk::session_id;
    use crate::host::desktop::Job;
    use crate::host::feature_host::{on_grant_loss, FeatureContext, FeatureHost, Gate};
    use crate::host::overlay::Layer;
    use crate::transport::peer::Control;

    /// One session's pointer.
    pub(crate) struct PointerHost {
        ctx: FeatureContext,
        last_seq: u64,
        /// Its overlay's key.
        session: u64,
        /// What the shown pointer looks like (made on first use).
        look: Option<Drawing>,
        /// Takes the shown pointer down when the grant stops saying "show only".
        watcher: tokio::task::JoinHandle<()>,
    }

    /// Whether a session with `p` has its pointer shown rather than moved.
    fn shown_only(p: PermissionSet) -> bool {
        p.contains(Permission::ShowPointer) && !p.contains(Permission::ControlInput)
    }

    /// A viewer's pointer: an arrow in its colour, tip at (0, 0), outlined
    /// for light and dark screens, its name beside it.
    fn look(color: [u8; 3], name: &str) -> Drawing {
        let arrow = ARROW.to_vec();
        let mut outline = arrow.clone();
        outline.push(arrow[0]);
        let mut out = vec![
            Shape::Polygon {
                points: arrow,
                color,
            },
            Shape::Line {
                points: outline,
                width: 1,
                color: [255, 255, 255],
            },
        ];
        let name = shown_name(name);
        if !name.is_empty() {
            out.push(Shape::Label {
                x: 18,
                y: 20,
                text: name,
                color: [255, 255, 255],
                background: color,
            });
        }
        out
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
            let session = session_id();
            let overlays = ctx.shared.overlays.clone();
            let watcher = on_grant_loss(ctx.grant.clone(), shown_only, move || {
                overlays.remove(session, Layer::Pointer)
            });
            PointerHost {
                ctx: ctx.clone(),
                last_seq: 0,
                session,
                look: None,
                watcher,
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
            } else if shown_only(allowed) {
                // Shown to the person at the host, never moved.
                self.ctx.shared.pointers.set(&self.ctx.viewer, x, y);
                let overlays = &self.ctx.shared.overlays;
                let look = self.look.get_or_insert_with(|| {
                    let c = SHOWN_COLORS[overlays.pointer_color(self.session) % SHOWN_COLORS.len()];
                    look([c.0, c.1, c.2], &self.ctx.viewer_name)
                });
                overlays.show_soon(self.session, Layer::Pointer, (x, y), look.clone());
            }
        }

        async fn refused(&mut self, p: FromViewer, _: &Control) {
            self.advance(p.seq);
        }
    }

    impl Drop for PointerHost {
        fn drop(&mut self) {
            self.watcher.abort();
            self.ctx
                .shared
                .overlays
                .remove(self.session, Layer::Pointer);
            self.ctx.shared.overlays.release_color(self.session);
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
