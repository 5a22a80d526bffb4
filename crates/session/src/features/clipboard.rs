//! Clipboard text both ways (`clipboard`) on the `clipboard` channel, in
//! pieces up to a total limit. The wire messages and limits are in
//! `latchkey_core::feature::clipboard`.

use latchkey_core::feature::clipboard::{FromHost, FromViewer, MAX_TEXT};
use latchkey_core::feature::text_pieces;

/// The host half.
pub mod host {
    use tokio::sync::oneshot;

    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;

    use super::{text_pieces, FromHost, FromViewer, MAX_TEXT};
    use crate::host::desktop::{Job, Lane};
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// One session's clipboard.
    pub(crate) struct ClipboardHost {
        ctx: FeatureContext,
        /// Clipboard text arriving in pieces.
        incoming: String,
        /// Whether it grew over the limit.
        overflow: bool,
    }

    fn refusal(what: &str) -> FromHost {
        FromHost::Refused {
            what: what.into(),
            permission: feature::clipboard::SPEC
                .permission()
                .map(|p| p.name())
                .unwrap_or_default()
                .into(),
        }
    }

    impl FeatureHost for ClipboardHost {
        const SPEC: &'static FeatureSpec = &feature::clipboard::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            ClipboardHost {
                ctx: ctx.clone(),
                incoming: String::new(),
                overflow: false,
            }
        }

        fn gate(message: &FromViewer) -> Gate {
            match message {
                FromViewer::ClipboardSet { more: true, .. } => Gate::Quiet,
                FromViewer::ClipboardSet { more: false, .. } => Gate::Checked("clipboard_set"),
                FromViewer::ClipboardGet {} => Gate::Checked("clipboard_get"),
                FromViewer::Sync { .. } => Gate::Free,
            }
        }

        async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
            let desktop = &self.ctx.shared.desktop;
            match message {
                FromViewer::ClipboardSet { text, more } => {
                    if self.incoming.len() + text.len() > MAX_TEXT {
                        self.overflow = true;
                        self.incoming = String::new();
                    } else if !self.overflow {
                        self.incoming.push_str(&text);
                    }
                    if !more {
                        if std::mem::take(&mut self.overflow) {
                            let _ = channel
                                .send(&FromHost::TooLarge {
                                    what: "clipboard_set".into(),
                                    limit: MAX_TEXT,
                                })
                                .await;
                        } else {
                            desktop.send(Job::ClipboardSet(std::mem::take(&mut self.incoming)));
                        }
                    }
                }
                FromViewer::ClipboardGet {} => {
                    let (tx, rx) = oneshot::channel();
                    desktop.send(Job::ClipboardGet(tx));
                    match rx.await.ok().flatten() {
                        Some(text) if text.len() > MAX_TEXT => {
                            let _ = channel
                                .send(&FromHost::TooLarge {
                                    what: "clipboard_get".into(),
                                    limit: MAX_TEXT,
                                })
                                .await;
                        }
                        Some(text) => {
                            let pieces = text_pieces(&text);
                            let last = pieces.len() - 1;
                            for (i, piece) in pieces.into_iter().enumerate() {
                                let _ = channel
                                    .send(&FromHost::ClipboardText {
                                        text: Some(piece.to_string()),
                                        more: i < last,
                                    })
                                    .await;
                            }
                        }
                        None => {
                            let _ = channel
                                .send(&FromHost::ClipboardText {
                                    text: None,
                                    more: false,
                                })
                                .await;
                        }
                    }
                }
                FromViewer::Sync { id } => {
                    desktop.barrier(Lane::Clipboard).await;
                    let _ = channel.send(&FromHost::SyncDone { id }).await;
                }
            }
        }

        async fn refused(&mut self, message: FromViewer, channel: &Control) {
            match message {
                FromViewer::ClipboardSet { more, .. } => {
                    self.incoming.clear();
                    if !more {
                        let _ = channel.send(&refusal("clipboard_set")).await;
                    }
                }
                FromViewer::ClipboardGet {} => {
                    let _ = channel.send(&refusal("clipboard_get")).await;
                }
                FromViewer::Sync { .. } => {}
            }
        }
    }
}

/// The viewer half: `session.clipboard()`.
pub mod viewer {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::{text_pieces, FromHost, FromViewer, MAX_TEXT};
    use crate::viewer::link::FeatureLink;
    use crate::viewer::link::SessionError;
    use crate::Error;

    /// The host's clipboard (the host refuses without `clipboard`).
    #[derive(Clone)]
    pub struct Clipboard {
        link: FeatureLink,
        sync_id: Arc<AtomicU64>,
    }

    impl Clipboard {
        pub(crate) fn new(link: FeatureLink) -> Self {
            Clipboard {
                link,
                sync_id: Arc::new(AtomicU64::new(0)),
            }
        }

        /// Put text on the host's clipboard (up to [`MAX_TEXT`] bytes, sent
        /// in pieces; every 16 pieces wait for the host, so a long text never
        /// floods the channel).
        pub async fn set(&self, text: &str) -> Result<(), SessionError> {
            if text.len() > MAX_TEXT {
                return Err(SessionError::TooLarge {
                    what: "clipboard_set".into(),
                    limit: MAX_TEXT,
                });
            }
            let _turn = self.link.turn().await;
            let pieces = text_pieces(text);
            let last = pieces.len() - 1;
            for (i, piece) in pieces.into_iter().enumerate() {
                self.link
                    .send(&FromViewer::ClipboardSet {
                        text: piece.to_string(),
                        more: i < last,
                    })
                    .await?;
                if i % 16 == 15 || i == last {
                    self.answered_sync().await?;
                }
            }
            Ok(())
        }

        /// A sync whose wait also reports what the host refused meanwhile.
        async fn answered_sync(&self) -> Result<(), SessionError> {
            let id = self.sync_id.fetch_add(1, Ordering::Relaxed) + 1;
            self.link.send(&FromViewer::Sync { id }).await?;
            let mut refused = None;
            loop {
                match self.link.recv::<FromHost>().await? {
                    FromHost::Refused { what, permission } => {
                        refused = Some(SessionError::Refused { what, permission })
                    }
                    FromHost::TooLarge { what, limit } => {
                        refused = Some(SessionError::TooLarge { what, limit })
                    }
                    FromHost::SyncDone { id: got } if got == id => {
                        return refused.map_or(Ok(()), Err);
                    }
                    _ => {}
                }
            }
        }

        /// Read the host's clipboard text.
        pub async fn get(&self) -> Result<Option<String>, SessionError> {
            let _turn = self.link.turn().await;
            self.link.send(&FromViewer::ClipboardGet {}).await?;
            let mut whole: Option<String> = None;
            loop {
                match self.link.recv::<FromHost>().await? {
                    FromHost::Refused { what, permission } => {
                        return Err(SessionError::Refused { what, permission })
                    }
                    FromHost::TooLarge { what, limit } => {
                        return Err(SessionError::TooLarge { what, limit })
                    }
                    FromHost::ClipboardText { text, more } => {
                        if let Some(piece) = text {
                            let buf = whole.get_or_insert_with(String::new);
                            if buf.len() + piece.len() > MAX_TEXT {
                                return Err(Error::Protocol(
                                    "clipboard text over the limit".into(),
                                )
                                .into());
                            }
                            buf.push_str(&piece);
                        }
                        if !more {
                            return Ok(whole);
                        }
                    }
                    FromHost::SyncDone { .. } => {}
                }
            }
        }
    }
}
