//! The viewer: reach a host by ID through the rendezvous, check its identity
//! against `known_hosts`, and log in with a saved token, a password (OPAQUE,
//! bound to this connection) or by asking the person at the host.

pub(crate) mod link;
pub mod session;

pub use link::SessionError;
pub use session::{Session, SessionEvent};

use serde::Serialize;
use std::time::Duration;
use zeroize::Zeroizing;

use latchkey_core::handshake::{self, DenialCode, HostMessage, Method, Role, ViewerMessage};
use latchkey_core::identity::DevicePublicKey;
use latchkey_core::pake::ViewerLogin;
use latchkey_core::permission::PermissionSet;
use latchkey_core::signal::{ClientMessage, DeviceId, ErrorCode, ServerMessage, Signature};
use latchkey_core::token::Token;
use latchkey_store::config::now;
use latchkey_store::known_hosts::{HostKeyCheck, KnownHosts};
use latchkey_store::{Config, SecretName};
use rand_core::{OsRng, RngCore};

use crate::transport::peer::{Control, ControlEvent, Peer, PeerEvent};
use crate::transport::signaling::SignalSocket;
use crate::Error;
use std::sync::Arc;
use webrtc::media_stream::track_remote::TrackRemote;

/// How long the host has to answer each step (the accept window gets its 60 s on top).
const STEP: Duration = Duration::from_secs(10);
/// How refusals for a connection someone sits in the middle of begin.
const TRANSCRIPT_MISMATCH: &str = "transcript_mismatch";

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

/// Everything the handshake waits on at once: a message from the host, the
/// host vanishing from the rendezvous, or the peer connection dying.
struct Link {
    peer: Peer,
    control: Control,
    signal: SignalSocket,
    host: String,
    track: Option<Arc<dyn TrackRemote>>,
}

impl Link {
    async fn next(&mut self, limit: Duration) -> Result<Vec<u8>, ConnectError> {
        let host = self.host.clone();
        let offline = || ConnectError::HostOffline(host.clone());
        let wait = async {
            loop {
                tokio::select! {
                    ev = self.control.next() => match ev {
                        ControlEvent::Message(m) => return Ok(m),
                        ControlEvent::Closed => return Err(offline()),
                        ControlEvent::Open => {}
                    },
                    m = self.signal.recv() => match m {
                        Ok(Some(ServerMessage::Bye { .. })) | Ok(None) | Err(_) => return Err(offline()),
                        _ => {}
                    },
                    ev = self.peer.next_event() => match ev {
                        Some(PeerEvent::State(s)) if dead(s) => return Err(offline()),
                        None => return Err(offline()),
                        _ => {}
                    },
                }
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| offline())?
    }

    /// Close everything (so the host notices at once).
    async fn close(&mut self) {
        self.control.close().await;
        self.peer.close().await;
    }

    async fn send(&self, m: &ViewerMessage) -> Result<(), ConnectError> {
        self.control
            .send(m)
            .await
            .map_err(|_| ConnectError::HostOffline(self.host.clone()))
    }
}

fn dead(s: webrtc::peer_connection::RTCPeerConnectionState) -> bool {
    use webrtc::peer_connection::RTCPeerConnectionState as S;
    matches!(s, S::Failed | S::Closed | S::Disconnected)
}

fn parse_host(bytes: &[u8]) -> Result<HostMessage, ConnectError> {
    handshake::parse(bytes)
        .map_err(|_| ConnectError::Protocol("malformed message from the host".into()))
}

/// Connect and authenticate. On success the session stays open.
pub async fn connect(
    config: &mut Config,
    opts: ConnectOptions,
) -> Result<(Granted, Session), ConnectError> {
    let host = opts.host_id.grouped();
    let device_key = config.device_key().map_err(Error::from)?;
    let mut signal = SignalSocket::connect(&opts.rendezvous).await?;
    let mut peer = Peer::new().await?;
    crate::features::video::add_receiver(peer.connection()).await?;
    let control = Control::new(peer.create_control().await?);
    let offer = peer.offer().await?;
    let mut session = [0u8; 16];
    OsRng.fill_bytes(&mut session);
    let session = hex::encode(session);
    signal
        .send(&ClientMessage::Offer {
            to: opts.host_id.clone(),
            session: session.clone(),
            sdp: offer,
        })
        .await?;
    let answer = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match signal.recv().await {
                Ok(Some(ServerMessage::Answer { sdp, .. })) => return Ok(sdp),
                Ok(Some(ServerMessage::Error {
                    code: ErrorCode::UnknownId,
                    ..
                })) => return Err(ConnectError::UnknownId(host.clone())),
                Ok(Some(ServerMessage::Bye {
                    reason: Some(reason),
                    ..
                })) if reason.starts_with(TRANSCRIPT_MISMATCH) => {
                    return Err(ConnectError::Protocol(format!(
                        "the host refused this connection: {reason}"
                    )))
                }
                Ok(Some(ServerMessage::Error {
                    code: ErrorCode::HostOffline,
                    ..
                }))
                | Ok(Some(ServerMessage::Bye { .. })) => {
                    return Err(ConnectError::HostOffline(host.clone()))
                }
                Ok(Some(ServerMessage::Error { code, message, .. })) => {
                    return Err(ConnectError::Local(Error::Rendezvous(format!(
                        "{}: {message}",
                        code.name()
                    ))))
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return Err(ConnectError::HostOffline(host.clone())),
            }
        }
    })
    .await
    .map_err(|_| ConnectError::HostOffline(host.clone()))??;
    peer.accept_answer(&answer)
        .await
        .map_err(|e| ConnectError::Protocol(e.to_string()))?;
    let mut link = Link {
        peer,
        control,
        signal,
        host: host.clone(),
        track: None,
    };

    // Wait for the channel to open, watching for the host vanishing meanwhile.
    tokio::time::timeout(STEP, async {
        loop {
            tokio::select! {
                ev = link.control.next() => match ev {
                    ControlEvent::Open => return Ok(()),
                    ControlEvent::Closed => return Err(ConnectError::HostOffline(host.clone())),
                    ControlEvent::Message(_) => return Err(ConnectError::Protocol("message before hello".into())),
                },
                m = link.signal.recv() => if let Ok(Some(ServerMessage::Bye { .. })) | Ok(None) | Err(_) = m {
                    return Err(ConnectError::HostOffline(host.clone()));
                },
                ev = link.peer.next_event() => if let Some(PeerEvent::State(s)) = ev { if dead(s) { return Err(ConnectError::HostOffline(host.clone())); } },
            }
        }
    })
    .await
    .map_err(|_| ConnectError::HostOffline(host.clone()))??;

    // Hellos, over the DTLS certificates this connection really authenticated.
    let (local_fp, remote_fp) = match link.peer.authenticated_fingerprints().await {
        Ok(fps) => fps,
        Err(e) => {
            link.close().await;
            return Err(ConnectError::Protocol(e.to_string()));
        }
    };
    let transcript = handshake::transcript(&local_fp, &remote_fp);
    let signature =
        Signature(device_key.sign(&handshake::hello_message(Role::Viewer, &transcript)));
    link.send(&ViewerMessage::Hello {
        version: handshake::VERSION,
        device_key: device_key.public(),
        name: opts.name.clone(),
        signature,
    })
    .await?;
    let host_key = match parse_host(&link.next(STEP).await?)? {
        HostMessage::Hello {
            version,
            device_key: key,
            host_id,
            signature,
        } => {
            if version != handshake::VERSION {
                return Err(ConnectError::Protocol(format!(
                    "the host speaks handshake version {version}"
                )));
            }
            if key
                .verify(
                    &handshake::hello_message(Role::Host, &transcript),
                    &signature.0,
                )
                .is_err()
            {
                link.close().await;
                return Err(ConnectError::Protocol(format!(
                    "{TRANSCRIPT_MISMATCH}: the host's hello is not signed over this connection's DTLS certificates (someone in the middle?)"
                )));
            }
            if host_id.as_ref().is_some_and(|id| id != &opts.host_id) {
                return Err(ConnectError::Protocol("the host claims another ID".into()));
            }
            key
        }
        HostMessage::Denied {
            error,
            retry_after_s,
            message,
        } => {
            return Err(ConnectError::Denied {
                code: error,
                retry_after_s,
                message,
            })
        }
        _ => return Err(ConnectError::Protocol("expected the host's hello".into())),
    };
    if let Err(e) = pin_host_key(config, &opts, &host_key) {
        link.close().await;
        return Err(e);
    }
    match login(config, &opts, &mut link, &transcript).await {
        Ok(granted) => {
            let Link {
                peer,
                control,
                signal,
                track,
                ..
            } = link;
            let session = Session::start(peer, control, signal, track, granted.permissions);
            Ok((granted, session))
        }
        Err(e) => {
            link.close().await;
            Err(e)
        }
    }
}

/// The login part of the handshake, after both hellos.
async fn login(
    config: &mut Config,
    opts: &ConnectOptions,
    link: &mut Link,
    transcript: &[u8],
) -> Result<Granted, ConnectError> {
    // Method: password if given, else a saved token, else ask.
    let token_name = SecretName::ViewerToken(opts.host_id.clone());
    let stored_token = if opts.password.is_none() {
        config.secrets().get(&token_name).map_err(Error::from)?
    } else {
        None
    };
    let mut pending_login = None;
    let used_token = if let Some(password) = &opts.password {
        let (login, request) = ViewerLogin::start(password.as_bytes(), &mut OsRng)
            .map_err(|e| ConnectError::Protocol(e.to_string()))?;
        pending_login = Some(login);
        link.send(&ViewerMessage::Password {
            profile: opts.profile.clone(),
            request,
            remember: opts.remember,
        })
        .await?;
        false
    } else if let Some(token) = stored_token {
        let text = String::from_utf8(token.to_vec())
            .map_err(|_| ConnectError::Protocol("stored token is not text".into()))?;
        link.send(&ViewerMessage::Token { token: text }).await?;
        true
    } else {
        link.send(&ViewerMessage::Ask {
            profile: opts.profile.clone(),
        })
        .await?;
        false
    };

    // A password login is granted only once the OPAQUE exchange finished on
    // our side (the host proved it holds the password's record): a host that
    // says "granted" without checking the password is not believed.
    let mut password_checked = false;
    let mut limit = STEP;
    loop {
        match parse_host(&link.next(limit).await?)? {
            HostMessage::PasswordChallenge { response, ksf } => {
                let (Some(login), Some(password)) = (pending_login.take(), opts.password.as_ref())
                else {
                    return Err(ConnectError::Protocol(
                        "unexpected password challenge".into(),
                    ));
                };
                match login.finish(password.as_bytes(), &response, transcript, ksf) {
                    Ok((finalization, _key)) => {
                        password_checked = true;
                        link.send(&ViewerMessage::PasswordFinish { finalization })
                            .await?
                    }
                    Err(_) => {
                        // Wrong password (or a host offering weak stretching): say so, so the host counts it at once.
                        let _ = link
                            .send(&ViewerMessage::Abort {
                                reason: "password login failed".into(),
                            })
                            .await;
                        return Err(ConnectError::Denied {
                            code: DenialCode::WrongCredentials,
                            retry_after_s: None,
                            message: "wrong credentials".into(),
                        });
                    }
                }
            }
            HostMessage::SecondFactorRequired if opts.password.is_some() && !password_checked => {
                return Err(ConnectError::Protocol(
                    "the host asked for a second factor before the password exchange".into(),
                ))
            }
            HostMessage::SecondFactorRequired => match &opts.totp {
                Some(code) => {
                    link.send(&ViewerMessage::SecondFactor {
                        code: code.to_string(),
                    })
                    .await?
                }
                None => {
                    return Err(ConnectError::Denied {
                        code: DenialCode::SecondFactorRequired,
                        retry_after_s: None,
                        message: "the host requires a second factor: pass --totp CODE".into(),
                    })
                }
            },
            HostMessage::Waiting { timeout_s } => {
                limit = Duration::from_secs(timeout_s.min(300) + 10)
            }
            HostMessage::Granted {
                method,
                profile,
                permissions,
                token,
            } => {
                if opts.password.is_some() && !password_checked {
                    return Err(ConnectError::Protocol(
                        "the host granted a password login without the password exchange".into(),
                    ));
                }
                if opts.password.is_some() && method != Method::Password {
                    return Err(ConnectError::Protocol(format!(
                        "the host granted a password login as '{}'",
                        method.name()
                    )));
                }
                let mut token_saved = false;
                if let Some(t) = token {
                    if Token::parse(&t).is_ok() {
                        config
                            .secrets()
                            .set(&token_name, t.as_bytes())
                            .map_err(Error::from)?;
                        token_saved = true;
                    }
                }
                return Ok(Granted {
                    host_id: opts.host_id.to_string(),
                    method,
                    profile,
                    permissions,
                    token_saved,
                });
            }
            HostMessage::Denied {
                error,
                retry_after_s,
                message,
            } => {
                if used_token && error == DenialCode::WrongCredentials {
                    // The token no longer works: forget it so the next attempt asks for the password.
                    let _ = config.secrets().delete(&token_name);
                }
                return Err(ConnectError::Denied {
                    code: error,
                    retry_after_s,
                    message,
                });
            }
            HostMessage::Hello { .. } => {
                return Err(ConnectError::Protocol("a second hello".into()))
            }
        }
    }
}

/// Trust on first use; refuse a changed key unless the user accepted it.
fn pin_host_key(
    config: &Config,
    opts: &ConnectOptions,
    key: &DevicePublicKey,
) -> Result<(), ConnectError> {
    let mut known = KnownHosts::load(config.dir()).map_err(Error::from)?;
    match known.check(&opts.host_id, key) {
        HostKeyCheck::Known => Ok(()),
        HostKeyCheck::New => Ok(known
            .remember(opts.host_id.clone(), *key, now())
            .map_err(Error::from)?),
        HostKeyCheck::Changed { expected } => {
            if opts.accept_new_host_key {
                Ok(known
                    .remember(opts.host_id.clone(), *key, now())
                    .map_err(Error::from)?)
            } else {
                Err(ConnectError::HostKeyChanged {
                    expected: expected.fingerprint(),
                    got: key.fingerprint(),
                })
            }
        }
    }
}
