//! What each feature's viewer half holds: a [`FeatureLink`] to its own data
//! channel, opened on first use, that stops waiting once the session ended;
//! and the error a refused request gives. (Apart from `session.rs`, so that
//! the session and the features do not import each other.)

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{watch, Mutex, MutexGuard, OnceCell};
use webrtc::peer_connection::PeerConnection;

use latchkey_core::feature::{self, FeatureSpec};
use latchkey_core::permission::PermissionSet;
use latchkey_core::ErrorCode;

use crate::transport::peer::{self, Control};
use crate::Error;

/// How long the host has to answer a request (or open a channel).
const STEP: Duration = Duration::from_secs(10);

/// A request of the session that the host refused (permission missing).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The granted permissions do not allow it.
    #[error("the host does not allow {what} in this session (permission '{permission}')")]
    Refused {
        /// What was refused.
        what: String,
        /// The missing permission.
        permission: String,
    },
    /// Clipboard text over the limit.
    #[error("{what}: the clipboard text is over the {limit}-byte limit")]
    TooLarge {
        /// What was dropped.
        what: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The host would not take the request as it was (a stroke off the screen).
    #[error("{what}: {reason}")]
    Invalid {
        /// What was not taken.
        what: String,
        /// Why.
        reason: String,
    },
    /// The host could not carry out the request (its own failure).
    #[error("the host could not {what}: {reason}")]
    HostFailed {
        /// What it could not do.
        what: String,
        /// Why, in its words.
        reason: String,
    },
    /// The session broke.
    #[error(transparent)]
    Broken(#[from] Error),
}

impl SessionError {
    /// The failure's machine-readable name.
    pub fn code(&self) -> ErrorCode {
        match self {
            SessionError::Refused { .. } => ErrorCode::Permission,
            SessionError::TooLarge { .. } => ErrorCode::TooLarge,
            SessionError::Invalid { .. } => ErrorCode::BadInput,
            SessionError::HostFailed { .. } => ErrorCode::Local,
            SessionError::Broken(Error::Ended(_) | Error::PeerGone) => ErrorCode::SessionEnded,
            SessionError::Broken(_) => ErrorCode::Protocol,
        }
    }
}

/// The session's state as the drive loop keeps it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionState {
    /// The permissions in force.
    pub permissions: PermissionSet,
    /// Why the host ended the session, once it did.
    pub ended: Option<String>,
    /// The connection closed.
    pub closed: bool,
}

/// What a feature handle needs: the connection to open its channel on, the
/// channel once open, and the session's state (to stop waiting once it ended).
#[derive(Clone)]
pub(crate) struct FeatureLink {
    /// The feature (its channel's label and kind, its size limit).
    spec: &'static FeatureSpec,
    /// The connection, to open the channel on first use.
    pc: Arc<dyn PeerConnection>,
    /// The channel, once opened.
    channel: Arc<OnceCell<Control>>,
    /// The session's state: a wait ends when the session does.
    state: watch::Receiver<SessionState>,
    /// One request at a time on the channel, so answers arrive in turn.
    busy: Arc<Mutex<()>>,
}

impl FeatureLink {
    pub(crate) fn new(
        spec: &'static FeatureSpec,
        pc: Arc<dyn PeerConnection>,
        state: watch::Receiver<SessionState>,
    ) -> Self {
        FeatureLink {
            spec,
            pc,
            channel: Arc::new(OnceCell::new()),
            state,
            busy: Arc::new(Mutex::new(())),
        }
    }

    /// The feature.
    pub(crate) fn spec(&self) -> &'static FeatureSpec {
        self.spec
    }

    /// Take the channel for one request and its answers.
    pub(crate) async fn turn(&self) -> MutexGuard<'_, ()> {
        self.busy.lock().await
    }

    /// Resolves once the host ended the session or the connection closed.
    async fn over(&self) -> Error {
        let mut state = self.state.clone();
        let s = state.wait_for(|s| s.ended.is_some() || s.closed).await;
        match s.as_deref() {
            Ok(SessionState {
                ended: Some(reason),
                ..
            }) => Error::Ended(reason.clone()),
            _ => Error::PeerGone,
        }
    }

    /// The feature's channel, opened on first use.
    pub(crate) async fn channel(&self) -> Result<&Control, Error> {
        self.channel
            .get_or_try_init(|| async {
                let dc = peer::open_feature_channel(&self.pc, self.spec).await?;
                let channel = Control::new(dc);
                tokio::select! {
                    opened = tokio::time::timeout(STEP, channel.created_open()) => {
                        opened.map_err(|_| Error::Timeout("opening a feature's channel"))??;
                    }
                    e = self.over() => return Err(e),
                }
                Ok(channel)
            })
            .await
    }

    /// Send one message on the feature's channel.
    pub(crate) async fn send<T: Serialize>(&self, message: &T) -> Result<(), Error> {
        self.channel().await?.send(message).await
    }

    /// Send one message in the feature's own binary form.
    pub(crate) async fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        self.channel().await?.send_raw(bytes).await
    }

    /// The host's next message on the feature's channel, as JSON.
    pub(crate) async fn recv<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.recv_with(|bytes| feature::parse(self.spec, bytes))
            .await
    }

    /// The host's next message on the feature's channel, read by `decode`
    /// (a feature with a binary form of its own).
    pub(crate) async fn recv_with<T>(
        &self,
        decode: impl FnOnce(&[u8]) -> Result<T, feature::WireError>,
    ) -> Result<T, Error> {
        let channel = self.channel().await?;
        let bytes = tokio::select! {
            m = tokio::time::timeout(STEP, channel.recv()) => {
                m.map_err(|_| Error::Timeout("waiting for the host"))??
            }
            e = self.over() => return Err(e),
        };
        decode(&bytes).map_err(|_| Error::Protocol("malformed message from the host".into()))
    }
}
