//! The WebRTC peer connection (crate `webrtc`, the sans-I/O `rtc` core driven
//! on tokio), the `control` data channel the handshake runs on, and the
//! features' own channels.
//!
//! No trickle ICE: each side gathers its candidates before sending its SDP, so
//! one offer and one answer suffice.
//!
//! Each peer makes its own DTLS certificate, so it knows the fingerprint it
//! really presents; the remote one is hashed from the certificate the DTLS
//! handshake authenticated ([`Peer::authenticated_fingerprints`]). SDP text is
//! only checked against them, never trusted: a rendezvous could rewrite it. ICE binds the addresses in
//! `LATCHKEY_ICE_BIND` (comma-separated IPs; default: every interface). Tests
//! set it to `127.0.0.1` so nothing leaves the loopback. With TURN credentials
//! from the rendezvous ([`Peer::with_turn`]) ICE also gathers relay candidates,
//! used when no direct path works; a relay that refused us is remembered so a
//! failed connection can say why ([`Peer::relay_failure`]).

use bytes::BytesMut;
use rtc::peer_connection::certificate::CertificateParams;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use webrtc::data_channel::{DataChannel, DataChannelEvent, RTCDataChannelInit};
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCCertificate,
    RTCConfigurationBuilder, RTCIceGatheringState, RTCIceTransportPolicy, RTCPeerConnectionState,
    RTCSessionDescription, SettingEngineBuilder,
};

use crate::transport::turn::{RelayError, Relays, TurnServers};
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
    relay_errors: Arc<Mutex<Vec<RelayError>>>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(());
        }
    }

    async fn on_ice_candidate_error(
        &self,
        event: webrtc::peer_connection::RTCPeerConnectionIceErrorEvent,
    ) {
        tracing::warn!(
            url = %event.url,
            code = event.error_code,
            error = %event.error_text,
            "a TURN server could not be used"
        );
        if let Ok(mut errors) = self.relay_errors.lock() {
            errors.push(RelayError {
                url: event.url,
                code: event.error_code,
                text: event.error_text,
            });
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
    /// The fingerprint of the DTLS certificate this peer presents.
    local_fingerprint: String,
    events: mpsc::UnboundedReceiver<PeerEvent>,
    gathered: mpsc::UnboundedReceiver<()>,
    /// The relays given to ICE (and the bridges they need, kept running).
    relays: Option<Relays>,
    /// What the TURN servers answered when they could not be used.
    relay_errors: Arc<Mutex<Vec<RelayError>>>,
}

/// The candidate types of the pair ICE selected: `host`, `srflx`, `prflx` or
/// `relay` on each side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IcePath {
    /// This side's candidate type.
    pub local: String,
    /// The other side's candidate type.
    pub remote: String,
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

/// Whether ICE may use relay candidates only (`LATCHKEY_ICE_RELAY_ONLY=1`):
/// this side's addresses are then never offered, and every path goes
/// through the TURN server.
fn relay_only() -> bool {
    std::env::var("LATCHKEY_ICE_RELAY_ONLY").is_ok_and(|v| v == "1")
}

/// A certificate's DTLS fingerprint as SDP writes it: SHA-256 of its DER,
/// lowercase hex pairs joined by colons.
pub fn der_fingerprint(der: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(der);
    let pairs: Vec<String> = digest.iter().map(|b| format!("{b:02x}")).collect();
    pairs.join(":")
}

/// The one DTLS fingerprint an SDP announces (`a=fingerprint:sha-256 AB:CD:...`),
/// lowercased. Every fingerprint attribute, at session or media level, must
/// carry one well-formed SHA-256 value and all must be the same: a bare
/// `a=fingerprint`, another algorithm, a second value or none is refused,
/// since the WebRTC stack and we could otherwise read different ones.
pub fn sdp_fingerprint(sdp: &str) -> Result<String, String> {
    let mut found: Option<String> = None;
    for line in sdp.lines().map(str::trim) {
        let Some(head) = line.get(..13) else { continue };
        if !head.eq_ignore_ascii_case("a=fingerprint") {
            continue;
        }
        let value = line[13..]
            .strip_prefix(':')
            .ok_or_else(|| format!("a fingerprint attribute without a value: '{line}'"))?;
        let mut parts = value.split_ascii_whitespace();
        let (Some(algorithm), Some(hash), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("a malformed fingerprint attribute: '{line}'"));
        };
        if !algorithm.eq_ignore_ascii_case("sha-256") {
            return Err(format!(
                "a fingerprint with algorithm '{algorithm}', not sha-256"
            ));
        }
        let hash = hash.to_ascii_lowercase();
        let well_formed = hash.len() == 32 * 3 - 1
            && hash.split(':').count() == 32
            && hash
                .split(':')
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Err(format!("a malformed sha-256 fingerprint: '{hash}'"));
        }
        match &found {
            Some(first) if *first != hash => {
                return Err("the SDP names two different DTLS fingerprints".into())
            }
            Some(_) => {}
            None => found = Some(hash),
        }
    }
    found.ok_or_else(|| "the SDP names no DTLS fingerprint".into())
}

/// Smallest and largest SCTP receive window a peer advertises.
const SCTP_WINDOW: std::ops::RangeInclusive<u32> = 64 * 1024..=1024 * 1024;

/// The SCTP receive window this side advertises: what the other side may
/// have in flight on the data channels. It must fit in the UDP socket's
/// receive buffer: a burst that overflows it loses datagrams, and SCTP pays
/// a retransmission timeout for each loss (measured on loopback with the
/// default 208 KiB buffer: a 1 MiB window carried 6-9 MB/s of a file with
/// ~1,500 datagrams dropped per 32 MiB; 64 KiB carried 19-30 MB/s with none;
/// a 4 MiB buffer with a 1 MiB window, 27-43 MB/s with none).
/// The stack asks every socket for `UDP_RECV_BUFFER`; the kernel grants up
/// to net.core.rmem_max: ask a probe socket the same, and give SCTP an
/// eighth of what it got (the kernel reports twice the usable room, and a
/// datagram takes about twice its size in it), within [`SCTP_WINDOW`].
fn sctp_receive_window() -> u32 {
    let granted = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)
        .and_then(|s| {
            s.set_recv_buffer_size(webrtc::runtime::UDP_RECV_BUFFER)?;
            s.recv_buffer_size()
        })
        .unwrap_or(0);
    let window = u32::try_from(granted / 8).unwrap_or(u32::MAX);
    window.clamp(*SCTP_WINDOW.start(), *SCTP_WINDOW.end())
}

impl Peer {
    /// A new peer connection, binding [`bind_addrs`].
    pub async fn new() -> Result<Self, Error> {
        Self::bound_to(bind_addrs()).await
    }

    /// A new peer connection, binding [`bind_addrs`], that may also relay
    /// through the TURN servers in `turn`.
    pub async fn with_turn(turn: Option<&TurnServers>) -> Result<Self, Error> {
        Self::build(bind_addrs(), turn).await
    }

    /// A new peer connection binding these `IP:port` addresses.
    pub async fn bound_to(addrs: Vec<String>) -> Result<Self, Error> {
        Self::build(addrs, None).await
    }

    async fn build(addrs: Vec<String>, turn: Option<&TurnServers>) -> Result<Self, Error> {
        let relays = match turn {
            Some(turn) => Some(Relays::prepare(turn).await),
            None => None,
        };
        let relay_errors = Arc::new(Mutex::new(Vec::new()));
        let (etx, erx) = mpsc::unbounded_channel();
        let (gtx, grx) = mpsc::unbounded_channel();
        // ICE checks every 50 ms instead of 200 ms (same 1.4 s budget per
        // candidate pair): connectivity is found sooner.
        let settings = SettingEngineBuilder::new()
            .with_ice_connection_attempts(Some(ICE_CHECK_INTERVAL), Some(ICE_MAX_BINDING_REQUESTS))
            .with_sctp_max_receive_buffer_size(sctp_receive_window())
            .build();
        let (engine, registry) = crate::features::video::media_setup()?;
        let (certificate, local_fingerprint) = dtls_certificate()?;
        let mut configuration = RTCConfigurationBuilder::new()
            .with_certificates(vec![certificate])
            .with_ice_servers(relays.as_ref().map(Relays::ice_servers).unwrap_or_default());
        if relay_only() {
            configuration = configuration.with_ice_transport_policy(RTCIceTransportPolicy::Relay);
        }
        let configuration = configuration.build();
        let pc = PeerConnectionBuilder::new()
            .with_configuration(configuration)
            .with_setting_engine(settings)
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_handler(Arc::new(Handler {
                events: etx,
                gathered: gtx,
                relay_errors: relay_errors.clone(),
            }))
            .with_udp_addrs(addrs)
            .build()
            .await
            .map_err(|e| Error::WebRtc(format!("cannot create a peer connection: {e}")))?;
        Ok(Peer {
            pc: Arc::new(pc),
            local_fingerprint,
            events: erx,
            gathered: grx,
            relays,
            relay_errors,
        })
    }

    /// Why the TURN relays could not be used, if one was given and failed
    /// (e.g. "the TURN server refused the credentials (...)").
    pub fn relay_failure(&self) -> Option<String> {
        let relays = self.relays.as_ref()?;
        let errors = self.relay_errors.lock().ok()?;
        relays.explain(&errors)
    }

    /// The candidate pair ICE selected, once it has one.
    pub async fn selected_path(&self) -> Option<IcePath> {
        let sctp = self.pc.sctp().await?;
        let pair = sctp
            .transport()
            .ice_transport()
            .get_selected_candidate_pair()
            .await
            .ok()??;
        Some(IcePath {
            local: pair.local().typ.to_string(),
            remote: pair.remote().typ.to_string(),
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
        sdp_fingerprint(offer_sdp)
            .map_err(|why| Error::TranscriptMismatch(format!("the viewer's offer: {why}")))?;
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
        sdp_fingerprint(answer_sdp)
            .map_err(|why| Error::TranscriptMismatch(format!("the host's answer: {why}")))?;
        let answer = RTCSessionDescription::answer(answer_sdp.to_string())
            .map_err(|e| Error::Protocol(format!("bad answer: {e}")))?;
        self.pc
            .set_remote_description(answer)
            .await
            .map_err(|e| Error::Protocol(format!("bad answer: {e}")))
    }

    /// (local, remote) DTLS fingerprints of the certificates this connection
    /// really uses: ours as we made it, the other side's hashed from the
    /// certificate its DTLS handshake presented (so call this once a data
    /// channel is open). Both SDPs must name exactly these, each once (see
    /// [`sdp_fingerprint`]); anything else is `TranscriptMismatch`.
    pub async fn authenticated_fingerprints(&self) -> Result<(String, String), Error> {
        let mismatch = |why: String| Error::TranscriptMismatch(why);
        let sctp = self
            .pc
            .sctp()
            .await
            .ok_or_else(|| mismatch("no DTLS transport yet".into()))?;
        let chain = sctp
            .transport()
            .get_remote_certificates()
            .await
            .map_err(|e| mismatch(format!("no remote DTLS certificate: {e}")))?;
        let remote = match chain.as_slice() {
            [leaf, ..] => der_fingerprint(leaf),
            [] => {
                return Err(mismatch(
                    "the DTLS handshake presented no certificate".into(),
                ))
            }
        };
        let local_sdp = self.pc.local_description().await.map(|d| d.sdp);
        let remote_sdp = self.pc.remote_description().await.map(|d| d.sdp);
        let stated = |sdp: Option<String>, whose: &str| {
            sdp_fingerprint(sdp.as_deref().unwrap_or_default())
                .map_err(|why| mismatch(format!("{whose} SDP: {why}")))
        };
        if stated(local_sdp, "our")? != self.local_fingerprint {
            return Err(mismatch(
                "our SDP does not name our own DTLS certificate".into(),
            ));
        }
        if stated(remote_sdp, "the other side's")? != remote {
            return Err(mismatch(
                "the other side's SDP names another DTLS certificate than the one it presented"
                    .into(),
            ));
        }
        Ok((self.local_fingerprint.clone(), remote))
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

/// A fresh self-signed ECDSA P-256 DTLS certificate (what the stack would
/// make by itself) and its fingerprint.
fn dtls_certificate() -> Result<(RTCCertificate, String), Error> {
    let provider = rtc::crypto::default_provider().map_err(webrtc_err)?;
    let mut name = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut name);
    let params = CertificateParams::new(vec![hex::encode(name)]).map_err(webrtc_err)?;
    let certificate = RTCCertificate::generate(
        provider.crypto(),
        rtc::crypto::SignatureScheme::EcdsaP256Sha256,
        params,
    )
    .map_err(webrtc_err)?;
    let fingerprint = match certificate.dtls_certificate.certificate.as_slice() {
        [leaf, ..] => der_fingerprint(leaf.as_ref()),
        [] => return Err(Error::WebRtc("a DTLS certificate without a chain".into())),
    };
    Ok((certificate, fingerprint))
}

/// Open a feature's data channel, labelled with its name, on a connection
/// that is up (the viewer does, when it first uses the feature).
pub async fn open_feature_channel(
    pc: &Arc<dyn PeerConnection>,
    spec: &latchkey_core::feature::FeatureSpec,
) -> Result<Arc<dyn DataChannel>, Error> {
    use latchkey_core::feature::ChannelKind;
    let init = match spec.channel {
        ChannelKind::ReliableOrdered => RTCDataChannelInit {
            ordered: true,
            ..Default::default()
        },
        ChannelKind::Unordered => RTCDataChannelInit {
            ordered: false,
            max_retransmits: Some(0),
            ..Default::default()
        },
        ChannelKind::MediaTrack => {
            return Err(Error::Protocol(format!(
                "{} travels on a media track, not a data channel",
                spec.name
            )))
        }
    };
    pc.create_data_channel(spec.name, Some(init))
        .await
        .map_err(webrtc_err)
}

fn webrtc_err(e: impl std::fmt::Display) -> Error {
    Error::WebRtc(e.to_string())
}

/// Whether the peer connection is gone for good.
pub fn is_dead(s: RTCPeerConnectionState) -> bool {
    use RTCPeerConnectionState as S;
    matches!(s, S::Failed | S::Closed | S::Disconnected)
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

    /// Wait until a channel this side created is open. Besides its `OnOpen`
    /// event this looks at the channel's state: a channel created on a
    /// connection that is already up can open before the stack registered
    /// its event queue, and its `OnOpen` then goes elsewhere.
    pub async fn created_open(&self) -> Result<(), Error> {
        use webrtc::data_channel::RTCDataChannelState as State;
        loop {
            match self.dc.ready_state().await {
                Ok(State::Open) => return Ok(()),
                Ok(State::Closing | State::Closed) | Err(_) => return Err(Error::PeerGone),
                Ok(_) => {}
            }
            tokio::select! {
                ev = self.next() => match ev {
                    ControlEvent::Open => return Ok(()),
                    ControlEvent::Closed => return Err(Error::PeerGone),
                    ControlEvent::Message(_) => {
                        return Err(Error::Protocol("message before open".into()))
                    }
                },
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
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

    /// Wait (2 s at most) until the bytes sent and not yet released by SCTP
    /// are at most `limit`, so that a bulk sender (a file transfer) keeps
    /// SCTP's send queue short instead of piling messages into it.
    pub async fn wait_below(&self, limit: usize) {
        for _ in 0..2000 {
            match self.dc.outstanding_bytes().await {
                Ok(n) if n > limit => tokio::time::sleep(Duration::from_millis(1)).await,
                _ => return,
            }
        }
    }

    /// Close the channel.
    pub async fn close(&self) {
        let _ = self.dc.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";
    const B: &str = "0a:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99";

    fn sdp(lines: &[&str]) -> String {
        let mut s = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n".to_string();
        for l in lines {
            s.push_str(l);
            s.push_str("\r\n");
        }
        s
    }

    #[test]
    fn one_fingerprint_once_or_repeated_identically() {
        let one = sdp(&[
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            &format!("a=fingerprint:sha-256 {A}"),
        ]);
        assert_eq!(sdp_fingerprint(&one).as_deref(), Ok(A));
        let upper = A.to_ascii_uppercase();
        let repeated = sdp(&[
            &format!("a=fingerprint:SHA-256 {upper}"),
            "m=video 9 UDP/TLS/RTP/SAVPF 96",
            &format!("a=fingerprint:sha-256 {A}"),
        ]);
        assert_eq!(sdp_fingerprint(&repeated).as_deref(), Ok(A));
    }

    #[test]
    fn ambiguous_or_malformed_fingerprints_are_refused() {
        let cases = [
            // The bypass: a bare attribute, the real value, another at media level.
            sdp(&[
                "a=fingerprint",
                &format!("a=fingerprint:sha-256 {A}"),
                "m=video 9 X 96",
                &format!("a=fingerprint:sha-256 {B}"),
            ]),
            sdp(&[
                &format!("a=fingerprint:sha-256 {A}"),
                &format!("a=fingerprint:sha-256 {B}"),
            ]),
            sdp(&["a=fingerprint:"]),
            sdp(&["a=fingerprint:sha-256"]),
            sdp(&[&format!("a=fingerprint:sha-1 {A}")]),
            sdp(&[&format!("a=fingerprint:sha-256 {A} extra")]),
            sdp(&["a=fingerprint:sha-256 aa:bb"]),
            sdp(&[&format!("a=fingerprint:sha-256 {}", A.replace("aa", "zz"))]),
            sdp(&[
                &format!("A=FINGERPRINT:sha-256 {A}"),
                &format!("a=fingerprint:sha-256 {B}"),
            ]),
            sdp(&["m=video 9 X 96"]),
        ];
        for case in cases {
            assert!(sdp_fingerprint(&case).is_err(), "accepted: {case}");
        }
    }

    #[test]
    fn der_fingerprints_look_like_sdp_ones() {
        let fp = der_fingerprint(b"certificate");
        assert_eq!(
            sdp_fingerprint(&sdp(&[&format!("a=fingerprint:sha-256 {fp}")])),
            Ok(fp)
        );
    }

    /// A viewer and a host on loopback, offer and answer exchanged, the
    /// viewer's control channel created (it opens once DTLS is up).
    struct Connected {
        viewer: Peer,
        host: Peer,
        control: Control,
        offer: String,
        answer: String,
    }

    async fn connected() -> Connected {
        let addrs = || vec!["127.0.0.1:0".to_string()];
        let mut viewer = Peer::bound_to(addrs()).await.expect("viewer");
        let mut host = Peer::bound_to(addrs()).await.expect("host");
        let control = Control::new(viewer.create_control().await.expect("control"));
        let offer = viewer.offer().await.expect("offer");
        let answer = host.answer(&offer).await.expect("answer");
        viewer.accept_answer(&answer).await.expect("accept");
        Connected {
            viewer,
            host,
            control,
            offer,
            answer,
        }
    }

    /// Two real peers: each side's view of the other's certificate is the
    /// certificate that side really presents.
    #[tokio::test]
    async fn authenticated_fingerprints_are_the_certificates_in_use() {
        let Connected {
            viewer,
            mut host,
            control: vc,
            offer,
            answer,
        } = connected().await;
        let hc = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Some(PeerEvent::DataChannel(dc)) = host.next_event().await {
                    return Control::new(dc);
                }
            }
        })
        .await
        .expect("host sees the channel");
        vc.opened().await.expect("open");
        vc.send_raw(b"x").await.expect("send");
        assert_eq!(hc.recv().await.expect("recv"), b"x");
        let (v_local, v_remote) = viewer
            .authenticated_fingerprints()
            .await
            .expect("viewer fps");
        let (h_local, h_remote) = host.authenticated_fingerprints().await.expect("host fps");
        assert_eq!(v_local, h_remote);
        assert_eq!(h_local, v_remote);
        assert_ne!(v_local, h_local);
        assert_eq!(sdp_fingerprint(&offer), Ok(v_local));
        assert_eq!(sdp_fingerprint(&answer), Ok(h_local));
        viewer.close().await;
        host.close().await;
    }
    /// Channels the viewer creates once the connection is up (as feature
    /// channels are) all open and carry messages both ways, also when the
    /// stack announces one back as if the other side had opened it (kept
    /// alive here as the viewer's drive loop keeps it).
    #[tokio::test]
    async fn channels_created_on_a_live_connection_open_and_carry_messages() {
        let Connected {
            mut viewer,
            mut host,
            control: vc,
            ..
        } = connected().await;
        // The host echoes every message on every channel.
        let echo = tokio::spawn(async move {
            while let Some(ev) = host.next_event().await {
                if let PeerEvent::DataChannel(dc) = ev {
                    let c = Control::new(dc);
                    tokio::spawn(async move {
                        while let Ok(m) = c.recv().await {
                            if c.send_raw(&m).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            }
        });
        tokio::time::timeout(Duration::from_secs(20), vc.opened())
            .await
            .expect("control opens in time")
            .expect("open");
        let pc = viewer.connection().clone();
        let announced = tokio::spawn(async move {
            let mut kept = Vec::new();
            while let Some(ev) = viewer.next_event().await {
                if let PeerEvent::DataChannel(dc) = ev {
                    kept.push(dc);
                }
            }
        });
        for i in 0..12 {
            let spec = latchkey_core::feature::REGISTRY[i % latchkey_core::feature::REGISTRY.len()];
            let c = Control::new(open_feature_channel(&pc, spec).await.expect("create"));
            tokio::time::timeout(Duration::from_secs(10), c.created_open())
                .await
                .expect("opens in time")
                .expect("open");
            let message = format!("ping {i}");
            c.send_raw(message.as_bytes()).await.expect("send");
            let back = tokio::time::timeout(Duration::from_secs(10), c.recv())
                .await
                .expect("echo in time")
                .expect("echo");
            assert_eq!(back, message.as_bytes());
        }
        let _ = pc.close().await;
        echo.abort();
        announced.abort();
    }
}
