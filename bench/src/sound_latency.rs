//! Benchmark: the host's sound (`hear_sound`) on loopback. A private
//! PulseAudio server has a null sink as its default output; this process
//! plays clicks into it (a 5 ms 1 kHz burst every 400 ms, through a playback
//! stream with a 10 ms buffer, so a click's time is when that buffer took
//! it); the host (`latchkey host`, a separate process) records the sink's
//! monitor, encodes Opus and sends it; the viewer runs in this process,
//! decodes, and notes when each click's packet arrived. Prints the click-to-
//! decoded latency (median, p95), CPU per side and the bitrate.
//!
//! Then, in the same run, the same clicks through the reference pipeline:
//! `ffmpeg -f pulse` (the same monitor, 10 ms fragments) encoding libopus
//! (20 ms frames, 96 kbit/s) to RTP on loopback, received and decoded by a
//! UDP receiver in this process.
//!
//! Usage: `sound-latency path/to/latchkey [CLICKS]`; needs Xvfb, pulseaudio, ffmpeg.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libpulse_binding::def::BufferAttr;
use libpulse_binding::sample::{Format, Spec};
use libpulse_binding::stream::Direction;
use libpulse_simple_binding::Simple;

use latchkey_bench::{bin_and_count, connect_viewer, cpu_seconds, start_host, stats, Killed};
use latchkey_core::settings::SecretStoreKind;
use latchkey_media::sound::{OpusDecoder, CHANNELS, SAMPLE_RATE};
use latchkey_store::Config;
use latchkey_testkit::sound::SoundServer;
use latchkey_testkit::Xvfb;

const PASSWORD: &str = "kettle-orbit-cactus-71";
/// Time between clicks.
const CLICK_EVERY: Duration = Duration::from_millis(400);
/// The player writes this much at a time (5 ms at 48 kHz).
const BLOCK_FRAMES: usize = 240;
/// A decoded sample above this (of full scale) is a click.
const THRESHOLD: f64 = 0.25;

/// Plays silence with a click every [`CLICK_EVERY`] until `run` is cleared;
/// each click's time goes into `clicks`.
fn start_clicks(
    server: &str,
    run: Arc<AtomicBool>,
    clicks: Arc<Mutex<Vec<Instant>>>,
) -> Result<std::thread::JoinHandle<()>, String> {
    let spec = Spec {
        format: Format::S16le,
        channels: CHANNELS as u8,
        rate: SAMPLE_RATE,
    };
    let block_bytes = (BLOCK_FRAMES * CHANNELS * 2) as u32;
    let attr = BufferAttr {
        maxlength: u32::MAX,
        tlength: block_bytes * 2,
        prebuf: block_bytes,
        minreq: block_bytes,
        fragsize: u32::MAX,
    };
    let player = Simple::new(
        Some(server),
        "latchkey-bench",
        Direction::Playback,
        None,
        "clicks",
        &spec,
        None,
        Some(&attr),
    )
    .map_err(|e| format!("cannot play: {e}"))?;
    let silence = vec![0u8; block_bytes as usize];
    let click: Vec<u8> = (0..BLOCK_FRAMES)
        .flat_map(|i| {
            let v =
                (0.8 * 32767.0 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48_000.0).sin())
                    as i16;
            [v.to_le_bytes(), v.to_le_bytes()].concat()
        })
        .collect();
    let every = (CLICK_EVERY.as_millis() / 5) as usize;
    Ok(std::thread::spawn(move || {
        let mut n = 0usize;
        while run.load(Ordering::Relaxed) {
            let is_click = n % every == every - 1;
            if player
                .write(if is_click { &click } else { &silence })
                .is_err()
            {
                return;
            }
            if is_click {
                if let Ok(mut c) = clicks.lock() {
                    c.push(Instant::now());
                }
            }
            n += 1;
        }
    }))
}

/// Latency of each click: from its time to the arrival of the first decoded
/// sound above [`THRESHOLD`] after it.
#[derive(Default)]
struct Detector {
    arrivals: Vec<Instant>,
    last: Option<Instant>,
}

impl Detector {
    fn chunk(&mut self, samples: &[i16], arrived: Instant) {
        let loud = samples
            .iter()
            .any(|s| (f64::from(*s) / 32768.0).abs() > THRESHOLD);
        // One arrival per click: the burst may span two packets.
        if loud
            && self
                .last
                .is_none_or(|l| arrived.duration_since(l) > CLICK_EVERY / 2)
        {
            self.arrivals.push(arrived);
            self.last = Some(arrived);
        }
    }

    /// Each arrival matched with the latest click before it, in ms.
    fn latencies(&self, clicks: &[Instant]) -> Vec<f64> {
        self.arrivals
            .iter()
            .filter_map(|a| {
                clicks
                    .iter()
                    .rev()
                    .find(|c| *c <= a)
                    .map(|c| a.duration_since(*c).as_secs_f64() * 1000.0)
            })
            .filter(|ms| *ms < CLICK_EVERY.as_secs_f64() * 1000.0)
            .collect()
    }
}

struct Figures {
    latencies: Vec<f64>,
    sender_cpu: f64,
    receiver_cpu: f64,
    kbps: f64,
}

impl Figures {
    fn print(&self, name: &str, clicks: usize) {
        let (med, p95) = stats(self.latencies.clone());
        println!(
            "{name}\n  click-to-decoded latency:  median {med:.1} ms, p95 {p95:.1} ms ({} of {clicks} clicks)\n  \
             sender CPU:                {:.1}% of one core\n  receiver CPU:              {:.1}% of one core\n  \
             bitrate:                   {:.1} kbit/s (a click every {} ms, silence between)",
            self.latencies.len(),
            self.sender_cpu,
            self.receiver_cpu,
            self.kbps,
            CLICK_EVERY.as_millis()
        );
    }
}

fn main() -> Result<(), String> {
    let (bin, clicks) = bin_and_count("sound-latency path/to/latchkey [CLICKS]", 50, 5..=1000)?;
    let clicks_wanted = clicks as usize;
    let seconds = CLICK_EVERY.as_secs_f64() * clicks_wanted as f64;
    let sound = SoundServer::start();
    let x = Xvfb::start();
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (_rv, host, url, id) = start_host(
        &bin,
        &tmp.path().join("host"),
        &x.display,
        PASSWORD,
        &[("PULSE_SERVER", &sound.server)],
    )?;
    let host_pid = host.0.id().to_string();

    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let ours = rt.block_on(async {
        let mut config = Config::open(&tmp.path().join("viewer"), Some(SecretStoreKind::File))
            .map_err(|e| e.to_string())?;
        let session = connect_viewer(&mut config, id, &url, PASSWORD).await?;
        let run = Arc::new(AtomicBool::new(true));
        let clicks: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let player = start_clicks(&sound.server, run.clone(), clicks.clone())?;
        // The first click opens the track; measure from the next ones.
        let mut sound_in = session
            .sound(Duration::from_secs(15))
            .await
            .map_err(|e| e.to_string())?;
        let mut detector = Detector::default();
        let (host_cpu0, own_cpu0, bytes0, t0) = (
            cpu_seconds(&host_pid),
            cpu_seconds("self"),
            sound_in.bytes_received(),
            Instant::now(),
        );
        while t0.elapsed().as_secs_f64() < seconds {
            let Ok(Ok(Some(chunk))) =
                tokio::time::timeout(Duration::from_secs(2), sound_in.next_chunk()).await
            else {
                continue;
            };
            detector.chunk(&chunk.samples, chunk.arrived);
        }
        let wall = t0.elapsed().as_secs_f64();
        let figures = Figures {
            latencies: detector
                .latencies(&clicks.lock().map(|c| c.clone()).unwrap_or_default())
                .into_iter()
                .skip(1)
                .collect(),
            sender_cpu: (cpu_seconds(&host_pid) - host_cpu0) / wall * 100.0,
            receiver_cpu: (cpu_seconds("self") - own_cpu0) / wall * 100.0,
            kbps: (sound_in.bytes_received() - bytes0) as f64 * 8.0 / wall / 1000.0,
        };
        run.store(false, Ordering::Relaxed);
        let _ = player.join();
        session.close().await;
        Ok::<Figures, String>(figures)
    })?;
    drop(host);
    println!(
        "Loopback, PulseAudio null sink, {clicks_wanted} clicks ({seconds:.0} s); latchkey {}",
        if cfg!(debug_assertions) {
            "debug build"
        } else {
            "release build"
        }
    );
    ours.print(
        "latchkey host -> viewer (Opus 20 ms, FEC, DTX, WebRTC)",
        clicks_wanted,
    );

    let reference = reference(&sound, seconds)?;
    reference.print(
        "reference: ffmpeg -f pulse + libopus (20 ms, 96 kbit/s) -> RTP -> decoder here",
        clicks_wanted,
    );
    let (ours_med, _) = stats(ours.latencies.clone());
    let (ref_med, _) = stats(reference.latencies.clone());
    println!(
        "ratio, median latency (ours / reference): {:.2}\n\
         ratio, sender CPU (ours / ffmpeg):         {:.2}",
        ours_med / ref_med,
        ours.sender_cpu / reference.sender_cpu.max(0.001)
    );
    Ok(())
}

/// The clicks through `ffmpeg -f pulse` + libopus to RTP on loopback.
fn reference(sound: &SoundServer, seconds: f64) -> Result<Figures, String> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| e.to_string())?;
    let port = socket.local_addr().map_err(|e| e.to_string())?.port();
    let ffmpeg = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "pulse"])
        .args(["-server", &sound.server])
        .args([
            "-sample_rate",
            "48000",
            "-channels",
            "2",
            "-fragment_size",
            "1920",
        ])
        .args(["-i", "@DEFAULT_MONITOR@"])
        .args([
            "-c:a",
            "libopus",
            "-application",
            "audio",
            "-frame_duration",
            "20",
        ])
        .args(["-b:a", "96k", "-f", "rtp"])
        .arg(format!("rtp://127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("ffmpeg: {e}"))?;
    let ffmpeg = Killed(ffmpeg);
    let pid = ffmpeg.0.id().to_string();
    let mut decoder = OpusDecoder::new().map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 2048];
    // Until its stream runs.
    let ready = Instant::now();
    while socket.recv(&mut buf).is_err() {
        if ready.elapsed() > Duration::from_secs(15) {
            return Err("no RTP from ffmpeg".into());
        }
    }
    let run = Arc::new(AtomicBool::new(true));
    let clicks: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let player = start_clicks(&sound.server, run.clone(), clicks.clone())?;
    let mut detector = Detector::default();
    let (cpu0, own0, t0) = (cpu_seconds(&pid), cpu_seconds("self"), Instant::now());
    let mut bytes = 0u64;
    while t0.elapsed().as_secs_f64() < seconds + CLICK_EVERY.as_secs_f64() {
        let Ok(n) = socket.recv(&mut buf) else {
            continue;
        };
        let arrived = Instant::now();
        let Some(payload) = rtp_payload(&buf[..n]) else {
            continue;
        };
        bytes += payload.len() as u64;
        if let Ok(samples) = decoder.decode(payload, false) {
            detector.chunk(&samples, arrived);
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let sender_cpu = (cpu_seconds(&pid) - cpu0) / wall * 100.0;
    let receiver_cpu = (cpu_seconds("self") - own0) / wall * 100.0;
    run.store(false, Ordering::Relaxed);
    let _ = player.join();
    drop(ffmpeg);
    let clicks = clicks.lock().map(|c| c.clone()).unwrap_or_default();
    Ok(Figures {
        latencies: detector.latencies(&clicks).into_iter().skip(1).collect(),
        sender_cpu,
        receiver_cpu,
        kbps: bytes as f64 * 8.0 / wall / 1000.0,
    })
}

/// The payload of an RTP packet (fixed header, CSRCs and extension skipped).
fn rtp_payload(packet: &[u8]) -> Option<&[u8]> {
    if packet.len() < 12 || packet[0] >> 6 != 2 || (192..=223).contains(&packet[1]) {
        return None; // not RTP, or RTCP
    }
    let mut at = 12 + usize::from(packet[0] & 0x0f) * 4;
    if packet[0] & 0x10 != 0 {
        let len = u16::from_be_bytes([*packet.get(at + 2)?, *packet.get(at + 3)?]);
        at += 4 + usize::from(len) * 4;
    }
    let end = if packet[0] & 0x20 != 0 {
        packet.len().checked_sub(usize::from(*packet.last()?))?
    } else {
        packet.len()
    };
    packet.get(at..end)
}
