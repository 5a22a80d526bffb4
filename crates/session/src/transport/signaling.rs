//! The signaling client: one WebSocket to the rendezvous server, speaking
//! `latchkey_core::signal`. Hosts keep one open (and reconnect with backoff,
//! see `host`); viewers open one per connection attempt.
//!
//! A rendezvous setting may name several nodes of one rendezvous service,
//! comma-separated (`ws://a.example.org,ws://b.example.org`): a connection
//! goes to the first that answers, and a host whose node died moves on to
//! the next ([`SignalSocket::connect_from`]). The nodes share their IDs, so
//! a host keeps its ID on any of them.

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

/// How long to wait for each of several nodes before trying the next.
pub const NODE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An open signaling connection.
pub struct SignalSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Check a rendezvous setting: one URL, `ws://HOST:PORT` or `wss://...`,
/// or several separated by commas (nodes of one rendezvous service).
pub fn check_url(urls: &str) -> Result<(), Error> {
    let list = split_urls(urls);
    if list.is_empty() {
        return Err(Error::Usage(format!(
            "'{urls}' is not a rendezvous URL: use ws://HOST:PORT or wss://HOST \
             (several separated by commas)"
        )));
    }
    for url in list {
        if !((url.starts_with("ws://") || url.starts_with("wss://"))
            && url.len() > 6
            && !url.contains(char::is_whitespace))
        {
            return Err(Error::Usage(format!(
                "'{url}' is not a rendezvous URL: use ws://HOST:PORT or wss://HOST \
                 (several separated by commas)"
            )));
        }
    }
    Ok(())
}

/// The URLs of a rendezvous setting, in order (empty pieces skipped).
pub fn split_urls(urls: &str) -> Vec<&str> {
    urls.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect()
}

impl SignalSocket {
    /// Connect to the rendezvous: the first of `urls` (one or several,
    /// comma-separated) that answers.
    pub async fn connect(urls: &str) -> Result<Self, Error> {
        Ok(Self::connect_from(urls, 0).await?.0)
    }

    /// Connect to the first of `urls` that answers, trying them from the
    /// one at `start` (wrapping around); the socket and the index of its URL.
    pub async fn connect_from(urls: &str, start: usize) -> Result<(Self, usize), Error> {
        check_url(urls)?;
        let list = split_urls(urls);
        let limit = if list.len() > 1 {
            NODE_CONNECT_TIMEOUT
        } else {
            CONNECT_TIMEOUT
        };
        let mut failures = Vec::new();
        for i in (0..list.len()).map(|k| (start + k) % list.len()) {
            let url = list[i];
            match Self::connect_one(url, limit).await {
                Ok(socket) => {
                    if !failures.is_empty() {
                        tracing::info!(%url, "reached the rendezvous on another node");
                    }
                    return Ok((socket, i));
                }
                Err(e) => {
                    tracing::debug!(%url, error = %e, "rendezvous node unreachable");
                    failures.push(e.to_string());
                }
            }
        }
        Err(Error::RendezvousUnreachable(failures.join("; ")))
    }

    /// Connect to one URL within `limit`.
    async fn connect_one(url: &str, limit: Duration) -> Result<Self, String> {
        // Nagle off: an offer and the ICE candidates right behind it are
        // small frames that must not wait for the server's delayed ACK.
        let attempt = tokio_tungstenite::connect_async_with_config(url, None, true);
        let (ws, _) = tokio::time::timeout(limit, attempt)
            .await
            .map_err(|_| format!("{url}: no answer within {}s", limit.as_secs()))?
            .map_err(|e| format!("{url}: {e}"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_or_several_urls() {
        assert!(check_url("ws://127.0.0.1:1").is_ok());
        assert!(check_url("ws://127.0.0.1:1, wss://b.example.org").is_ok());
        assert_eq!(
            split_urls("ws://a:1,ws://b:2,"),
            vec!["ws://a:1", "ws://b:2"]
        );
        assert!(check_url("").is_err());
        assert!(check_url(",").is_err());
        assert!(check_url("ws://a:1,http://b").is_err());
    }

    #[tokio::test]
    async fn the_next_node_answers_when_one_is_down() {
        let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let dead_addr = dead.local_addr().expect("addr");
        drop(dead);
        let live = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let live_addr = live.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (tcp, _) = live.accept().await.expect("accept");
            let ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
            drop(ws);
        });
        let urls = format!("ws://{dead_addr},ws://{live_addr}");
        let (_socket, index) = SignalSocket::connect_from(&urls, 0)
            .await
            .expect("the live node answers");
        assert_eq!(index, 1);
        server.await.expect("server");
        let err = SignalSocket::connect(&format!("ws://{dead_addr}"))
            .await
            .err()
            .expect("nobody there");
        assert!(matches!(err, Error::RendezvousUnreachable(_)), "{err}");
    }
}
