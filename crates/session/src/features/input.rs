//! Keyboard, mouse buttons, wheel and typed text (`control_input`), on the
//! `input` channel; its `Sync` also waits for pointer motion in flight on the
//! `pointer` channel. The wire messages are in `latchkey_core::feature::input`.

use latchkey_core::feature::input::{FromHost, FromViewer};
use latchkey_media::InputEvent;

/// What the viewer sends on `input`.
pub type Message = FromViewer<InputEvent>;

/// Positions are on the streamed monitor: move one onto the whole desktop.
pub(crate) fn on_desktop(
    event: InputEvent,
    screen: &crate::features::video::ScreenChoice,
) -> InputEvent {
    match event {
        InputEvent::PointerMove { x, y } => {
            let (ox, oy) = screen.origin();
            InputEvent::PointerMove {
                x: ox.saturating_add(x),
                y: oy.saturating_add(y),
            }
        }
        other => other,
    }
}

/// The host half: inject what the grant allows.
pub mod host {
    use std::time::Duration;

    use tokio::sync::watch;

    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;

    use super::{FromHost, FromViewer, Message};
    use crate::host::desktop::input_kind as kind;
    use crate::host::desktop::{Job, Lane};
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// How long a `Sync` waits for pointer motion still in flight.
    const POINTER_WAIT: Duration = Duration::from_secs(1);

    /// One session's input.
    pub(crate) struct InputHost {
        ctx: FeatureContext,
        pointer_seq: watch::Receiver<u64>,
    }

    impl FeatureHost for InputHost {
        const SPEC: &'static FeatureSpec = &feature::input::SPEC;
        type FromViewer = Message;

        fn new(ctx: &FeatureContext) -> Self {
            InputHost {
                pointer_seq: ctx.pointer_seq.subscribe(),
                ctx: ctx.clone(),
            }
        }

        fn gate(message: &Message) -> Gate {
            match message {
                FromViewer::Input { event } => Gate::Checked(kind(event)),
                FromViewer::Sync { .. } => Gate::Free,
            }
        }

        async fn handle(&mut self, message: Message, _: PermissionSet, channel: &Control) {
            match message {
                FromViewer::Input { event } => {
                    tracing::debug!(kind = kind(&event), "input");
                    let event = super::on_desktop(event, &self.ctx.screen);
                    self.ctx.shared.desktop.send(Job::Input(event));
                }
                FromViewer::Sync { id, pointer_seq } => {
                    if let Some(n) = pointer_seq {
                        // Pointer motion may still be in flight on the unordered channel.
                        let _ = tokio::time::timeout(
                            POINTER_WAIT,
                            self.pointer_seq.wait_for(|seen| *seen >= n),
                        )
                        .await;
                    }
                    self.ctx.shared.desktop.barrier(Lane::Input).await;
                    let _ = channel.send(&FromHost::SyncDone { id }).await;
                }
            }
        }

        async fn refused(&mut self, _: Message, _: &Control) {}
    }
}

/// The viewer half: `session.input()`.
pub mod viewer {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use latchkey_core::feature;
    use latchkey_media::InputEvent;

    use super::{FromHost, FromViewer, Message};
    use crate::viewer::link::FeatureLink;
    use crate::Error;

    /// Keys, buttons, wheel and text to the host (it drops them without `control_input`).
    #[derive(Clone)]
    pub struct Input {
        link: FeatureLink,
        /// The pointer handle's last sequence number, which `sync` waits for.
        pointer_seq: Arc<AtomicU64>,
        sync_id: Arc<AtomicU64>,
    }

    impl Input {
        pub(crate) fn new(link: FeatureLink, pointer_seq: Arc<AtomicU64>) -> Self {
            debug_assert_eq!(link.spec(), &feature::input::SPEC);
            Input {
                link,
                pointer_seq,
                sync_id: Arc::new(AtomicU64::new(0)),
            }
        }

        /// Send a key, button, wheel or text event.
        pub async fn send(&self, event: InputEvent) -> Result<(), Error> {
            self.link.send(&Message::Input { event }).await
        }

        /// Wait until the host handled everything sent so far, pointer motion included.
        pub async fn sync(&self) -> Result<(), Error> {
            let _turn = self.link.turn().await;
            let id = self.sync_id.fetch_add(1, Ordering::Relaxed) + 1;
            let seq = self.pointer_seq.load(Ordering::Relaxed);
            let pointer_seq = (seq > 0).then_some(seq);
            self.link
                .send(&FromViewer::<InputEvent>::Sync { id, pointer_seq })
                .await?;
            loop {
                match self.link.recv::<FromHost>().await? {
                    FromHost::SyncDone { id: got } if got == id => return Ok(()),
                    FromHost::SyncDone { .. } => {}
                }
            }
        }
    }
}
