//! `hear_sound` between real processes: a private PulseAudio server with a
//! null sink as its default output, a 440 Hz sine played into it, a host
//! that records its monitor, and `latchkey connect --record-audio`. The
//! viewer's WAV holds the tone (spectral peak at 440 +- 5 Hz, level within
//! 3 dB of the source); a silent host sends (almost) nothing; without the
//! permission the host opens no recording stream on the server and sends
//! no sound; when the grant loses it mid-session, the recording stops.

use std::path::Path;
use std::time::{Duration, Instant};

use latchkey_e2e::cli::*;
use latchkey_e2e::sound::*;
use latchkey_testkit::Xvfb;
use serde_json::Value;

const TONE_HZ: u32 = 440;
const TONE_AMPLITUDE: f64 = 0.5;

/// Start `connect --record-audio WAV --seconds S --json` on `profile`.
fn record_audio(
    viewer: &Device,
    host: &Proc,
    rv: &Rendezvous,
    profile: &str,
    wav: &Path,
    seconds: u32,
) -> Proc {
    let wav = wav.to_string_lossy();
    let seconds = seconds.to_string();
    viewer.spawn(
        &[
            "connect",
            host.id(),
            "--rendezvous",
            &rv.url,
            "--profile",
            profile,
            "--password-stdin",
            "--record-audio",
            &wav,
            "--seconds",
            &seconds,
            "--json",
        ],
        Some(&format!("{GOOD_PASSWORD}\n")),
    )
}

/// Wait for `recording` to finish, noting the most recording streams the
/// server had meanwhile; its JSON answer and that count.
fn finish_watching(recording: Proc, sound: &SoundServer, limit: Duration) -> (Value, usize) {
    let mut recording = recording;
    let deadline = Instant::now() + limit;
    let mut most = 0;
    while recording.child.try_wait().ok().flatten().is_none() {
        assert!(Instant::now() < deadline, "the recording did not finish");
        most = most.max(sound.recording_streams());
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = recording.finish(Duration::from_secs(5));
    (run.json(), most)
}

/// Poll until the server has `n` recording streams (panics after `limit`).
fn wait_streams(sound: &SoundServer, n: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while sound.recording_streams() != n {
        assert!(
            Instant::now() < deadline,
            "the sound server never had {n} recording streams (has {})",
            sound.recording_streams()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A sound server, an X display, a rendezvous, a host on `profile` that
/// records that server, a viewer, and a tone of `seconds` ready to play.
struct Scene {
    profile: String,
    sound: SoundServer,
    _x: Xvfb,
    rv: Rendezvous,
    host_device: Device,
    host: Proc,
    viewer: Device,
    tone: std::path::PathBuf,
}

fn scene(profile: &str, seconds: f64) -> Scene {
    let sound = SoundServer::start();
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host_device, host) = host_with_sound(&x.display, &rv, profile, &sound);
    let tone = sound.path("tone.wav");
    sine_wav(&tone, TONE_HZ, TONE_AMPLITUDE, seconds);
    Scene {
        profile: profile.to_string(),
        sound,
        _x: x,
        rv,
        host_device,
        host,
        viewer: Device::file(),
        tone,
    }
}

impl Scene {
    /// Start recording `seconds` of sound into the file `name` (in the sound server's dir).
    fn record(&self, name: &str, seconds: u32) -> (Proc, std::path::PathBuf) {
        let wav = self.sound.path(name);
        let recording = record_audio(
            &self.viewer,
            &self.host,
            &self.rv,
            &self.profile,
            &wav,
            seconds,
        );
        (recording, wav)
    }
}

#[test]
fn the_viewer_records_the_hosts_tone_and_nothing_of_its_silence() {
    let s = scene("default", 20.0);
    let (sound, tone) = (&s.sound, &s.tone);
    let source = read_wav(tone);
    let source_level = rms(loudest(&source.left, source.rate, 1.0));

    // Nothing is recorded before a session asks for it.
    assert_eq!(sound.recording_streams(), 0);
    let player = sound.play(tone);
    let (recording, wav) = s.record("heard.wav", 4);
    let (answer, streams) = finish_watching(recording, sound, Duration::from_secs(60));
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(
        streams, 1,
        "the host records while the session holds hear_sound"
    );
    let packets = answer["sound_packets"].as_u64().expect("sound_packets");
    // 50 frames a second; the first ones go by while the track starts.
    assert!(packets > 100, "{answer}");

    let heard = read_wav(&wav);
    assert_eq!((heard.rate, heard.channels), (48_000, 2));
    assert_eq!(heard.left.len(), 4 * 48_000, "exactly --seconds long");
    let loud = loudest(&heard.left, heard.rate, 1.0);
    let peak = peak_hz(loud, heard.rate);
    assert!(
        (peak - f64::from(TONE_HZ)).abs() <= 5.0,
        "spectral peak at {peak} Hz"
    );
    let level = db(rms(loud), source_level);
    assert!(level.abs() <= 3.0, "level {level:.2} dB from the source");
    let onset = heard.left.iter().position(|v| v.abs() > 0.01).unwrap_or(0);
    eprintln!(
        "heard: peak {peak} Hz, level {level:+.2} dB, {packets} packets, sound from {:.2} s",
        onset as f64 / 48_000.0
    );

    // The tone ends; the host keeps recording but sends (almost) nothing.
    drop(player);
    let (recording, silent) = s.record("silence.wav", 3);
    let (answer, streams) = finish_watching(recording, sound, Duration::from_secs(60));
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(streams, 1, "{answer}");
    let packets = answer["sound_packets"].as_u64().expect("sound_packets");
    assert!(packets <= 5, "a silent host sent {packets} packets");
    assert!(rms(&read_wav(&silent).left) < 1e-3);
    wait_streams(sound, 0, Duration::from_secs(10));
}

#[test]
fn without_hear_sound_nothing_is_recorded_or_sent() {
    let s = scene("screen_sharing", 20.0);
    let (sound, tone) = (&s.sound, &s.tone);
    let _player = sound.play(tone);
    let (mut recording, wav) = s.record("heard.wav", 3);
    let deadline = Instant::now() + Duration::from_secs(60);
    while recording.child.try_wait().ok().flatten().is_none() {
        assert!(Instant::now() < deadline, "the recording did not finish");
        assert_eq!(
            sound.recording_streams(),
            0,
            "the host records without hear_sound"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = recording.finish(Duration::from_secs(5));
    let answer = run.json();
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["sound_packets"], 0, "{answer}");
    assert!(run.stderr.contains("hear_sound"), "{run:?}");
    let heard = read_wav(&wav);
    assert_eq!(heard.left.len(), 3 * 48_000);
    assert!(
        heard.left.iter().all(|v| *v == 0.0),
        "sound without hear_sound"
    );
}

#[test]
fn recording_stops_when_the_grant_loses_hear_sound() {
    let s = scene("default", 30.0);
    let (sound, tone) = (&s.sound, &s.tone);
    let _player = sound.play(tone);
    let (recording, wav) = s.record("heard.wav", 12);
    wait_streams(sound, 1, Duration::from_secs(30));
    // Some of the tone reaches the viewer first (checked below, not timed).
    std::thread::sleep(Duration::from_secs(2));
    s.host_device
        .run(&["profile", "set", "default", "hear_sound", "off"])
        .ok();
    wait_streams(sound, 0, Duration::from_secs(10));
    let (answer, _) = finish_watching(recording, sound, Duration::from_secs(60));
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(answer["sound_packets"].as_u64() > Some(0), "{answer}");
    // The recording runs on well past the revocation: its last second is silent.
    let heard = read_wav(&wav);
    let tail = &heard.left[heard.left.len() - 48_000..];
    assert!(rms(tail) < 1e-3, "sound after hear_sound was withdrawn");
    assert!(rms(&heard.left) > 0.01, "no sound before it was withdrawn");
}
