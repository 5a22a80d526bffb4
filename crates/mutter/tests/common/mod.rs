//! Test harness: a real headless GNOME compositor (Mutter 43) with PipeWire and
//! WirePlumber on a private D-Bus session bus, all started by the test in one
//! process group with their own `XDG_RUNTIME_DIR`, and killed (the whole group)
//! when dropped, also on panic. Wayland clients (wev, and the test's own
//! picture client in `picture`) run inside it. What this shares with the sway
//! harness (clients, wev, waits, the picture) is `latchkey_testkit::wayland_client`.

#![allow(dead_code)]

pub mod picture;
pub mod wev;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_testkit::wayland_client::{end_group, wait_ready, Host};
pub use latchkey_testkit::wayland_client::{installed, psnr, Client};

use latchkey_mutter::{Bus, Capture, Error, Frame, MutterSession, SessionOptions};

/// The virtual monitor's size.
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;

/// The programs a GNOME desktop here needs. `None` (reason printed) when Mutter
/// is not installed; a panic when Mutter is but the rest is not (scripts/setup.sh
/// installs them together).
pub fn gnome_available() -> bool {
    if !installed("mutter") {
        eprintln!("SKIPPED: mutter is not installed (scripts/setup.sh installs it)");
        return false;
    }
    for p in ["dbus-daemon", "pipewire", "wireplumber"] {
        assert!(
            installed(p),
            "mutter is installed but {p} is not (scripts/setup.sh)"
        );
    }
    true
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A private session bus, optionally with PipeWire, WirePlumber and a headless
/// Mutter on it; every process in one group, killed when dropped.
pub struct Desktop {
    /// dbus-daemon first (the group's leader), then the rest.
    children: Vec<Child>,
    group: u32,
    dir: tempfile::TempDir,
    /// The desktop's XDG_RUNTIME_DIR.
    pub runtime: PathBuf,
    /// The bus address (`unix:path=...`).
    pub bus: String,
}

impl Desktop {
    /// Only a session bus (no Mutter on it).
    pub fn bus_only() -> Desktop {
        let dir = tempfile::Builder::new()
            .prefix("latchkey-mutter-")
            .tempdir()
            .expect("temp dir");
        let runtime = dir.path().join("runtime");
        std::fs::create_dir(&runtime).expect("runtime dir");
        set_mode(&runtime, 0o700);
        std::fs::create_dir(dir.path().join("home")).expect("home dir");
        let socket = dir.path().join("bus");
        let bus = format!("unix:path={}", socket.display());
        let mut desktop = Desktop {
            children: Vec::new(),
            group: 0,
            runtime,
            bus: bus.clone(),
            dir,
        };
        let child = desktop.spawn(
            "dbus-daemon",
            &[
                "dbus-daemon",
                "--session",
                "--nofork",
                "--nopidfile",
                "--address",
                &bus,
            ],
        );
        desktop.group = child.id();
        desktop.children.push(child);
        // Ready once it accepts connections (the socket file appears at bind,
        // a moment before listen).
        desktop.wait_for("the bus", || {
            std::os::unix::net::UnixStream::connect(&socket).is_ok()
        });
        desktop
    }

    /// A bus, PipeWire, WirePlumber and `mutter --headless --wayland --no-x11
    /// --virtual-monitor 1280x720`; returns once Mutter's remote desktop service
    /// is on the bus and its Wayland socket exists.
    pub fn gnome() -> Desktop {
        let mut desktop = Desktop::bus_only();
        let pw = desktop.spawn("pipewire", &["pipewire"]);
        desktop.children.push(pw);
        let pw_socket = desktop.runtime.join("pipewire-0");
        desktop.wait_for("PipeWire", || {
            std::os::unix::net::UnixStream::connect(&pw_socket).is_ok()
        });
        let wp = desktop.spawn("wireplumber", &["wireplumber"]);
        desktop.children.push(wp);
        let monitor = format!("{WIDTH}x{HEIGHT}");
        let mutter = desktop.spawn(
            "mutter",
            &[
                "mutter",
                "--headless",
                "--wayland",
                "--no-x11",
                "--virtual-monitor",
                &monitor,
            ],
        );
        desktop.children.push(mutter);
        let wayland = desktop.wayland_socket();
        desktop.wait_for("Mutter's Wayland socket", || wayland.exists());
        // The service is ready when a session can be made (it is dropped at once).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match MutterSession::start(&desktop.bus(), &desktop.options()) {
                Ok(_) => break,
                Err(Error::MutterAbsent { .. }) if Instant::now() < deadline => {
                    desktop.check_alive();
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("no Mutter session: {e}\n{}", desktop.logs()),
            }
        }
        desktop
    }

    /// Starts `argv` in the desktop's process group with its environment, output
    /// to `DIR/NAME.log`.
    fn spawn(&self, name: &str, argv: &[&str]) -> Child {
        self.spawn_env(name, argv, &[])
    }

    /// Starts `argv` in the desktop (its environment plus `env`, output to
    /// `DIR/NAME.log`, killed with the desktop), e.g. a portal for the
    /// `latchkey-portal` tests.
    pub fn add_process(&mut self, name: &str, argv: &[&str], env: &[(&str, &str)]) {
        let child = self.spawn_env(name, argv, env);
        self.children.push(child);
    }

    fn spawn_env(&self, name: &str, argv: &[&str], env: &[(&str, &str)]) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).expect("log");
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("HOME", self.dir.path().join("home"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            // Settings in memory: nothing written under the user's home, no dconf daemon.
            .env("GSETTINGS_BACKEND", "memory")
            .env("NO_AT_BRIDGE", "1")
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log);
        // One process group for the whole desktop, so Drop ends all of it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, self.group as i32);
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"))
    }

    pub fn wait_for(&mut self, what: &str, ready: impl Fn() -> bool) {
        let waited = wait_ready(what, Duration::from_secs(30), || {
            if ready() {
                return Ok(Some(()));
            }
            self.check_alive();
            Ok(None)
        });
        if let Err(e) = waited {
            panic!("{e}:\n{}", self.logs());
        }
    }

    /// Panics (with the logs) if a process of the desktop has exited.
    pub fn check_alive(&mut self) {
        for child in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                let logs = self.logs();
                panic!("a desktop process exited ({status}):\n{logs}");
            }
        }
    }

    /// The desktop's bus.
    pub fn bus(&self) -> Bus {
        Bus::Address(self.bus.clone())
    }

    /// Session options with a test-sized timeout.
    pub fn options(&self) -> SessionOptions {
        SessionOptions {
            timeout: Duration::from_secs(20),
            ..SessionOptions::default()
        }
    }

    /// Mutter's Wayland socket.
    pub fn wayland_socket(&self) -> PathBuf {
        self.runtime.join("wayland-0")
    }

    /// PipeWire's socket.
    pub fn pipewire_socket(&self) -> PathBuf {
        self.runtime.join("pipewire-0")
    }

    /// The desktop's scratch directory (logs, home).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process group's id.
    pub fn group(&self) -> u32 {
        self.group
    }

    /// Everything the desktop's processes printed so far.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let mut names: Vec<String> = ["dbus-daemon", "pipewire", "wireplumber", "mutter"]
            .map(String::from)
            .to_vec();
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            let mut more: Vec<String> = entries
                .flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".log")
                        .map(String::from)
                })
                .filter(|n| !names.contains(n))
                .collect();
            more.sort();
            names.extend(more);
        }
        for name in &names {
            if let Ok(text) = std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))) {
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                out.push_str(&format!("--- {name} (last lines)\n"));
                for line in tail.iter().rev() {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Starts a Wayland client in this desktop, its stdout lines collected.
    pub fn client(&self, program: &[&str]) -> Client {
        Client::spawn(
            Command::new(program[0])
                .args(&program[1..])
                .env("XDG_RUNTIME_DIR", &self.runtime)
                .env("WAYLAND_DISPLAY", self.wayland_socket())
                .env_remove("DISPLAY")
                .process_group(self.group as i32),
        )
    }
}

impl Host for Desktop {
    fn client(&self, program: &[&str]) -> Client {
        Desktop::client(self, program)
    }
}

use std::os::unix::process::CommandExt;

impl Drop for Desktop {
    fn drop(&mut self) {
        if self.group == 0 {
            return;
        }
        end_group(self.group, &mut self.children);
    }
}

/// The names of the processes in process group `group` (from /proc).
pub fn processes_in_group(group: u32) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return names;
    };
    for entry in entries.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map(|(_, c)| c).unwrap_or_default();
        let pgrp: Option<u32> = rest.split_whitespace().nth(2).and_then(|p| p.parse().ok());
        if pgrp == Some(group) {
            names.push(comm.to_string());
        }
    }
    names
}

/// Takes frames until `pred` holds for one, at most 20 s; returns the last
/// frame and whether `pred` held.
pub fn frame_until(cap: &mut Capture, pred: impl Fn(&Frame) -> bool) -> (Frame, bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = cap
        .frame(Duration::from_secs(20))
        .expect("a first frame")
        .as_ref()
        .clone();
    loop {
        if pred(&last) {
            return (last, true);
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return (last, false);
        };
        if let Some(f) = cap.next_frame(left).expect("capture") {
            last = f.as_ref().clone();
        }
    }
}
