//! The host's system information (`system_info`) on the `system_info`
//! channel: the host gathers it when asked (`collect`, off the runtime's
//! threads) and sends it in pieces; the viewer's handle puts them back
//! together. The wire messages and the report's shape are in
//! `latchkey_core::feature::system_info`.

mod collect;

use latchkey_core::feature::system_info::{FromHost, FromViewer};

/// The host half.
pub mod host {
    use std::sync::Arc;
    use std::time::Duration;

    use latchkey_core::feature::system_info::{self as wire, Display};
    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::permission::PermissionSet;

    use super::{collect, FromHost, FromViewer};
    use crate::features::video::ScreenChoice;
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::transport::peer::Control;

    /// One session's system information requests.
    pub(crate) struct SystemInfoHost {
        screen: Arc<ScreenChoice>,
    }

    impl FeatureHost for SystemInfoHost {
        const SPEC: &'static FeatureSpec = &feature::system_info::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            SystemInfoHost {
                screen: ctx.screen.clone(),
            }
        }

        fn gate(_: &FromViewer) -> Gate {
            Gate::Checked("system_info")
        }

        async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
            let FromViewer::GetSystemInfo { id } = message;
            // The monitors as the capture thread knows them (it may still
            // be starting: wait a little; none if it never does).
            let displays: Vec<Display> = self
                .screen
                .state_once(Duration::from_secs(2), Option::is_some)
                .await
                .map(|(list, _)| list)
                .unwrap_or_default()
                .into_iter()
                .map(|d| Display {
                    name: d.name,
                    width: d.width,
                    height: d.height,
                    x: d.x,
                    y: d.y,
                    primary: d.primary,
                })
                .collect();
            let gathered = tokio::task::spawn_blocking(move || collect::collect(displays)).await;
            let pieces = match gathered {
                Ok(info) => wire::report_pieces(&info).map_err(|e| e.to_string()),
                Err(e) => Err(format!("gathering stopped: {e}")),
            };
            match pieces {
                Ok(pieces) => {
                    let last = pieces.len().saturating_sub(1);
                    for (i, text) in pieces.into_iter().enumerate() {
                        let more = i < last;
                        if channel
                            .send(&FromHost::Report { id, text, more })
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                }
                Err(reason) => {
                    tracing::warn!(%reason, "cannot report the system information");
                    let _ = channel.send(&FromHost::Failed { id, reason }).await;
                }
            }
        }

        async fn refused(&mut self, _: FromViewer, channel: &Control) {
            let _ = channel
                .send(&FromHost::Refused {
                    what: "system_info".into(),
                    permission: feature::system_info::SPEC
                        .permission()
                        .map(|p| p.name())
                        .unwrap_or_default()
                        .into(),
                })
                .await;
        }
    }
}

/// The viewer half: `session.system_info()`.
pub mod viewer {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use latchkey_core::feature::system_info::{Assembly, SystemInfo};

    use super::{FromHost, FromViewer};
    use crate::viewer::link::{FeatureLink, SessionError};
    use crate::Error;

    /// The host's system information (the host refuses without `system_info`).
    #[derive(Clone)]
    pub struct SystemInfoHandle {
        link: FeatureLink,
        next_id: Arc<AtomicU64>,
    }

    impl SystemInfoHandle {
        pub(crate) fn new(link: FeatureLink) -> Self {
            SystemInfoHandle {
                link,
                next_id: Arc::new(AtomicU64::new(0)),
            }
        }

        /// Ask the host for its system information, as it is now.
        pub async fn get(&self) -> Result<SystemInfo, SessionError> {
            let _turn = self.link.turn().await;
            let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
            self.link.send(&FromViewer::GetSystemInfo { id }).await?;
            let mut report = Assembly::default();
            loop {
                match self.link.recv::<FromHost>().await? {
                    FromHost::Refused { what, permission } => {
                        return Err(SessionError::Refused { what, permission })
                    }
                    FromHost::Failed { id: got, reason } if got == id => {
                        return Err(SessionError::HostFailed {
                            what: "gather its system information".into(),
                            reason,
                        })
                    }
                    FromHost::Report {
                        id: got,
                        text,
                        more,
                    } if got == id => {
                        report
                            .push(&text)
                            .map_err(|e| Error::Protocol(e.to_string()))?;
                        if !more {
                            return report
                                .finish()
                                .map_err(|e| Error::Protocol(e.to_string()).into());
                        }
                    }
                    // An answer to an earlier request that timed out.
                    FromHost::Report { .. } | FromHost::Failed { .. } => {}
                }
            }
        }
    }
}
