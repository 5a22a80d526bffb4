//! Restarting the host with automatic reconnect (`restart`), on the
//! `restart` channel (`latchkey_core::feature::restart`). The host half
//! refuses unless it is a system service enabled at boot (`host::boot`),
//! then issues the viewer a reconnect credential (kept on disk as a hash,
//! bound to the viewer's key and this session's grant: `latchkey_core::reconnect`),
//! sends it, waits until the viewer's side has acknowledged it, and restarts
//! the machine. The viewer half hands the credential back; the caller keeps
//! it in the viewer's secret store, where the next `connect` finds it.

/// The host half.
pub mod host {
    use latchkey_core::access::SessionCredential;
    use latchkey_core::feature::restart::{FromHost, FromViewer};
    use latchkey_core::feature::{self, FeatureSpec};
    use latchkey_core::identity::DevicePublicKey;
    use latchkey_core::permission::PermissionSet;
    use latchkey_core::reconnect::VALID_S;
    use latchkey_store::Config;
    use std::sync::atomic::Ordering;

    use crate::host::boot;
    use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
    use crate::host::shared::HostShared;
    use crate::transport::peer::Control;

    /// One session's restart requests.
    pub(crate) struct RestartHost {
        shared: HostShared,
        viewer_key: DevicePublicKey,
        credential: SessionCredential,
    }

    impl RestartHost {
        /// Issue the credential and restart; the answer for the viewer, and
        /// whether to reboot once it has been delivered.
        async fn prepare(&self, allowed: PermissionSet) -> Result<FromHost, String> {
            let unit = tokio::task::spawn_blocking(boot::starts_at_boot)
                .await
                .map_err(|e| e.to_string())??;
            let (dir, store) = (self.shared.config_dir.clone(), self.shared.store);
            let (key, credential) = (self.viewer_key, self.credential.clone());
            let token = tokio::task::spawn_blocking(move || {
                let mut config = Config::open(&dir, store)?;
                latchkey_store::ops::issue_reconnect(
                    &mut config,
                    key,
                    &credential.profile,
                    allowed,
                    credential.epoch,
                    credential.attended,
                )
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot keep the reconnect credential: {e}"))?;
            tracing::info!(%unit, "restart asked by the viewer: reconnect credential issued");
            Ok(FromHost::Restarting {
                credential: token.expose().to_string(),
                valid_s: VALID_S,
            })
        }
    }

    impl FeatureHost for RestartHost {
        const SPEC: &'static FeatureSpec = &feature::restart::SPEC;
        type FromViewer = FromViewer;

        fn new(ctx: &FeatureContext) -> Self {
            RestartHost {
                shared: ctx.shared.clone(),
                viewer_key: ctx.viewer_key,
                credential: ctx.credential.clone(),
            }
        }

        fn gate(_: &FromViewer) -> Gate {
            Gate::Checked("restart")
        }

        async fn handle(&mut self, message: FromViewer, allowed: PermissionSet, channel: &Control) {
            let FromViewer::Restart {} = message;
            let answer = match self.prepare(allowed).await {
                Ok(answer) => answer,
                Err(reason) => {
                    tracing::warn!(%reason, "restart refused");
                    let _ = channel.send(&FromHost::Failed { reason }).await;
                    return;
                }
            };
            let restarting = self.shared.restarting.clone();
            restarting.store(true, Ordering::SeqCst);
            if channel.send(&answer).await.is_err() {
                restarting.store(false, Ordering::SeqCst);
                return;
            }
            // On a task of its own: the viewer may close the session as soon
            // as it has the credential, which ends this feature's task.
            let channel = channel.clone();
            tokio::spawn(async move {
                // The credential must reach the viewer before the machine goes down.
                channel.wait_below(0).await;
                match tokio::task::spawn_blocking(boot::reboot).await {
                    Ok(Ok(how)) => tracing::info!(how, "the machine is restarting"),
                    Ok(Err(reason)) => {
                        tracing::error!(%reason, "cannot restart the machine");
                        restarting.store(false, Ordering::SeqCst);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot restart the machine");
                        restarting.store(false, Ordering::SeqCst);
                    }
                }
            });
        }

        async fn refused(&mut self, _: FromViewer, channel: &Control) {
            let refusal = FromHost::Refused {
                what: Self::SPEC.name.into(),
                permission: "restart".into(),
            };
            let _ = channel.send(&refusal).await;
        }
    }
}

/// The viewer half: `session.restart()`.
pub mod viewer {
    use std::time::{Duration, Instant};

    use latchkey_core::feature::restart::{FromHost, FromViewer};
    use zeroize::Zeroizing;

    use crate::viewer::link::{FeatureLink, SessionError};
    use crate::viewer::Session;

    /// How long the host has to go down after saying it restarts.
    pub const GOING_DOWN: Duration = Duration::from_secs(120);
    /// The first pause before a reconnect attempt; it doubles up to [`MAX_BACKOFF`].
    const FIRST_PAUSE: Duration = Duration::from_secs(1);
    /// The longest pause between two reconnect attempts.
    const MAX_BACKOFF: Duration = Duration::from_secs(5);

    /// Wait until the restarting session closed, at most [`GOING_DOWN`]:
    /// whether it did (never reconnect to the host that is going down).
    pub async fn gone_down(session: &Session) -> bool {
        tokio::time::timeout(GOING_DOWN, session.closed())
            .await
            .is_ok()
    }

    /// When to try logging back in after a restart: pauses of 1 s doubling
    /// up to 5 s, while the credential's time has not run out. What the
    /// CLI's `restart --wait` and the app both follow.
    #[derive(Debug)]
    pub struct Backoff {
        deadline: Instant,
        pause: Duration,
    }

    impl Backoff {
        /// For a restart asked at `asked` whose credential is valid for `valid_s` seconds.
        pub fn new(asked: Instant, valid_s: u64) -> Self {
            Backoff {
                deadline: asked + Duration::from_secs(valid_s),
                pause: FIRST_PAUSE,
            }
        }

        /// Sleep before the next attempt.
        pub async fn pause(&self) {
            tokio::time::sleep(self.pause).await;
        }

        /// After a failed attempt: whether to try again (`not_back_yet`: the
        /// failure means the host is not back yet, not a refusal).
        pub fn again(&mut self, not_back_yet: bool) -> bool {
            if !not_back_yet || Instant::now() + self.pause >= self.deadline {
                return false;
            }
            self.pause = (self.pause * 2).min(MAX_BACKOFF);
            true
        }
    }

    /// Asks the host to restart.
    #[derive(Clone)]
    pub struct Restart {
        link: FeatureLink,
    }

    /// The host is restarting: log back in with this before it expires.
    pub struct Restarting {
        /// The single-use reconnect credential (text form).
        pub credential: Zeroizing<String>,
        /// Seconds it stays valid.
        pub valid_s: u64,
    }

    impl Restart {
        pub(crate) fn new(link: FeatureLink) -> Self {
            Restart { link }
        }

        /// Restart the host; the credential to reconnect with.
        pub async fn request(&self) -> Result<Restarting, SessionError> {
            let _turn = self.link.turn().await;
            self.link.send(&FromViewer::Restart {}).await?;
            match self.link.recv::<FromHost>().await? {
                FromHost::Restarting {
                    credential,
                    valid_s,
                } => Ok(Restarting {
                    credential: Zeroizing::new(credential),
                    valid_s,
                }),
                FromHost::Failed { reason } => Err(SessionError::HostFailed {
                    what: "restart".into(),
                    reason,
                }),
                FromHost::Refused { what, permission } => {
                    Err(SessionError::Refused { what, permission })
                }
            }
        }
    }
}
