//! The viewer's half of the handshake, driven: reach the host through the
//! rendezvous, open the `control` channel, then feed core's
//! [`ViewerHandshake`] what arrives and do what it says (send, check the host
//! key against `known_hosts`, keep or forget the saved token, wait until its
//! deadline). On a grant the link becomes the [`Session`].

use std::time::Duration;

use latchkey_core::handshake::viewer::{
    Credential, ViewerHandshake, ViewerInput, ViewerOutcome, ViewerOutput, ViewerParams,
    ViewerPersist, TRANSCRIPT_MISMATCH,
};
use latchkey_core::handshake::{self, ViewerMessage};
use latchkey_core::identity::DevicePublicKey;
use latchkey_core::signal::{ClientMessage, ErrorCode, ServerMessage};
use latchkey_core::UnixTime;
use latchkey_store::config::now;
use latchkey_store::known_hosts::{HostKeyCheck, KnownHosts};
use latchkey_store::{Config, SecretName};
use rand_core::{OsRng, RngCore};
use std::sync::Arc;
use webrtc::media_stream::track_remote::TrackRemote;
use zeroize::Zeroizing;

use super::{ConnectError, ConnectOptions, Granted, Session, STEP};
use crate::machine_clock::MachineClock;
use crate::transport::peer::{is_dead, Control, ControlEvent, Peer, PeerEvent};
use crate::transport::signaling::SignalSocket;
use crate::transport::turn;
use crate::Error;

/// Everything the handshake waits on at once: a message from the host, the
/// host vanishing from the rendezvous, or the peer connection dying.
struct Link {
    peer: Peer,
    control: Control,
    signal: SignalSocket,
    host: String,
    /// Media tracks announced during the handshake (the host may start
    /// sending once it granted, before this side has read the grant).
    tracks: Vec<Arc<dyn TrackRemote>>,
}

impl Link {
    /// The next message from the host; `None` once it is gone (the channel
    /// closed, it left the rendezvous, or the peer connection died).
    async fn recv(&mut self) -> Option<Vec<u8>> {
        loop {
            tokio::select! {
                ev = self.control.next() => match ev {
                    ControlEvent::Message(m) => return Some(m),
                    ControlEvent::Closed => return None,
                    ControlEvent::Open => {}
                },
                m = self.signal.recv() => match m {
                    Ok(Some(ServerMessage::Bye { .. })) | Ok(None) | Err(_) => return None,
                    _ => {}
                },
                ev = self.peer.next_event() => match ev {
                    Some(PeerEvent::State(s)) if is_dead(s) => return None,
                    Some(PeerEvent::Track(t)) => self.tracks.push(t),
                    None => return None,
                    _ => {}
                },
            }
        }
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

/// Connect and authenticate. On success the session stays open.
pub async fn connect(
    config: &mut Config,
    opts: ConnectOptions,
) -> Result<(Granted, Session), ConnectError> {
    let host = opts.host_id.grouped();
    let device_key = config.device_key().map_err(Error::from)?;
    let mut signal = SignalSocket::connect(&opts.rendezvous).await?;
    // Nothing else is addressed to this connection before its offer.
    let (relays, _) = turn::request(&mut signal).await?;
    let mut peer = Peer::with_turn(relays.as_ref()).await?;
    crate::features::video::add_receiver(peer.connection()).await?;
    crate::features::sound::add_receiver(peer.connection()).await?;
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
        tracks: Vec::new(),
    };

    // Wait for the channel to open, watching for the host vanishing meanwhile.
    // No path (ICE failed or never got through) names the relay's refusal, if any.
    let no_path = |peer: &Peer| match peer.relay_failure() {
        Some(why) => ConnectError::NoPath {
            host: host.clone(),
            why,
        },
        None => ConnectError::HostOffline(host.clone()),
    };
    let opened = tokio::time::timeout(STEP, async {
        loop {
            tokio::select! {
                ev = link.control.next() => match ev {
                    ControlEvent::Open => return Ok(()),
                    ControlEvent::Closed => return Err(None),
                    ControlEvent::Message(_) => return Err(Some(ConnectError::Protocol("message before hello".into()))),
                },
                m = link.signal.recv() => if let Ok(Some(ServerMessage::Bye { .. })) | Ok(None) | Err(_) = m {
                    return Err(Some(ConnectError::HostOffline(host.clone())));
                },
                ev = link.peer.next_event() => if let Some(PeerEvent::State(s)) = ev { if is_dead(s) { return Err(None); } },
            }
        }
    })
    .await;
    match opened {
        Ok(Ok(())) => {}
        Ok(Err(Some(e))) => return Err(e),
        Ok(Err(None)) | Err(_) => {
            let e = no_path(&link.peer);
            link.close().await;
            return Err(e);
        }
    }
    let ice = link.peer.selected_path().await;
    if let Some(path) = &ice {
        tracing::info!(local = %path.local, remote = %path.remote, "ICE selected a candidate pair");
    }

    // Hellos, over the DTLS certificates this connection really authenticated.
    let (local_fp, remote_fp) = match link.peer.authenticated_fingerprints().await {
        Ok(fps) => fps,
        Err(e) => {
            link.close().await;
            return Err(ConnectError::Protocol(e.to_string()));
        }
    };
    let params = ViewerParams {
        transcript: handshake::transcript(&local_fp, &remote_fp),
        host_id: opts.host_id.clone(),
        name: opts.name.clone(),
        profile: opts.profile.clone(),
        credential: credential(config, &opts)?,
        totp: opts.totp.clone(),
    };
    let mut machine = ViewerHandshake::new(params, &device_key, now());
    match drive(&mut machine, config, &opts, &mut link).await {
        Ok(mut granted) => {
            granted.ice = ice;
            let Link {
                peer,
                control,
                signal,
                tracks,
                ..
            } = link;
            let session = Session::start(peer, control, signal, tracks, granted.permissions);
            Ok((granted, session))
        }
        Err(e) => {
            link.close().await;
            Err(e)
        }
    }
}

/// How to log in: the password if given, else the reconnect credential of
/// a restart this device asked for, else a saved token, else ask.
fn credential(config: &Config, opts: &ConnectOptions) -> Result<Credential, ConnectError> {
    if let Some(password) = &opts.password {
        return Ok(Credential::Password {
            password: password.clone(),
            remember: opts.remember,
        });
    }
    let stored = |name: SecretName| -> Result<Option<Zeroizing<String>>, ConnectError> {
        match config.secrets().get(&name).map_err(Error::from)? {
            Some(bytes) => String::from_utf8(bytes.to_vec())
                .map(|text| Some(Zeroizing::new(text)))
                .map_err(|_| ConnectError::Protocol("a stored credential is not text".into())),
            None => Ok(None),
        }
    };
    if let Some(credential) = stored(SecretName::ViewerReconnect(opts.host_id.clone()))? {
        return Ok(Credential::Reconnect(credential));
    }
    match stored(SecretName::ViewerToken(opts.host_id.clone()))? {
        Some(token) => Ok(Credential::Token(token)),
        None => Ok(Credential::Ask),
    }
}

/// Feed the machine until it is done, carrying out each output in order.
async fn drive(
    machine: &mut ViewerHandshake,
    config: &mut Config,
    opts: &ConnectOptions,
    link: &mut Link,
) -> Result<Granted, ConnectError> {
    let token_name = SecretName::ViewerToken(opts.host_id.clone());
    let offline = || ConnectError::HostOffline(opts.host_id.grouped());
    let mut clock = MachineClock::start();
    let mut deadline: Option<UnixTime> = None;
    loop {
        while let Some(output) = machine.poll_output() {
            match output {
                // Giving up after a failed password: the refusal stands whether it arrives or not.
                ViewerOutput::Send(m @ ViewerMessage::Abort { .. }) => {
                    let _ = link.send(&m).await;
                }
                ViewerOutput::Send(m) => link.send(&m).await?,
                ViewerOutput::CheckHostKey(key) => {
                    pin_host_key(config, opts, &key)?;
                    machine.handle(now(), ViewerInput::HostKeyTrusted, &mut OsRng);
                }
                ViewerOutput::Persist(ViewerPersist::SaveToken(t)) => config
                    .secrets()
                    .set(&token_name, t.as_bytes())
                    .map_err(Error::from)?,
                ViewerOutput::Persist(ViewerPersist::ForgetToken) => {
                    // The token no longer works: the next attempt asks for the password.
                    let _ = config.secrets().delete(&token_name);
                }
                ViewerOutput::Persist(ViewerPersist::ForgetReconnect) => {
                    // Spent (or dead): the next attempt uses the token or asks.
                    let name = SecretName::ViewerReconnect(opts.host_id.clone());
                    let _ = config.secrets().delete(&name);
                }
                ViewerOutput::Deadline(at) => deadline = Some(at),
                ViewerOutput::Done(outcome) => {
                    return match outcome {
                        ViewerOutcome::Granted(g) => Ok(Granted {
                            host_id: opts.host_id.to_string(),
                            method: g.method,
                            profile: g.profile,
                            permissions: g.permissions,
                            token_saved: g.token_saved,
                            ice: None,
                        }),
                        ViewerOutcome::Denied {
                            code,
                            retry_after_s,
                            message,
                        } => Err(ConnectError::Denied {
                            code,
                            retry_after_s,
                            message,
                        }),
                        ViewerOutcome::HostGone => Err(offline()),
                        ViewerOutcome::Failed(e) => Err(ConnectError::Protocol(e.to_string())),
                    }
                }
            }
        }
        let input = tokio::select! {
            m = link.recv() => match m.map(|b| handshake::parse(&b)) {
                Some(Ok(m)) => ViewerInput::Message(m),
                Some(Err(_)) => ViewerInput::Malformed,
                None => ViewerInput::Closed,
            },
            _ = clock.until(deadline) => ViewerInput::Tick,
        };
        let at = clock.feed(deadline.filter(|_| matches!(input, ViewerInput::Tick)));
        machine.handle(at, input, &mut OsRng);
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
