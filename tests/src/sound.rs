//! The sound suites' harness: a private sound server and tones
//! ([`latchkey_testkit::sound`]), a host that reaches that server, and what a
//! WAV file holds: its strongest frequency and its level.

use std::path::Path;
use std::time::Duration;

pub use latchkey_testkit::sound::*;

use crate::cli::{Device, Proc, Rendezvous, GOOD_PASSWORD};

/// A PCM WAV file read back: its rate and its first channel as floats (-1..1).
pub struct Wav {
    /// Samples per second.
    pub rate: u32,
    /// Interleaved channels.
    pub channels: u16,
    /// The first channel.
    pub left: Vec<f64>,
}

/// Read a 16-bit PCM WAV file (panics on anything else).
pub fn read_wav(path: &Path) -> Wav {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..4], b"RIFF", "not a WAV file");
    assert_eq!(&bytes[8..12], b"WAVE", "not a WAV file");
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let (mut rate, mut channels, mut data) = (0, 0, None);
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let (id, len) = (&bytes[at..at + 4], u32_at(at + 4) as usize);
        let body = at + 8;
        if id == b"fmt " {
            assert_eq!(u16_at(body), 1, "not PCM");
            channels = u16_at(body + 2);
            rate = u32_at(body + 4);
            assert_eq!(u16_at(body + 14), 16, "not 16-bit");
        } else if id == b"data" {
            data = Some(&bytes[body..(body + len).min(bytes.len())]);
        }
        at = body + len + (len & 1);
    }
    let data = data.expect("a data chunk");
    let left = data
        .chunks_exact(2 * channels as usize)
        .map(|f| f64::from(i16::from_le_bytes([f[0], f[1]])) / 32768.0)
        .collect();
    Wav {
        rate,
        channels,
        left,
    }
}

/// Root mean square of `s`.
pub fn rms(s: &[f64]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    (s.iter().map(|v| v * v).sum::<f64>() / s.len() as f64).sqrt()
}

/// The strongest frequency in `s`: a Goertzel scan of 20 Hz to 8 kHz in
/// 10 Hz steps, then of the best step's neighbourhood in 0.25 Hz steps.
pub fn peak_hz(s: &[f64], rate: u32) -> f64 {
    let coarse = scan_hz(s, rate, 20.0, 8000.0, 10.0);
    scan_hz(s, rate, coarse - 10.0, coarse + 10.0, 0.25)
}

/// The strongest frequency in `s` between `from` and `to` Hz in `step`
/// steps, by Goertzel (a Hann window against leakage).
pub fn scan_hz(s: &[f64], rate: u32, from: f64, to: f64, step: f64) -> f64 {
    let n = s.len();
    let windowed: Vec<f64> = s
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v * (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / (n as f64 - 1.0)).cos())
        })
        .collect();
    let power = |hz: f64| {
        let w = 2.0 * std::f64::consts::PI * hz / f64::from(rate);
        let c = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for v in &windowed {
            let s0 = v + c * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        s1 * s1 + s2 * s2 - c * s1 * s2
    };
    let mut best = (from, f64::MIN);
    let mut hz = from;
    while hz <= to {
        let p = power(hz);
        if p > best.1 {
            best = (hz, p);
        }
        hz += step;
    }
    best.0
}

/// The loudest `window` seconds of `s` (by RMS, in steps of a tenth of the window).
pub fn loudest(s: &[f64], rate: u32, window: f64) -> &[f64] {
    let len = ((f64::from(rate) * window) as usize).min(s.len());
    let step = (len / 10).max(1);
    let mut best = (0, -1.0);
    let mut at = 0;
    while at + len <= s.len() {
        let r = rms(&s[at..at + len]);
        if r > best.1 {
            best = (at, r);
        }
        at += step;
    }
    &s[best.0..best.0 + len]
}

/// Level difference in dB.
pub fn db(a: f64, b: f64) -> f64 {
    20.0 * (a / b).log10()
}

/// A host sharing `display` that reaches `sound` for its sound, with a
/// password on `profile` and unattended access on.
pub fn host_with_sound(
    display: &str,
    rv: &Rendezvous,
    profile: &str,
    sound: &SoundServer,
) -> (Device, Proc) {
    let host = Device::file();
    host.set_password(profile, GOOD_PASSWORD).ok();
    host.run(&["unattended", "on", "--profile", profile]).ok();
    let server = std::ffi::OsString::from(&sound.server);
    let mut proc = host.spawn_piped_env(
        &["host", "--rendezvous", &rv.url, "--display", display],
        &[("PULSE_SERVER", server.as_os_str())],
    );
    let line = proc.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(30));
    proc.id = line.rsplit("ID ").next().map(|s| s.replace(' ', ""));
    (host, proc)
}
