//! The screen as a WebRTC video track: the host captures, skips unchanged
//! frames, encodes VP8 and writes samples; the viewer reassembles RTP into VP8
//! frames and decodes them into RGBA frames. Keyframes are sent at the start
//! and on the viewer's PLI/FIR; the viewer asks for one whenever it lost part
//! of a frame.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::interceptor::Registry;
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{MediaEngine, MIME_TYPE_VP8};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::media_stream::Track;
use webrtc::peer_connection::PeerConnection;
use webrtc::rtp_transceiver::RtpSender;

use latchkey_core::bitrate::BitrateController;
use latchkey_media::{
    convert, Capturer, DamageTracker, DisplayInfo, EncoderConfig, Frame, I420Frame, Vp8Decoder,
    Vp8Encoder, WlrScreen, X11Screen,
};

use super::vp8_rtp::{Assembled, Vp8Assembler};
use crate::viewer::track_drain::TrackClaim;
use crate::Error;

/// Payload type we offer VP8 under.
const VP8_PAYLOAD_TYPE: u8 = 96;
/// Starting video bitrate; the receiver's reports move it within MIN..=MAX.
const START_KBPS: u32 = 2500;
const MIN_KBPS: u32 = 150;
const MAX_KBPS: u32 = 8000;
/// Frames per second the host aims at on a changing screen.
pub const FPS: u32 = 30;
/// Once the screen stops changing, the unchanged picture is encoded this many
/// more times so the encoder refines it (a keyframe at a real-time bitrate is
/// blurry); then nothing is sent until the next change.
pub const REFINE_FRAMES: u32 = 10;

fn vp8_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.to_owned(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: String::new(),
        rtcp_feedback: vec![],
    }
}

/// The media engine (VP8, and Opus for the sound) and the default interceptors (NACK, RTX,
/// reports), which both peers need: without them a large key frame loses
/// packets to the loopback receive buffer (see STACK-NOTES).
pub fn media_setup() -> Result<(MediaEngine, Registry), Error> {
    let mut engine = MediaEngine::default();
    let params = RTCRtpCodecParameters {
        rtp_codec: vp8_codec(),
        payload_type: VP8_PAYLOAD_TYPE,
    };
    engine
        .register_codec(params, RtpCodecKind::Video)
        .map_err(|e| Error::WebRtc(e.to_string()))?;
    super::sound::register_codec(&mut engine)?;
    let registry = register_default_interceptors(Registry::new(), &mut engine)
        .map_err(|e| Error::WebRtc(e.to_string()))?;
    Ok((engine, registry))
}

/// Viewer: ask for one incoming video track (before the offer).
pub async fn add_receiver(pc: &Arc<dyn PeerConnection>) -> Result<(), Error> {
    receive_only(pc, RtpCodecKind::Video).await
}

/// Viewer: ask for one incoming track of `kind` (before the offer).
pub(crate) async fn receive_only(
    pc: &Arc<dyn PeerConnection>,
    kind: RtpCodecKind,
) -> Result<(), Error> {
    pc.add_transceiver_from_kind(
        kind,
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Recvonly,
            ..Default::default()
        }),
    )
    .await
    .map(|_| ())
    .map_err(|e| Error::WebRtc(e.to_string()))
}

/// The host's outgoing video track.
#[derive(Clone)]
pub struct VideoOut {
    track: Arc<TrackLocalStaticSample>,
    sender: Arc<dyn RtpSender>,
}

/// Host: add the screen track (after the offer was set, before the answer).
pub async fn add_sender(pc: &Arc<dyn PeerConnection>) -> Result<VideoOut, Error> {
    let mut ssrc = [0u8; 4];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut ssrc);
    let track = Arc::new(
        TrackLocalStaticSample::new(
            Instant::now(),
            MediaStreamTrack::new(
                "latchkey-screen".into(),
                "screen".into(),
                "screen".into(),
                RtpCodecKind::Video,
                vec![RTCRtpEncodingParameters {
                    rtp_coding_parameters: RTCRtpCodingParameters {
                        ssrc: Some(u32::from_le_bytes(ssrc)),
                        ..Default::default()
                    },
                    codec: vp8_codec(),
                    ..Default::default()
                }],
            ),
        )
        .map_err(|e| Error::WebRtc(e.to_string()))?,
    );
    let sender = pc
        .add_track(Arc::clone(&track) as Arc<dyn TrackLocal>)
        .await
        .map_err(|e| Error::WebRtc(e.to_string()))?;
    Ok(VideoOut { track, sender })
}

/// What the streaming loop counted.
#[derive(Debug, Default)]
pub struct StreamCounters {
    /// Frames captured.
    pub captured: AtomicU64,
    /// Frames encoded and sent.
    pub sent: AtomicU64,
    /// Bytes of VP8 sent.
    pub bytes: AtomicU64,
}

/// Which monitor the stream shows, shared between the session loop (which
/// asks for a switch and maps pointer positions) and the capture thread.
#[derive(Debug, Default)]
pub struct ScreenChoice {
    /// A switch the viewer asked for, not yet made.
    requested: Mutex<Option<u32>>,
    /// Every monitor and the one being streamed, once capture started.
    state: Mutex<Option<(Vec<DisplayInfo>, DisplayInfo)>>,
}

impl ScreenChoice {
    /// Ask the capture thread to stream the monitor with this id.
    pub fn request(&self, id: u32) {
        *self.requested.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
    }

    fn take_request(&self) -> Option<u32> {
        self.requested
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    fn publish(&self, all: Vec<DisplayInfo>, current: DisplayInfo) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some((all, current));
    }

    /// Every monitor, and the one being streamed (`None` before capture starts).
    pub fn state(&self) -> Option<(Vec<DisplayInfo>, DisplayInfo)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The state once `settled` says so of it, or as it is after `limit`
    /// (capture may still be starting, or a switch under way).
    pub async fn state_once(
        &self,
        limit: std::time::Duration,
        settled: impl Fn(&Option<(Vec<DisplayInfo>, DisplayInfo)>) -> bool,
    ) -> Option<(Vec<DisplayInfo>, DisplayInfo)> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let state = self.state();
            if settled(&state) || std::time::Instant::now() >= deadline {
                return state;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The streamed monitor's top-left corner on the host's desktop: the
    /// viewer's pointer positions are relative to it.
    pub fn origin(&self) -> (i32, i32) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(_, d)| (d.x, d.y))
            .unwrap_or((0, 0))
    }
}

/// Stream the screen of the process's X display until `stop` is set or the
/// connection goes. Capture and encoding run on their own thread.
pub async fn stream_screen(
    out: VideoOut,
    stop: Arc<AtomicBool>,
    counters: Arc<StreamCounters>,
    choice: Arc<ScreenChoice>,
) -> Result<(), Error> {
    let ssrc = *out
        .track
        .ssrcs()
        .await
        .first()
        .ok_or_else(|| Error::WebRtc("track without SSRC".into()))?;
    let payload_type = out
        .sender
        .get_parameters()
        .await
        .ok()
        .and_then(|p| p.rtp_parameters.codecs.first().map(|c| c.payload_type))
        .unwrap_or(VP8_PAYLOAD_TYPE);
    let keyframe = Arc::new(AtomicBool::new(true));
    let bitrate = Arc::new(AtomicU32::new(START_KBPS));
    // The receiver's RTCP: keyframe requests (PLI, FIR), loss reports and REMB.
    let rtcp_track = out.track.clone();
    let rtcp_keyframe = keyframe.clone();
    let rtcp_bitrate = bitrate.clone();
    let rtcp_stop = stop.clone();
    tokio::spawn(async move {
        use rtc::rtcp::payload_feedbacks::{
            full_intra_request::FullIntraRequest, picture_loss_indication::PictureLossIndication,
            receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate,
        };
        use rtc::rtcp::receiver_report::ReceiverReport;
        let started = Instant::now();
        let mut control = BitrateController::new(START_KBPS, MIN_KBPS, MAX_KBPS);
        while !rtcp_stop.load(Ordering::Relaxed) {
            let Some(event) = rtcp_track.poll().await else {
                break;
            };
            let TrackLocalEvent::OnRtcpPacket(packets) = event else {
                continue;
            };
            for p in packets {
                let any = p.as_any();
                let now_ms = started.elapsed().as_millis() as u64;
                let changed = if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                    tracing::debug!("the viewer asks for a keyframe");
                    rtcp_keyframe.store(true, Ordering::Relaxed);
                    None
                } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                    rr.reports
                        .iter()
                        .map(|r| r.fraction_lost)
                        .max()
                        .and_then(|lost| control.on_loss_report(lost, now_ms))
                } else if let Some(remb) = any.downcast_ref::<ReceiverEstimatedMaximumBitrate>() {
                    control.on_remb(remb.bitrate.max(0.0) as u64)
                } else {
                    None
                };
                if let Some(kbps) = changed {
                    tracing::debug!(kbps, "video bitrate");
                    rtcp_bitrate.store(kbps, Ordering::Relaxed);
                }
            }
        }
    });
    let (tx, mut rx) = mpsc::channel::<(Vec<u8>, Duration)>(4);
    let thread_stop = stop.clone();
    let thread_counters = counters.clone();
    let worker = std::thread::Builder::new()
        .name("latchkey-capture".into())
        .spawn(move || capture_loop(tx, thread_stop, keyframe, bitrate, thread_counters, choice))
        .map_err(|e| Error::Io(format!("cannot start the capture thread: {e}")))?;
    while let Some((data, duration)) = rx.recv().await {
        let sample = Sample {
            data: Bytes::from(data),
            duration,
            ..Sample::new(Instant::now())
        };
        if let Err(e) = out
            .track
            .sample_writer(ssrc, payload_type)
            .write_sample(&sample)
            .await
        {
            // The crate's error can carry the whole packet: keep its start.
            let error: String = e.to_string().chars().take(160).collect();
            tracing::warn!(%error, "cannot send video");
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    match worker.join() {
        Ok(result) => result,
        Err(_) => Err(Error::Io("the capture thread panicked".into())),
    }
}

/// Where frames come from: the X server's damage-driven grabs, a wlroots
/// compositor's damage-aware screencopy, or `xcap` (its Wayland/PipeWire
/// portal) on other Wayland desktops. [`latchkey_media::session::detect`] decides.
enum Screen {
    X11(Box<X11Screen>),
    Wlroots(Box<WlrScreen>),
    Portal(Capturer, Option<Frame>),
}

impl Screen {
    fn open() -> Result<Self, latchkey_media::Error> {
        use latchkey_media::session::{self, SessionKind};
        let detected = session::detect();
        tracing::info!(kind = detected.kind.name(), note = %detected.note, "desktop session");
        let screen = match detected.kind {
            SessionKind::Wlroots => Screen::Wlroots(Box::new(WlrScreen::open(None)?)),
            SessionKind::Gnome | SessionKind::Portal => Screen::Portal(Capturer::primary()?, None),
            // X11, or nothing found: X11's error says what is missing.
            SessionKind::X11 | SessionKind::None => Screen::X11(Box::new(X11Screen::open(None)?)),
        };
        session::record_capture(screen.path(), &detected.note);
        Ok(screen)
    }

    /// The capture path's name, as `status` shows it.
    fn path(&self) -> &'static str {
        match self {
            Screen::X11(_) => "x11",
            Screen::Wlroots(_) => "wlroots",
            Screen::Portal(..) => "portal",
        }
    }

    fn displays(&self) -> Result<(Vec<DisplayInfo>, DisplayInfo), latchkey_media::Error> {
        Ok(match self {
            Screen::X11(s) => (s.list_displays()?, s.display().clone()),
            Screen::Wlroots(s) => (s.list_displays()?, s.display().clone()),
            Screen::Portal(c, _) => (vec![c.info().clone()], c.info().clone()),
        })
    }

    fn select(&mut self, id: u32) -> Result<(), latchkey_media::Error> {
        match self {
            Screen::X11(s) => s.select(id),
            Screen::Wlroots(s) => s.select(id),
            Screen::Portal(c, last) => {
                *c = Capturer::open(id)?;
                *last = None;
                Ok(())
            }
        }
    }

    /// Whether the picture may have changed; waits up to `timeout` for it.
    fn wait_change(&mut self, timeout: Duration) -> Result<bool, latchkey_media::Error> {
        match self {
            Screen::X11(s) => s.wait_damage(timeout),
            // The compositor answers once the output changed: a still screen costs nothing.
            Screen::Wlroots(s) => s.wait_damage(timeout),
            // No change notifications: look at every frame.
            Screen::Portal(..) => Ok(true),
        }
    }

    fn grab(&mut self) -> Result<&Frame, latchkey_media::Error> {
        match self {
            Screen::X11(s) => s.grab(),
            Screen::Wlroots(s) => s.grab(),
            Screen::Portal(c, last) => Ok(last.insert(c.capture()?)),
        }
    }
}

/// How long the idle loop waits for damage before it looks at the stop flag again.
const IDLE_WAIT: Duration = Duration::from_millis(200);

/// Capture what changed, encode, hand packets over. Blocking.
///
/// On X11 an unchanged screen costs nothing: the loop sleeps until the
/// server reports damage, grabs only the damaged area, and checks (tile by
/// tile) that the pixels really changed before encoding. After a change it
/// refines the still picture for [`REFINE_FRAMES`] frames, then goes quiet.
fn capture_loop(
    tx: mpsc::Sender<(Vec<u8>, Duration)>,
    stop: Arc<AtomicBool>,
    keyframe: Arc<AtomicBool>,
    bitrate: Arc<AtomicU32>,
    counters: Arc<StreamCounters>,
    choice: Arc<ScreenChoice>,
) -> Result<(), Error> {
    let media = |e: latchkey_media::Error| Error::Io(format!("screen: {e}"));
    let mut screen = Screen::open().map_err(media)?;
    let (all, current) = screen.displays().map_err(media)?;
    choice.publish(all, current);
    let mut damage = DamageTracker::default();
    let interval = Duration::from_secs(1) / FPS;
    let mut encoder: Option<Vp8Encoder> = None;
    let mut picture: Option<I420Frame> = None;
    let mut pts = 0u64;
    let mut last_sent = Instant::now();
    let mut last_grab: Option<Instant> = None;
    let mut refine_left = 0u32;
    while !stop.load(Ordering::Relaxed) {
        if let Some(id) = choice.take_request() {
            match screen.select(id) {
                Ok(()) => {
                    let (all, current) = screen.displays().map_err(media)?;
                    tracing::info!(display = %current.name, "streaming another display");
                    choice.publish(all, current);
                    damage.reset();
                    keyframe.store(true, Ordering::Relaxed);
                }
                Err(e) => tracing::warn!(error = %e, "cannot switch display"),
            }
        }
        // At most FPS grabs a second.
        if let Some(rest) = last_grab.and_then(|t| interval.checked_sub(t.elapsed())) {
            std::thread::sleep(rest);
        }
        let due = refine_left > 0 || keyframe.load(Ordering::Relaxed);
        if !due && !screen.wait_change(IDLE_WAIT).map_err(media)? {
            continue;
        }
        last_grab = Some(Instant::now());
        let frame = screen.grab().map_err(media)?;
        counters.captured.fetch_add(1, Ordering::Relaxed);
        let changed = !damage.update(frame).is_empty();
        let want_key = keyframe.swap(false, Ordering::Relaxed);
        let refine = !changed && refine_left > 0;
        if changed || want_key {
            refine_left = REFINE_FRAMES;
        } else if refine {
            refine_left -= 1;
        }
        if !(changed || want_key || refine) {
            continue;
        }
        let (w, h) = (frame.width(), frame.height());
        let enc = match &mut encoder {
            Some(e) if e.config().width == w && e.config().height == h => e,
            slot => {
                let mut config = EncoderConfig::new(w, h);
                config.fps = FPS;
                config.bitrate_kbps = bitrate.load(Ordering::Relaxed);
                *slot = Some(Vp8Encoder::new(config).map_err(media)?);
                slot.as_mut().ok_or_else(|| Error::Io("encoder".into()))?
            }
        };
        if want_key {
            enc.request_keyframe();
        }
        let kbps = bitrate.load(Ordering::Relaxed);
        if kbps != enc.bitrate_kbps() {
            enc.set_bitrate_kbps(kbps).map_err(media)?;
        }
        let target = match &mut picture {
            Some(p) if p.width() == w && p.height() == h => p,
            slot => slot.insert(I420Frame::black(w, h).map_err(media)?),
        };
        convert::to_i420_into(frame, target).map_err(media)?;
        for packet in enc.encode(target, pts).map_err(media)? {
            tracing::debug!(
                bytes = packet.data.len(),
                keyframe = packet.keyframe,
                "encoded"
            );
            counters.sent.fetch_add(1, Ordering::Relaxed);
            counters
                .bytes
                .fetch_add(packet.data.len() as u64, Ordering::Relaxed);
            let duration = last_sent.elapsed().max(interval);
            last_sent = Instant::now();
            if tx.blocking_send((packet.data, duration)).is_err() {
                return Ok(());
            }
        }
        pts += 1;
    }
    Ok(())
}

/// The viewer's incoming video: RTP in, decoded frames out.
pub struct VideoIn {
    track: Arc<dyn TrackRemote>,
    /// Keeps the session's drain off the track while this reads it.
    _claim: TrackClaim,
    decoder: Vp8Decoder,
    assembler: Vp8Assembler,
    /// RTP payload bytes received so far.
    bytes: u64,
}

impl VideoIn {
    /// Wrap a remote track this reader holds (`claim`).
    pub(crate) fn new(track: Arc<dyn TrackRemote>, claim: TrackClaim) -> Result<Self, Error> {
        let decoder = Vp8Decoder::new(2).map_err(|e| Error::Io(format!("decoder: {e}")))?;
        Ok(VideoIn {
            track,
            _claim: claim,
            decoder,
            assembler: Vp8Assembler::default(),
            bytes: 0,
        })
    }

    /// Ask the sender for a keyframe (PLI). Takes the track, not `self`, so
    /// the decoder (not `Sync`) is never borrowed across the wait.
    pub(crate) async fn request_keyframe(track: &Arc<dyn TrackRemote>) {
        let ssrc = track.ssrcs().await.first().copied();
        tracing::debug!(?ssrc, "asking the host for a keyframe");
        if let Some(ssrc) = ssrc {
            let pli =
                rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication {
                    sender_ssrc: 0,
                    media_ssrc: ssrc,
                };
            let _ = track.write_rtcp(vec![Box::new(pli)]).await;
        }
    }

    /// Ask the host for a keyframe now: when nothing came at all, no gap in
    /// the packets ever asks for one (a first keyframe lost whole, e.g. over
    /// a relay before the track was set up, on an idle screen).
    pub async fn ask_keyframe(&self) {
        Self::request_keyframe(&self.track).await;
    }

    /// RTP payload bytes received so far (for bitrate figures).
    pub fn bytes_received(&self) -> u64 {
        self.bytes
    }

    /// The next decoded frame as RGBA (`None` when the track ended).
    pub async fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        match self.next_picture().await? {
            Some(p) => convert::to_rgba(&p)
                .map(Some)
                .map_err(|e| Error::Io(format!("decoded picture: {e}"))),
            None => Ok(None),
        }
    }

    /// The next decoded picture as I420, as the decoder made it (`None` when the track ended).
    pub async fn next_picture(&mut self) -> Result<Option<I420Frame>, Error> {
        loop {
            let packet = match self.track.poll().await {
                Some(TrackRemoteEvent::OnRtpPacket(p)) => p,
                Some(TrackRemoteEvent::OnEnded) | None => return Ok(None),
                Some(_) => continue,
            };
            self.bytes += packet.payload.len() as u64;
            let seq = packet.header.sequence_number;
            tracing::trace!(
                seq,
                marker = packet.header.marker,
                bytes = packet.payload.len(),
                "rtp"
            );
            let data = match self
                .assembler
                .push(seq, packet.header.marker, &packet.payload)
            {
                Assembled::Pending => continue,
                Assembled::NeedKeyframe => {
                    Self::request_keyframe(&self.track).await;
                    continue;
                }
                Assembled::Frame(data) => data,
            };
            match self.decoder.decode_i420(&data) {
                Ok(Some(picture)) => return Ok(Some(picture)),
                Ok(None) => {}
                Err(_) => {
                    self.assembler.decode_failed();
                    Self::request_keyframe(&self.track).await;
                }
            }
        }
    }
}
