//! Test harness: a real headless sway (or weston) started and stopped by the
//! test, and Wayland clients (wev) run inside it with their output collected.
//!
//! sway refuses to run as root, so when the tests run as root the compositor
//! runs as the user `latchkey-sway-test` (created on first use) with a 0700
//! runtime directory of its own; the tests themselves stay root and reach the
//! compositor's socket because root passes the directory's permission check.
//! As any other user, the compositor simply runs as that user.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The user compositors run as when the tests run as root.
pub const TEST_USER: &str = "latchkey-sway-test";

/// Whether `program` is on PATH.
pub fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The uid and gid of the test user, creating it first (once per process).
fn test_user() -> (u32, u32) {
    static USER: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();
    *USER.get_or_init(|| {
        let exists = Command::new("id")
            .arg(TEST_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run id")
            .success();
        if !exists {
            let status = Command::new("useradd")
                .args(["-m", "-s", "/usr/sbin/nologin", TEST_USER])
                .status()
                .expect("run useradd");
            assert!(status.success(), "useradd {TEST_USER} failed");
        }
        let id = |flag: &str| -> u32 {
            let out = Command::new("id")
                .args([flag, TEST_USER])
                .output()
                .expect("run id");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("numeric id")
        };
        (id("-u"), id("-g"))
    })
}

/// A compositor process group, killed when dropped (also on panic).
pub struct Compositor {
    child: Child,
    /// Holds the runtime directory, config and logs; removed on drop.
    dir: tempfile::TempDir,
    /// The compositor's XDG_RUNTIME_DIR.
    pub runtime: PathBuf,
    /// Absolute path of its Wayland socket.
    pub socket: PathBuf,
    log: PathBuf,
}

impl Compositor {
    /// Starts `WLR_BACKENDS=headless sway` with one 1280x720 output and `config`
    /// appended to the configuration. `None` (with the reason printed) when sway
    /// is not installed.
    pub fn sway(config: &str) -> Option<Compositor> {
        if !installed("sway") {
            eprintln!("SKIPPED: sway is not installed (scripts/setup.sh installs it)");
            return None;
        }
        let dir = Self::dir();
        let conf = dir.path().join("sway.conf");
        std::fs::write(
            &conf,
            format!("output HEADLESS-1 resolution 1280x720 position 0 0\n{config}\n"),
        )
        .expect("write sway config");
        let env = [
            "WLR_BACKENDS=headless",
            "WLR_LIBINPUT_NO_DEVICES=1",
            "WLR_RENDERER=pixman",
        ];
        let conf = conf.to_string_lossy().into_owned();
        Some(Self::start(dir, &env, &["sway", "-c", &conf]))
    }

    /// Starts `weston` on its headless backend (no wlr protocols). `None` when
    /// weston is not installed.
    pub fn weston() -> Option<Compositor> {
        if !installed("weston") {
            eprintln!("SKIPPED: weston is not installed (scripts/setup.sh installs it)");
            return None;
        }
        let dir = Self::dir();
        Some(Self::start(
            dir,
            &[],
            &[
                "weston",
                "--backend=headless-backend.so",
                "--socket=wayland-weston",
                "--idle-time=0",
                "--no-config",
            ],
        ))
    }

    fn dir() -> tempfile::TempDir {
        world_readable_dir()
    }

    fn start(dir: tempfile::TempDir, env: &[&str], command: &[&str]) -> Compositor {
        let runtime = dir.path().join("runtime");
        std::fs::create_dir(&runtime).expect("runtime dir");
        set_mode(&runtime, 0o700);
        let home = dir.path().join("home");
        std::fs::create_dir(&home).expect("home dir");
        let log = dir.path().join("compositor.log");
        let log_file = std::fs::File::create(&log).expect("log file");

        let mut cmd;
        let runtime_env = format!("XDG_RUNTIME_DIR={}", runtime.display());
        let home_env = format!("HOME={}", home.display());
        if is_root() {
            let (uid, gid) = test_user();
            for d in [&runtime, &home] {
                std::os::unix::fs::chown(d, Some(uid), Some(gid)).expect("chown");
            }
            std::os::unix::fs::chown(&log, Some(uid), Some(gid)).expect("chown");
            cmd = Command::new("runuser");
            cmd.args(["-u", TEST_USER, "--"]);
        } else {
            cmd = Command::new("env");
            cmd.arg("--");
        }
        cmd.args([
            "dbus-run-session",
            "--",
            "env",
            "-u",
            "WAYLAND_DISPLAY",
            "-u",
            "DISPLAY",
        ])
        .arg(&runtime_env)
        .arg(&home_env)
        .args(env)
        .args(command)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("dup log"))
        .stderr(log_file);
        // Its own process group, so Drop can end the compositor and everything it started.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().expect("start the compositor");
        let mut compositor = Compositor {
            child,
            dir,
            runtime: runtime.clone(),
            socket: PathBuf::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(socket) = find_socket(&runtime) {
                compositor.socket = socket;
                break;
            }
            if let Ok(Some(status)) = compositor.child.try_wait() {
                panic!(
                    "the compositor exited ({status}) before serving a socket:\n{}",
                    compositor.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no Wayland socket after 20 s:\n{}",
                compositor.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        compositor
    }

    /// What the compositor printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The temp directory (world-readable), for files the compositor must read.
    pub fn files(&self) -> &Path {
        self.dir.path()
    }

    /// `swaymsg -t TYPE` through sway's IPC socket, parsed.
    pub fn swaymsg(&self, kind: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        let ipc = loop {
            let found = std::fs::read_dir(&self.runtime).ok().and_then(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .find(|p| p.to_string_lossy().contains("sway-ipc."))
            });
            if let Some(p) = found {
                break p;
            }
            assert!(Instant::now() < deadline, "no sway IPC socket");
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = Command::new("timeout")
            .args(["10", "swaymsg", "-r", "-s"])
            .arg(&ipc)
            .args(["-t", kind])
            .output()
            .expect("run swaymsg");
        assert!(out.status.success(), "swaymsg -t {kind} failed");
        serde_json::from_slice(&out.stdout).expect("swaymsg JSON")
    }

    /// Starts a Wayland client in this compositor (as root: the socket's directory
    /// does not stop root), its stdout lines collected line by line.
    pub fn client(&self, program: &[&str]) -> Client {
        let mut child = Command::new(program[0])
            .args(&program[1..])
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("WAYLAND_DISPLAY", &self.socket)
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the client");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }
}

impl Drop for Compositor {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A temporary directory every user can read (for files a compositor running
/// as the test user must open).
pub fn world_readable_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("latchkey-wayland-")
        .tempdir()
        .expect("temp dir");
    set_mode(dir.path(), 0o755);
    dir
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The compositor's socket in `runtime` (`wayland-*` but not the lock file).
fn find_socket(runtime: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::FileTypeExt;
    std::fs::read_dir(runtime).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_socket = e.file_type().is_ok_and(|t| t.is_socket());
        (name.starts_with("wayland-") && is_socket).then(|| e.path())
    })
}

/// A client process whose stdout is read line by line; killed on drop.
pub struct Client {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Client {
    /// Reads lines until one satisfies `pred` (returning it) or `timeout` passes.
    pub fn wait_line(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return Some(line);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Everything read so far, for failure messages.
    pub fn transcript(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Peak signal-to-noise ratio between two BGRA images of the same size (RGB
/// channels only), in dB; infinite when identical.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "images of different sizes");
    let mut sum = 0f64;
    let mut n = 0u64;
    for (pa, pb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = f64::from(pa[c]) - f64::from(pb[c]);
            sum += d * d;
            n += 1;
        }
    }
    if sum == 0.0 {
        return f64::INFINITY;
    }
    let mse = sum / n as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}
