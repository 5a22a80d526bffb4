//! A real machine with systemd as PID 1, for the tests that need one (the
//! system service, restart): a clean Debian root made with debootstrap (the
//! release and mirror this machine's apt uses), a package installed into
//! it, then booted with `systemd-nspawn -b` sharing this machine's network
//! (so its loopback is ours: the rendezvous a test starts is reachable).
//! A reboot inside ends nspawn with exit code 133; the container is then
//! booted again, as a machine comes back after a restart. Commands run
//! inside with `nsenter` into its PID 1. Everything goes on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `systemd-nspawn`'s exit code when the container rebooted.
const REBOOTED: i32 = 133;

/// A Debian root with a package installed, ready to boot.
pub struct Root {
    dir: tempfile::TempDir,
}

/// The release and mirror this machine's apt uses.
fn release_and_mirror() -> (String, String) {
    let release = std::fs::read_to_string("/etc/os-release").expect("os-release");
    let suite = release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .expect("VERSION_CODENAME")
        .trim_matches('"')
        .to_string();
    let mut sources = String::new();
    if let Ok(entries) = std::fs::read_dir("/etc/apt/sources.list.d") {
        // Only what apt reads: `*.sources` and `*.list` (not `*.disabled` and such).
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sources" || x == "list"))
            .collect();
        paths.sort();
        for p in paths {
            sources += &std::fs::read_to_string(p).unwrap_or_default();
        }
    }
    sources += &std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    let mirror = sources
        .lines()
        .filter(|l| !l.contains("security"))
        .find_map(|l| {
            l.strip_prefix("URIs:")
                .map(|u| u.trim().to_string())
                .or_else(|| {
                    l.strip_prefix("deb ")
                        .and_then(|rest| rest.split_whitespace().find(|w| w.contains("://")))
                        .map(str::to_string)
                })
        })
        .expect("a Debian mirror in this machine's apt sources");
    (suite, mirror)
}

fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Root {
    /// A minimal root with systemd, D-Bus and `deb` installed by apt (with
    /// the dependencies it declares). Takes a couple of minutes.
    pub fn with_package(deb: &Path) -> Root {
        Root::with_packages(deb, &[])
    }

    /// [`Root::with_package`], with `extra` packages of the release installed
    /// by the same apt run (e.g. a display manager).
    pub fn with_packages(deb: &Path, extra: &[&str]) -> Root {
        let dir = tempfile::Builder::new()
            .prefix("latchkey-nspawn-")
            .tempdir_in("/var/tmp")
            .expect("tempdir");
        let (suite, mirror) = release_and_mirror();
        run_ok(
            Command::new("debootstrap")
                .args(["--variant=minbase", "--include=systemd,systemd-sysv,dbus"])
                .arg(&suite)
                .arg(dir.path())
                .arg(&mirror),
            "debootstrap",
        );
        let root = Root { dir };
        std::fs::copy(deb, root.path().join("var/tmp/latchkey.deb")).expect("copy the .deb");
        run_ok(
            Command::new("systemd-nspawn")
                .arg("-D")
                .arg(root.path())
                .args(["--register=no", "--keep-unit", "-q", "--pipe"])
                .args(["sh", "-c"])
                .arg(format!(
                    "export DEBIAN_FRONTEND=noninteractive; apt-get -qq update && \
                     apt-get install -y -qq --no-install-recommends /var/tmp/latchkey.deb {}",
                    extra.join(" ")
                )),
            "apt-get install of the .deb inside the container",
        );
        root
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Run a shell script inside it before it boots (no systemd running:
    /// add users, edit configuration); asserts it succeeded.
    pub fn run_script(&self, script: &str) {
        run_ok(
            Command::new("systemd-nspawn")
                .arg("-D")
                .arg(self.path())
                .args(["--register=no", "--keep-unit", "-q", "--pipe"])
                .args(["sh", "-c", script]),
            script,
        );
    }

    /// Write a file inside it (parents made), with mode `mode`.
    pub fn write(&self, path: &str, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let at = self.path().join(path.trim_start_matches('/'));
        if let Some(dir) = at.parent() {
            std::fs::create_dir_all(dir).expect("parent directories in the root");
        }
        std::fs::write(&at, text).unwrap_or_else(|e| panic!("{}: {e}", at.display()));
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    /// Boot it; it boots again whenever it reboots, until dropped.
    pub fn boot(&self) -> Machine {
        self.boot_with(&[])
    }

    /// [`Root::boot`] with extra `systemd-nspawn` options (e.g. a capability).
    pub fn boot_with(&self, options: &[&str]) -> Machine {
        let options = options.iter().map(|o| o.to_string()).collect();
        Machine::boot(self.path().to_path_buf(), options)
    }
}

/// A booted container.
pub struct Machine {
    state: Arc<Mutex<Option<Child>>>,
    /// How many times it has booted.
    boots: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    keeper: Option<std::thread::JoinHandle<()>>,
}

fn spawn_nspawn(root: &Path, options: &[String]) -> Child {
    Command::new("systemd-nspawn")
        .arg("-D")
        .arg(root)
        .args([
            "-b",
            "--register=no",
            "--keep-unit",
            "--console=passive",
            "-q",
        ])
        .args(options)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("systemd-nspawn")
}

impl Machine {
    fn boot(root: PathBuf, options: Vec<String>) -> Machine {
        let state = Arc::new(Mutex::new(Some(spawn_nspawn(&root, &options))));
        let boots = Arc::new(AtomicU32::new(1));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, b, st) = (state.clone(), boots.clone(), stop.clone());
        // Boot it again after each reboot (at most 20 times).
        let keeper = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) && b.load(Ordering::SeqCst) < 20 {
                std::thread::sleep(Duration::from_millis(100));
                let mut guard = s.lock().unwrap_or_else(|p| p.into_inner());
                let Some(child) = guard.as_mut() else { return };
                match child.try_wait() {
                    Ok(Some(status)) if status.code() == Some(REBOOTED) => {
                        *guard = Some(spawn_nspawn(&root, &options));
                        b.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(Some(_)) => return,
                    _ => {}
                }
            }
        });
        let machine = Machine {
            state,
            boots,
            stop,
            keeper: Some(keeper),
        };
        machine.wait_booted(1);
        machine
    }

    /// How many times it has booted so far.
    pub fn boots(&self) -> u32 {
        self.boots.load(Ordering::SeqCst)
    }

    /// The container's PID 1 (as this machine numbers it), once it runs.
    fn pid1(&self) -> Option<u32> {
        let nspawn = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(Child::id)?;
        pid1_of(nspawn)
    }

    /// Wait (3 minutes at most) until boot number `n` has finished starting
    /// its units.
    pub fn wait_booted(&self, n: u32) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            assert!(
                Instant::now() < deadline,
                "the container did not finish boot {n}"
            );
            if self.boots() >= n {
                if let Some(pid) = self.pid1() {
                    let state = self.try_exec(pid, &["systemctl", "is-system-running"]);
                    let text = String::from_utf8_lossy(&state.stdout).trim().to_string();
                    if text == "running" || text == "degraded" {
                        return;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn try_exec(&self, pid: u32, args: &[&str]) -> Output {
        Command::new("nsenter")
            .args(["-t", &pid.to_string(), "-a"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("nsenter: {e}"))
    }

    /// Run a command inside (with `stdin` written, if any); its output.
    pub fn exec(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let pid = self.pid1().expect("the container runs");
        let mut child = Command::new("nsenter")
            .args(["-t", &pid.to_string(), "-a"])
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("nsenter: {e}"));
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            let _ = pipe.write_all(text.as_bytes());
        }
        child.wait_with_output().expect("nsenter output")
    }

    /// Run a command inside and assert it succeeded; its standard output.
    pub fn exec_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.exec(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} inside the container: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

/// The system service's configuration, as its unit names it.
const SERVICE_CONFIG: [&str; 4] = [
    "--config-dir",
    "/var/lib/latchkey",
    "--secret-store",
    "file",
];

impl Machine {
    /// `latchkey ARGS` inside, on the system service's configuration; its
    /// standard output (asserts it succeeded).
    pub fn latchkey(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut full = vec!["latchkey"];
        full.extend_from_slice(&SERVICE_CONFIG);
        full.extend_from_slice(args);
        self.exec_ok(&full, stdin)
    }

    /// The owner sets the system service up as the README says: the test
    /// password on `default`, unattended access on, saved logins on when
    /// `save_login`, then `service install --system --rendezvous URL`;
    /// returns its ID once it registered.
    pub fn owner_sets_up(&self, rendezvous: &str, save_login: bool) -> String {
        let password = crate::cli::pw(crate::cli::GOOD_PASSWORD);
        self.latchkey(
            &["password", "set", "--profile", "default"],
            Some(&password),
        );
        self.latchkey(&["unattended", "on", "--profile", "default"], None);
        if save_login {
            self.latchkey(&["save-login", "on"], None);
        }
        self.exec_ok(
            &[
                "latchkey",
                "service",
                "install",
                "--system",
                "--rendezvous",
                rendezvous,
            ],
            None,
        );
        self.registered_id()
    }

    /// The system service's ID once its host registered (2 minutes at most).
    pub fn registered_id(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut args = vec!["latchkey"];
        args.extend_from_slice(&SERVICE_CONFIG);
        args.push("id");
        loop {
            let out = self.exec(&args, None);
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout)
                    .replace(' ', "")
                    .trim()
                    .to_string();
            }
            assert!(Instant::now() < deadline, "the service never registered");
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// `systemctl show UNIT -p PROPERTY --value` inside.
    pub fn unit_property(&self, unit: &str, property: &str) -> String {
        self.exec_ok(
            &["systemctl", "show", unit, "-p", property, "--value"],
            None,
        )
        .trim()
        .to_string()
    }
}

/// Run `run` again while the host is offline (exit 6), for 2 minutes at
/// most: a service that just started may not be reachable yet.
pub fn when_online(mut run: impl FnMut() -> crate::cli::Run) -> crate::cli::Run {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = run();
        if r.code != 6 || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(k) = self.keeper.take() {
            let _ = k.join();
        }
        let child = self.state.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut child) = child {
            if let Some(pid) = pid1_of(child.id()) {
                // A clean power-off first; then the hard way.
                let _ = Command::new("nsenter")
                    .args(["-t", &pid.to_string(), "-a", "systemctl", "poweroff"])
                    .output();
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The container's PID 1: the child of the `systemd-nspawn` process `nspawn`.
fn pid1_of(nspawn: u32) -> Option<u32> {
    let children =
        std::fs::read_to_string(format!("/proc/{nspawn}/task/{nspawn}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}
