//! VP8 encoding through libvpx in real-time mode.
//!
//! Typical loop (one encoder per video track):
//!
//! ```no_run
//! # fn demo(capturer: &mut latchkey_media::Capturer) -> latchkey_media::Result<()> {
//! use latchkey_media::{convert, DamageTracker, EncoderConfig, Vp8Encoder};
//! let info = capturer.info().clone();
//! let mut damage = DamageTracker::default();
//! let mut encoder = Vp8Encoder::new(EncoderConfig::new(info.width, info.height))?;
//! for tick in 0u64.. {
//!     let frame = capturer.capture()?;
//!     if damage.update(&frame).is_empty() {
//!         continue; // idle screen: nothing is converted or encoded
//!     }
//!     let picture = convert::to_i420(&frame)?;
//!     for packet in encoder.encode(&picture, tick)? {
//!         // hand packet.data to the RTP packetiser; packet.keyframe for stats
//!     }
//! #   break;
//! }
//! # Ok(()) }
//! ```

use crate::error::{Error, Result};
use crate::frame::I420Frame;
use crate::vpx::{RawEncoder, RawEncoderParams};

/// Settings for [`Vp8Encoder::new`]. Build with [`EncoderConfig::new`] and adjust fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderConfig {
    /// Picture width; every encoded picture must have it.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Nominal frame rate: the time base is `1/fps` and `pts` counts frames at this rate.
    pub fps: u32,
    /// Initial target bitrate in kbit/s (rate control is CBR); change it with [`Vp8Encoder::set_bitrate_kbps`].
    pub bitrate_kbps: u32,
    /// `Some(n)`: a keyframe at least every `n` frames; `None`: keyframes only
    /// for the first frame and on [`Vp8Encoder::request_keyframe`] (PLI/FIR),
    /// which keeps the bitrate of a mostly static desktop low.
    pub keyframe_interval: Option<u32>,
    /// Encoder threads (libvpx splits by macroblock rows). Default 1: on a
    /// 2-core host, 2 threads save ~3 ms per 1080p frame when the machine is
    /// otherwise idle but collapse (libvpx's row threads spin-wait) to hundreds
    /// of ms per frame when another process keeps both cores busy.
    pub threads: u32,
    /// libvpx speed/quality trade-off for real time, -16..=16; larger magnitude
    /// is meant to be faster. Measured at 1080p on a scrolling desktop: -6 kept
    /// to the target bitrate at ~38 dB, while -8 and -12 were no faster and
    /// overshot the target 2-4x at ~28 dB.
    pub cpu_used: i32,
    /// libvpx's screen-content mode: better text, cheaper static areas.
    pub screen_content: bool,
}

impl EncoderConfig {
    /// Defaults for a desktop stream: 30 fps, 2500 kbit/s, no periodic keyframes,
    /// 1 thread, `cpu_used` -6, screen-content mode on.
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            fps: 30,
            bitrate_kbps: 2500,
            keyframe_interval: None,
            threads: 1,
            cpu_used: -6,
            screen_content: true,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 || self.width > 16383 || self.height > 16383 {
            return Err(Error::InvalidSetting(format!(
                "size {}x{}",
                self.width, self.height
            )));
        }
        if self.fps == 0 || self.fps > 1000 {
            return Err(Error::InvalidSetting(format!("fps {}", self.fps)));
        }
        check_bitrate(self.bitrate_kbps)?;
        if self.keyframe_interval == Some(0) {
            return Err(Error::InvalidSetting("keyframe interval 0".into()));
        }
        if !(-16..=16).contains(&self.cpu_used) {
            return Err(Error::InvalidSetting(format!("cpu_used {}", self.cpu_used)));
        }
        Ok(())
    }
}

fn check_bitrate(kbps: u32) -> Result<()> {
    if kbps == 0 || kbps > 1_000_000 {
        return Err(Error::InvalidSetting(format!("bitrate {kbps} kbit/s")));
    }
    Ok(())
}

/// One compressed VP8 frame, ready for an RTP packetiser (or a WebRTC sample).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPacket {
    /// The VP8 frame bytes.
    pub data: Vec<u8>,
    /// Whether this is a keyframe (decodable on its own).
    pub keyframe: bool,
    /// The `pts` the frame was submitted with, in `1/fps` units.
    pub pts: u64,
}

/// A real-time VP8 encoder (libvpx, CBR, no look-ahead: one packet out per picture in).
pub struct Vp8Encoder {
    raw: RawEncoder,
    config: EncoderConfig,
    /// Set by `request_keyframe`, consumed by the next `encode`.
    keyframe_requested: bool,
    /// Last pts submitted, to refuse time going backwards (libvpx misbehaves then).
    last_pts: Option<u64>,
}

impl std::fmt::Debug for Vp8Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vp8Encoder")
            .field("config", &self.config)
            .field("keyframe_requested", &self.keyframe_requested)
            .field("last_pts", &self.last_pts)
            .finish()
    }
}

impl Vp8Encoder {
    /// Creates an encoder; fails on out-of-range settings or if libvpx refuses them.
    pub fn new(config: EncoderConfig) -> Result<Self> {
        config.validate()?;
        let raw = RawEncoder::new(&RawEncoderParams {
            width: config.width,
            height: config.height,
            fps: config.fps,
            bitrate_kbps: config.bitrate_kbps,
            keyframe_interval: config.keyframe_interval,
            threads: config.threads.max(1),
            cpu_used: config.cpu_used,
            screen_content: config.screen_content,
        })?;
        Ok(Self {
            raw,
            config,
            keyframe_requested: false,
            last_pts: None,
        })
    }

    /// The settings in force (with the current bitrate).
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// Current target bitrate in kbit/s.
    pub fn bitrate_kbps(&self) -> u32 {
        self.config.bitrate_kbps
    }

    /// Changes the target bitrate; takes effect from the next frame, no keyframe needed.
    pub fn set_bitrate_kbps(&mut self, kbps: u32) -> Result<()> {
        check_bitrate(kbps)?;
        self.raw.set_bitrate(kbps)?;
        self.config.bitrate_kbps = kbps;
        Ok(())
    }

    /// Makes the next encoded frame a keyframe (answer to PLI/FIR). Nothing is
    /// produced until the next [`Vp8Encoder::encode`]: on an idle screen, where
    /// damage tracking skips encoding, encode the last picture again.
    pub fn request_keyframe(&mut self) {
        self.keyframe_requested = true;
    }

    /// Encodes one picture at `pts` (frame index in `1/fps` units, strictly
    /// increasing; skipping values for unchanged frames is expected).
    /// Returns the packets produced, normally exactly one.
    pub fn encode(&mut self, picture: &I420Frame, pts: u64) -> Result<Vec<EncodedPacket>> {
        if let Some(last) = self.last_pts {
            if pts <= last {
                return Err(Error::InvalidSetting(format!("pts {pts} after {last}")));
            }
        }
        let pts_i = i64::try_from(pts).map_err(|_| Error::InvalidSetting(format!("pts {pts}")))?;
        let force = self.keyframe_requested;
        let packets = self.raw.encode(picture, pts_i, force)?;
        self.keyframe_requested = false;
        self.last_pts = Some(pts);
        Ok(packets
            .into_iter()
            .map(|p| EncodedPacket {
                data: p.data,
                keyframe: p.keyframe,
                pts: u64::try_from(p.pts).unwrap_or(pts),
            })
            .collect())
    }
}
