//! How decoded frames reach the viewer windows: a WebSocket server on
//! 127.0.0.1 (random port) where each session's frames are published and a
//! window subscribes with the session's secret (256 random bits, in the URL
//! only that window gets). Frames travel as I420, a 24-byte header and the
//! three planes, and the window draws them with WebGL. The host's sound
//! (`hear_sound`) goes the same way on `/sound` (same session and secret):
//! decoded PCM in order, never skipped, which the window plays through Web
//! Audio. Nothing else on this machine can read them without the secret;
//! nothing off it can connect.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use tokio::sync::{broadcast, watch};

use latchkey_media::I420Frame;

/// `LKF1` little-endian: the first field of every frame message.
pub const MAGIC: u32 = 0x4C4B_4631;
/// Format field: I420.
pub const FORMAT_I420: u32 = 1;
/// `LKS1` little-endian: the first field of every sound message.
pub const SOUND_MAGIC: u32 = 0x4C4B_5331;
/// Sound chunks a window may fall behind by before it loses some (about 2 s).
const SOUND_BACKLOG: usize = 100;

/// One session's newest frame (a viewer window that falls behind skips
/// frames rather than queueing them).
type Latest = watch::Sender<Option<Bytes>>;

/// The server and the sessions it publishes.
#[derive(Clone)]
pub struct FrameServer {
    port: u16,
    sessions: Arc<Mutex<HashMap<String, Published>>>,
}

/// What one session publishes, and the secret to read it.
struct Published {
    secret: String,
    frames: Latest,
    sound: broadcast::Sender<Bytes>,
}

#[derive(serde::Deserialize)]
struct Subscribe {
    session: String,
    secret: String,
}

impl FrameServer {
    /// Bind 127.0.0.1:0 and serve until the app ends.
    pub async fn start() -> std::io::Result<FrameServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let server = FrameServer {
            port,
            sessions: Arc::default(),
        };
        let app = Router::new()
            .route("/frames", get(subscribe))
            .route("/sound", get(subscribe_sound))
            .with_state(server.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            {
                tracing::error!(error = %e, "the frame server stopped");
            }
        });
        Ok(server)
    }

    /// Start publishing a session; returns its URL (with the secret) and the publisher.
    pub fn open(&self, session: &str) -> (String, Publisher) {
        let mut secret = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
        let secret = hex::encode(secret);
        let (tx, _) = watch::channel(None);
        let (sound, _) = broadcast::channel(SOUND_BACKLOG);
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                session.to_string(),
                Published {
                    secret: secret.clone(),
                    frames: tx.clone(),
                    sound: sound.clone(),
                },
            );
        let url = format!(
            "ws://127.0.0.1:{}/frames?session={session}&secret={secret}",
            self.port
        );
        (url, Publisher { tx, sound })
    }

    /// Stop publishing a session (its windows' sockets close).
    pub fn close(&self, session: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(session);
    }

    fn find<T>(&self, q: &Subscribe, take: impl FnOnce(&Published) -> T) -> Option<T> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let published = sessions.get(&q.session)?;
        constant_time_eq(published.secret.as_bytes(), q.secret.as_bytes()).then(|| take(published))
    }
}

/// Compares without stopping at the first difference (as the core compares tokens).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

async fn subscribe(
    State(server): State<FrameServer>,
    Query(q): Query<Subscribe>,
    ws: WebSocketUpgrade,
) -> Response {
    match server.find(&q, |p| p.frames.subscribe()) {
        Some(rx) => ws.on_upgrade(move |socket| forward(socket, rx)),
        None => forbidden(),
    }
}

fn forbidden() -> Response {
    (
        axum::http::StatusCode::FORBIDDEN,
        "unknown session or secret",
    )
        .into_response()
}

async fn subscribe_sound(
    State(server): State<FrameServer>,
    Query(q): Query<Subscribe>,
    ws: WebSocketUpgrade,
) -> Response {
    match server.find(&q, |p| p.sound.subscribe()) {
        Some(rx) => ws.on_upgrade(move |socket| forward_sound(socket, rx)),
        None => forbidden(),
    }
}

/// Every sound chunk in order; a window that fell too far behind loses the
/// oldest ones and goes on.
async fn forward_sound(mut socket: WebSocket, mut rx: broadcast::Receiver<Bytes>) {
    loop {
        match rx.recv().await {
            Ok(chunk) => {
                if socket.send(Message::Binary(chunk)).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::debug!(lost = n, "a viewer window fell behind the sound");
            }
            Err(broadcast::error::RecvError::Closed) => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
    }
}

async fn forward(mut socket: WebSocket, mut rx: watch::Receiver<Option<Bytes>>) {
    loop {
        let frame = rx.borrow_and_update().clone();
        if let Some(frame) = frame {
            if socket.send(Message::Binary(frame)).await.is_err() {
                return;
            }
        }
        if rx.changed().await.is_err() {
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    }
}

/// Publishes one session's frames.
#[derive(Clone)]
pub struct Publisher {
    tx: Latest,
    sound: broadcast::Sender<Bytes>,
}

impl Publisher {
    /// Publish a decoded picture (replaces the one not yet sent).
    pub fn publish(&self, picture: &I420Frame, sequence: u32) {
        self.tx.send_replace(Some(encode(picture, sequence)));
    }

    /// Publish decoded sound (interleaved 16-bit samples); no window listening is fine.
    pub fn publish_sound(&self, rate: u32, channels: u32, samples: &[i16]) {
        let _ = self.sound.send(encode_sound(rate, channels, samples));
    }
}

/// The sound wire form: header (magic, rate, channels; u32 little-endian
/// each), then the interleaved samples as i16 little-endian.
pub fn encode_sound(rate: u32, channels: u32, samples: &[i16]) -> Bytes {
    let mut out = Vec::with_capacity(12 + samples.len() * 2);
    for field in [SOUND_MAGIC, rate, channels] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    Bytes::from(out)
}

/// The wire form: header (magic, width, height, format, sequence, sent;
/// u32 little-endian each), then the Y, U and V planes. `sent` is the low
/// 32 bits of the Unix time in milliseconds when the frame was published
/// (the window measures the path's latency with it; 0: unknown).
pub fn encode(picture: &I420Frame, sequence: u32) -> Bytes {
    let sent = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u32)
        .unwrap_or(0);
    encode_at(picture, sequence, sent)
}

/// [`encode`] with a given `sent` stamp.
pub fn encode_at(picture: &I420Frame, sequence: u32, sent: u32) -> Bytes {
    let (y, u, v) = (picture.y(), picture.u(), picture.v());
    let mut out = Vec::with_capacity(24 + y.len() + u.len() + v.len());
    for field in [
        MAGIC,
        picture.width(),
        picture.height(),
        FORMAT_I420,
        sequence,
        sent,
    ] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(y);
    out.extend_from_slice(u);
    out.extend_from_slice(v);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_a_header_and_three_planes() {
        let picture = I420Frame::black(4, 2).expect("picture");
        let bytes = encode_at(&picture, 7, 1234);
        assert_eq!(bytes.len(), 24 + 8 + 2 + 2);
        let field = |i: usize| {
            u32::from_le_bytes([
                bytes[i * 4],
                bytes[i * 4 + 1],
                bytes[i * 4 + 2],
                bytes[i * 4 + 3],
            ])
        };
        assert_eq!(
            (field(0), field(1), field(2), field(3), field(4), field(5)),
            (MAGIC, 4, 2, 1, 7, 1234)
        );
        assert_eq!(bytes[24], 16);
        assert_eq!(bytes[32], 128);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    /// A subscriber with the right secret gets the frames; a wrong secret is refused.
    #[tokio::test]
    async fn only_the_secret_opens_the_stream() {
        use futures_util::StreamExt;
        let server = FrameServer::start().await.expect("start");
        let (url, publisher) = server.open("s1");
        let wrong = url
            .rsplit_once('=')
            .map(|(a, _)| format!("{a}=00"))
            .expect("url");
        assert!(tokio_tungstenite::connect_async(wrong).await.is_err());
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        publisher.publish(&I420Frame::black(4, 2).expect("picture"), 1);
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("message");
        assert_eq!(msg.into_data().len(), 24 + 12);
        server.close("s1");
    }

    /// Sound goes on /sound with the same secret, every chunk in order.
    #[tokio::test]
    async fn sound_chunks_arrive_in_order_with_the_secret_only() {
        use futures_util::StreamExt;
        let server = FrameServer::start().await.expect("start");
        let (url, publisher) = server.open("s2");
        let sound_url = url.replace("/frames?", "/sound?");
        let wrong = sound_url
            .rsplit_once('=')
            .map(|(a, _)| format!("{a}=00"))
            .expect("url");
        assert!(tokio_tungstenite::connect_async(wrong).await.is_err());
        let (mut ws, _) = tokio_tungstenite::connect_async(sound_url)
            .await
            .expect("connect");
        for i in 0..3i16 {
            publisher.publish_sound(48_000, 2, &[i, -i]);
        }
        for i in 0..3i16 {
            let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
                .await
                .expect("a chunk in time")
                .expect("open")
                .expect("message")
                .into_data();
            assert_eq!(&msg[..12], &encode_sound(48_000, 2, &[])[..]);
            assert_eq!(&msg[12..], [i.to_le_bytes(), (-i).to_le_bytes()].concat());
        }
        server.close("s2");
    }
}
