//! The viewer: reach a host by ID through the rendezvous, check its identity
//! against `known_hosts`, and log in with a saved token, a password (OPAQUE,
//! bound to this connection) or by asking the person at the host.

use serde::Serialize;

mod handshake;
pub use handshake::connect;
use std::time::Duration;
use zeroize::Zeroizing;

use latchkey_core::handshake::{DenialCode, Method};
use latchkey_core::permission::PermissionSet;
use latchkey_core::signal::DeviceId;

use crate::features::video::VideoIn;
use crate::messages::{
    HostSessionMessage, PointerMessage, ViewerSessionMessage, MAX_CLIPBOARD_TEXT,
};
use crate::transport::peer::{Control, Peer, PeerEvent};
use crate::transport::signaling::SignalSocket;
use crate::Error;
use latchkey_media::DisplayInfo;
use std::sync::Arc;
use webrtc::media_stream::track_remote::TrackRemote;

/// How long the host has to answer each step (the accept window gets its 60 s on top).
const STEP: Duration = Duration::from_secs(10);

/// What the user asked for.
#[derive(Debug)]
pub struct ConnectOptions {
    /// The host's ID.
    pub host_id: DeviceId,
    /// Rendezvous URL.
    pub rendezvous: String,
    /// Profile to ask for (default: the host's default).
    pub profile: Option<String>,
    /// Password, when logging in by password.
    pub password: Option<Zeroizing<String>>,
    /// TOTP or recovery code, if the host asks for one.
    pub totp: Option<Zeroizing<String>>,
    /// Ask for a saved-login token.
    pub remember: bool,
    /// Accept a host key different from the remembered one.
    pub accept_new_host_key: bool,
    /// Name shown in the host's accept window.
    pub name: String,
}

/// The name a viewer shows in the host's accept window: `user@hostname`.
pub fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let user = std::env::var("USER").unwrap_or_default();
    match (user.is_empty(), host.is_empty()) {
        (false, false) => format!("{user}@{host}"),
        (true, false) => host,
        _ => "latchkey viewer".into(),
    }
}

/// A granted session, as `connect --probe --json` reports it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Granted {
    /// The host's ID.
    pub host_id: String,
    /// How the session was granted.
    pub method: Method,
    /// Granted profile.
    pub profile: String,
    /// Granted permissions.
    pub permissions: PermissionSet,
    /// Whether a new saved-login token was stored.
    pub token_saved: bool,
}

/// Why a connection did not come about.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host refused.
    #[error("{message}")]
    Denied {
        /// Why.
        code: DenialCode,
        /// For `throttled`.
        retry_after_s: Option<u64>,
        /// For people.
        message: String,
    },
    /// The host is not connected (or went away mid-way).
    #[error("host {0} is offline")]
    HostOffline(String),
    /// No host has this ID.
    #[error("no host has the ID {0}")]
    UnknownId(String),
    /// The host's key is not the one remembered.
    #[error("the host's key changed (remembered {expected}, got {got}): if you trust this change, connect again with --accept-new-host-key")]
    HostKeyChanged {
        /// Fingerprint remembered.
        expected: String,
        /// Fingerprint presented.
        got: String,
    },
    /// The host broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Something local failed (config, keyring, rendezvous unreachable).
    #[error(transparent)]
    Local(#[from] Error),
}

impl ConnectError {
    /// The shared error name.
    pub fn code(&self) -> &'static str {
        match self {
            ConnectError::Denied { code, .. } => code.name(),
            ConnectError::HostOffline(_) => "host_offline",
            ConnectError::UnknownId(_) => "unknown_id",
            ConnectError::HostKeyChanged { .. } => "host_key_changed",
            ConnectError::Protocol(_) => "protocol",
            ConnectError::Local(Error::RendezvousUnreachable(_))
            | ConnectError::Local(Error::RendezvousLost(_)) => "host_offline",
            ConnectError::Local(_) => "local",
        }
    }
}

/// An open session (the viewer keeps it to receive media; the probe closes it).
pub struct Session {
    /// The peer connection.
    pub peer: Peer,
    /// The control channel.
    pub control: Control,
    signal: SignalSocket,
    /// The host's screen track, once its first packet arrived.
    track: Option<Arc<dyn TrackRemote>>,
    /// The unordered, unreliable pointer channel.
    pointer: Option<Control>,
    /// Last pointer sequence number sent.
    pointer_seq: u64,
    /// Next sync id.
    sync_id: u64,
}

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
    /// The session broke.
    #[error(transparent)]
    Broken(#[from] Error),
}

impl Session {
    /// Send a key, button, wheel or text event (host drops it without `control_input`).
    pub async fn send_input(&self, event: latchkey_media::InputEvent) -> Result<(), Error> {
        self.control
            .send(&ViewerSessionMessage::Input { event })
            .await
    }

    /// Move the host's pointer (over the unordered pointer channel).
    pub async fn move_pointer(&mut self, x: i32, y: i32) -> Result<(), Error> {
        self.pointer_seq += 1;
        let message = PointerMessage {
            seq: self.pointer_seq,
            x,
            y,
        };
        match &self.pointer {
            Some(p) => p.send(&message).await,
            None => Err(Error::Protocol("no pointer channel".into())),
        }
    }

    async fn host_reply(&mut self) -> Result<HostSessionMessage, Error> {
        loop {
            let bytes = tokio::time::timeout(STEP, self.control.recv())
                .await
                .map_err(|_| Error::Timeout("waiting for the host"))??;
            match crate::messages::parse::<HostSessionMessage>(&bytes) {
                Some(HostSessionMessage::Permissions { permissions }) => {
                    tracing::info!(?permissions, "the host changed this session's permissions");
                }
                Some(HostSessionMessage::Ended { reason }) => {
                    return Err(Error::Ended(reason));
                }
                Some(m) => return Ok(m),
                None => return Err(Error::Protocol("malformed message from the host".into())),
            }
        }
    }

    /// Wait until the host handled everything sent so far.
    pub async fn sync(&mut self) -> Result<(), Error> {
        self.sync_id += 1;
        let id = self.sync_id;
        let pointer_seq = (self.pointer_seq > 0).then_some(self.pointer_seq);
        self.control
            .send(&ViewerSessionMessage::Sync { id, pointer_seq })
            .await?;
        loop {
            match self.host_reply().await? {
                HostSessionMessage::SyncDone { id: got } if got == id => return Ok(()),
                _ => {}
            }
        }
    }

    /// Put text on the host's clipboard (up to [`MAX_CLIPBOARD_TEXT`] bytes,
    /// sent in pieces; every 16 pieces wait for the host, so a long text
    /// never floods the channel).
    pub async fn clipboard_set(&mut self, text: &str) -> Result<(), SessionError> {
        if text.len() > MAX_CLIPBOARD_TEXT {
            return Err(SessionError::TooLarge {
                what: "clipboard_set".into(),
                limit: MAX_CLIPBOARD_TEXT,
            });
        }
        let chunks = crate::messages::clipboard_chunks(text);
        let last = chunks.len() - 1;
        for (i, piece) in chunks.into_iter().enumerate() {
            self.control
                .send(&ViewerSessionMessage::ClipboardSet {
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
    async fn answered_sync(&mut self) -> Result<(), SessionError> {
        self.sync_id += 1;
        let id = self.sync_id;
        self.control
            .send(&ViewerSessionMessage::Sync {
                id,
                pointer_seq: None,
            })
            .await?;
        let mut refused = None;
        loop {
            match self.host_reply().await? {
                HostSessionMessage::Refused { what, permission } => {
                    refused = Some(SessionError::Refused { what, permission })
                }
                HostSessionMessage::TooLarge { what, limit } => {
                    refused = Some(SessionError::TooLarge { what, limit })
                }
                HostSessionMessage::SyncDone { id: got } if got == id => {
                    return refused.map_or(Ok(()), Err);
                }
                _ => {}
            }
        }
    }

    /// Read the host's clipboard text.
    pub async fn clipboard_get(&mut self) -> Result<Option<String>, SessionError> {
        self.control
            .send(&ViewerSessionMessage::ClipboardGet)
            .await?;
        let mut whole: Option<String> = None;
        loop {
            match self.host_reply().await? {
                HostSessionMessage::Refused { what, permission } => {
                    return Err(SessionError::Refused { what, permission })
                }
                HostSessionMessage::TooLarge { what, limit } => {
                    return Err(SessionError::TooLarge { what, limit })
                }
                HostSessionMessage::ClipboardText { text, more } => {
                    if let Some(piece) = text {
                        let buf = whole.get_or_insert_with(String::new);
                        if buf.len() + piece.len() > MAX_CLIPBOARD_TEXT {
                            return Err(
                                Error::Protocol("clipboard text over the limit".into()).into()
                            );
                        }
                        buf.push_str(&piece);
                    }
                    if !more {
                        return Ok(whole);
                    }
                }
                _ => {}
            }
        }
    }

    /// The host's monitors and the id of the one being streamed.
    pub async fn displays(&mut self) -> Result<(Vec<DisplayInfo>, u32), Error> {
        self.control
            .send(&ViewerSessionMessage::ListDisplays)
            .await?;
        loop {
            if let HostSessionMessage::Displays { displays, current } = self.host_reply().await? {
                return Ok((displays, current));
            }
        }
    }

    /// Stream the host's monitor with this id instead (see [`Session::displays`]).
    pub async fn switch_display(&mut self, id: u32) -> Result<DisplayInfo, Error> {
        self.control
            .send(&ViewerSessionMessage::SwitchDisplay { id })
            .await?;
        loop {
            if let HostSessionMessage::Displays { displays, current } = self.host_reply().await? {
                let available: Vec<String> = displays.iter().map(|d| d.id.to_string()).collect();
                return displays
                    .into_iter()
                    .find(|d| d.id == id && current == id)
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "the host has no display {id} (it has: {})",
                            available.join(", ")
                        ))
                    });
            }
        }
    }

    /// The host's screen as decoded frames; waits up to `limit` for the track.
    pub async fn video(&mut self, limit: Duration) -> Result<VideoIn, Error> {
        if let Some(t) = self.track.take() {
            return VideoIn::new(t);
        }
        let wait = async {
            loop {
                match self.peer.next_event().await {
                    Some(PeerEvent::Track(t)) => return VideoIn::new(t),
                    Some(PeerEvent::State(s)) if dead(s) => return Err(Error::PeerGone),
                    None => return Err(Error::PeerGone),
                    Some(_) => {}
                }
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| Error::Timeout("waiting for the host's screen"))?
    }

    /// End the session.
    pub async fn close(self) {
        self.control.close().await;
        self.peer.close().await;
        self.signal.close().await;
    }
}

fn dead(s: webrtc::peer_connection::RTCPeerConnectionState) -> bool {
    use webrtc::peer_connection::RTCPeerConnectionState as S;
    matches!(s, S::Failed | S::Closed | S::Disconnected)
}
