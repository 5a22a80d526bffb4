//! A private sound server for the sound suites and the sound benchmark
//! (PulseAudio with a null sink as its default output, on a socket of the
//! test's own), and tones played into it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
