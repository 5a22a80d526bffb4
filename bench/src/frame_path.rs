//! Benchmark: how decoded frames reach a viewer window, at 1920x1080. The
//! app's frame server (`latchkey_app::frames`, a loopback WebSocket with a
//! per-session secret) publishes I420 pictures stamped with their publish
//! time; the viewer page of the UI (`ui/`, its WebGL renderer) runs in
//! headless Chromium, driven by `ui/bench/frame-path.mjs`, and reports the
//! frames it drew and the publish-to-drawn latency. The reference, in the
//! same run: the same page drawing with its 2D-canvas renderer (colour
//! conversion in JavaScript), the obvious way to do without WebGL.
//!
//! Usage: `frame-path [SECONDS] [FPS]` (default 10 s at 60 fps); needs
//! node, the UI's npm packages and Debian's chromium.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_app::frames::FrameServer;
use latchkey_media::I420Frame;
use serde_json::Value;

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;

/// A few distinct pictures (a moving band), made once so producing them costs nothing per frame.
fn pictures() -> Result<Vec<I420Frame>, String> {
    let mut out = Vec::new();
    for k in 0..8u32 {
        let (cw, ch) = (WIDTH / 2, HEIGHT / 2);
        let mut y = vec![0u8; (WIDTH * HEIGHT) as usize];
        for row in 0..HEIGHT {
            for col in 0..WIDTH {
                let band = ((row + k * 60) / 60) % 2 == 0;
                y[(row * WIDTH + col) as usize] = if band { 200 } else { (col % 220) as u8 + 16 };
            }
        }
        let u = vec![(100 + k * 8) as u8; (cw * ch) as usize];
        let v = vec![(160 - k * 8) as u8; (cw * ch) as usize];
        out.push(I420Frame::from_planes(WIDTH, HEIGHT, y, u, v).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn run_page(url: &str, seconds: u64, renderer: &str) -> Result<Value, String> {
    let ui = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui");
    let out = Command::new("node")
        .current_dir(&ui)
        .args(["bench/frame-path.mjs", "--url", url, "--seconds"])
        .arg(seconds.to_string())
        .args(["--renderer", renderer])
        .output()
        .map_err(|e| format!("node must be installed (scripts/setup.sh): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "frame-path.mjs ({renderer}) failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| format!("no JSON from frame-path.mjs: {stdout}"))?;
    serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args
        .get(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(2, 120);
    let fps: u64 = args
        .get(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
        .clamp(1, 240);
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let server = rt
        .block_on(FrameServer::start())
        .map_err(|e| format!("frame server: {e}"))?;
    let (url, publisher) = server.open("bench");
    let pictures = pictures()?;
    let stop = Arc::new(AtomicBool::new(false));
    let publish_ns = Arc::new(AtomicU64::new(0));
    let published = Arc::new(AtomicU64::new(0));
    let (stop2, ns2, count2) = (stop.clone(), publish_ns.clone(), published.clone());
    let producer = std::thread::spawn(move || {
        let interval = Duration::from_nanos(1_000_000_000 / fps);
        let mut tick = Instant::now();
        let mut seq = 0u32;
        while !stop2.load(Ordering::Relaxed) {
            seq = seq.wrapping_add(1);
            let t = Instant::now();
            publisher.publish(&pictures[seq as usize % pictures.len()], seq);
            ns2.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
            count2.fetch_add(1, Ordering::Relaxed);
            tick += interval;
            std::thread::sleep(tick.saturating_duration_since(Instant::now()));
        }
    });
    let ours = run_page(&url, seconds, "webgl");
    let reference = run_page(&url, seconds, "2d");
    stop.store(true, Ordering::Relaxed);
    let _ = producer.join();
    let (ours, reference) = (ours?, reference?);
    let n = published.load(Ordering::Relaxed).max(1);
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "viewer frame path, 1920x1080 I420 published at {fps} fps, {seconds} s per renderer, headless Chromium (software GL)\n\
         server: encode + publish per frame      {:.2} ms\n\
         WebGL (ours):   {:.1} fps drawn, publish-to-drawn latency median {:.1} ms, p95 {:.1} ms, draw {:.1} ms\n\
         2D canvas (ref): {:.1} fps drawn, publish-to-drawn latency median {:.1} ms, p95 {:.1} ms, draw {:.1} ms\n\
         ratio, frames drawn per second (WebGL / 2D): {:.2}\n\
         ratio, median latency (WebGL / 2D): {:.2}",
        publish_ns.load(Ordering::Relaxed) as f64 / n as f64 / 1e6,
        f(&ours, "fps"),
        f(&ours, "latency_ms_median"),
        f(&ours, "latency_ms_p95"),
        f(&ours, "draw_ms_median"),
        f(&reference, "fps"),
        f(&reference, "latency_ms_median"),
        f(&reference, "latency_ms_p95"),
        f(&reference, "draw_ms_median"),
        f(&ours, "fps") / f(&reference, "fps"),
        f(&ours, "latency_ms_median") / f(&reference, "latency_ms_median"),
    );
    Ok(())
}
