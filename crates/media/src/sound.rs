//! The host's sound: what its default output plays, read from the monitor of
//! the default sink through the PulseAudio client library (PulseAudio itself,
//! or PipeWire's pulse layer), and the Opus codec both sides use (libopus).
//!
//! Everything is 48 kHz, stereo, signed 16-bit, in 20 ms frames ([`FRAME`]
//! samples per channel): the rate and frame size WebRTC's Opus expects. The
//! encoder runs with in-band FEC (a lost frame is rebuilt from the next
//! one) and DTX (a silent host sends next to nothing: see
//! [`OpusEncoder::encode`]). [`wav_bytes`] writes what a viewer recorded.

use libpulse_binding::def::BufferAttr;
use libpulse_binding::sample::{Format, Spec};
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;

use crate::error::{Error, Result};

// Only for its `dynamic` feature: libopus is Debian's, linked dynamically.
use audiopus_sys as _;

/// Samples per second (per channel).
pub const SAMPLE_RATE: u32 = 48_000;
/// Interleaved channels.
pub const CHANNELS: usize = 2;
/// Frame length in milliseconds.
pub const FRAME_MS: u32 = 20;
/// Samples per channel in one frame.
pub const FRAME: usize = (SAMPLE_RATE / 1000 * FRAME_MS) as usize;
/// Bitrate of the encoder (stereo music or speech, well above transparency for speech).
pub const BITRATE: i32 = 96_000;
/// The source every capture reads: the monitor of the default sink.
pub const DEFAULT_MONITOR: &str = "@DEFAULT_MONITOR@";
/// The loss the encoder plans its FEC for, in percent (FEC needs it above 0).
const EXPECTED_LOSS_PERCENT: i32 = 5;
/// The largest Opus packet we make or accept (RFC 6716's limit for one frame).
pub const MAX_PACKET: usize = 1275;

/// A recording stream on the sound server: the monitor of its default sink.
pub struct SoundCapture {
    stream: Simple,
    bytes: Vec<u8>,
}

impl SoundCapture {
    /// Connect to the sound server the environment names (`PULSE_SERVER`,
    /// else the user's runtime dir) and record `source`
    /// ([`DEFAULT_MONITOR`] for what the host plays). The server hands
    /// over 10 ms at a time, so a frame waits at most that long.
    pub fn open(source: &str) -> Result<Self> {
        let spec = Spec {
            format: Format::S16le,
            channels: CHANNELS as u8,
            rate: SAMPLE_RATE,
        };
        let fragment = (SAMPLE_RATE / 100) * (CHANNELS as u32) * 2;
        let attr = BufferAttr {
            maxlength: u32::MAX,
            tlength: u32::MAX,
            prebuf: u32::MAX,
            minreq: u32::MAX,
            fragsize: fragment,
        };
        let stream = Simple::new(
            None,
            "Latchkey",
            Direction::Record,
            Some(source),
            "hear_sound",
            &spec,
            None,
            Some(&attr),
        )
        .map_err(|e| Error::Sound(format!("cannot record {source}: {e}")))?;
        Ok(SoundCapture {
            stream,
            bytes: vec![0; FRAME * CHANNELS * 2],
        })
    }

    /// Read the next frame ([`FRAME`] x [`CHANNELS`] interleaved samples),
    /// blocking until the server has it.
    pub fn read_frame(&mut self, out: &mut [i16]) -> Result<()> {
        if out.len() != FRAME * CHANNELS {
            return Err(Error::InvalidSetting(format!(
                "a frame holds {} samples, not {}",
                FRAME * CHANNELS,
                out.len()
            )));
        }
        self.stream
            .read(&mut self.bytes)
            .map_err(|e| Error::Sound(format!("recording stopped: {e}")))?;
        for (s, b) in out.iter_mut().zip(self.bytes.chunks_exact(2)) {
            *s = i16::from_le_bytes([b[0], b[1]]);
        }
        Ok(())
    }
}

fn opus_err(op: &'static str) -> impl Fn(opus::Error) -> Error {
    move |e| Error::Opus {
        op,
        detail: e.to_string(),
    }
}

/// An Opus encoder for one stream: 48 kHz stereo, 20 ms frames, FEC and DTX on.
///
/// Frames it does not send leave the decoder behind (Opus predicts each
/// frame's band energies from the previous one's), so every talk spurt
/// starts afresh: the encoder resets before the first frame after ones not
/// sent, and the decoder resets on a gap in time ([`OpusDecoder::reset`]).
/// A spurt starts one frame early (the quiet frame before it, so the
/// decoder's start-up ramp falls on that) and ends [`HANGOVER_FRAMES`] late
/// (the codec's 6.5 ms look-ahead still holds the end of the sound).
pub struct OpusEncoder {
    inner: opus::Encoder,
    out: Vec<u8>,
    /// The last frame was not sent.
    paused: bool,
    /// Silent frames still to send before pausing.
    hangover: u32,
    /// The last frame given, to start the next spurt with.
    previous: Vec<i16>,
}

/// Silent frames sent after sound, before the encoder pauses.
pub const HANGOVER_FRAMES: u32 = 2;

/// One packet from [`OpusEncoder::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusPacket {
    /// 0: the frame just given; 1: the one before it (a spurt's first packet).
    pub frames_back: u32,
    /// The Opus bytes.
    pub data: Vec<u8>,
}

impl OpusEncoder {
    /// A new encoder.
    pub fn new() -> Result<Self> {
        let mut inner = opus::Encoder::new(
            SAMPLE_RATE,
            opus::Channels::Stereo,
            opus::Application::Audio,
        )
        .map_err(opus_err("create"))?;
        inner
            .set_bitrate(opus::Bitrate::Bits(BITRATE))
            .map_err(opus_err("bitrate"))?;
        inner.set_inband_fec(true).map_err(opus_err("fec"))?;
        inner
            .set_packet_loss_perc(EXPECTED_LOSS_PERCENT)
            .map_err(opus_err("loss"))?;
        inner.set_dtx(true).map_err(opus_err("dtx"))?;
        Ok(OpusEncoder {
            inner,
            out: vec![0; MAX_PACKET],
            paused: true,
            hangover: 0,
            previous: vec![0; FRAME * CHANNELS],
        })
    }

    /// Encode one frame: the packets to send, none while the host is silent
    /// (frames of digital silence are not even encoded: Opus's own DTX does
    /// not apply to its CELT mode, which would send a 3-byte frame 50 times a
    /// second; the encoder's DTX frames, 2 bytes or less, are not sent either).
    pub fn encode(&mut self, frame: &[i16]) -> Result<Vec<OpusPacket>> {
        if frame.len() != FRAME * CHANNELS {
            return Err(Error::InvalidSetting(format!(
                "a frame holds {} samples, not {}",
                FRAME * CHANNELS,
                frame.len()
            )));
        }
        let mut packets = Vec::new();
        if !is_silent(frame) {
            self.hangover = HANGOVER_FRAMES;
        } else if self.hangover > 0 && !self.paused {
            self.hangover -= 1;
        } else {
            self.paused = true;
            self.previous.copy_from_slice(frame);
            return Ok(packets);
        }
        if self.paused {
            self.inner.reset_state().map_err(opus_err("reset"))?;
            let n = self
                .inner
                .encode(&self.previous, &mut self.out)
                .map_err(opus_err("encode"))?;
            if n > 2 {
                packets.push(OpusPacket {
                    frames_back: 1,
                    data: self.out[..n].to_vec(),
                });
            }
        }
        let n = self
            .inner
            .encode(frame, &mut self.out)
            .map_err(opus_err("encode"))?;
        self.paused = n <= 2;
        if !self.paused {
            packets.push(OpusPacket {
                frames_back: 0,
                data: self.out[..n].to_vec(),
            });
        }
        self.previous.copy_from_slice(frame);
        Ok(packets)
    }
}

/// Whether a frame is digital silence (every sample within +-1 LSB).
pub fn is_silent(frame: &[i16]) -> bool {
    frame.iter().all(|s| s.unsigned_abs() <= 1)
}

/// An Opus decoder for one stream (48 kHz stereo).
pub struct OpusDecoder {
    inner: opus::Decoder,
}

impl OpusDecoder {
    /// A new decoder.
    pub fn new() -> Result<Self> {
        Ok(OpusDecoder {
            inner: opus::Decoder::new(SAMPLE_RATE, opus::Channels::Stereo)
                .map_err(opus_err("create"))?,
        })
    }

    /// Decode one packet into interleaved samples ([`FRAME`] per channel
    /// from our sender). With `fec`, the packet is the one
    /// *after* a lost one, and what comes out is the lost one rebuilt from
    /// its redundancy. Malformed packets are an error, never a panic.
    pub fn decode(&mut self, packet: &[u8], fec: bool) -> Result<Vec<i16>> {
        if packet.len() > MAX_PACKET {
            return Err(Error::Opus {
                op: "decode",
                detail: format!("a packet of {} bytes", packet.len()),
            });
        }
        // 120 ms is the longest a packet can hold; a rebuilt frame is
        // exactly one of ours long (libopus takes its length from the buffer).
        let frames = if fec {
            FRAME
        } else {
            SAMPLE_RATE as usize / 1000 * 120
        };
        let mut out = vec![0i16; frames * CHANNELS];
        let n = self
            .inner
            .decode(packet, &mut out, fec)
            .map_err(opus_err("decode"))?;
        out.truncate(n * CHANNELS);
        Ok(out)
    }

    /// Start afresh, as the encoder does after frames it did not send: call
    /// before the first packet after a gap in time (silence, not loss).
    pub fn reset(&mut self) -> Result<()> {
        self.inner.reset_state().map_err(opus_err("reset"))
    }

    /// Conceal `frames` samples per channel that never arrived (packet loss concealment).
    pub fn conceal(&mut self, frames: usize) -> Result<Vec<i16>> {
        let mut out = vec![0i16; frames * CHANNELS];
        let n = self
            .inner
            .decode(&[], &mut out, false)
            .map_err(opus_err("conceal"))?;
        out.truncate(n * CHANNELS);
        Ok(out)
    }
}

/// A 16-bit PCM WAV file of interleaved `samples`.
pub fn wav_bytes(sample_rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let block_align = channels * 2;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: f64, amplitude: f64, frames: usize) -> Vec<i16> {
        (0..frames)
            .flat_map(|i| {
                let v = (amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / 48_000.0).sin())
                    as i16;
                [v, v]
            })
            .collect()
    }

    fn rms(s: &[i16]) -> f64 {
        (s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
    }

    #[test]
    fn a_tone_survives_encode_and_decode() {
        let mut enc = OpusEncoder::new().expect("encoder");
        let mut dec = OpusDecoder::new().expect("decoder");
        let pcm = sine(440.0, 10_000.0, FRAME * 50);
        let mut back = Vec::new();
        let mut sent = 0;
        for frame in pcm.chunks_exact(FRAME * CHANNELS) {
            for packet in enc.encode(frame).expect("encode") {
                assert!(packet.data.len() > 2 && packet.data.len() <= MAX_PACKET);
                back.extend(dec.decode(&packet.data, false).expect("decode"));
                sent += 1;
            }
        }
        // Every frame, and the quiet one before the first.
        assert_eq!(sent, 51);
        assert_eq!(back.len(), pcm.len() + FRAME * CHANNELS);
        // Past the codec's start-up, the level matches within 1 dB.
        let tail = pcm.len() / 2;
        let ratio = rms(&back[tail..]) / rms(&pcm[tail..]);
        assert!((0.89..1.12).contains(&ratio), "level ratio {ratio}");
    }

    #[test]
    fn silence_is_not_sent_past_the_hangover() {
        let mut enc = OpusEncoder::new().expect("encoder");
        let silent = vec![0i16; FRAME * CHANNELS];
        for _ in 0..50 {
            assert!(enc.encode(&silent).expect("encode").is_empty());
        }
        let tone = sine(440.0, 10_000.0, FRAME);
        assert_eq!(enc.encode(&tone).expect("encode").len(), 2);
        for _ in 0..HANGOVER_FRAMES {
            assert_eq!(enc.encode(&silent).expect("encode").len(), 1);
        }
        for _ in 0..50 {
            assert!(enc.encode(&silent).expect("encode").is_empty());
        }
    }

    #[test]
    fn lost_frames_are_rebuilt_and_bad_packets_refused() {
        let mut enc = OpusEncoder::new().expect("encoder");
        let mut dec = OpusDecoder::new().expect("decoder");
        let pcm = sine(440.0, 10_000.0, FRAME * 3);
        let packets: Vec<Vec<u8>> = pcm
            .chunks_exact(FRAME * CHANNELS)
            .flat_map(|f| enc.encode(f).expect("encode"))
            .map(|p| p.data)
            .collect();
        assert_eq!(packets.len(), 4);
        dec.decode(&packets[1], false).expect("first");
        // The second is lost: rebuilt from the third's FEC, then the third itself.
        assert_eq!(
            dec.decode(&packets[3], true).expect("fec").len(),
            FRAME * CHANNELS
        );
        assert_eq!(
            dec.decode(&packets[3], false).expect("third").len(),
            FRAME * CHANNELS
        );
        assert_eq!(dec.conceal(FRAME).expect("plc").len(), FRAME * CHANNELS);
        assert!(dec.decode(&vec![0xff; MAX_PACKET + 1], false).is_err());
        assert!(enc.encode(&[0; 10]).is_err());
    }

    /// Clicks with silence between (not sent): each decodes at its level,
    /// the end of each included, since both sides start afresh per spurt.
    #[test]
    fn clicks_after_silence_decode_whole_and_at_their_level() {
        let mut enc = OpusEncoder::new().expect("encoder");
        let mut dec = OpusDecoder::new().expect("decoder");
        let silent = vec![0i16; FRAME * CHANNELS];
        // A 5 ms burst late in its frame: its end is in the codec's look-ahead.
        let mut click = silent.clone();
        let burst = sine(1000.0, 26_000.0, 240);
        click[(FRAME - 240) * CHANNELS..].copy_from_slice(&burst);
        for _ in 0..5 {
            let mut back = Vec::new();
            for frame in std::iter::once(&click).chain(std::iter::repeat_n(&silent, 20)) {
                for packet in enc.encode(frame).expect("encode") {
                    back.extend(dec.decode(&packet.data, false).expect("decode"));
                }
            }
            // The gap in time: the decoder starts afresh too.
            dec.reset().expect("reset");
            let peak = back.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
            assert!(peak > 20_000, "a 26000 peak came back as {peak}");
            let ratio = rms(&back) / rms(&burst);
            // All its energy: sent in full, within 1.5 dB.
            let whole = ratio * ((back.len() as f64) / (burst.len() as f64)).sqrt();
            assert!((0.84..1.19).contains(&whole), "energy ratio {whole}");
        }
    }

    #[test]
    fn wav_header_is_canonical() {
        let bytes = wav_bytes(48_000, 2, &[1, -1, 2, -2]);
        assert_eq!(bytes.len(), 44 + 8);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            44
        );
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]),
            192_000
        );
        assert_eq!(&bytes[36..40], b"data");
        assert_eq!(&bytes[44..46], &1i16.to_le_bytes());
    }
}
