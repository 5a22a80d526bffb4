//! The WebRTC peer connection (crate `webrtc`, the sans-I/O `rtc` core driven
//! on tokio) and the `control` data channel the handshake runs on.
//!
//! No trickle ICE: each side gathers its candidates before sending its SDP, so
//! one offer and one answer suffice. ICE binds the addresses in
//! `LATCHKEY_ICE_BIND` (comma-separated IPs; default: every interface). Tests
//! set it to `127.0.0.1` so nothing leaves the loopback.

use bytes::BytesMut;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use webrtc::data_channel::{DataChannel, DataChannelEvent, RTCDataChannelInit};
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceGatheringState,
    RTCPeerConnectionState, RTCSessionDescription, SettingEngineBuilder,
};

use crate::Error;

/// Label of the reliable, ordered channel for the handshake and control messages.
pub const CONTROL_LABEL: &str = "control";
/// Time between ICE connectivity checks.
const ICE_CHECK_INTERVAL: Duration = Duration::from_millis(50);
/// Checks per candidate pair (50 ms x 28 = the library's default 1.4 s).
const ICE_MAX_BINDING_REQUESTS: u16 = 28;
/// How long ICE gathering may take before we send what we have.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);

/// What the peer connection reports.
pub enum PeerEvent {
    /// The connection state changed.
    State(RTCPeerConnectionState),
    /// The remote side opened a data channel.
    DataChannel(Arc<dyn DataChannel>),
    /// The remote side's media track (fires on its first RTP packet).
    Track(Arc<dyn TrackRemote>),
}

impl std::fmt::Debug for PeerEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerEvent::State(s) => write!(f, "State({s})"),
            PeerEvent::DataChannel(dc) => write!(f, "DataChannel({})", dc.id()),
            PeerEvent::Track(_) => write!(f, "Track"),
        }
    }
}

struct Handler {
    events: mpsc::UnboundedSender<PeerEvent>,
    gathered: mpsc::UnboundedSender<()>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(());
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        tracing::debug!(%state, "peer connection state");
        let _ = self.events.send(PeerEvent::State(state));
    }

    async fn on_data_channel(&self, dc: Arc<dyn DataChannel>) {
        let _ = self.events.send(PeerEvent::DataChannel(dc));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.events.send(PeerEvent::Track(track));
    }
}

/// One peer connection.
pub struct Peer {
    pc: Arc<dyn PeerConnection>,
    events: mpsc::UnboundedReceiver<PeerEvent>,
    gathered: mpsc::UnboundedReceiver<()>,
}

/// The addresses ICE binds: `LATCHKEY_ICE_BIND` or every interface.
pub fn bind_addrs() -> Vec<String> {
    match std::env::var("LATCHKEY_ICE_BIND") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|ip| {
                let ip = ip.trim();
                if ip.contains(':') && !ip.starts_with('[') {
                    format!("[{ip}]:0")
                } else {
                    format!("{ip}:0")
                }
            })
            .collect(),
        _ => vec!["0.0.0.0:0".to_string()],
    }
}

/// The DTLS fingerprint an SDP announces (`a=fingerprint:sha-256 AB:CD:...`).
pub fn sdp_fingerprint(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=fingerprint:"))
        .map(|f| f.trim().to_ascii_lowercase())
}

impl Peer {
    /// A new peer connection, binding [`bind_addrs`].
    pub async fn new() -> Result<Self, Error> {
        Self::bound_to(bind_addrs()).await
    }

    /// A new peer connection binding these `IP:port` addresses.
    pub async fn bound_to(addrs: Vec<String>) -> Result<Self, Error> {
        let (etx, erx) = mpsc::unbounded_channel();
        let (gtx, grx) = mpsc::unbounded_channel();
        // ICE checks every 50 ms instead of 200 ms (same 1.4 s budget per
        // candidate pair): connectivity is found sooner.
        let settings = SettingEngineBuilder::new()
            .with_ice_connection_attempts(Some(ICE_CHECK_INTERVAL), Some(ICE_MAX_BINDING_REQUESTS))
            .build();
        let (engine, registry) = crate::video::media_setup()?;
        let pc = PeerConnectionBuilder::new()
            .with_setting_engine(settings)
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_handler(Arc::new(Handler {
                events: etx,
                gathered: gtx,
            }))
            .with_udp_addrs(addrs)
            .build()
            .await
            .map_err(|e| Error::WebRtc(format!("cannot create a peer connection: {e}")))?;
        Ok(Peer {
            pc: Arc::new(pc),
            events: erx,
            gathered: grx,
        })
    }

    /// Create the reliable, ordered `control` channel (the viewer does, before its offer).
    pub async fn create_control(&self) -> Result<Arc<dyn DataChannel>, Error> {
        let init = RTCDataChannelInit {
            ordered: true,
            ..Default::default()
        };
        self.pc
            .create_data_channel(CONTROL_LABEL, Some(init))
            .await
            .map_err(webrtc_err)
    }

    /// Create the unordered, unreliable `pointer` channel (the viewer does, before its offer).
    pub async fn create_pointer(&self) -> Result<Arc<dyn DataChannel>, Error> {
        let init = RTCDataChannelInit {
            ordered: false,
            max_retransmits: Some(0),
            ..Default::default()
        };
        self.pc
            .create_data_channel(crate::messages::POINTER_LABEL, Some(init))
            .await
            .map_err(webrtc_err)
    }

    async fn local_sdp_after_gathering(&mut self) -> Result<String, Error> {
        let _ = tokio::time::timeout(GATHER_TIMEOUT, self.gathered.recv()).await;
        self.pc
            .local_description()
            .await
            .map(|d| d.sdp)
            .ok_or_else(|| Error::WebRtc("no local description".into()))
    }

    /// Viewer: make the offer (with all candidates).
    pub async fn offer(&mut self) -> Result<String, Error> {
        let offer = self.pc.create_offer(None).await.map_err(webrtc_err)?;
        self.pc
            .set_local_description(offer)
            .await
            .map_err(webrtc_err)?;
        self.local_sdp_after_gathering().await
    }

    /// Host: take the viewer's offer and make the answer.
    pub async fn answer(&mut self, offer_sdp: &str) -> Result<String, Error> {
        let offer = RTCSessionDescription::offer(offer_sdp.to_string())
            .map_err(|e| Error::Protocol(format!("bad offer: {e}")))?;
        self.pc
            .set_remote_description(offer)
            .await
            .map_err(|e| Error::Protocol(format!("bad offer: {e}")))?;
        let answer = self.pc.create_answer(None).await.map_err(webrtc_err)?;
        self.pc
            .set_local_description(answer)
            .await
            .map_err(webrtc_err)?;
        self.local_sdp_after_gathering().await
    }

    /// Viewer: take the host's answer.
    pub async fn accept_answer(&mut self, answer_sdp: &str) -> Result<(), Error> {
        let answer = RTCSessionDescription::answer(answer_sdp.to_string())
            .map_err(|e| Error::Protocol(format!("bad answer: {e}")))?;
        self.pc
            .set_remote_description(answer)
            .await
            .map_err(|e| Error::Protocol(format!("bad answer: {e}")))
    }

    /// (local, remote) DTLS fingerprints, as the two SDPs state them.
    pub async fn fingerprints(&self) -> Result<(String, String), Error> {
        let local = self
            .pc
            .local_description()
            .await
            .and_then(|d| sdp_fingerprint(&d.sdp));
        let remote = self
            .pc
            .remote_description()
            .await
            .and_then(|d| sdp_fingerprint(&d.sdp));
        match (local, remote) {
            (Some(l), Some(r)) => Ok((l, r)),
            _ => Err(Error::Protocol("an SDP has no DTLS fingerprint".into())),
        }
    }

    /// The next event, `None` once the connection is gone.
    pub async fn next_event(&mut self) -> Option<PeerEvent> {
        self.events.recv().await
    }

    /// The underlying connection (for media in later layers).
    pub fn connection(&self) -> &Arc<dyn PeerConnection> {
        &self.pc
    }

    /// Close the connection.
    pub async fn close(&self) {
        let _ = self.pc.close().await;
    }
}

fn webrtc_err(e: impl std::fmt::Display) -> Error {
    Error::WebRtc(e.to_string())
}

/// What came out of the control channel.
#[derive(Debug)]
pub enum ControlEvent {
    /// The channel is open.
    Open,
    /// A message.
    Message(Vec<u8>),
    /// The channel closed.
    Closed,
}

/// The `control` channel: JSON messages, one per data-channel message.
#[derive(Clone)]
pub struct Control {
    dc: Arc<dyn DataChannel>,
}

impl Control {
    /// Wrap a data channel.
    pub fn new(dc: Arc<dyn DataChannel>) -> Self {
        Control { dc }
    }

    /// Send one message as JSON text.
    pub async fn send<T: serde::Serialize>(&self, message: &T) -> Result<(), Error> {
        let text = serde_json::to_string(message).map_err(|e| Error::Protocol(e.to_string()))?;
        self.dc.send_text(&text).await.map_err(webrtc_err)
    }

    /// Send raw bytes (tests use this to misbehave).
    pub async fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        self.dc
            .send(BytesMut::from(bytes))
            .await
            .map_err(webrtc_err)
    }

    /// The next event on the channel.
    pub async fn next(&self) -> ControlEvent {
        loop {
            match self.dc.poll().await {
                None | Some(DataChannelEvent::OnClose) => return ControlEvent::Closed,
                Some(DataChannelEvent::OnOpen) => return ControlEvent::Open,
                Some(DataChannelEvent::OnMessage(m)) => {
                    return ControlEvent::Message(m.data.to_vec())
                }
                Some(_) => {}
            }
        }
    }

    /// Wait until the channel is open.
    pub async fn opened(&self) -> Result<(), Error> {
        match self.next().await {
            ControlEvent::Open => Ok(()),
            ControlEvent::Closed => Err(Error::PeerGone),
            ControlEvent::Message(_) => Err(Error::Protocol("message before open".into())),
        }
    }

    /// The next message; `Err(PeerGone)` when the channel closed.
    pub async fn recv(&self) -> Result<Vec<u8>, Error> {
        loop {
            match self.next().await {
                ControlEvent::Message(m) => return Ok(m),
                ControlEvent::Closed => return Err(Error::PeerGone),
                ControlEvent::Open => {}
            }
        }
    }

    /// Close the channel.
    pub async fn close(&self) {
        let _ = self.dc.close().await;
    }
}
