//! Helpers shared by the benchmark binaries: child processes that are killed
//! when dropped, starting one until it announces itself on stdout, and the
//! CPU time a process used, a median and p95, and a host to benchmark
//! against (with its rendezvous) and a viewer of it, the arguments they all take.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process, killed and reaped on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start a long-running child and wait for a stdout line containing `marker`.
pub fn start(mut c: Command, marker: &str) -> Result<(Killed, String), String> {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let out = child.stdout.take().ok_or("no stdout")?;
    let child = Killed(child);
    let (tx, rx) = std::sync::mpsc::channel();
    let marker = marker.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.contains(&marker) {
                let _ = tx.send(line);
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the process did not start in time".to_string())?;
    Ok((child, line))
}

/// CPU seconds (user + system) a process used so far.
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Median and 95th percentile of `v` (NaN for none).
pub fn stats(mut v: Vec<f64>) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[((v.len() - 1) as f64 * 0.95) as usize])
}

/// A `latchkey host` sharing `display` with the password `password` and
/// unattended access on, its own rendezvous on loopback, and WebRTC bound to
/// 127.0.0.1; `env` is given to the host too. Returns the rendezvous, the
/// host, the rendezvous URL and the host's ID.
pub fn start_host(
    bin: &str,
    dir: &std::path::Path,
    display: &str,
    password: &str,
    env: &[(&str, &str)],
) -> Result<(Killed, Killed, String, latchkey_core::signal::DeviceId), String> {
    use std::io::Write;
    let lk = || {
        let mut c = Command::new(bin);
        c.arg("--config-dir")
            .arg(dir)
            .args(["--secret-store", "file"])
            .env("LATCHKEY_ICE_BIND", "127.0.0.1")
            .envs(env.iter().copied());
        c
    };
    let mut child = lk()
        .args(["password", "set"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("stdin")?
        .write_all(format!("{password}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    child.wait().map_err(|e| e.to_string())?;
    lk().args(["unattended", "on"])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    let mut c = Command::new(bin);
    c.args(["rendezvous", "--listen", "127.0.0.1:0"]);
    let (rv, line) = start(c, "listening on ws://")?;
    let url = line.rsplit(' ').next().ok_or("no url")?.to_string();
    let mut c = lk();
    c.args(["host", "--rendezvous", &url, "--display", display]);
    let (host, line) = start(c, "host ready: ID")?;
    let id = latchkey_core::signal::DeviceId::parse(line.rsplit("ID ").next().ok_or("no id")?)
        .ok_or("bad id")?;
    Ok((rv, host, url, id))
}

/// A benchmark's arguments `path/to/latchkey [N]`: the binary and N (within
/// `range`, `default` when absent or not a number); `usage` when no binary.
/// WebRTC is bound to loopback (`LATCHKEY_ICE_BIND`): call before any thread.
pub fn bin_and_count(
    usage: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<(String, u64), String> {
    let args: Vec<String> = std::env::args().collect();
    let bin = args.get(1).cloned().ok_or(format!("usage: {usage}"))?;
    let n = args
        .get(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .clamp(*range.start(), *range.end());
    std::env::set_var("LATCHKEY_ICE_BIND", "127.0.0.1");
    Ok((bin, n))
}

/// Connect this process as a viewer of `id` through `url` with `password`
/// (the host's key accepted on first use).
pub async fn connect_viewer(
    config: &mut latchkey_store::Config,
    id: latchkey_core::signal::DeviceId,
    url: &str,
    password: &str,
) -> Result<latchkey_session::viewer::Session, String> {
    let options = latchkey_session::viewer::ConnectOptions {
        host_id: id,
        rendezvous: url.to_string(),
        profile: None,
        password: Some(zeroize::Zeroizing::new(password.to_string())),
        totp: None,
        remember: false,
        accept_new_host_key: true,
        name: "bench".into(),
    };
    let (_granted, session) = latchkey_session::viewer::connect(config, options)
        .await
        .map_err(|e| e.to_string())?;
    Ok(session)
}
