//! One simulated client's WebSocket to a rendezvous node, opened from a chosen
//! loopback source address (one source address has only ~28,000 ephemeral
//! ports, so the fleet spreads over many), speaking the real protocol.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::{anyhow, bail, Context};
use futures_util::{SinkExt, StreamExt};
use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{self, ClientMessage, DeviceId, ServerMessage};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// A client's WebSocket.
pub type Ws = WebSocketStream<TcpStream>;

/// The `n`th loopback source address of a `block` (127.0.`block`.1 and up).
pub fn source(block: u8, n: usize) -> Ipv4Addr {
    let n = n % 250;
    Ipv4Addr::new(127, 0, block, 1 + n as u8)
}

/// Open the WebSocket to the node at `node` from `from`.
pub async fn connect(node: SocketAddr, from: Ipv4Addr) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4().context("socket")?;
    socket
        .bind(SocketAddr::new(from.into(), 0))
        .with_context(|| format!("bind {from}"))?;
    let tcp = socket.connect(node).await.context("connect")?;
    tcp.set_nodelay(true).context("nodelay")?;
    // Thousands of mostly idle connections: small buffers, as on the node.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(format!("ws://{node}/ws"), tcp, Some(config))
            .await
            .context("WebSocket upgrade")?;
    Ok(ws)
}

/// Send one message.
pub async fn send(ws: &mut Ws, message: &ClientMessage) -> anyhow::Result<()> {
    ws.send(Message::text(signal::encode(message)))
        .await
        .context("send")
}

/// The next server message; `None` once the node closed the connection.
pub async fn recv(ws: &mut Ws) -> anyhow::Result<Option<ServerMessage>> {
    while let Some(frame) = ws.next().await {
        match frame.context("receive")? {
            Message::Text(text) => {
                return signal::parse_server(&text)
                    .map(Some)
                    .map_err(|code| anyhow!("a malformed frame from the node ({})", code.name()))
            }
            Message::Close(_) => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

/// Register `key` as a host, as a real host does: hello, signed challenge, ID.
pub async fn register(ws: &mut Ws, key: &DeviceKey) -> anyhow::Result<DeviceId> {
    send(
        ws,
        &ClientMessage::Hello {
            public_key: key.public(),
        },
    )
    .await?;
    let nonce = match recv(ws).await? {
        Some(ServerMessage::Challenge { nonce }) => nonce,
        other => bail!("expected a challenge, got {}", describe(other.as_ref())),
    };
    let signature = signal::sign_challenge(key, &nonce).context("the challenge is not hex")?;
    send(ws, &ClientMessage::Register { signature }).await?;
    match recv(ws).await? {
        Some(ServerMessage::Registered { id }) => Ok(id),
        other => bail!("expected an ID, got {}", describe(other.as_ref())),
    }
}

/// A server message in a few words, for failure reports.
pub fn describe(message: Option<&ServerMessage>) -> String {
    match message {
        None => "a closed connection".into(),
        Some(ServerMessage::Error { code, message, .. }) => {
            format!("error {}: {message}", code.name())
        }
        Some(other) => format!("{other:?}").chars().take(80).collect(),
    }
}
