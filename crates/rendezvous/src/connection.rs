//! One WebSocket connection: read a frame, check it (rate, size, shape),
//! carry out the message, answer; meanwhile deliver what other connections
//! send it, until the client leaves, the server shuts down or another
//! connection takes over its host ID.
//!
//! The same loop serves hosts and viewers: a connection becomes a host by
//! registering ([`Stage`]), and any connection may act as a viewer.

use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use latchkey_core::identity::DevicePublicKey;
use latchkey_core::signal::{
    self, encode, register_message, valid_session_id, ClientMessage, DeviceId, ErrorCode,
    ServerMessage, Signature,
};
use rand::RngCore as _;
use tokio::sync::watch;
use tracing::{debug, error, info};

use crate::limits::RateLimiter;
use crate::state::{Admission, ConnId, Hub, Mailbox, Outgoing, Refusal};
use crate::turn;

/// How long one write may take before the client counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// WebSocket close code 1001 "going away" (server shutting down, or replaced).
const CLOSE_GOING_AWAY: u16 = 1001;

/// Where a connection is in host registration.
enum Stage {
    /// Nothing sent yet (viewers stay here).
    Anonymous,
    /// `Hello` received, `Challenge` sent: waiting for `Register`.
    Challenged {
        /// The key from `Hello`.
        key: DevicePublicKey,
        /// The nonce it must sign; used once.
        nonce: [u8; 32],
    },
    /// Registered as the host for this ID.
    Registered {
        /// Its ID.
        id: DeviceId,
    },
}

/// Removes the connection from the shared tables when dropped, however the
/// connection ends (including a panic in its task).
struct DisconnectGuard {
    /// The tables.
    hub: Hub,
    /// The connection to remove.
    id: ConnId,
}

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        self.hub.disconnect(self.id);
    }
}

/// One connection's state.
struct Connection {
    /// The socket.
    socket: WebSocket,
    /// The TCP peer (the client, or a reverse proxy), for logs.
    peer: SocketAddr,
    /// The client's address for `Incoming.from_addr`: the peer's, or the one
    /// a trusted proxy forwarded.
    client: IpAddr,
    /// Shared state.
    hub: Hub,
    /// What the rest of the server sends this connection.
    mailbox: Mailbox,
    /// Becomes `true` when the server shuts down.
    shutdown: watch::Receiver<bool>,
    /// Enforces the message rate.
    limiter: RateLimiter,
    /// Host registration progress.
    stage: Stage,
}

/// Serve one upgraded WebSocket until it ends.
pub(crate) async fn run(
    socket: WebSocket,
    peer: SocketAddr,
    client: IpAddr,
    hub: Hub,
    admission: Admission,
) {
    let mailbox = hub.connect();
    let guard = DisconnectGuard {
        hub: hub.clone(),
        id: mailbox.id,
    };
    debug!(conn = mailbox.id, %peer, %client, "connected");
    let mut conn = Connection {
        socket,
        peer,
        client,
        limiter: RateLimiter::new(hub.limits(), tokio::time::Instant::now()),
        hub,
        mailbox,
        shutdown: admission.shutdown.clone(),
        stage: Stage::Anonymous,
    };
    conn.run().await;
    debug!(conn = conn.mailbox.id, %peer, "disconnected");
    // Close the socket, leave the tables (the peers get their `Bye`s), and
    // only then give back the slot and the handle `serve` waits on.
    drop(conn);
    drop(guard);
    drop(admission);
}

impl Connection {
    /// The loop.
    async fn run(&mut self) {
        loop {
            let flow = tokio::select! {
                changed = self.shutdown.changed() => {
                    if changed.is_ok() && *self.shutdown.borrow() {
                        let _ = self
                            .close_with(ErrorCode::Unavailable, "the server is shutting down")
                            .await;
                    }
                    ControlFlow::Break(())
                }
                () = self.mailbox.kill.notified() => ControlFlow::Break(()),
                outgoing = self.mailbox.outbox.recv() => match outgoing {
                    Some(Outgoing::Message(message)) => self.send(message).await,
                    Some(Outgoing::Close { code, message }) => {
                        let _ = self.close_with(code, message).await;
                        ControlFlow::Break(())
                    }
                    // The tables hold the sender while the connection exists.
                    None => ControlFlow::Break(()),
                },
                frame = self.socket.recv() => match frame {
                    Some(Ok(frame)) => self.on_frame(frame).await,
                    Some(Err(e)) => {
                        debug!(conn = self.mailbox.id, error = %e, "read failed");
                        ControlFlow::Break(())
                    }
                    None => ControlFlow::Break(()),
                },
            };
            if flow.is_break() {
                return;
            }
        }
    }

    /// One frame from the client.
    async fn on_frame(&mut self, frame: Message) -> ControlFlow<()> {
        let text = match frame {
            Message::Text(text) => text,
            Message::Binary(_) => {
                if !self.limiter.allow(tokio::time::Instant::now()) {
                    return self
                        .refuse(Refusal::new(ErrorCode::RateLimited, "slow down"))
                        .await;
                }
                return self
                    .refuse(Refusal::new(
                        ErrorCode::Malformed,
                        "binary frames are not part of the protocol",
                    ))
                    .await;
            }
            // The WebSocket layer answers pings itself.
            Message::Ping(_) | Message::Pong(_) => return ControlFlow::Continue(()),
            Message::Close(_) => return ControlFlow::Break(()),
        };
        if text.len() > self.hub.limits().max_message_bytes {
            if !self.limiter.allow(tokio::time::Instant::now()) {
                return self
                    .refuse(Refusal::new(ErrorCode::RateLimited, "slow down"))
                    .await;
            }
            return self
                .refuse(Refusal::new(ErrorCode::TooLarge, "message too large"))
                .await;
        }
        let parsed = signal::parse_client(text.as_str());
        let host_reply = matches!(self.stage, Stage::Registered { .. })
            && parsed
                .as_ref()
                .is_ok_and(|m| self.hub.is_host_reply(self.mailbox.id, m));
        if !host_reply && !self.limiter.allow(tokio::time::Instant::now()) {
            return self
                .refuse(Refusal::new(ErrorCode::RateLimited, "slow down"))
                .await;
        }
        match parsed {
            Ok(message) => self.handle(message).await,
            Err(code) => {
                debug!(conn = self.mailbox.id, ?code, "bad frame");
                self.refuse(Refusal::new(code, "not a valid message")).await
            }
        }
    }

    /// Carry out one message.
    async fn handle(&mut self, message: ClientMessage) -> ControlFlow<()> {
        let me = self.mailbox.id;
        let result = match message {
            ClientMessage::Hello { public_key } => return self.hello(public_key).await,
            ClientMessage::Register { signature } => return self.register(signature).await,
            ClientMessage::Lookup { id } => {
                let online = self.hub.is_online(&id).await;
                return self.send(ServerMessage::Presence { id, online }).await;
            }
            ClientMessage::Offer { to, session, sdp } => {
                if !valid_session_id(&session) {
                    Err(Refusal::new(
                        ErrorCode::Malformed,
                        "a session identifier is 16 to 64 of 0-9a-f",
                    ))
                } else {
                    let from = self.client.to_canonical().to_string();
                    match self.hub.offer(me, &to, session, sdp, from).await {
                        Err(r) if r.code == ErrorCode::HostOffline => {
                            Err(offline_or_unknown(self.hub.clone(), &to, r).await)
                        }
                        other => other,
                    }
                }
            }
            ClientMessage::Answer { session, sdp } => self.hub.answer(me, session, sdp),
            ClientMessage::Candidate { session, candidate } => {
                self.hub.candidate(me, session, candidate)
            }
            ClientMessage::Bye { session, reason } => self.hub.bye(me, session, reason),
            ClientMessage::TurnRequest => return self.turn().await,
            ClientMessage::Ping => return self.send(ServerMessage::Pong).await,
        };
        match result {
            Ok(()) => ControlFlow::Continue(()),
            Err(refusal) => self.refuse(refusal).await,
        }
    }

    /// `Hello`: send a fresh challenge for this key.
    async fn hello(&mut self, key: DevicePublicKey) -> ControlFlow<()> {
        if matches!(self.stage, Stage::Registered { .. }) {
            return self
                .refuse(Refusal::new(
                    ErrorCode::NotRegistered,
                    "this connection is already registered",
                ))
                .await;
        }
        let mut nonce = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        self.stage = Stage::Challenged { key, nonce };
        self.send(ServerMessage::Challenge {
            nonce: hex::encode(nonce),
        })
        .await
    }

    /// `Register`: check the signature over the challenge, then bind the
    /// key to its ID (a new one on first sight) and take over that ID.
    async fn register(&mut self, signature: Signature) -> ControlFlow<()> {
        let (key, nonce) = match std::mem::replace(&mut self.stage, Stage::Anonymous) {
            Stage::Challenged { key, nonce } => (key, nonce),
            registered @ Stage::Registered { .. } => {
                self.stage = registered;
                return self
                    .refuse(Refusal::new(
                        ErrorCode::NotRegistered,
                        "this connection is already registered",
                    ))
                    .await;
            }
            Stage::Anonymous => {
                return self
                    .refuse(Refusal::new(
                        ErrorCode::NotRegistered,
                        "send hello before register",
                    ))
                    .await;
            }
        };
        if key.verify(&register_message(&nonce), &signature.0).is_err() {
            debug!(conn = self.mailbox.id, key = %key.fingerprint(), "bad registration signature");
            return self
                .refuse(Refusal::new(
                    ErrorCode::BadSignature,
                    "the signature does not verify; send hello again",
                ))
                .await;
        }
        let id = match self.hub.registry().id_for_key(key).await {
            Ok(id) => id,
            Err(e) => {
                error!(error = %e, "ID registry");
                return self
                    .refuse(Refusal::new(ErrorCode::Unavailable, "ID database error"))
                    .await;
            }
        };
        if let Err(refusal) = self.hub.register_host(self.mailbox.id, id.clone()).await {
            return self.refuse(refusal).await;
        }
        info!(conn = self.mailbox.id, %id, key = %key.fingerprint(), peer = %self.peer, "host registered");
        self.stage = Stage::Registered { id: id.clone() };
        self.send(ServerMessage::Registered { id }).await
    }

    /// `TurnRequest`: fresh credentials, if TURN is configured.
    async fn turn(&mut self) -> ControlFlow<()> {
        let Some(config) = self.hub.turn() else {
            return self
                .refuse(Refusal::new(
                    ErrorCode::NoTurn,
                    "this server has no TURN relay",
                ))
                .await;
        };
        let label = match &self.stage {
            Stage::Registered { id } => id.to_string(),
            _ => String::from("viewer"),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let message = turn::credentials(config, &label, now);
        self.send(message).await
    }

    /// Send a refusal; the connection stays open.
    async fn refuse(&mut self, refusal: Refusal) -> ControlFlow<()> {
        self.send(refusal.into_message()).await
    }

    /// Send one message; `Break` if the client is gone or not reading.
    async fn send(&mut self, message: ServerMessage) -> ControlFlow<()> {
        if let ServerMessage::Error { code, .. } = &message {
            self.hub.metrics().refused(*code);
        }
        let frame = Message::Text(encode(&message).into());
        match tokio::time::timeout(WRITE_TIMEOUT, self.socket.send(frame)).await {
            Ok(Ok(())) => ControlFlow::Continue(()),
            Ok(Err(e)) => {
                debug!(conn = self.mailbox.id, error = %e, "write failed");
                ControlFlow::Break(())
            }
            Err(_) => {
                debug!(conn = self.mailbox.id, "write timed out");
                ControlFlow::Break(())
            }
        }
    }

    /// Send `Error { code }` and a close frame (best effort).
    async fn close_with(&mut self, code: ErrorCode, message: &'static str) -> ControlFlow<()> {
        if self.refuse(Refusal::new(code, message)).await.is_break() {
            return ControlFlow::Break(());
        }
        let close = Message::Close(Some(CloseFrame {
            code: CLOSE_GOING_AWAY,
            reason: message.into(),
        }));
        let _ = tokio::time::timeout(WRITE_TIMEOUT, self.socket.send(close)).await;
        ControlFlow::Break(())
    }
}

/// Tell an unknown ID from a known host that is not connected.
async fn offline_or_unknown(hub: Hub, to: &DeviceId, offline: Refusal) -> Refusal {
    match hub.registry().is_known(to).await {
        Ok(false) => Refusal {
            code: ErrorCode::UnknownId,
            message: "no host has this ID",
            ..offline
        },
        Ok(true) => offline,
        Err(e) => {
            error!(error = %e, "ID registry");
            offline
        }
    }
}
