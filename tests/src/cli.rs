//! Test harness for the `latchkey` binary: a fresh config dir per test, a real
//! Secret Service (private dbus-daemon + gnome-keyring-daemon) when asked, and
//! helpers to run commands and compare what is on disk.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A strong password that passes the policy.
pub const GOOD_PASSWORD: &str = "kettle-orbit-cactus-71";
/// Another one.
pub const OTHER_PASSWORD: &str = "unlikely walrus umbrella 9";

/// What a finished command left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Assert success and return stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success, got {self:?}");
        &self.stdout
    }

    /// Assert exit code `code` with exactly one line on stderr.
    pub fn fails_with(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "wrong exit code: {self:?}");
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "expected a one-line message: {self:?}"
        );
        self.stderr.trim_end()
    }

    /// Parse stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// A private Secret Service: its own D-Bus session bus and an unlocked
/// gnome-keyring, both killed on drop.
pub struct KeyringSession {
    keyring: Child,
    pub address: String,
    // Dropped after the daemon: the bus, then its directory.
    _bus: latchkey_testkit::SessionBus,
    _dir: tempfile::TempDir,
}

impl KeyringSession {
    pub fn start() -> Self {
        Self::launch(true)
    }

    /// A session bus with no Secret Service on it.
    pub fn bus_only() -> Self {
        Self::launch(false)
    }

    fn launch(with_keyring: bool) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        // The bus starts activatable services (a Secret Service, say) with its own
        // environment: give it a throwaway HOME so nothing of the machine's leaks in.
        let bus = latchkey_testkit::SessionBus::start(dir.path(), &home);
        let address = bus.address.clone();
        let program = if with_keyring {
            "gnome-keyring-daemon"
        } else {
            "sleep"
        };
        let args: &[&str] = if with_keyring {
            &["--foreground", "--unlock", "--components=secrets"]
        } else {
            &["600"]
        };
        let mut keyring = Command::new(program)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon must be installed (scripts/setup.sh installs it)");
        // An empty line unlocks a new login keyring with an empty password.
        let _ = keyring.stdin.take().expect("piped").write_all(b"\n");
        let session = KeyringSession {
            keyring,
            address,
            _bus: bus,
            _dir: dir,
        };
        if with_keyring {
            session.wait_for_secret_service();
        }
        session
    }

    fn wait_for_secret_service(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .output()
                .expect("dbus-send");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Secret Service did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every latchkey item in the keyring, as `secret-tool` prints it (secrets included).
    pub fn dump_items(&self) -> String {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "--unlock", "service", "latchkey"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("secret-tool must be installed (libsecret-tools)");
        // secret-tool prints attributes on stderr and secrets on stdout.
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        let _ = self.keyring.kill();
        let _ = self.keyring.wait();
    }
}

/// One device's configuration, driven through the binary.
pub struct Device {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    store: &'static str,
    bus: Option<String>,
    /// The network namespace its commands run in (`ip netns exec`), if any.
    netns: Option<String>,
    /// Environment variables its commands get.
    env: Vec<(String, std::ffi::OsString)>,
}

impl Device {
    fn new(store: &'static str, bus: Option<String>) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("config");
        Device {
            _tmp: tmp,
            dir,
            store,
            bus,
            netns: None,
            env: Vec::new(),
        }
    }

    /// Run its commands inside network namespace `ns`, where ICE gathers on
    /// the namespace's own interfaces (`LATCHKEY_ICE_BIND` is not passed on
    /// unless given with [`Device::with_env`]).
    pub fn in_netns(mut self, ns: &crate::netns::Netns) -> Self {
        self.netns = Some(ns.name.clone());
        self
    }

    /// Give its commands the environment variable `key`.
    pub fn with_env(mut self, key: &str, value: impl Into<std::ffi::OsString>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// A device using the file secret store.
    pub fn file() -> Self {
        Self::new("file", None)
    }

    /// A device that asks for the keyring with no session bus to reach one.
    pub fn keyring_without_bus() -> Self {
        Self::new("keyring", None)
    }

    /// A device using the keyring of `session`.
    pub fn keyring(session: &KeyringSession) -> Self {
        Self::new("keyring", Some(session.address.clone()))
    }

    /// Whether `token` presented by `viewer` would log in now (checked on the stored settings).
    pub fn token_works(
        &self,
        token: &latchkey_core::token::Token,
        viewer: &latchkey_core::identity::DevicePublicKey,
    ) -> bool {
        let mut settings = self.open().settings().clone();
        settings
            .tokens
            .verify(
                token,
                viewer,
                &settings.profiles,
                latchkey_store::config::now(),
            )
            .is_ok()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns]).arg(crate::bins::latchkey());
                cmd.env_remove("LATCHKEY_ICE_BIND");
                cmd
            }
            None => Command::new(crate::bins::latchkey()),
        };
        cmd.arg("--config-dir")
            .arg(&self.dir)
            .arg("--secret-store")
            .arg(self.store)
            .args(args);
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("DISPLAY")
            .env_remove("LATCHKEY_LOG");
        if let Some(bus) = &self.bus {
            cmd.env("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    /// Run with no stdin.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(
            self.command(args)
                .stdin(Stdio::null())
                .output()
                .expect("spawn latchkey"),
        )
    }

    /// Run with `input` on stdin (a writer thread, so a large input cannot deadlock).
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn latchkey");
        let mut stdin = child.stdin.take().expect("piped");
        let data = input.to_vec();
        // The binary may stop reading early (input too long): a broken pipe is expected then.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait");
        let _ = writer.join();
        Run::from(out)
    }

    /// `password set` with `password` on stdin.
    pub fn set_password(&self, profile: &str, password: &str) -> Run {
        self.run_stdin(
            &["password", "set", "--profile", profile],
            format!("{password}\n").as_bytes(),
        )
    }

    /// Spawn `args` with piped stdout (read line by line) and `stdin` written, if any.
    pub fn spawn(&self, args: &[&str], stdin: Option<&str>) -> Proc {
        let mut child = self
            .command(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn latchkey");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let _ = pipe.write_all(text.as_bytes());
        }
        Proc::new(child)
    }

    /// Spawn `args` with stdin kept open for [`Proc::send`].
    pub fn spawn_piped(&self, args: &[&str]) -> Proc {
        self.spawn_piped_env(args, &[])
    }

    /// Start `latchkey host` against `rv` and wait until it is registered.
    pub fn start_host(&self, rv: &Rendezvous) -> Proc {
        let mut host = self.spawn(&["host", "--rendezvous", &rv.url], None);
        let line = host.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(30));
        host.id = line.rsplit("ID ").next().map(|s| s.replace(' ', ""));
        host
    }

    /// Start `latchkey host --display D` against `rv` and wait until it is registered.
    pub fn start_host_on(&self, rv: &Rendezvous, display: &str) -> Proc {
        let mut host = self.spawn(
            &["host", "--rendezvous", &rv.url, "--display", display],
            None,
        );
        let line = host.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(30));
        host.id = line.rsplit("ID ").next().map(|s| s.replace(' ', ""));
        host
    }

    /// `connect ID --probe --json` through `rv`, with extra arguments and stdin.
    pub fn connect(&self, id: &str, rv: &Rendezvous, extra: &[&str], stdin: Option<&str>) -> Run {
        self.connect_url(id, &rv.url, extra, stdin)
    }

    /// `connect ID --probe --json` through the rendezvous at `url`.
    pub fn connect_url(&self, id: &str, url: &str, extra: &[&str], stdin: Option<&str>) -> Run {
        let mut args = vec!["connect", id, "--rendezvous", url, "--probe", "--json"];
        args.extend_from_slice(extra);
        match stdin {
            Some(text) => self.run_stdin(&args, text.as_bytes()),
            None => self.run(&args),
        }
    }

    /// `status --json`.
    pub fn status(&self) -> serde_json::Value {
        self.run(&["status", "--json"]).json()
    }

    /// The library's view of this config (for what only a host does, like issuing tokens).
    pub fn open(&self) -> latchkey_store::Config {
        let kind = if self.store == "file" {
            latchkey_core::settings::SecretStoreKind::File
        } else {
            latchkey_core::settings::SecretStoreKind::Keyring
        };
        latchkey_store::Config::open(&self.dir, Some(kind)).expect("open config")
    }

    /// Every file under the config dir with its bytes.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot(&self.dir)
    }
}

/// Every file under `dir` (recursively) with its bytes; empty when `dir` is missing.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
        }
    }
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A child process whose stdout lines are collected; killed on drop.
pub struct Proc {
    pub child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    pub seen: Vec<String>,
    /// For hosts: the registered ID (digits).
    pub id: Option<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    /// Kept open by [`Device::spawn_piped`].
    stdin: Option<std::process::ChildStdin>,
}

impl Proc {
    pub fn new(mut child: Child) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            });
        }
        Proc {
            child,
            lines: rx,
            seen: Vec::new(),
            id: None,
            stderr,
            stdin: None,
        }
    }

    /// Write `line` (and a newline) to the process's stdin.
    pub fn send(&mut self, line: &str) {
        let pipe = self.stdin.as_mut().expect("spawned with spawn_piped");
        pipe.write_all(format!("{line}\n").as_bytes())
            .expect("write to the process");
        pipe.flush().expect("flush");
    }

    /// Send a `connect --commands` command and return its JSON answer.
    pub fn command(&mut self, line: &str) -> serde_json::Value {
        self.send(line);
        let answer = self.wait_line(|l| l.starts_with('{'), Duration::from_secs(30));
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
    }

    /// Wait for a stdout line matching `pred` (panics after `limit`).
    pub fn wait_line(&mut self, pred: impl Fn(&str) -> bool, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no matching line within {limit:?}; stdout so far: {:?}; stderr: {}",
                    self.seen,
                    self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
                ),
            }
        }
    }

    /// What it wrote on stderr so far.
    pub fn stderr_so_far(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The registered ID of a host.
    pub fn id(&self) -> &str {
        self.id.as_deref().expect("a host with an ID")
    }

    /// Wait for the process to end (bounded) and collect its output.
    pub fn finish(mut self, limit: Duration) -> Run {
        let deadline = Instant::now() + limit;
        let code = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "process did not end within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(50));
        let mut stdout = self.seen.join("\n");
        while let Ok(line) = self.lines.try_recv() {
            if !stdout.is_empty() {
                stdout.push('\n');
            }
            stdout.push_str(&line);
        }
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        Run {
            code,
            stdout,
            stderr,
        }
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `latchkey rendezvous` process on 127.0.0.1.
pub struct Rendezvous {
    pub proc: Proc,
    pub url: String,
    pub port: u16,
}

impl Rendezvous {
    /// Start on a free port (or `port`), with an optional SQLite file.
    pub fn start(port: u16, db: Option<&Path>) -> Self {
        Self::start_with(port, db, &[])
    }

    /// Like [`Rendezvous::start`], with extra arguments (e.g. `--trusted-proxy`).
    pub fn start_with(port: u16, db: Option<&Path>, extra: &[&str]) -> Self {
        Self::start_via(&[], &format!("127.0.0.1:{port}"), db, extra)
    }

    /// Listening on `listen`, run through `prefix` (e.g. `ip netns exec NS`; empty for none).
    pub fn start_via(prefix: &[&str], listen: &str, db: Option<&Path>, extra: &[&str]) -> Self {
        let mut cmd = match prefix.split_first() {
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(crate::bins::latchkey());
                cmd
            }
            None => Command::new(crate::bins::latchkey()),
        };
        cmd.args(["rendezvous", "--listen", listen]);
        if let Some(db) = db {
            cmd.arg("--db").arg(db);
        }
        cmd.args(extra);
        Self::spawn(cmd)
    }

    /// Spawn the server `cmd` (listening on 127.0.0.1) and wait until it listens.
    pub fn spawn(mut cmd: Command) -> Self {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rendezvous");
        let mut proc = Proc::new(child);
        let line = proc.wait_line(
            |l| l.contains("listening on ws://"),
            Duration::from_secs(20),
        );
        let url = line.rsplit(' ').next().expect("url").to_string();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        Rendezvous { proc, url, port }
    }
}

/// The TOTP secret `2fa enroll` printed ("... by hand: BASE32").
pub fn secret_from_enroll(stdout: &str) -> latchkey_core::totp::TotpSecret {
    let line = stdout
        .lines()
        .find(|l| l.contains("by hand:"))
        .expect("secret line");
    let b32 = line.rsplit(' ').next().expect("secret");
    let bytes = data_encoding::BASE32_NOPAD
        .decode(b32.as_bytes())
        .expect("base32");
    latchkey_core::totp::TotpSecret::from_bytes(&bytes).expect("secret")
}

impl Device {
    /// Spawn `args` like [`Device::spawn_piped`] (stdin kept open), with extra
    /// environment variables (e.g. a `PATH` with a fake `loginctl` first).
    pub fn spawn_piped_env(&self, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Proc {
        let mut child = self.spawn_all_piped(args, env);
        let stdin = child.stdin.take();
        let mut proc = Proc::new(child);
        proc.stdin = stdin;
        proc
    }

    /// Run `args` to the end with extra environment variables and `stdin`, if any.
    pub fn run_env(
        &self,
        args: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
        stdin: Option<&str>,
    ) -> Run {
        let mut child = self.spawn_all_piped(args, env);
        let mut pipe = child.stdin.take().expect("piped");
        let data = stdin.unwrap_or("").as_bytes().to_vec();
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait");
        let _ = writer.join();
        Run::from(out)
    }
}

impl Device {
    /// `args` with extra environment variables, stdin, stdout and stderr piped.
    fn spawn_all_piped(&self, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Child {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn latchkey")
    }
}

impl Device {
    /// The audit records of `event`, waiting (10 s at most) until there are at
    /// least `n`: a host writes a decision when it learns the outcome, which
    /// can be just after the viewer's process has exited.
    pub fn audited(&self, event: &str, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let records: Vec<serde_json::Value> = self
                .run(&["audit", "--json"])
                .json()
                .as_array()
                .expect("audit list")
                .iter()
                .filter(|r| r["event"] == event)
                .cloned()
                .collect();
            if records.len() >= n || Instant::now() > deadline {
                return records;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The JSON line a `connect --json` printed last.
pub fn outcome(run: &Run) -> serde_json::Value {
    let line = run
        .stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output: {run:?}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"))
}

/// Expect success; returns the JSON line.
pub fn granted(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{run:?}");
    let v = outcome(run);
    assert_eq!(v["ok"], true, "{run:?}");
    v
}

/// Expect failure `error` with exit code `code`.
pub fn refused(run: &Run, error: &str, code: i32) -> serde_json::Value {
    let v = outcome(run);
    assert_eq!(
        (v["ok"].clone(), v["error"].as_str().unwrap_or("")),
        (serde_json::Value::Bool(false), error),
        "{run:?}"
    );
    assert_eq!(run.code, code, "{run:?}");
    v
}

/// `p` as one line on stdin.
pub fn pw(p: &str) -> String {
    format!("{p}\n")
}

/// A host with a password on `default` and unattended access on, running.
pub fn unattended_host(rv: &Rendezvous) -> (Device, Proc) {
    let host = Device::file();
    host.set_password("default", GOOD_PASSWORD).ok();
    host.run(&["unattended", "on"]).ok();
    let proc = host.start_host(rv);
    (host, proc)
}

/// The default profile's password epoch in `config` (what a token is issued at).
pub fn epoch(config: &latchkey_store::Config) -> u64 {
    let settings = config.settings();
    settings
        .profiles
        .get(&settings.default_profile)
        .map(|p| p.epoch)
        .unwrap_or(0)
}

/// Log in as `viewer` with a wrong password until the host backs off for at
/// least `min_s` seconds, waiting out each shorter back-off. Returns the
/// failures counted before the first back-off and the back-off reached (the
/// host's `retry_after_s`, measured just now).
pub fn fail_until_backoff(viewer: &Device, id: &str, rv: &Rendezvous, min_s: u64) -> (u32, u64) {
    let mut failures = 0;
    let mut first = None;
    for _ in 0..30 {
        let run = viewer.connect(
            id,
            rv,
            &["--password-stdin"],
            Some("wrong password number one\n"),
        );
        let line = run.stdout.lines().last().unwrap_or_default().to_string();
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"));
        if v["error"] == "throttled" {
            assert_eq!(run.code, 3, "{run:?}");
            let retry = v["retry_after_s"].as_u64().expect("retry_after_s");
            assert!(retry >= 1, "{v}");
            let first = *first.get_or_insert(failures);
            if retry >= min_s {
                return (first, retry);
            }
            std::thread::sleep(Duration::from_secs(retry + 1));
        } else {
            assert_eq!(v["error"], "wrong_credentials", "{v}");
            failures += 1;
        }
    }
    panic!("no back-off of {min_s} s after {failures} failures");
}
