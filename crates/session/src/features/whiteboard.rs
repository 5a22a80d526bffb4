//! The whiteboard (`whiteboard`): the viewer draws strokes and arrows on the
//! host's screen. The host half keeps the session's board (checked by
//! `latchkey_core::feature::whiteboard`) and shows it in a click-through
//! overlay (`host::overlay`), so it is on the screen the person at the host
//! sees and in the video the viewer receives. The board goes when the
//! viewer clears it, the live grant loses the permission, or the session
//! ends or drops (the half is dropped with its task).

use latchkey_core::feature::whiteboard::{FromHost, FromViewer};

/// The host half.
pub mod host {
    use std::sync::{Arc, Mutex};

    use latchkey_core::feature::whiteboard::{Board, Stroke, PEN_WIDTH};
    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;
    use latchkey_media::overlay::{Drawing, Shape};

    use super::{FromHost, FromViewer};
    use crate::host::desk::session_id;
    use crate::host::feature_host::{on_grant_loss, FeatureContext, FeatureHost, Gate};
    use crate::host::overlay::{Layer, Overlays};
    use crate::transport::peer::Control;

    /// One session's board.
    pub(crate) struct WhiteboardHost {
        overlays: Overlays,
        screen: Arc<crate::features::video::ScreenChoice>,
        session: u64,
        board: Arc<Mutex<Board>>,
        /// Clears the board when the live grant loses the permission.
        watcher: tokio::task::JoinHandle<()>,
    }

    /// What a board looks like on the screen.
    pub(crate) fn drawing(board: &Board) -> Drawing {
        let mut out = Vec::new();
        for stroke in board.strokes() {
            let color = [stroke.color.0, stroke.color.1, stroke.color.2];
            out.push(Shape::Line {
                points: stroke.points.clone(),
                width: PEN_WIDTH,
                color,
            });
            if let Some(head) = stroke.arrow_head() {
                out.push(Shape::Polygon {
                    points: head.to_vec(),
                    color,
                });
            }
        }
        out
    }

    impl WhiteboardHost {
        fn board(&self) -> std::sync::MutexGuard<'_, Board> {
            self.board.lock().unwrap_or_else(|p| p.into_inner())
        }

        async fn stroke(&mut self, color: &str, points: Vec<(i32, i32)>, arrow: bool) -> FromHost {
            let stroke = match Stroke::new(color, points, arrow) {
                Ok(s) => s,
                Err(e) => {
                    return FromHost::Invalid {
                        reason: e.to_string(),
                    }
                }
            };
            // Points are on the streamed monitor; the board keeps them on
            // the screen, so they stay put when the viewer switches monitors.
            let (ox, oy) = self.screen.origin();
            let stroke = Stroke {
                points: stroke
                    .points
                    .iter()
                    .map(|(x, y)| (x.saturating_add(ox), y.saturating_add(oy)))
                    .collect(),
                ..stroke
            };
            let (shown, strokes) = {
                let mut board = self.board();
                if let Err(e) = board.add(stroke) {
                    return FromHost::Invalid {
                        reason: e.to_string(),
                    };
                }
                (drawing(&board), board.strokes().len())
            };
            match self
                .overlays
                .show(self.session, Layer::Board, (0, 0), shown)
                .await
            {
                Ok(()) => FromHost::Drawn { strokes },
                Err(reason) => {
                    tracing::warn!(%reason, "cannot show the whiteboard");
                    FromHost::Failed { reason }
                }
            }
        }
    }

    impl FeatureHost for WhiteboardHost {
        const SPEC: &'static FeatureSpec = &feature::whiteboard::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            let session = session_id();
            let board = Arc::new(Mutex::new(Board::default()));
            let (overlays, cleared) = (ctx.shared.overlays.clone(), board.clone());
            let watcher = on_grant_loss(
                ctx.grant.clone(),
                |p| feature::whiteboard::SPEC.allowed(p),
                move || {
                    cleared.lock().unwrap_or_else(|p| p.into_inner()).clear();
                    overlays.remove(session, Layer::Board);
                },
            );
            WhiteboardHost {
                overlays: ctx.shared.overlays.clone(),
                screen: ctx.screen.clone(),
                session,
                board,
                watcher,
            }
        }

        fn gate(message: &FromViewer) -> Gate {
            match message {
                FromViewer::Stroke { .. } => Gate::Checked(feature::whiteboard::SPEC.name),
                // Wiping the board is always allowed.
                FromViewer::Clear {} => Gate::Free,
            }
        }

        async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
            let answer = match message {
                FromViewer::Stroke {
                    color,
                    points,
                    arrow,
                } => self.stroke(&color, points, arrow).await,
                FromViewer::Clear {} => {
                    self.board().clear();
                    match self
                        .overlays
                        .show(self.session, Layer::Board, (0, 0), Vec::new())
                        .await
                    {
                        Ok(()) => FromHost::Cleared,
                        Err(reason) => FromHost::Failed { reason },
                    }
                }
            };
            let _ = channel.send(&answer).await;
        }

        async fn refused(&mut self, _: FromViewer, channel: &Control) {
            let spec = &feature::whiteboard::SPEC;
            let refusal = FromHost::Refused {
                what: spec.name.into(),
                permission: spec.permission_name().into(),
            };
            let _ = channel.send(&refusal).await;
        }
    }

    impl Drop for WhiteboardHost {
        fn drop(&mut self) {
            self.watcher.abort();
            self.overlays.remove(self.session, Layer::Board);
        }
    }
}

/// The viewer half: `session.whiteboard()`.
pub mod viewer {
    use latchkey_core::feature::whiteboard::Stroke;

    use super::{FromHost, FromViewer};
    use crate::viewer::link::{FeatureLink, SessionError};

    /// Drawing on the host's screen.
    #[derive(Clone)]
    pub struct Whiteboard {
        link: FeatureLink,
    }

    impl Whiteboard {
        pub(crate) fn new(link: FeatureLink) -> Self {
            Whiteboard { link }
        }

        /// Draw a stroke through `points` (on the streamed monitor) in
        /// `color` (a name such as `red`, or `#rrggbb`), with an arrowhead
        /// at its end when `arrow`; how many strokes the board holds now.
        pub async fn draw(
            &self,
            color: &str,
            points: Vec<(i32, i32)>,
            arrow: bool,
        ) -> Result<usize, SessionError> {
            // Checked here first, for a clear message without a round trip.
            Stroke::new(color, points.clone(), arrow).map_err(|e| SessionError::Invalid {
                what: "draw".into(),
                reason: e.to_string(),
            })?;
            let message = FromViewer::Stroke {
                color: color.to_string(),
                points,
                arrow,
            };
            match self.ask(&message).await? {
                FromHost::Drawn { strokes } => Ok(strokes),
                other => Err(self.failure("draw", other)),
            }
        }

        /// Remove every stroke this session drew.
        pub async fn clear(&self) -> Result<(), SessionError> {
            match self.ask(&FromViewer::Clear {}).await? {
                FromHost::Cleared => Ok(()),
                other => Err(self.failure("clear the whiteboard", other)),
            }
        }

        async fn ask(&self, message: &FromViewer) -> Result<FromHost, SessionError> {
            let _turn = self.link.turn().await;
            self.link.send(message).await?;
            Ok(self.link.recv::<FromHost>().await?)
        }

        fn failure(&self, what: &str, answer: FromHost) -> SessionError {
            match answer {
                FromHost::Refused { what, permission } => {
                    SessionError::Refused { what, permission }
                }
                FromHost::Invalid { reason } => SessionError::Invalid {
                    what: what.into(),
                    reason,
                },
                FromHost::Failed { reason } => SessionError::HostFailed {
                    what: what.into(),
                    reason,
                },
                FromHost::Drawn { .. } | FromHost::Cleared => SessionError::HostFailed {
                    what: what.into(),
                    reason: "an answer to another request".into(),
                },
            }
        }
    }
}
