//! The signaling client: one WebSocket to the rendezvous server, speaking
//! `latchkey_core::signal`. Hosts keep one open (and reconnect with backoff,
//! see `host`); viewers open one per connection attempt.

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{self, ClientMessage, DeviceId, ServerMessage};

use crate::Error;

/// How long to wait for the server to accept the WebSocket.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An open signaling connection.
pub struct SignalSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Check a rendezvous URL: `ws://HOST:PORT` or `wss://...`.
pub fn check_url(url: &str) -> Result<(), Error> {
    if (url.starts_with("ws://") || url.starts_with("wss://"))
        && url.len() > 6
        && !url.contains(char::is_whitespace)
    {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "'{url}' is not a rendezvous URL: use ws://HOST:PORT or wss://HOST"
        )))
    }
}

impl SignalSocket {
    /// Connect to the rendezvous at `url`.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        check_url(url)?;
        let attempt = tokio_tungstenite::connect_async(url);
        let (ws, _) = tokio::time::timeout(CONNECT_TIMEOUT, attempt)
            .await
            .map_err(|_| {
                Error::RendezvousUnreachable(format!(
                    "{url}: no answer within {}s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| Error::RendezvousUnreachable(format!("{url}: {e}")))?;
        Ok(SignalSocket { ws })
    }

    /// Send one message.
    pub async fn send(&mut self, message: &ClientMessage) -> Result<(), Error> {
        self.ws
            .send(Message::text(signal::encode(message)))
            .await
            .map_err(|e| Error::RendezvousLost(e.to_string()))
    }

    /// The next message; `Ok(None)` when the server closed the connection.
    /// Frames that are not valid server messages are skipped (and logged).
    pub async fn recv(&mut self) -> Result<Option<ServerMessage>, Error> {
        loop {
            let frame = match self.ws.next().await {
                None => return Ok(None),
                Some(Err(e)) => return Err(Error::RendezvousLost(e.to_string())),
                Some(Ok(f)) => f,
            };
            match frame {
                Message::Text(text) => match signal::parse_server(&text) {
                    Ok(m) => return Ok(Some(m)),
                    Err(code) => tracing::warn!(
                        code = code.name(),
                        "ignoring a malformed message from the rendezvous"
                    ),
                },
                Message::Close(_) => return Ok(None),
                _ => {}
            }
        }
    }

    /// Register `key` as a host: hello, sign the challenge, get the ID.
    pub async fn register(&mut self, key: &DeviceKey) -> Result<DeviceId, Error> {
        self.send(&ClientMessage::Hello {
            public_key: key.public(),
        })
        .await?;
        let nonce = match self.recv_timeout(CONNECT_TIMEOUT).await? {
            ServerMessage::Challenge { nonce } => nonce,
            other => return Err(unexpected(&other)),
        };
        let signature = signal::sign_challenge(key, &nonce)
            .ok_or_else(|| Error::Rendezvous("the challenge is not hex".into()))?;
        self.send(&ClientMessage::Register { signature }).await?;
        match self.recv_timeout(CONNECT_TIMEOUT).await? {
            ServerMessage::Registered { id } => Ok(id),
            other => Err(unexpected(&other)),
        }
    }

    /// The next message within `limit`; a closed connection is an error here.
    pub async fn recv_timeout(&mut self, limit: Duration) -> Result<ServerMessage, Error> {
        match tokio::time::timeout(limit, self.recv()).await {
            Err(_) => Err(Error::Rendezvous(
                "the rendezvous did not answer in time".into(),
            )),
            Ok(Ok(Some(m))) => Ok(m),
            Ok(Ok(None)) => Err(Error::RendezvousLost(
                "the rendezvous closed the connection".into(),
            )),
            Ok(Err(e)) => Err(e),
        }
    }

    /// Close politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

fn unexpected(m: &ServerMessage) -> Error {
    match m {
        ServerMessage::Error { code, message, .. } => {
            Error::Rendezvous(format!("{}: {message}", code.name()))
        }
        other => Error::Rendezvous(format!(
            "unexpected message {:?}",
            std::mem::discriminant(other)
        )),
    }
}
