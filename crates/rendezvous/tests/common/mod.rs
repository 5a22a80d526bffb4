//! Test helpers: a server on 127.0.0.1:0, a WebSocket client speaking the
//! protocol, and a raw HTTP GET. Every wait is bounded by [`WAIT`].
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use latchkey_core::identity::DeviceKey;
use latchkey_core::signal::{
    encode, parse_server, register_message, ClientMessage, DeviceId, ErrorCode, ServerMessage,
    Signature,
};
use latchkey_rendezvous::{serve, Error, ServerConfig};
use rand::RngCore as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest any single step of a test may wait.
pub const WAIT: Duration = Duration::from_secs(5);

/// A running server.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Fires the shutdown future.
    stop: Option<oneshot::Sender<()>>,
    /// The `serve` task.
    task: JoinHandle<Result<(), Error>>,
}

impl TestServer {
    /// Start a server with `config` on an ephemeral port.
    pub async fn start(config: ServerConfig) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, config, async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Start with the default configuration (in-memory IDs, no TURN).
    pub async fn start_default() -> TestServer {
        TestServer::start(ServerConfig::default()).await
    }

    /// Connect a client to `/`.
    pub async fn client(&self) -> Client {
        Client::connect(&format!("ws://{}/", self.addr)).await
    }

    /// Shut down and wait for `serve` to return.
    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("serve returns after shutdown")
            .expect("serve task did not panic")
    }

    /// `GET path`: status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        http_get(self.addr, path).await
    }

    /// The `/metrics` value of the series `name` (with labels, if any).
    pub async fn metric(&self, series: &str) -> Option<u64> {
        let (status, body) = self.get("/metrics").await;
        assert_eq!(status, 200);
        body.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    /// Wait until metric `series` has `value`.
    pub async fn wait_metric(&self, series: &str, value: u64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let got = self.metric(series).await;
            if got == Some(value) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{series} stays at {got:?}, expected {value}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A raw HTTP/1.1 GET; returns the status code and body.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("write request");
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .await
            .expect("read response");
        String::from_utf8(response).expect("utf-8 response")
    };
    let response = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("HTTP response in time");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A fresh device key.
pub fn key() -> DeviceKey {
    DeviceKey::generate(&mut rand_core::OsRng)
}

/// A fresh valid session identifier.
pub fn session_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A protocol client.
pub struct Client {
    /// The socket.
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Connect to `url`.
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect in time")
            .expect("WebSocket handshake");
        Client { ws }
    }

    /// Connect to `url` with extra headers on the upgrade request (what a
    /// reverse proxy adds, or what a client forges).
    pub async fn connect_with_headers(url: &str, headers: &[(&'static str, &str)]) -> Client {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
        let mut request = url.into_client_request().expect("request");
        for (name, value) in headers {
            request
                .headers_mut()
                .append(*name, value.parse().expect("header value"));
        }
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("connect in time")
            .expect("WebSocket handshake");
        Client { ws }
    }

    /// Send one message.
    pub async fn send(&mut self, message: &ClientMessage) {
        self.send_raw(Message::Text(encode(message).into())).await;
    }

    /// Send one raw frame.
    pub async fn send_raw(&mut self, frame: Message) {
        tokio::time::timeout(WAIT, self.ws.send(frame))
            .await
            .expect("send in time")
            .expect("send");
    }

    /// The next message; panics on close, error or timeout.
    pub async fn recv(&mut self) -> ServerMessage {
        match self.next().await {
            Some(message) => message,
            None => panic!("connection closed while waiting for a message"),
        }
    }

    /// The next message, or `None` if the connection closed.
    pub async fn next(&mut self) -> Option<ServerMessage> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message in time");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Some(parse_server(text.as_str()).expect("a valid server message"))
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            }
        }
    }

    /// Expect `Error { code }`; returns its session.
    pub async fn expect_error(&mut self, code: ErrorCode) -> Option<String> {
        match self.recv().await {
            ServerMessage::Error {
                code: got, session, ..
            } if got == code => session,
            other => panic!("expected Error {code:?}, got {other:?}"),
        }
    }

    /// Expect the connection to end with no further message.
    pub async fn expect_closed(&mut self) {
        if let Some(message) = self.next().await {
            panic!("expected the connection to close, got {message:?}");
        }
    }

    /// Expect nothing to arrive for `quiet`.
    pub async fn expect_silence(&mut self, quiet: Duration) {
        if let Ok(frame) = tokio::time::timeout(quiet, self.ws.next()).await {
            panic!("expected silence, got {frame:?}");
        }
    }

    /// Ping and expect Pong: proves the connection still works.
    pub async fn ping(&mut self) {
        self.send(&ClientMessage::Ping).await;
        assert_eq!(self.recv().await, ServerMessage::Pong);
    }

    /// `Hello`, returning the challenge nonce bytes.
    pub async fn hello(&mut self, key: &DeviceKey) -> Vec<u8> {
        self.send(&ClientMessage::Hello {
            public_key: key.public(),
        })
        .await;
        match self.recv().await {
            ServerMessage::Challenge { nonce } => {
                let bytes = hex::decode(&nonce).expect("hex nonce");
                assert_eq!(bytes.len(), 32);
                bytes
            }
            other => panic!("expected Challenge, got {other:?}"),
        }
    }

    /// Hello, then the signed `Register`; the server's answer is left to read.
    pub async fn send_register(&mut self, key: &DeviceKey) {
        let nonce = self.hello(key).await;
        self.send(&ClientMessage::Register {
            signature: Signature(key.sign(&register_message(&nonce))),
        })
        .await;
    }

    /// Register as host with `key`; the ID.
    pub async fn register(&mut self, key: &DeviceKey) -> DeviceId {
        self.send_register(key).await;
        match self.recv().await {
            ServerMessage::Registered { id } => id,
            other => panic!("expected Registered, got {other:?}"),
        }
    }

    /// Whether `id` is online.
    pub async fn lookup(&mut self, id: &DeviceId) -> bool {
        self.send(&ClientMessage::Lookup { id: id.clone() }).await;
        match self.recv().await {
            ServerMessage::Presence { id: got, online } => {
                assert_eq!(&got, id);
                online
            }
            other => panic!("expected Presence, got {other:?}"),
        }
    }

    /// Poll until `id`'s presence is `online`.
    pub async fn wait_presence(&mut self, id: &DeviceId, online: bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.lookup(id).await != online {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{id} never became online={online}"
            );
            // Slower than the default rate limit (20/s).
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Close politely.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(WAIT, self.ws.close(None)).await;
    }
}

/// The viewer ends `session` with `Bye`: the host gets it, and the session
/// is forgotten (a late candidate from the host is `UnknownSession`).
pub async fn end_session(viewer: &mut Client, host: &mut Client, session: &str) {
    viewer
        .send(&ClientMessage::Bye {
            session: session.to_owned(),
            reason: Some("done".into()),
        })
        .await;
    assert_eq!(
        host.recv().await,
        ServerMessage::Bye {
            session: session.to_owned(),
            reason: Some("done".into())
        }
    );
    host.send(&ClientMessage::Candidate {
        session: session.to_owned(),
        candidate: "late".into(),
    })
    .await;
    assert_eq!(
        host.expect_error(ErrorCode::UnknownSession)
            .await
            .as_deref(),
        Some(session)
    );
}

/// The host gets the `Incoming` for `session` (from 127.0.0.1, the SDP the
/// tests' `offer` sends).
pub async fn expect_incoming(host: &mut Client, session: &str) {
    match host.recv().await {
        ServerMessage::Incoming {
            session: s,
            from_addr,
            sdp,
        } => {
            assert_eq!(s, session);
            assert_eq!(from_addr.as_deref(), Some("127.0.0.1"));
            assert_eq!(sdp, format!("v=0 offer {session}"));
        }
        other => panic!("expected Incoming, got {other:?}"),
    }
}
