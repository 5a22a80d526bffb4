//! Benchmark: loopback connect time, from `latchkey connect --probe` being
//! started to its `ok` line, with token login and with password login (20
//! runs each: median and p95), with the Argon2id share of the password login
//! measured separately, and a reference measured in the same run: two bare
//! WebRTC peers in one process, from peer creation to an open data channel
//! (the floor any WebRTC session pays).
//!
//! Usage: `connect-time [RUNS] path/to/latchkey` (bench/run.sh passes both).
//! Everything runs on 127.0.0.1.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use latchkey_bench::start;
use std::time::{Duration, Instant};

use latchkey_core::pake::KsfParams;
use latchkey_session::transport::peer::{Control, Peer, PeerEvent};

const PASSWORD: &str = "kettle-orbit-cactus-71";

fn latchkey(bin: &str, dir: &Path) -> Command {
    let mut c = Command::new(bin);
    c.arg("--config-dir")
        .arg(dir)
        .args(["--secret-store", "file"])
        .env("LATCHKEY_ICE_BIND", "127.0.0.1");
    c
}

fn run(mut c: Command, stdin: Option<&str>) -> Result<String, String> {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (pct(0.5), pct(0.95), v[0])
}

fn time_connect(
    bin: &str,
    viewer: &Path,
    id: &str,
    url: &str,
    password: bool,
) -> Result<f64, String> {
    let mut c = latchkey(bin, viewer);
    c.args(["connect", id, "--rendezvous", url, "--probe", "--json"]);
    if password {
        c.arg("--password-stdin");
    }
    let started = Instant::now();
    let out = run(c, password.then_some("kettle-orbit-cactus-71\n"))?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if !out.contains("\"ok\":true") {
        return Err(format!("connect failed: {out}"));
    }
    Ok(ms)
}

/// Two peers in this process, from creation to an open `control` channel
/// created the way ours is (by the viewer, announced in-band to the host).
async fn bare_webrtc() -> Result<f64, String> {
    let started = Instant::now();
    let bind = || vec!["127.0.0.1:0".to_string()];
    let mut viewer = Peer::bound_to(bind()).await.map_err(|e| e.to_string())?;
    let mut host = Peer::bound_to(bind()).await.map_err(|e| e.to_string())?;
    let control = Control::new(viewer.create_control().await.map_err(|e| e.to_string())?);
    let offer = viewer.offer().await.map_err(|e| e.to_string())?;
    let answer = host.answer(&offer).await.map_err(|e| e.to_string())?;
    viewer
        .accept_answer(&answer)
        .await
        .map_err(|e| e.to_string())?;
    let host_side = async {
        while let Some(ev) = host.next_event().await {
            if let PeerEvent::DataChannel(dc) = ev {
                return Some(dc);
            }
        }
        None
    };
    let (opened, dc) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(control.opened(), host_side)
    })
    .await
    .map_err(|_| "timed out".to_string())?;
    opened.map_err(|e| e.to_string())?;
    dc.ok_or("the host saw no data channel")?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    viewer.close().await;
    host.close().await;
    Ok(ms)
}

fn argon2_ms() -> Result<f64, String> {
    let k = KsfParams::DEFAULT;
    let argon = k.argon2().map_err(|e| e.to_string())?;
    let mut out = [0u8; 64];
    let started = Instant::now();
    argon
        .hash_password_into(PASSWORD.as_bytes(), &[0u8; 16], &mut out)
        .map_err(|e| e.to_string())?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args
        .get(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .clamp(3, 100);
    let bin = args
        .get(2)
        .cloned()
        .ok_or("usage: connect-time RUNS path/to/latchkey")?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (host_dir, viewer_dir) = (tmp.path().join("host"), tmp.path().join("viewer"));

    let mut c = Command::new(&bin);
    c.args(["rendezvous", "--listen", "127.0.0.1:0"]);
    let (_rv, line) = start(c, "listening on ws://")?;
    let url = line.rsplit(' ').next().ok_or("no url")?.to_string();

    let mut c = latchkey(&bin, &host_dir);
    c.args(["password", "set"]);
    run(c, Some("kettle-orbit-cactus-71\n"))?;
    for args in [&["unattended", "on"][..], &["save-login", "on"]] {
        let mut c = latchkey(&bin, &host_dir);
        c.args(args);
        run(c, None)?;
    }
    let mut c = latchkey(&bin, &host_dir);
    c.args(["host", "--rendezvous", &url]);
    let (_host, line) = start(c, "host ready: ID")?;
    let id = line.rsplit("ID ").next().ok_or("no id")?.replace(' ', "");

    // Save a token, warm up both paths once.
    let mut c = latchkey(&bin, &viewer_dir);
    c.args([
        "connect",
        &id,
        "--rendezvous",
        &url,
        "--probe",
        "--password-stdin",
        "--remember",
    ]);
    run(c, Some("kettle-orbit-cactus-71\n"))?;
    time_connect(&bin, &viewer_dir, &id, &url, false)?;

    let token: Vec<f64> = (0..runs)
        .map(|_| time_connect(&bin, &viewer_dir, &id, &url, false))
        .collect::<Result<_, _>>()?;
    let password: Vec<f64> = (0..runs)
        .map(|_| time_connect(&bin, &viewer_dir, &id, &url, true))
        .collect::<Result<_, _>>()?;
    let argon: Vec<f64> = (0..runs.min(10))
        .map(|_| argon2_ms())
        .collect::<Result<_, _>>()?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let bare: Vec<f64> = (0..runs)
        .map(|_| rt.block_on(bare_webrtc()))
        .collect::<Result<_, _>>()?;

    let (bm, bp, bmin) = stats(bare);
    let (tm, tp, tmin) = stats(token);
    let (pm, pp, pmin) = stats(password);
    let (am, _, _) = stats(argon);
    println!(
        "Loopback connect time, {runs} runs each, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "{:<46} {:>9} {:>9} {:>9} {:>8}",
        "path", "median ms", "p95 ms", "min ms", "vs ref"
    );
    println!(
        "{:<46} {:>9.1} {:>9.1} {:>9.1} {:>8}",
        "bare WebRTC data channel, in-process (ref)", bm, bp, bmin, "ref"
    );
    println!(
        "{:<46} {:>9.1} {:>9.1} {:>9.1} {:>7.2}x",
        "`connect --probe`, token login",
        tm,
        tp,
        tmin,
        tm / bm
    );
    println!(
        "{:<46} {:>9.1} {:>9.1} {:>9.1} {:>7.2}x",
        "`connect --probe`, password login",
        pm,
        pp,
        pmin,
        pm / bm
    );
    println!(
        "Argon2id (m={} MiB, t={}) alone: {:.1} ms median = {:.0}% of the password connect; password connect without it: {:.1} ms",
        KsfParams::DEFAULT.m_kib / 1024,
        KsfParams::DEFAULT.t,
        am,
        100.0 * am / pm,
        pm - am
    );
    Ok(())
}
