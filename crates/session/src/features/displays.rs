//! The choice of screen on the `displays` channel: the host's monitors and
//! which one is streamed (open to every session). The wire messages are in
//! `latchkey_core::feature::displays`.

use latchkey_core::feature::displays::{FromHost as Answer, FromViewer};
use latchkey_media::DisplayInfo;

/// What the host sends on `displays`.
pub type FromHost = Answer<DisplayInfo>;

/// The host half.
pub mod host {
    use std::sync::Arc;
    use std::time::Duration;

    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;

    use super::{FromHost, FromViewer};
    use crate::features::video::ScreenChoice;
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// One session's choice of screen.
    pub(crate) struct DisplaysHost {
        screen: Arc<ScreenChoice>,
    }

    impl FeatureHost for DisplaysHost {
        const SPEC: &'static FeatureSpec = &feature::displays::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            DisplaysHost {
                screen: ctx.screen.clone(),
            }
        }

        fn gate(_: &FromViewer) -> Gate {
            Gate::Free
        }

        async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
            let answer = match message {
                FromViewer::ListDisplays {} => displays_message(&self.screen, None).await,
                FromViewer::SwitchDisplay { id } => {
                    // The list, once capture started (it may still be starting).
                    let FromHost::Displays { displays, .. } =
                        displays_message(&self.screen, None).await;
                    let known = displays.iter().any(|d| d.id == id);
                    if known {
                        self.screen.request(id);
                    }
                    displays_message(&self.screen, known.then_some(id)).await
                }
            };
            let _ = channel.send(&answer).await;
        }

        async fn refused(&mut self, _: FromViewer, _: &Control) {}
    }

    /// The `Displays` answer; with `switching`, first waits (briefly) until the
    /// capture thread streams that monitor.
    async fn displays_message(screen: &ScreenChoice, switching: Option<u32>) -> FromHost {
        let state = screen
            .state_once(Duration::from_secs(2), |state| match (state, switching) {
                (Some((_, current)), Some(id)) => current.id == id,
                (Some(_), None) => true,
                (None, _) => false,
            })
            .await;
        match state {
            Some((displays, current)) => FromHost::Displays {
                displays,
                current: current.id,
            },
            None => FromHost::Displays {
                displays: Vec::new(),
                current: 0,
            },
        }
    }
}

/// The viewer half: `session.displays()`.
pub mod viewer {
    use latchkey_media::DisplayInfo;

    use super::{FromHost, FromViewer};
    use crate::viewer::link::FeatureLink;
    use crate::Error;

    /// The host's monitors, and which one is streamed.
    #[derive(Clone)]
    pub struct Displays {
        link: FeatureLink,
    }

    impl Displays {
        pub(crate) fn new(link: FeatureLink) -> Self {
            Displays { link }
        }

        /// The host's monitors and the id of the one being streamed.
        pub async fn list(&self) -> Result<(Vec<DisplayInfo>, u32), Error> {
            let _turn = self.link.turn().await;
            self.link.send(&FromViewer::ListDisplays {}).await?;
            let FromHost::Displays { displays, current } = self.link.recv().await?;
            Ok((displays, current))
        }

        /// Stream the host's monitor with this id instead (see [`Displays::list`]).
        pub async fn switch(&self, id: u32) -> Result<DisplayInfo, Error> {
            let _turn = self.link.turn().await;
            self.link.send(&FromViewer::SwitchDisplay { id }).await?;
            let FromHost::Displays { displays, current } = self.link.recv().await?;
            let available: Vec<String> = displays.iter().map(|d| d.id.to_string()).collect();
            displays
                .into_iter()
                .find(|d| d.id == id && current == id)
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "the host has no display {id} (it has: {})",
                        available.join(", ")
                    ))
                })
        }
    }
}
