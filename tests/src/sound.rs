//! A private sound server for the sound suites (PulseAudio with a null sink
//! as its default output, on a socket of the test's own), tones played into
//! it, and what a WAV file holds: its strongest frequency and its level.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{Device, Proc, Rendezvous, GOOD_PASSWORD};

/// The null sink the server plays into (its monitor is what the host records).
pub const SINK: &str = "latchkey_test";

/// A PulseAudio server of the test's own; stopped on drop.
pub struct SoundServer {
    child: Child,
    dir: tempfile::TempDir,
    /// What `PULSE_SERVER` names it by (`unix:PATH`).
    pub server: String,
}

impl SoundServer {
    /// Start one (in its own runtime and home dirs, no D-Bus, anonymous
    /// clients on its socket) and wait until it answers.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = dir.path().join("run");
        let home = dir.path().join("home");
        for d in [&run, &home] {
            std::fs::create_dir_all(d).expect("dir");
            std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .expect("chmod");
        }
        let socket = dir.path().join("native");
        let child = Command::new("pulseaudio")
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--disallow-module-loading",
                "--log-target=stderr",
            ])
            .arg("-L")
            .arg(format!(
                "module-null-sink sink_name={SINK} rate=48000 channels=2"
            ))
            .arg("-L")
            .arg(format!(
                "module-native-protocol-unix auth-anonymous=1 socket={}",
                socket.display()
            ))
            .env("XDG_RUNTIME_DIR", &run)
            .env("HOME", &home)
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pulseaudio must be installed (scripts/setup.sh)");
        let server = SoundServer {
            child,
            server: format!("unix:{}", socket.display()),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !server.pactl(&["info"]).0 {
            assert!(Instant::now() < deadline, "the sound server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (ok, out) = server.pactl(&["set-default-sink", SINK]);
        assert!(ok, "set-default-sink: {out}");
        server
    }

    /// Run `pactl` against this server: success and its output.
    pub fn pactl(&self, args: &[&str]) -> (bool, String) {
        match Command::new("pactl")
            .arg("-s")
            .arg(&self.server)
            .args(args)
            .stdin(Stdio::null())
            .output()
        {
            Ok(o) => (
                o.status.success(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
            ),
            Err(e) => panic!("pactl must be installed (pulseaudio-utils): {e}"),
        }
    }

    /// Recording streams open on the server (the host's, when it records).
    pub fn recording_streams(&self) -> usize {
        let (ok, out) = self.pactl(&["list", "source-outputs", "short"]);
        assert!(ok, "pactl list source-outputs");
        out.lines().filter(|l| !l.trim().is_empty()).count()
    }

    /// Play `wav` into the default sink (`paplay`); stopped on drop of the child.
    pub fn play(&self, wav: &Path) -> Player {
        let child = Command::new("paplay")
            .arg("-s")
            .arg(&self.server)
            // As a desktop player asks: otherwise the null sink renders in
            // 2 s blocks and a new recording waits up to that for its first.
            .arg("--latency-msec=20")
            .arg(wav)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("paplay must be installed (pulseaudio-utils)");
        Player(child)
    }

    /// A file in the server's temporary dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `paplay` under way; stopped when dropped.
pub struct Player(Child);

impl Player {
    /// Wait (bounded) for the whole file to have played.
    pub fn wait(mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.0.try_wait().ok().flatten().is_none() {
            assert!(Instant::now() < deadline, "paplay did not finish");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Write a stereo 48 kHz 16-bit sine of `hz` at `amplitude` (of full scale), `seconds` long (`sox`).
pub fn sine_wav(path: &Path, hz: u32, amplitude: f64, seconds: f64) {
    let status = Command::new("sox")
        .args(["-n", "-r", "48000", "-c", "2", "-b", "16"])
        .arg(path)
        .args([
            "synth",
            &seconds.to_string(),
            "sine",
            &hz.to_string(),
            "vol",
            &amplitude.to_string(),
        ])
        .status()
        .expect("sox must be installed (scripts/setup.sh)");
    assert!(status.success(), "sox failed");
}

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
    let u32_at = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
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
