//! TURN relays for ICE: the short-lived credentials the rendezvous hands out
//! (coturn `use-auth-secret`), turned into the ICE servers a peer connection
//! gathers relay candidates from.
//!
//! The WebRTC stack's TURN client speaks to its server over UDP only
//! (`webrtc` 0.21.1 skips `?transport=tcp` and `turns:` URLs). Each TCP or TLS
//! URL therefore gets a [`Bridge`]: a UDP socket on loopback that the stack
//! takes for a UDP TURN server, carrying every datagram over its own TCP (or
//! TLS) connection to the real server, framed as RFC 8656 §11.5 says
//! (STUN messages as they are, ChannelData padded to 4 bytes). The allocation
//! itself is the same: coturn relays over UDP whatever the client's transport.
//! TLS trusts the system's roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` add more).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latchkey_core::signal::{ClientMessage, ErrorCode, ServerMessage};
use rtc::ice::url::{ProtoType, SchemeType, Url};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use webrtc::peer_connection::RTCIceServer;
use zeroize::Zeroizing;

use crate::transport::signaling::{SignalSocket, CONNECT_TIMEOUT};
use crate::Error;

/// How long a bridge waits for its TCP (and TLS) connection to the server.
const BRIDGE_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Datagrams a bridge link queues (while its connection comes up, and for a
/// burst: a 1080p keyframe is ~500 datagrams sent at once). About what the
/// stack's own 4 MiB UDP buffers hold.
const BRIDGE_QUEUE: usize = 4096;
/// STUN error codes that mean the server did not take the credentials:
/// 401 Unauthorized, 431 Integrity Check Failure, 441 Wrong Credentials.
const CREDENTIALS_REFUSED: [u16; 3] = [401, 431, 441];
/// The W3C `errorCode` for a server that never answered.
const NO_ANSWER: u16 = 701;

/// TURN credentials from the rendezvous: one username and credential for
/// every URL. The credential is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnServers {
    /// `turn:` / `turns:` URLs.
    pub urls: Vec<String>,
    /// `expiry:label`.
    pub username: String,
    credential: Zeroizing<String>,
    /// Seconds they stay valid from when they were handed out.
    pub ttl_s: u64,
}

impl fmt::Debug for TurnServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnServers")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field("credential", &"REDACTED")
            .field("ttl_s", &self.ttl_s)
            .finish()
    }
}

impl TurnServers {
    /// The credentials a [`ServerMessage::Turn`] carries, if it is one.
    pub fn from_message(message: &ServerMessage) -> Option<Self> {
        match message {
            ServerMessage::Turn {
                urls,
                username,
                credential,
                ttl_s,
            } => Some(TurnServers {
                urls: urls.clone(),
                username: username.clone(),
                credential: Zeroizing::new(credential.clone()),
                ttl_s: *ttl_s,
            }),
            _ => None,
        }
    }
}

/// Ask the rendezvous for TURN credentials on `signal` and wait for the
/// answer: `None` when it has no TURN relay (`NoTurn`) or refuses the request.
/// Messages other than the answer that arrive meanwhile are returned too, in
/// order, for the caller to handle.
pub async fn request(
    signal: &mut SignalSocket,
) -> Result<(Option<TurnServers>, Vec<ServerMessage>), Error> {
    signal.send(&ClientMessage::TurnRequest).await?;
    let mut other = Vec::new();
    let deadline = tokio::time::Instant::now() + CONNECT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match signal.recv_timeout(left).await? {
            message @ ServerMessage::Turn { .. } => {
                return Ok((TurnServers::from_message(&message), other))
            }
            ServerMessage::Error {
                code: ErrorCode::NoTurn,
                ..
            } => return Ok((None, other)),
            ServerMessage::Error {
                code: code @ (ErrorCode::RateLimited | ErrorCode::Malformed),
                message,
                ..
            } => {
                tracing::warn!(code = code.name(), %message, "the rendezvous refused the TURN request");
                return Ok((None, other));
            }
            message => other.push(message),
        }
    }
}

/// A TURN server that could not be used, as the stack reported it.
#[derive(Debug, Clone)]
pub(crate) struct RelayError {
    /// The URL as the stack knew it (a bridge's loopback URL for TCP/TLS).
    pub url: String,
    /// STUN error code, or 701 when the server never answered.
    pub code: u16,
    /// The stack's description.
    pub text: String,
}

/// Why a bridge could not reach its server, once it knows.
type BridgeFailure = Arc<Mutex<Option<String>>>;

/// The ICE servers for one peer connection, and the bridges its TCP and TLS
/// URLs go through (stopped when this is dropped).
pub(crate) struct Relays {
    servers: Vec<RTCIceServer>,
    /// The URL the stack was given -> the real URL and, for a bridge, why it
    /// could not reach the server (if it could not).
    names: HashMap<String, (String, Option<BridgeFailure>)>,
    _bridges: Vec<Bridge>,
}

impl Relays {
    /// Relays for `turn`: UDP URLs as they are, TCP and TLS ones through
    /// bridges. A URL that cannot be used is left out (and logged).
    pub(crate) async fn prepare(turn: &TurnServers) -> Self {
        let mut urls = Vec::new();
        let mut names = HashMap::new();
        let mut bridges = Vec::new();
        for raw in &turn.urls {
            let url = match Url::parse_url(raw) {
                Ok(url) if matches!(url.scheme, SchemeType::Turn | SchemeType::Turns) => url,
                Ok(_) => {
                    tracing::warn!(url = %raw, "not a TURN URL; ignored");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(url = %raw, error = %e, "unusable TURN URL; ignored");
                    continue;
                }
            };
            let tls = url.scheme == SchemeType::Turns;
            if !tls && url.proto == ProtoType::Udp {
                names.insert(raw.clone(), (raw.clone(), None));
                urls.push(raw.clone());
                continue;
            }
            if url.proto != ProtoType::Tcp {
                tracing::warn!(url = %raw, "TURN over DTLS is not supported; ignored");
                continue;
            }
            match Bridge::start(&url, tls).await {
                Ok(bridge) => {
                    let local = format!("turn:{}?transport=udp", bridge.local);
                    names.insert(local.clone(), (raw.clone(), Some(bridge.failure.clone())));
                    urls.push(local);
                    bridges.push(bridge);
                }
                Err(e) => tracing::warn!(url = %raw, error = %e, "cannot open a TURN bridge"),
            }
        }
        let servers = if urls.is_empty() {
            Vec::new()
        } else {
            vec![RTCIceServer {
                urls,
                username: turn.username.clone(),
                credential: turn.credential.to_string(),
            }]
        };
        Relays {
            servers,
            names,
            _bridges: bridges,
        }
    }

    /// What to give the stack's configuration.
    pub(crate) fn ice_servers(&self) -> Vec<RTCIceServer> {
        self.servers.clone()
    }

    /// Why the relays could not be used, for people: the credentials refused
    /// first (that is the one to fix), then servers that did not answer.
    pub(crate) fn explain(&self, errors: &[RelayError]) -> Option<String> {
        let real = |url: &str| {
            self.names
                .get(url)
                .map_or_else(|| url.to_string(), |(real, _)| real.clone())
        };
        let bridge_failure = |url: &str| {
            self.names
                .get(url)
                .and_then(|(_, failure)| failure.as_ref())
                .and_then(|f| f.lock().ok().and_then(|f| f.clone()))
        };
        if let Some(e) = errors
            .iter()
            .find(|e| CREDENTIALS_REFUSED.contains(&e.code))
        {
            return Some(format!(
                "the TURN server refused the credentials ({}: {})",
                real(&e.url),
                e.text
            ));
        }
        if let Some(e) = errors.iter().find(|e| e.code != NO_ANSWER) {
            return Some(format!(
                "the TURN server refused the allocation ({}: {})",
                real(&e.url),
                e.text
            ));
        }
        if let Some(e) = errors.first() {
            return Some(match bridge_failure(&e.url) {
                Some(why) => why,
                None => format!("the TURN server {} did not answer", real(&e.url)),
            });
        }
        // A bridge that could not connect knows at once; the stack's own
        // allocation attempt times out much later.
        let mut failed: Vec<String> = self
            .names
            .keys()
            .filter_map(|url| bridge_failure(url))
            .collect();
        failed.sort();
        failed.into_iter().next()
    }
}

/// A loopback UDP socket standing in for a TCP or TLS TURN server.
struct Bridge {
    local: SocketAddr,
    failure: BridgeFailure,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where a bridge connects.
#[derive(Clone)]
struct Target {
    /// The real URL, for messages.
    url: String,
    host: String,
    port: u16,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Bridge {
    async fn start(url: &Url, tls: bool) -> Result<Self, Error> {
        let bind_failed =
            |e: std::io::Error| Error::WebRtc(format!("cannot bind a TURN bridge: {e}"));
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
            .map_err(bind_failed)?;
        // Room for a keyframe's burst, as the stack gives its own sockets
        // (best effort: the kernel caps it at net.core.rmem_max).
        let _ = socket.set_recv_buffer_size(webrtc::runtime::UDP_RECV_BUFFER);
        socket.set_nonblocking(true).map_err(bind_failed)?;
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .map_err(bind_failed)?;
        let udp = UdpSocket::from_std(socket.into()).map_err(bind_failed)?;
        let local = udp.local_addr().map_err(bind_failed)?;
        let target = Target {
            url: url.to_string(),
            host: url.host.clone(),
            port: url.port,
            tls: if tls { Some(tls_connector()?) } else { None },
        };
        let failure = Arc::new(Mutex::new(None));
        let task = tokio::spawn(run_bridge(Arc::new(udp), target, failure.clone()));
        Ok(Bridge {
            local,
            failure,
            task,
        })
    }
}

/// A TLS client trusting the system's roots (and `SSL_CERT_FILE`/`SSL_CERT_DIR`).
fn tls_connector() -> Result<tokio_rustls::TlsConnector, Error> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::debug!(error = %e, "a trusted certificate could not be read");
    }
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    tracing::debug!(added, "trusted roots for TURN over TLS");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::WebRtc(format!("TLS setup: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Receive the stack's datagrams; each source address (one per local ICE
/// socket, so one allocation each) gets its own connection to the server.
async fn run_bridge(udp: Arc<UdpSocket>, target: Target, failure: BridgeFailure) {
    let mut links: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, from) = match udp.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, "TURN bridge socket failed");
                return;
            }
        };
        let datagram = buf[..n].to_vec();
        let link = links.entry(from).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(BRIDGE_QUEUE);
            tokio::spawn(run_link(
                udp.clone(),
                from,
                target.clone(),
                rx,
                failure.clone(),
            ));
            tx
        });
        // A full queue drops the datagram, as a congested UDP path would.
        if let Err(mpsc::error::TrySendError::Closed(_)) = link.try_send(datagram) {
            links.remove(&from);
        }
    }
}

/// One connection to the server for the stack's socket at `from`.
async fn run_link(
    udp: Arc<UdpSocket>,
    from: SocketAddr,
    target: Target,
    rx: mpsc::Receiver<Vec<u8>>,
    failure: BridgeFailure,
) {
    let over = if target.tls.is_some() { "TLS" } else { "TCP" };
    let fail = |why: String| {
        tracing::warn!(url = %target.url, %why, "TURN bridge");
        if let Ok(mut slot) = failure.lock() {
            *slot = Some(why);
        }
    };
    let connect = TcpStream::connect((target.host.as_str(), target.port));
    let tcp = match tokio::time::timeout(BRIDGE_CONNECT_TIMEOUT, connect).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => {
            return fail(format!(
                "cannot reach the TURN server {} over {over}: {e}",
                target.url
            ))
        }
        Err(_) => {
            return fail(format!(
                "the TURN server {} did not accept a {over} connection in time",
                target.url
            ))
        }
    };
    let _ = tcp.set_nodelay(true);
    match &target.tls {
        None => carry(tcp, udp, from, rx).await,
        Some(connector) => {
            let name = match rustls::pki_types::ServerName::try_from(target.host.clone()) {
                Ok(name) => name,
                Err(e) => {
                    return fail(format!(
                        "the TURN server {} has no usable TLS name: {e}",
                        target.url
                    ))
                }
            };
            let handshake = connector.connect(name, tcp);
            match tokio::time::timeout(BRIDGE_CONNECT_TIMEOUT, handshake).await {
                Ok(Ok(tls)) => carry(tls, udp, from, rx).await,
                Ok(Err(e)) => fail(format!(
                    "TLS with the TURN server {} failed: {e}",
                    target.url
                )),
                Err(_) => fail(format!(
                    "TLS with the TURN server {} did not complete in time",
                    target.url
                )),
            }
        }
    }
}

/// Datagrams from the stack onto `stream`, framed; messages from `stream` back
/// to the stack as datagrams. Ends when either side does.
async fn carry<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    udp: Arc<UdpSocket>,
    to: SocketAddr,
    mut rx: mpsc::Receiver<Vec<u8>>,
) {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let outbound = async {
        while let Some(mut datagram) = rx.recv().await {
            // Everything queued goes out before one flush (one TLS write for a burst).
            loop {
                pad_for_stream(&mut datagram);
                if writer.write_all(&datagram).await.is_err() {
                    return;
                }
                match rx.try_recv() {
                    Ok(next) => datagram = next,
                    Err(_) => break,
                }
            }
            if writer.flush().await.is_err() {
                return;
            }
        }
    };
    let inbound = async {
        loop {
            match read_message(&mut reader).await {
                Ok(message) => {
                    if udp.send_to(&message, to).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "TURN stream ended");
                    return;
                }
            }
        }
    };
    tokio::select! {
        _ = outbound => {},
        _ = inbound => {},
    }
}

/// ChannelData (first two bits 01) is padded to a multiple of 4 bytes on a
/// stream; STUN messages always are one.
fn pad_for_stream(datagram: &mut Vec<u8>) {
    if datagram.first().is_some_and(|b| b >> 6 == 0b01) {
        while !datagram.len().is_multiple_of(4) {
            datagram.push(0);
        }
    }
}

/// The length of the message a stream frame header starts: STUN (first two
/// bits 00: 20-byte header + length) or ChannelData (01: 4 + length, padded to
/// 4 on a stream, RFC 8656 §12.5). Returns (message length, bytes on the stream).
fn frame_len(header: [u8; 4]) -> Result<(usize, usize), String> {
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    match header[0] >> 6 {
        0b00 => Ok((20 + length, 20 + length)),
        0b01 => Ok((4 + length, (4 + length).next_multiple_of(4))),
        _ => Err(format!(
            "not a STUN or ChannelData frame (first byte {:#04x})",
            header[0]
        )),
    }
}

/// The next message from the server, its padding dropped.
async fn read_message<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut header = [0u8; 4];
    reader.read_exact(&mut header).await?;
    let (length, on_stream) =
        frame_len(header).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let mut frame = vec![0u8; on_stream];
    frame[..4].copy_from_slice(&header);
    reader.read_exact(&mut frame[4..]).await?;
    frame.truncate(length);
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_frames_are_measured_and_padded() {
        // A STUN Allocate request with 8 bytes of attributes.
        assert_eq!(frame_len([0x00, 0x03, 0x00, 0x08]), Ok((28, 28)));
        // ChannelData on channel 0x4000 with 5 bytes: padded to 12 on the stream.
        assert_eq!(frame_len([0x40, 0x00, 0x00, 0x05]), Ok((9, 12)));
        assert_eq!(frame_len([0x40, 0x00, 0x00, 0x08]), Ok((12, 12)));
        assert!(frame_len([0x80, 0, 0, 0]).is_err());
        let mut channel_data = vec![0x40, 0x00, 0x00, 0x01, 0xaa];
        pad_for_stream(&mut channel_data);
        assert_eq!(channel_data, vec![0x40, 0x00, 0x00, 0x01, 0xaa, 0, 0, 0]);
        let mut stun = vec![0x00, 0x01, 0x00, 0x00];
        pad_for_stream(&mut stun);
        assert_eq!(stun.len(), 4);
    }

    #[tokio::test]
    async fn frames_are_read_back_whole() {
        let (mut a, mut b) = tokio::io::duplex(256);
        let channel_data = vec![0x40, 0x01, 0x00, 0x03, 1, 2, 3];
        let mut padded = channel_data.clone();
        pad_for_stream(&mut padded);
        padded[7] = 0xee; // padding's content is unspecified
        let stun = |last: u8| {
            let mut m = vec![0x01, 0x17, 0x00, 0x00];
            m.extend_from_slice(&[last; 16]);
            m
        };
        let mut data = padded.clone();
        data.extend(stun(7));
        data.extend(padded);
        a.write_all(&data).await.expect("write");
        assert_eq!(
            read_message(&mut b).await.expect("channel data"),
            channel_data
        );
        assert_eq!(read_message(&mut b).await.expect("stun"), stun(7));
        assert_eq!(
            read_message(&mut b).await.expect("channel data"),
            channel_data
        );
    }

    fn relays_named(pairs: &[(&str, &str)]) -> Relays {
        Relays {
            servers: Vec::new(),
            names: pairs
                .iter()
                .map(|(local, real)| (local.to_string(), (real.to_string(), None)))
                .collect(),
            _bridges: Vec::new(),
        }
    }

    #[test]
    fn refused_credentials_are_named_first_and_by_their_real_url() {
        let relays = relays_named(&[
            (
                "turn:127.0.0.1:40000?transport=udp",
                "turn:turn.example.org:3478?transport=tcp",
            ),
            ("turn:10.0.0.1:3478", "turn:10.0.0.1:3478"),
        ]);
        let errors = [
            RelayError {
                url: "turn:10.0.0.1:3478".into(),
                code: NO_ANSWER,
                text: "no answer".into(),
            },
            RelayError {
                url: "turn:127.0.0.1:40000?transport=udp".into(),
                code: 401,
                text: "Allocate error response (error 401: Unauthorized)".into(),
            },
        ];
        let why = relays.explain(&errors).expect("a reason");
        assert!(
            why.starts_with("the TURN server refused the credentials"),
            "{why}"
        );
        assert!(why.contains("turn.example.org"), "{why}");
        assert_eq!(
            relays.explain(&errors[..1]).as_deref(),
            Some("the TURN server turn:10.0.0.1:3478 did not answer")
        );
        assert_eq!(relays.explain(&[]), None);
    }

    #[test]
    fn credentials_are_not_in_debug_output() {
        let turn = TurnServers::from_message(&ServerMessage::Turn {
            urls: vec!["turn:127.0.0.1:3478".into()],
            username: "1600:viewer".into(),
            credential: "c2VjcmV0LWNyZWRlbnRpYWw=".into(),
            ttl_s: 600,
        })
        .expect("turn");
        assert!(!format!("{turn:?}").contains("c2VjcmV0"));
        assert_eq!(TurnServers::from_message(&ServerMessage::Pong), None);
    }
}
