//! Benchmark: what an unattended password costs at Latchkey's Argon2id
//! parameters. Prints time and peak memory of
//!
//! - the reference: one plain Argon2id hash with the same parameters,
//! - OPAQUE registration (what `password set` computes),
//! - a full local OPAQUE login (what `password verify` runs, and what a viewer
//!   and host do between them over the network),
//! - the whole `latchkey password set` and `password verify` commands,
//!
//! and the ratios of the OPAQUE figures to the reference. Each operation runs
//! in a fresh child process so its peak memory (VmHWM) is its own.
//!
//! Usage: `cargo run --release -p latchkey-bench --bin password-cost [-- RUNS [path/to/latchkey]]`

use std::process::{Command, Stdio};
use std::time::Instant;

use argon2::{Algorithm, Argon2, Params, Version};
use latchkey_core::pake::{self, KsfParams, ServerSecret};
use rand_core::OsRng;

const PASSWORD: &[u8] = b"kettle-orbit-cactus-71";

/// Peak resident memory of this process so far, in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn hex_decode_str(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s).map_err(|e| e.to_string())
}

/// Run one operation in this (child) process and print "ms peak_kib".
/// A login uses the server secret and record the parent made (`state`: two hex
/// lines), so the registration's memory does not count towards the login's peak.
fn child(op: &str, state: Option<&str>) -> Result<(), String> {
    let ksf = KsfParams::DEFAULT;
    let mut rng = OsRng;
    let (server, record) = match state {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            let mut lines = text.lines();
            let server = ServerSecret::from_bytes(&hex_decode_str(lines.next().unwrap_or(""))?)
                .map_err(|e| e.to_string())?;
            let registration = hex_decode_str(lines.next().unwrap_or(""))?;
            let credential_id = hex_decode_str(lines.next().unwrap_or(""))?;
            (
                server,
                Some(pake::PasswordRecord {
                    credential_id,
                    registration,
                    ksf,
                }),
            )
        }
        None => (ServerSecret::generate(&mut rng), None),
    };
    let base = peak_kib();
    let start = Instant::now();
    match op {
        "argon2" => {
            let params = Params::new(ksf.m_kib, ksf.t, ksf.p, None).map_err(|e| e.to_string())?;
            let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
            let mut out = [0u8; 64];
            argon
                .hash_password_into(PASSWORD, &[7u8; 16], &mut out)
                .map_err(|e| e.to_string())?;
            std::hint::black_box(out);
        }
        "register" => {
            std::hint::black_box(
                pake::register(&server, PASSWORD, ksf, &mut rng).map_err(|e| e.to_string())?,
            );
        }
        "login" => {
            let record = record.ok_or("no record")?;
            pake::verify_locally(&server, &record, PASSWORD, &mut rng)
                .map_err(|e| e.to_string())?;
        }
        other => return Err(format!("unknown operation {other}")),
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("{ms:.3} {} {base}", peak_kib());
    Ok(())
}

struct Sample {
    ms: f64,
    peak_kib: u64,
}

fn run_child(op: &str, state: Option<&std::path::Path>) -> Result<Sample, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["--child", op]);
    if let Some(p) = state {
        cmd.arg(p);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "child {op} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let ms = parts
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("bad child output")?;
    let peak_kib = parts
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("bad child output")?;
    Ok(Sample { ms, peak_kib })
}

/// Time a whole CLI command (wall clock around the process) and take its peak
/// memory from GNU time (max RSS in KiB).
fn run_cli(latchkey: &str, dir: &std::path::Path, args: &[&str]) -> Result<Sample, String> {
    let start = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "--"])
        .arg(latchkey)
        .arg("--config-dir")
        .arg(dir)
        .args(["--secret-store", "file"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run /usr/bin/time (scripts/setup.sh installs it): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(PASSWORD)
            .and_then(|_| stdin.write_all(b"\n"))
            .map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or("");
    if !out.status.success() {
        return Err(format!("latchkey {args:?} failed: {err}"));
    }
    let mut parts = last.split_whitespace();
    let _secs = parts.next();
    let peak_kib = parts
        .next()
        .and_then(|v| v.parse().ok())
        .ok_or("bad time output")?;
    Ok(Sample { ms, peak_kib })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn report(name: &str, samples: &[Sample], reference: Option<(f64, u64)>) -> (f64, u64) {
    let ms = median(samples.iter().map(|s| s.ms).collect());
    let min = samples.iter().map(|s| s.ms).fold(f64::INFINITY, f64::min);
    let max = samples.iter().map(|s| s.ms).fold(0.0, f64::max);
    let peak = samples.iter().map(|s| s.peak_kib).max().unwrap_or(0);
    let ratio = reference
        .map(|(r_ms, r_kib)| format!("{:>6.2}x {:>6.2}x", ms / r_ms, peak as f64 / r_kib as f64))
        .unwrap_or_else(|| "   ref     ref".into());
    println!(
        "{name:<34} {ms:>9.1} {min:>9.1} {max:>9.1} {:>10.1} {ratio}",
        peak as f64 / 1024.0
    );
    (ms, peak)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(
            args.get(2).map(String::as_str).unwrap_or(""),
            args.get(3).map(String::as_str),
        );
    }
    let runs: usize = args
        .get(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
        .clamp(1, 50);
    let latchkey = args.get(2).cloned();
    let k = KsfParams::DEFAULT;
    println!(
        "Argon2id m={} KiB ({} MiB), t={}, p={}; {runs} runs each; {} cores",
        k.m_kib,
        k.m_kib / 1024,
        k.t,
        k.p,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>10} {:>7} {:>7}",
        "operation", "median ms", "min ms", "max ms", "peak MiB", "time x", "mem x"
    );
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let state = dir.path().join("state");
    let server = ServerSecret::generate(&mut OsRng);
    let record = pake::register(&server, PASSWORD, k, &mut OsRng).map_err(|e| e.to_string())?;
    std::fs::write(
        &state,
        format!(
            "{}\n{}\n{}\n",
            hex::encode(server.to_bytes()),
            hex::encode(&record.registration),
            hex::encode(&record.credential_id)
        ),
    )
    .map_err(|e| e.to_string())?;
    let collect = |op: &str, st: Option<&std::path::Path>| -> Result<Vec<Sample>, String> {
        (0..runs).map(|_| run_child(op, st)).collect()
    };
    let reference = report("argon2id hash (reference)", &collect("argon2", None)?, None);
    report(
        "opaque registration",
        &collect("register", None)?,
        Some(reference),
    );
    report(
        "opaque login (both sides)",
        &collect("login", Some(&state))?,
        Some(reference),
    );
    if let Some(bin) = latchkey {
        let cfg = dir.path().join("cfg");
        let set: Vec<Sample> = (0..runs)
            .map(|_| run_cli(&bin, &cfg, &["password", "set"]))
            .collect::<Result<_, _>>()?;
        report("`latchkey password set` (process)", &set, Some(reference));
        let verify: Vec<Sample> = (0..runs)
            .map(|_| run_cli(&bin, &cfg, &["password", "verify"]))
            .collect::<Result<_, _>>()?;
        report(
            "`latchkey password verify` (process)",
            &verify,
            Some(reference),
        );
        let version: Vec<Sample> = (0..runs)
            .map(|_| run_cli(&bin, &cfg, &["status"]))
            .collect::<Result<_, _>>()?;
        report(
            "`latchkey status` (process floor)",
            &version,
            Some(reference),
        );
    }
    Ok(())
}
