//! Benchmark: the remote desktop stream at 1920x1080 under Xvfb, host and
//! viewer on loopback. An animator draws a moving band and a 16-bit frame
//! counter (16 black/white squares) 30 times a second; the viewer decodes the
//! stream in this process, reads the counter back from the pixels and prints
//! frames per second, capture-to-decoded latency (median, p95), CPU per side,
//! bitrate while changing and while idle, and time to first frame.
//!
//! Then, in the same run and on the same display with the same animation,
//! the reference pipeline: `ffmpeg -f x11grab` encoding VP8 with libvpx in
//! real-time mode (one thread, the same bitrate), and our host's CPU per
//! frame as a ratio to ffmpeg's; and both again on an idle screen.
//!
//! Usage: `desktop-stream path/to/latchkey [SECONDS]`; needs Xvfb.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use latchkey_bench::{bin_and_count, connect_viewer, cpu_seconds, start_host, stats};
use latchkey_core::settings::SecretStoreKind;
use latchkey_media::Frame;
use latchkey_store::Config;
use latchkey_testkit::{desktop, draw_rgba, Xvfb, HEIGHT, WIDTH};

const PASSWORD: &str = "kettle-orbit-cactus-71";
const BLOCK: u32 = 24;

/// The counter drawn as 16 squares, most significant first.
fn counter_pixels(n: u16) -> Vec<u8> {
    let w = BLOCK * 16;
    let mut px = vec![0u8; (w * BLOCK * 4) as usize];
    for y in 0..BLOCK {
        for x in 0..w {
            let bit = (n >> (15 - x / BLOCK)) & 1;
            let v = if bit == 1 { 255 } else { 0 };
            let i = ((y * w + x) * 4) as usize;
            px[i..i + 4].copy_from_slice(&[v, v, v, 255]);
        }
    }
    px
}

fn read_counter(frame: &Frame) -> Option<u16> {
    let mut n = 0u16;
    for b in 0..16 {
        let [r, g, bl, _] = frame.rgba_at(b * BLOCK + BLOCK / 2, BLOCK / 2)?;
        let luma = (u32::from(r) + u32::from(g) + u32::from(bl)) / 3;
        n = (n << 1) | u16::from(luma > 128);
    }
    Some(n)
}

/// Our figures the reference is compared with.
struct Numbers {
    fps: f64,
    /// Host CPU while changing, % of one core.
    host_cpu: f64,
    idle_host_cpu: f64,
}

fn main() -> Result<(), String> {
    let (bin, seconds) = bin_and_count("desktop-stream path/to/latchkey [SECONDS]", 10, 2..=120)?;
    let x = Xvfb::start();
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    let background = desktop(WIDTH, HEIGHT, 0);
    draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &background);

    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (_rv, host, url, id) =
        start_host(&bin, &tmp.path().join("host"), &x.display, PASSWORD, &[])?;
    let host_pid = host.0.id().to_string();

    let sent: Arc<Mutex<HashMap<u16, Instant>>> = Arc::default();
    let animate = Arc::new(AtomicBool::new(true));
    let animator = start_animator(&x.display, sent.clone(), animate.clone());

    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let report = rt.block_on(async {
        let mut config = Config::open(&tmp.path().join("viewer"), Some(SecretStoreKind::File)).map_err(|e| e.to_string())?;
        let connect_started = Instant::now();
        let session = connect_viewer(&mut config, id, &url, PASSWORD).await?;
        let mut video = session.video(Duration::from_secs(15)).await.map_err(|e| e.to_string())?;
        video.next_frame().await.map_err(|e| e.to_string())?.ok_or("no frame")?;
        let first_frame = connect_started.elapsed();
        // Changing screen.
        let (host_cpu0, own_cpu0, bytes0, t0) = (cpu_seconds(&host_pid), cpu_seconds("self"), video.bytes_received(), Instant::now());
        let mut frames = 0u32;
        let mut latencies = Vec::new();
        let mut seen = 0u16;
        while t0.elapsed() < Duration::from_secs(seconds) {
            let Ok(Ok(Some(frame))) = tokio::time::timeout(Duration::from_secs(2), video.next_frame()).await else { break };
            frames += 1;
            if let Some(n) = read_counter(&frame) {
                if n != seen {
                    seen = n;
                    if let Some(at) = sent.lock().ok().and_then(|m| m.get(&n).copied()) {
                        latencies.push(at.elapsed().as_secs_f64() * 1000.0);
                    }
                }
            }
        }
        let changing = t0.elapsed().as_secs_f64();
        let host_cpu = (cpu_seconds(&host_pid) - host_cpu0) / changing * 100.0;
        let own_cpu = (cpu_seconds("self") - own_cpu0) / changing * 100.0;
        let changing_kbps = (video.bytes_received() - bytes0) as f64 * 8.0 / changing / 1000.0;
        // Idle screen.
        animate.store(false, Ordering::Relaxed);
        let settle = Instant::now();
        while settle.elapsed() < Duration::from_secs(2) {
            let _ = tokio::time::timeout(Duration::from_millis(200), video.next_frame()).await;
        }
        let (hc, b, t) = (cpu_seconds(&host_pid), video.bytes_received(), Instant::now());
        while t.elapsed() < Duration::from_secs(5) {
            let _ = tokio::time::timeout(Duration::from_millis(200), video.next_frame()).await;
        }
        let idle = t.elapsed().as_secs_f64();
        let idle_kbps = (video.bytes_received() - b) as f64 * 8.0 / idle / 1000.0;
        let idle_host_cpu = (cpu_seconds(&host_pid) - hc) / idle * 100.0;
        session.close().await;
        let (lat_med, lat_p95) = stats(latencies.clone());
        let numbers = Numbers { fps: f64::from(frames) / changing, host_cpu, idle_host_cpu };
        Ok::<(String, Numbers), String>((format!(
            "1920x1080 Xvfb, loopback, {seconds} s changing + 5 s idle\n\
             time to first frame:              {:.0} ms\n\
             frames decoded per second:        {:.1}\n\
             capture-to-decoded latency:       median {lat_med:.1} ms, p95 {lat_p95:.1} ms ({} samples)\n\
             host CPU while changing:          {host_cpu:.0}% of one core\n\
             viewer CPU while changing:        {own_cpu:.0}% of one core (includes this benchmark's own bookkeeping)\n\
             bitrate while changing:           {changing_kbps:.0} kbit/s\n\
             bitrate while idle:               {idle_kbps:.1} kbit/s\n\
             host CPU while idle:              {idle_host_cpu:.1}% of one core",
            first_frame.as_secs_f64() * 1000.0,
            f64::from(frames) / changing,
            latencies.len()
        ), numbers))
    })?;
    let (report, numbers) = report;
    animate.store(false, Ordering::Relaxed);
    let _ = animator.join();
    drop(host);
    println!("{report}");

    // The reference on the same display: changing, then idle.
    let animate = Arc::new(AtomicBool::new(true));
    let animator = start_animator(&x.display, Arc::default(), animate.clone());
    let changing = ffmpeg_vp8(&x.display, seconds)?;
    animate.store(false, Ordering::Relaxed);
    let _ = animator.join();
    let idle = ffmpeg_vp8(&x.display, 5)?;
    println!(
        "reference: ffmpeg x11grab + libvpx VP8 (realtime, cpu-used 6, 1 thread, {START_KBPS} kbit/s)\n\
         reference frames per second:      {:.1} changing, {:.1} idle\n\
         reference CPU:                    {:.0}% of one core changing, {:.1}% idle\n\
         reference bitrate:                {:.0} kbit/s changing, {:.1} kbit/s idle",
        changing.fps, idle.fps, changing.cpu, idle.cpu, changing.kbps, idle.kbps
    );
    let ours_per_frame = numbers.host_cpu / numbers.fps.max(0.001);
    let theirs_per_frame = changing.cpu / changing.fps.max(0.001);
    println!(
        "ratio, host CPU per frame (ours / ffmpeg): {:.2} ({:.1} vs {:.1} ms of CPU per frame)\n\
         ratio, CPU on an idle screen (ours / ffmpeg): {:.3}",
        ours_per_frame / theirs_per_frame,
        ours_per_frame * 10.0,
        theirs_per_frame * 10.0,
        numbers.idle_host_cpu / idle.cpu.max(0.001)
    );
    Ok(())
}

/// Bitrate both pipelines start from, kbit/s.
const START_KBPS: u32 = 2500;

/// A band moving down the screen and the frame counter, 30 times a second,
/// until `run` is cleared; `sent` records when each counter value was drawn.
fn start_animator(
    display: &str,
    sent: Arc<Mutex<HashMap<u16, Instant>>>,
    run: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let display = display.to_string();
    std::thread::spawn(move || {
        let (conn, screen) = latchkey_testkit::connect(&display);
        let band_h = 120u32;
        let mut n: u16 = 1;
        let mut tick = Instant::now();
        while run.load(Ordering::Relaxed) {
            let y = (u32::from(n) * 8) % (HEIGHT - band_h - BLOCK) + BLOCK;
            let band = desktop(WIDTH, band_h, u32::from(n));
            draw_rgba(&conn, screen, 0, y as i16, WIDTH as u16, &band);
            draw_rgba(&conn, screen, 0, 0, (BLOCK * 16) as u16, &counter_pixels(n));
            sent.lock().map(|mut m| m.insert(n, Instant::now())).ok();
            n = n.wrapping_add(1).max(1);
            tick += Duration::from_millis(33);
            std::thread::sleep(tick.saturating_duration_since(Instant::now()));
        }
    })
}

/// What one ffmpeg run measured.
struct Reference {
    fps: f64,
    /// CPU, % of one core.
    cpu: f64,
    kbps: f64,
}

/// `ffmpeg -f x11grab` of `display` for `seconds`, VP8 through libvpx in
/// real time, into a file; CPU from GNU time.
fn ffmpeg_vp8(display: &str, seconds: u64) -> Result<Reference, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = dir.path().join("reference.webm");
    let kbps = format!("{START_KBPS}k");
    let secs = seconds.to_string();
    let size = format!("{WIDTH}x{HEIGHT}");
    let output = Command::new("/usr/bin/time")
        .args([
            "-f",
            "LKTIME %e %U %S",
            "ffmpeg",
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
        ])
        .args([
            "-f",
            "x11grab",
            "-framerate",
            "30",
            "-video_size",
            &size,
            "-i",
            display,
        ])
        .args([
            "-t",
            &secs,
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "6",
        ])
        .args([
            "-threads", "1", "-b:v", &kbps, "-minrate", &kbps, "-maxrate", &kbps,
        ])
        .args(["-g", "100000", "-progress", "pipe:1", "-y"])
        .arg(&out)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ffmpeg and GNU time must be installed (scripts/setup.sh): {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("ffmpeg failed: {stderr}"));
    }
    let frames: f64 = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("frame="))
        .filter_map(|v| v.trim().parse().ok())
        .next_back()
        .ok_or_else(|| format!("ffmpeg reported no frames: {stdout}"))?;
    let times: Vec<f64> = stderr
        .lines()
        .find_map(|l| l.strip_prefix("LKTIME "))
        .ok_or_else(|| format!("no timing from GNU time: {stderr}"))?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let [_wall, user, system] = times[..] else {
        return Err(format!("unexpected timing line: {times:?}"));
    };
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64;
    let secs = seconds as f64;
    Ok(Reference {
        fps: frames / secs,
        cpu: (user + system) / secs * 100.0,
        kbps: bytes * 8.0 / secs / 1000.0,
    })
}
