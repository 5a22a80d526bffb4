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

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::wayland_client::{end_group, wait_ready, Host};
pub use crate::wayland_client::{installed, psnr, Client, Wev, WevEvents};

/// The user compositors run as when the tests run as root.
pub const TEST_USER: &str = "latchkey-sway-test";

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
        let waited = wait_ready("Wayland socket", Duration::from_secs(20), || {
            if let Some(socket) = find_socket(&runtime) {
                return Ok(Some(socket));
            }
            match compositor.child.try_wait() {
                Ok(Some(status)) => Err(format!(
                    "the compositor exited ({status}) before serving a socket"
                )),
                _ => Ok(None),
            }
        });
        match waited {
            Ok(socket) => compositor.socket = socket,
            Err(e) => panic!("{e}:\n{}", compositor.log()),
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
        let ipc = wait_ready("sway IPC socket", Duration::from_secs(10), || {
            Ok(std::fs::read_dir(&self.runtime).ok().and_then(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .find(|p| p.to_string_lossy().contains("sway-ipc."))
            }))
        })
        .expect("sway IPC socket");
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
        Client::spawn(
            Command::new(program[0])
                .args(&program[1..])
                .envs(self.env())
                .env_remove("DISPLAY"),
        )
    }
}

impl Host for Compositor {
    fn client(&self, program: &[&str]) -> Client {
        Compositor::client(self, program)
    }
}

impl Drop for Compositor {
    fn drop(&mut self) {
        end_group(self.child.id(), std::slice::from_mut(&mut self.child));
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

/// Width of the output [`Compositor::sway`] sets up.
pub const WIDTH: u32 = 1280;
/// Height of the output [`Compositor::sway`] sets up.
pub const HEIGHT: u32 = 720;

/// The known picture ([`crate::wayland_client::pattern`]) at the output's size, as BGRA.
pub fn pattern() -> Vec<u8> {
    crate::wayland_client::pattern(WIDTH, HEIGHT)
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

/// Waits (at most 10 s) until the window with `app_id` shows with a rectangle
/// (x, y, width, height) that `fits` accepts, and returns it; panics with
/// sway's log when it does not.
pub fn wait_window(
    sway: &Compositor,
    app_id: &str,
    fits: impl Fn(&(i64, i64, i64, i64)) -> bool,
) -> (i64, i64, i64, i64) {
    wait_ready(&format!("{app_id} window"), Duration::from_secs(10), || {
        Ok(window_rect(sway, app_id).filter(|r| fits(r)))
    })
    .unwrap_or_else(|e| panic!("{e}:\n{}", sway.log()))
}
