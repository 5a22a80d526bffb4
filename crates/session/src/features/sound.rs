//! The host's sound as a WebRTC audio track (`hear_sound`): the host records
//! the monitor of its default sink, encodes Opus (20 ms frames, in-band FEC,
//! DTX) and sends one RTP packet per frame; the viewer decodes, rebuilds a
//! lost frame from the next one's FEC, and lays the sound out on its RTP
//! clock ([`SoundIn::record`]).
//!
//! Like the screen, the audio m-line is negotiated before the handshake says
//! who the viewer is (the viewer asks for a receive-only transceiver before
//! its offer, the host adds its track to the answer). What is gated is the
//! sound itself: the host opens the sound server only while the live grant
//! has `hear_sound`, and closes it the moment the grant loses it, so without
//! the permission nothing is recorded and no RTP flows; the viewer's track
//! (announced on its first packet) then never appears. Silence is not sent:
//! frames the encoder marks as DTX and frames of digital silence are skipped
//! (after a short hangover; the RTP clock still advances; the sequence number does not, so a gap in
//! sequence numbers is a loss and a gap in time is silence, after which both
//! codecs start afresh).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MediaEngine, MIME_TYPE_OPUS};
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::PeerConnection;
use webrtc::rtp_transceiver::RtpSender;

use latchkey_core::permission::Permission;
use latchkey_media::sound::{
    OpusDecoder, OpusEncoder, SoundCapture, CHANNELS, DEFAULT_MONITOR, FRAME, SAMPLE_RATE,
};

use crate::host::feature_host::LiveGrant;
use crate::viewer::track_drain::TrackClaim;
use crate::Error;

/// Payload type we offer Opus under.
const OPUS_PAYLOAD_TYPE: u8 = 111;
/// One frame on the RTP clock (48 kHz).
const FRAME_TICKS: u32 = FRAME as u32;
/// One frame in time.
const FRAME_TIME: Duration = Duration::from_millis(latchkey_media::sound::FRAME_MS as u64);

fn opus_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: SAMPLE_RATE,
        channels: CHANNELS as u16,
        sdp_fmtp_line: "minptime=10;useinbandfec=1;usedtx=1;stereo=1;sprop-stereo=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

/// Add Opus to a media engine (both peers: the m-line needs it on each side).
pub fn register_codec(engine: &mut MediaEngine) -> Result<(), Error> {
    engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: opus_codec(),
                payload_type: OPUS_PAYLOAD_TYPE,
            },
            RtpCodecKind::Audio,
        )
        .map_err(|e| Error::WebRtc(e.to_string()))
}

/// Viewer: ask for one incoming audio track (before the offer).
pub async fn add_receiver(pc: &Arc<dyn PeerConnection>) -> Result<(), Error> {
    super::video::receive_only(pc, RtpCodecKind::Audio).await
}

/// The host's outgoing audio track.
#[derive(Clone)]
pub struct SoundOut {
    track: Arc<TrackLocalStaticRTP>,
    sender: Arc<dyn RtpSender>,
    ssrc: u32,
}

/// Host: add the sound track (after the offer was set, before the answer).
pub async fn add_sender(pc: &Arc<dyn PeerConnection>) -> Result<SoundOut, Error> {
    let mut ssrc = [0u8; 4];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut ssrc);
    let ssrc = u32::from_le_bytes(ssrc);
    let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        "latchkey-sound".into(),
        "sound".into(),
        "sound".into(),
        RtpCodecKind::Audio,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: opus_codec(),
            ..Default::default()
        }],
    )));
    let sender = pc
        .add_track(Arc::clone(&track) as Arc<dyn TrackLocal>)
        .await
        .map_err(|e| Error::WebRtc(e.to_string()))?;
    Ok(SoundOut {
        track,
        sender,
        ssrc,
    })
}

/// What the host's sound loop counted.
#[derive(Debug, Default)]
pub struct SoundCounters {
    /// Times the sound server was opened (once per stretch with `hear_sound`).
    pub captures: AtomicU64,
    /// Frames recorded.
    pub frames: AtomicU64,
    /// Packets sent.
    pub packets: AtomicU64,
    /// Bytes of Opus sent.
    pub bytes: AtomicU64,
}

/// One encoded frame from the capture thread: its index on the stream's
/// clock (frames since the stream started) and its Opus bytes.
struct Encoded {
    index: u64,
    data: Vec<u8>,
}

/// Host: send the sound while the live grant has `hear_sound`, until `stop`
/// is set or the grant's sender goes (the session ended).
pub(crate) async fn stream_sound(
    out: SoundOut,
    mut grant: watch::Receiver<LiveGrant>,
    stop: Arc<AtomicBool>,
    counters: Arc<SoundCounters>,
) -> Result<(), Error> {
    let payload_type = out
        .sender
        .get_parameters()
        .await
        .ok()
        .and_then(|p| {
            p.rtp_parameters
                .codecs
                .iter()
                .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(MIME_TYPE_OPUS))
                .map(|c| c.payload_type)
        })
        .unwrap_or(OPUS_PAYLOAD_TYPE);
    let mut random = [0u8; 6];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut random);
    let mut sequence = u16::from_le_bytes([random[0], random[1]]);
    let clock_base = u32::from_le_bytes([random[2], random[3], random[4], random[5]]);
    let started = Instant::now();
    let mut failures = 0u32;
    let allowed =
        |g: &LiveGrant| g.revoked.is_none() && g.permissions.contains(Permission::HearSound);
    while !stop.load(Ordering::Relaxed) {
        // Nothing is recorded until the grant has the permission.
        if !allowed(&grant.borrow_and_update()) {
            tokio::select! {
                changed = grant.changed() => if changed.is_err() { return Ok(()) },
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
            continue;
        }
        tracing::info!("recording the host's sound for the viewer");
        counters.captures.fetch_add(1, Ordering::Relaxed);
        let recording = Arc::new(AtomicBool::new(true));
        let (tx, mut rx) = mpsc::channel::<Encoded>(16);
        let first_index = (started.elapsed().as_micros() / FRAME_TIME.as_micros()) as u64;
        let worker = {
            let (recording, stop, counters) = (recording.clone(), stop.clone(), counters.clone());
            std::thread::Builder::new()
                .name("latchkey-sound".into())
                .spawn(move || capture_loop(tx, recording, stop, counters, first_index))
                .map_err(|e| Error::Io(format!("cannot start the sound thread: {e}")))?
        };
        let mut last_index: Option<u64> = None;
        let mut gone = false;
        loop {
            tokio::select! {
                frame = rx.recv() => {
                    let Some(Encoded { index, data }) = frame else { break };
                    // The first packet after silence starts a talk spurt.
                    let marker = last_index.is_none_or(|last| index != last + 1);
                    last_index = Some(index);
                    let bytes = data.len() as u64;
                    let packet = rtp::Packet {
                        header: rtp::header::Header {
                            version: 2,
                            marker,
                            payload_type,
                            sequence_number: sequence,
                            timestamp: clock_base.wrapping_add((index as u32).wrapping_mul(FRAME_TICKS)),
                            ssrc: out.ssrc,
                            ..Default::default()
                        },
                        payload: Bytes::from(data),
                    };
                    sequence = sequence.wrapping_add(1);
                    if let Err(e) = out.track.write_rtp(packet).await {
                        tracing::warn!(error = %e, "cannot send sound");
                        gone = true;
                        break;
                    }
                    counters.packets.fetch_add(1, Ordering::Relaxed);
                    counters.bytes.fetch_add(bytes, Ordering::Relaxed);
                }
                changed = grant.changed() => {
                    if changed.is_err() {
                        gone = true;
                        break;
                    }
                    if !allowed(&grant.borrow_and_update()) {
                        tracing::info!("hear_sound withdrawn: no longer recording");
                        break;
                    }
                }
            }
        }
        recording.store(false, Ordering::Relaxed);
        drop(rx);
        let result = tokio::task::spawn_blocking(move || worker.join())
            .await
            .map_err(|e| Error::Io(format!("the sound thread: {e}")))?;
        match result {
            Ok(Ok(())) => failures = 0,
            Ok(Err(e)) => {
                // No sound server (or it went): say so once, try again later,
                // less and less often (2 s, 4 s, ... 60 s).
                if failures == 0 {
                    tracing::warn!(error = %e, "no sound to send");
                } else {
                    tracing::debug!(error = %e, "still no sound to send");
                }
                let wait = Duration::from_secs((2u64 << failures.min(5)).min(60));
                failures += 1;
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    changed = grant.changed() => if changed.is_err() { return Ok(()) },
                }
            }
            Err(_) => return Err(Error::Io("the sound thread panicked".into())),
        }
        if gone {
            return Ok(());
        }
    }
    Ok(())
}

/// Record, encode and hand over frames while `recording` (and not `stop`). Blocking.
fn capture_loop(
    tx: mpsc::Sender<Encoded>,
    recording: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    counters: Arc<SoundCounters>,
    first_index: u64,
) -> Result<(), Error> {
    let sound = |e: latchkey_media::Error| Error::Io(format!("sound: {e}"));
    let mut capture = SoundCapture::open(DEFAULT_MONITOR).map_err(sound)?;
    let mut encoder = OpusEncoder::new().map_err(sound)?;
    let mut frame = vec![0i16; FRAME * CHANNELS];
    let mut index = first_index;
    while recording.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
        capture.read_frame(&mut frame).map_err(sound)?;
        counters.frames.fetch_add(1, Ordering::Relaxed);
        for packet in encoder.encode(&frame).map_err(sound)? {
            let encoded = Encoded {
                index: index.saturating_sub(u64::from(packet.frames_back)),
                data: packet.data,
            };
            if tx.blocking_send(encoded).is_err() {
                return Ok(());
            }
        }
        index += 1;
    }
    Ok(())
}

/// One decoded stretch of the host's sound: interleaved stereo samples and
/// where they start on the stream's RTP clock.
#[derive(Debug, Clone)]
pub struct SoundChunk {
    /// RTP timestamp of the first sample.
    pub timestamp: u32,
    /// Interleaved samples ([`CHANNELS`] per frame).
    pub samples: Vec<i16>,
    /// When the packet arrived.
    pub arrived: Instant,
}

/// The most frames lost in a row that are rebuilt (FEC for the last one,
/// concealment before it); after a longer loss the sound starts afresh.
pub const MAX_REBUILT: u16 = 5;

/// The viewer's RTP-to-PCM step, without I/O: sequence numbers say what was
/// lost (rebuilt), RTP time says what was silence (the decoder starts
/// afresh, as the host's encoder did). Fed by [`SoundIn`]; also the body of
/// the `opus_rtp` fuzz target, since every packet comes from the network.
pub struct SoundDepacketizer {
    decoder: OpusDecoder,
    last_seq: Option<u16>,
    /// Where the last packet's sound ended on the RTP clock.
    next_timestamp: Option<u32>,
}

impl SoundDepacketizer {
    /// A new one.
    pub fn new() -> Result<Self, Error> {
        Ok(SoundDepacketizer {
            decoder: OpusDecoder::new().map_err(|e| Error::Io(format!("decoder: {e}")))?,
            last_seq: None,
            next_timestamp: None,
        })
    }

    /// One packet's sound and the RTP time it starts at, with the frames
    /// lost just before it rebuilt; `None` for a late or repeated packet
    /// and for one that does not decode.
    pub fn push(&mut self, seq: u16, timestamp: u32, payload: &[u8]) -> Option<(u32, Vec<i16>)> {
        let lost = match self.last_seq {
            Some(last) => seq.wrapping_sub(last).wrapping_sub(1),
            None => 0,
        };
        if lost >= 0x8000 {
            return None; // Late or repeated: already played past it.
        }
        self.last_seq = Some(seq);
        // A gap in time with no packet lost is silence the host did not
        // send: its encoder starts afresh after it, and so does ours.
        let expected = self
            .next_timestamp
            .replace(timestamp.wrapping_add(FRAME_TICKS));
        if lost == 0 && expected.is_some_and(|t| t != timestamp) {
            self.decoder.reset().ok()?;
        }
        let mut samples = Vec::new();
        let mut start = timestamp;
        if (1..=MAX_REBUILT).contains(&lost) {
            for _ in 1..lost {
                if let Ok(s) = self.decoder.conceal(FRAME) {
                    samples.extend(s);
                }
            }
            if let Ok(s) = self.decoder.decode(payload, true) {
                samples.extend(s);
            }
            start = timestamp.wrapping_sub(u32::from(lost) * FRAME_TICKS);
        }
        match self.decoder.decode(payload, false) {
            Ok(s) => samples.extend(s),
            Err(e) => {
                tracing::debug!(error = %e, "a sound packet that does not decode");
                return None;
            }
        }
        Some((start, samples))
    }
}

/// The viewer's incoming sound: RTP in, decoded PCM out.
pub struct SoundIn {
    track: Arc<dyn TrackRemote>,
    /// Keeps the session's drain off the track while this reads it.
    _claim: TrackClaim,
    depacketizer: SoundDepacketizer,
    /// RTP payload bytes received so far.
    bytes: u64,
    /// Packets received so far.
    packets: u64,
}

impl SoundIn {
    /// Wrap a remote audio track this reader holds (`claim`).
    pub(crate) fn new(track: Arc<dyn TrackRemote>, claim: TrackClaim) -> Result<Self, Error> {
        Ok(SoundIn {
            track,
            _claim: claim,
            depacketizer: SoundDepacketizer::new()?,
            bytes: 0,
            packets: 0,
        })
    }

    /// RTP payload bytes received so far.
    pub fn bytes_received(&self) -> u64 {
        self.bytes
    }

    /// Packets received so far.
    pub fn packets_received(&self) -> u64 {
        self.packets
    }

    /// The next packet's sound, with any frames lost just before it rebuilt
    /// (FEC for the last one, concealment before that); `None` when the
    /// track ended. A packet that does not decode is skipped.
    pub async fn next_chunk(&mut self) -> Result<Option<SoundChunk>, Error> {
        loop {
            let packet = match self.track.poll().await {
                Some(TrackRemoteEvent::OnRtpPacket(p)) => p,
                Some(TrackRemoteEvent::OnEnded) | None => return Ok(None),
                Some(_) => continue,
            };
            let arrived = Instant::now();
            self.bytes += packet.payload.len() as u64;
            self.packets += 1;
            let header = &packet.header;
            if let Some((timestamp, samples)) =
                self.depacketizer
                    .push(header.sequence_number, header.timestamp, &packet.payload)
            {
                return Ok(Some(SoundChunk {
                    timestamp,
                    samples,
                    arrived,
                }));
            }
        }
    }

    /// Record the host's sound from `start` for `duration` into `out`
    /// (interleaved stereo at 48 kHz, `duration` long, silence where nothing
    /// was sent). The first packet is placed by its arrival (the end of its
    /// frame); every later one by its RTP timestamp relative to it.
    pub async fn record_into(
        &mut self,
        start: Instant,
        duration: Duration,
        out: &mut [i16],
    ) -> Result<(), Error> {
        let total = out.len() / CHANNELS;
        let mut anchor: Option<(u32, i64)> = None;
        let deadline = tokio::time::Instant::from_std(start + duration);
        loop {
            let chunk = match tokio::time::timeout_at(deadline, self.next_chunk()).await {
                Err(_) | Ok(Ok(None)) => break,
                Ok(Ok(Some(c))) => c,
                Ok(Err(e)) => return Err(e),
            };
            let frames = (chunk.samples.len() / CHANNELS) as i64;
            let (ts0, pos0) = *anchor.get_or_insert_with(|| {
                let end = (chunk.arrived.duration_since(start).as_secs_f64()
                    * f64::from(SAMPLE_RATE)) as i64;
                (chunk.timestamp, end - frames)
            });
            let pos = pos0 + i64::from(chunk.timestamp.wrapping_sub(ts0) as i32);
            for (i, frame) in chunk.samples.chunks_exact(CHANNELS).enumerate() {
                let at = pos + i as i64;
                if at < 0 || at as usize >= total {
                    continue;
                }
                let at = at as usize * CHANNELS;
                out[at..at + CHANNELS].copy_from_slice(frame);
            }
        }
        Ok(())
    }
}

/// What [`record_wav`] kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct SoundRecord {
    /// Sound packets received.
    pub packets: u64,
    /// Opus bytes received.
    pub bytes: u64,
}

/// Record `seconds` of the host's sound from now into a WAV file (48 kHz,
/// stereo, 16-bit), written atomically. A host that sends nothing (silent,
/// or no `hear_sound`) gives a silent file of the same length.
pub async fn record_wav(
    session: &crate::viewer::Session,
    path: &std::path::Path,
    seconds: u32,
) -> Result<SoundRecord, Error> {
    let start = Instant::now();
    let duration = Duration::from_secs(u64::from(seconds));
    let total = seconds as usize * SAMPLE_RATE as usize;
    let mut samples = vec![0i16; total * CHANNELS];
    let mut record = SoundRecord::default();
    // The track appears with the host's first packet, if it ever sends one.
    match session.sound(duration).await {
        Ok(mut sound) => {
            sound.record_into(start, duration, &mut samples).await?;
            record = SoundRecord {
                packets: sound.packets_received(),
                bytes: sound.bytes_received(),
            };
        }
        Err(Error::Timeout(_)) => {}
        Err(e) => return Err(e),
    }
    let wav = latchkey_media::sound::wav_bytes(SAMPLE_RATE, CHANNELS as u16, &samples);
    latchkey_store::atomic::write_atomic(path, &wav, 0o644)?;
    Ok(record)
}
