//! Wayland test harness shared by `latchkey-wayland`'s tests and the end-to-end
//! tests: a real headless sway (or weston) started and stopped by the test,
//! Wayland clients run inside it with their output collected, `wev`'s report
//! parsed ([`Wev`]), and a known picture for the background ([`pattern`]).
//!
//! sway refuses to run as root, so when the tests run as root the compositor
//! runs as the user `latchkey-sway-test` (created on first use) with a 0700
//! runtime directory of its own; the tests themselves stay root and reach the
//! compositor's socket because root passes the directory's permission check.
//! As any other user, the compositor simply runs as that user.

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

    /// The environment a program needs to be a client of this compositor (as
    /// root: the socket's directory does not stop root): `WAYLAND_DISPLAY`
    /// (the socket's absolute path) and `XDG_RUNTIME_DIR`. Remove `DISPLAY` too.
    pub fn env(&self) -> [(&'static str, &Path); 2] {
        [
            ("WAYLAND_DISPLAY", self.socket.as_path()),
            ("XDG_RUNTIME_DIR", self.runtime.as_path()),
        ]
    }

    /// Starts a Wayland client in this compositor (as root: the socket's directory
    /// does not stop root), its stdout lines collected line by line.
    pub fn client(&self, program: &[&str]) -> Client {
        let mut child = Command::new(program[0])
            .args(&program[1..])
            .envs(self.env())
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

/// Width of the output [`Compositor::sway`] sets up.
pub const WIDTH: u32 = 1280;
/// Height of the output [`Compositor::sway`] sets up.
pub const HEIGHT: u32 = 720;

/// The known picture: red grows left to right, green top to bottom, blue in an
/// 80-pixel checkerboard, so a flipped, mirrored or channel-swapped capture
/// cannot match it. As BGRA.
pub fn pattern() -> Vec<u8> {
    let mut out = Vec::with_capacity((WIDTH * HEIGHT * 4) as usize);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let r = (x * 255 / (WIDTH - 1)) as u8;
            let g = (y * 255 / (HEIGHT - 1)) as u8;
            let b = if (x / 80 + y / 80) % 2 == 0 { 40 } else { 200 };
            out.extend_from_slice(&[b, g, r, 255]);
        }
    }
    out
}

/// Writes the pattern as an RGB PNG for swaybg.
pub fn write_pattern_png(path: &std::path::Path) {
    let bgra = pattern();
    let rgb: Vec<u8> = bgra
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    let file = std::fs::File::create(path).expect("create png");
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(&rgb).expect("png data");
}

/// What wev (a Wayland client that prints every event it gets) reported, parsed
/// from its output.
#[derive(Default, Debug)]
pub struct WevEvents {
    /// Pointer positions in surface coordinates (enter and motion).
    pub motions: Vec<(f64, f64)>,
    /// (button code, pressed).
    pub buttons: Vec<(u32, bool)>,
    /// Vertical axis values.
    pub vertical_axis: Vec<f64>,
    /// (keysym name, pressed, utf8) per key event.
    pub keys: Vec<(String, bool, String)>,
    /// `depressed` masks of modifiers events.
    pub depressed: Vec<u32>,
    /// Whether the client holds both a pointer and a keyboard.
    pub has_devices: bool,
    /// Whether its surface has keyboard focus.
    pub focused: bool,
}

/// Runs `wev` in the compositor and parses its output as it comes.
pub struct Wev {
    /// The wev process.
    pub client: Client,
    /// What it reported so far.
    pub events: WevEvents,
    /// The last `key:` line's state, waiting for its `sym:` line.
    pending_key: Option<bool>,
    /// The last line was a `modifiers:` line, waiting for `depressed:`.
    pending_modifiers: bool,
}

impl Wev {
    /// Starts wev in `sway`.
    pub fn start(sway: &Compositor) -> Wev {
        Wev {
            client: sway.client(&["stdbuf", "-oL", "wev"]),
            events: WevEvents::default(),
            pending_key: None,
            pending_modifiers: false,
        }
    }

    /// Takes one line of wev's output into [`Wev::events`].
    pub fn parse(&mut self, line: &str) {
        let e = &mut self.events;
        let after = |key: &str| line.split_once(key).map(|(_, rest)| rest.trim());
        if line.contains("wl_seat] capabilities:") {
            e.has_devices = line.contains("pointer") && line.contains("keyboard");
        } else if line.contains("wl_keyboard] enter:") {
            e.focused = true;
        } else if line.contains("wl_keyboard] leave:") {
            e.focused = false;
        } else if let Some(rest) = after("wl_pointer] motion:").or(after("wl_pointer] enter:")) {
            if let Some((_, xy)) = rest.split_once("x, y:") {
                let v: Vec<f64> = xy
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
                if let [x, y] = v[..] {
                    e.motions.push((x, y));
                }
            }
        } else if let Some(rest) = after("wl_pointer] button:") {
            let code = rest
                .split_once("button:")
                .and_then(|(_, r)| r.split_whitespace().next())
                .and_then(|c| c.parse().ok());
            if let Some(code) = code {
                e.buttons.push((code, rest.contains("(pressed)")));
            }
        } else if let Some(rest) = after("wl_pointer] axis:") {
            if rest.contains("(vertical)") {
                if let Some(v) = rest
                    .split_once("value:")
                    .and_then(|(_, v)| v.trim().parse().ok())
                {
                    e.vertical_axis.push(v);
                }
            }
        } else if let Some(rest) = after("wl_keyboard] key:") {
            self.pending_key = Some(rest.contains("(pressed)"));
        } else if let Some(rest) = after("sym:") {
            if let Some(pressed) = self.pending_key.take() {
                let name = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let utf8 = rest
                    .split_once("utf8: '")
                    .and_then(|(_, u)| u.strip_suffix('\''))
                    .unwrap_or_default()
                    .to_string();
                e.keys.push((name, pressed, utf8));
            }
        } else if line.contains("wl_keyboard] modifiers:") {
            self.pending_modifiers = true;
        } else if let Some(rest) = after("depressed:") {
            if std::mem::take(&mut self.pending_modifiers) {
                // "00000001: Shift" (names follow a non-zero mask).
                let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
                if let Ok(mask) = u32::from_str_radix(&hex, 16) {
                    e.depressed.push(mask);
                }
            }
        }
    }

    /// Reads wev's output until `pred` holds on what it reported, at most 10 s.
    pub fn wait(&mut self, what: &str, pred: impl Fn(&WevEvents) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pred(&self.events) {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.client.wait_line(left, |_| true);
            match line {
                Some(line) => self.parse(&line),
                None => panic!(
                    "wev did not report {what} within 10 s; it printed:\n{}",
                    self.client.transcript()
                ),
            }
        }
    }

    /// The text typed so far: the characters of pressed keys.
    pub fn typed(&self) -> String {
        self.events
            .keys
            .iter()
            .filter(|(_, pressed, _)| *pressed)
            .map(|(_, _, utf8)| utf8.as_str())
            .collect()
    }
}

/// The rectangle (x, y, width, height) of the window with `app_id`, from sway's tree.
pub fn window_rect(sway: &Compositor, app_id: &str) -> Option<(i64, i64, i64, i64)> {
    fn find(node: &serde_json::Value, app_id: &str) -> Option<(i64, i64, i64, i64)> {
        if node["app_id"] == app_id {
            let r = &node["rect"];
            return Some((
                r["x"].as_i64()?,
                r["y"].as_i64()?,
                r["width"].as_i64()?,
                r["height"].as_i64()?,
            ));
        }
        ["nodes", "floating_nodes"]
            .iter()
            .filter_map(|k| node[k].as_array())
            .flatten()
            .find_map(|n| find(n, app_id))
    }
    find(&sway.swaymsg("get_tree"), app_id)
}
