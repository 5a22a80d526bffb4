//! Pieces every Wayland test harness here shares (the headless sway in
//! [`crate::sway`], the headless GNOME of `latchkey-mutter`'s and
//! `latchkey-portal`'s tests): a client process whose output is read line by
//! line ([`Client`]), `wev`'s report parsed ([`Wev`]), bounded readiness waits
//! ([`wait_ready`]), ending a process group ([`end_group`]), and the known test
//! picture ([`pattern`], compared with [`psnr`]).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Whether `program` is on PATH.
pub fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Polls `poll` every 50 ms until it gives a value (returned) or an error (the
/// thing waited on died: returned as is), at most `timeout`; then
/// `Err("no WHAT after N s")`. Callers add their logs to the error.
pub fn wait_ready<T>(
    what: &str,
    timeout: Duration,
    mut poll: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = poll()? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(format!("no {what} after {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ends process group `group`: SIGTERM, up to 5 s for `children` to exit, then
/// SIGKILL to whatever is left, and reaps `children`.
pub fn end_group(group: u32, children: &mut [Child]) {
    let group = format!("-{group}");
    let _ = Command::new("kill")
        .args(["-TERM", "--", &group])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    for child in children.iter_mut() {
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    for child in children.iter_mut() {
        let _ = child.wait();
    }
}

/// A harness that runs Wayland clients in its compositor.
pub trait Host {
    /// Starts `program` as a client of the compositor.
    fn client(&self, program: &[&str]) -> Client;
}

/// A client process whose stdout is read line by line; killed on drop.
pub struct Client {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Client {
    /// Starts `cmd` (its environment already set by the harness) with stdin and
    /// stderr closed and stdout read line by line.
    pub fn spawn(cmd: &mut Command) -> Client {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the client");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `pred` (returning it) or `timeout` passes.
    pub fn wait_line(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return Some(line);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Everything read so far, for failure messages.
    pub fn transcript(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Peak signal-to-noise ratio between two BGRA images of the same size (RGB
/// channels only), in dB; infinite when identical.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "images of different sizes");
    let mut sum = 0f64;
    let mut n = 0u64;
    for (pa, pb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = f64::from(pa[c]) - f64::from(pb[c]);
            sum += d * d;
            n += 1;
        }
    }
    if sum == 0.0 {
        return f64::INFINITY;
    }
    let mse = sum / n as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

/// The known picture: red grows left to right, green top to bottom, blue in an
/// 80-pixel checkerboard, so a flipped, mirrored or channel-swapped capture
/// cannot match it. As BGRA (what wl_shm's XRGB8888 is in memory).
pub fn pattern(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let r = (x * 255 / (width - 1).max(1)) as u8;
            let g = (y * 255 / (height - 1).max(1)) as u8;
            let b = if (x / 80 + y / 80) % 2 == 0 { 40 } else { 200 };
            out.extend_from_slice(&[b, g, r, 255]);
        }
    }
    out
}

/// What wev (a Wayland client that prints every event it gets) reported, parsed
/// from its output.
#[derive(Default, Debug)]
pub struct WevEvents {
    /// Pointer positions in surface coordinates (enter and motion).
    pub motions: Vec<(f64, f64)>,
    /// (button code, pressed).
    pub buttons: Vec<(u32, bool)>,
    /// Vertical axis values.
    pub vertical_axis: Vec<f64>,
    /// Horizontal axis values.
    pub horizontal_axis: Vec<f64>,
    /// (keysym name, pressed, utf8) per key event.
    pub keys: Vec<(String, bool, String)>,
    /// `depressed` masks of modifiers events.
    pub depressed: Vec<u32>,
    /// Whether the client holds both a pointer and a keyboard.
    pub has_devices: bool,
    /// Whether its surface has keyboard focus.
    pub focused: bool,
}

impl WevEvents {
    /// Whether the pointer was reported at (`x`, `y`) in surface coordinates
    /// (within half a pixel).
    pub fn pointer_was_at(&self, x: f64, y: f64) -> bool {
        self.motions
            .iter()
            .any(|&(mx, my)| (mx - x).abs() < 0.5 && (my - y).abs() < 0.5)
    }

    /// The text typed so far: the characters of pressed keys.
    pub fn typed(&self) -> String {
        self.keys
            .iter()
            .filter(|(_, pressed, _)| *pressed)
            .map(|(_, _, utf8)| utf8.as_str())
            .collect()
    }
}

/// Runs `wev` in a compositor and parses its output as it comes.
pub struct Wev {
    /// The wev process.
    pub client: Client,
    /// What it reported so far.
    pub events: WevEvents,
    /// The last `key:` line's state, waiting for its `sym:` line.
    pending_key: Option<bool>,
    /// The last line was a `modifiers:` line, waiting for `depressed:`.
    pending_modifiers: bool,
}

impl Wev {
    /// Starts wev in `host`'s compositor.
    pub fn start(host: &impl Host) -> Wev {
        Wev {
            client: host.client(&["stdbuf", "-oL", "wev"]),
            events: WevEvents::default(),
            pending_key: None,
            pending_modifiers: false,
        }
    }

    /// Takes one line of wev's output into [`Wev::events`].
    pub fn parse(&mut self, line: &str) {
        let e = &mut self.events;
        let after = |key: &str| line.split_once(key).map(|(_, rest)| rest.trim());
        if line.contains("wl_seat] capabilities:") {
            e.has_devices = line.contains("pointer") && line.contains("keyboard");
        } else if line.contains("wl_keyboard] enter:") {
            e.focused = true;
        } else if line.contains("wl_keyboard] leave:") {
            e.focused = false;
        } else if let Some(rest) = after("wl_pointer] motion:").or(after("wl_pointer] enter:")) {
            if let Some((_, xy)) = rest.split_once("x, y:") {
                let v: Vec<f64> = xy
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect();
                if let [x, y] = v[..] {
                    e.motions.push((x, y));
                }
            }
        } else if let Some(rest) = after("wl_pointer] button:") {
            let code = rest
                .split_once("button:")
                .and_then(|(_, r)| r.split_whitespace().next())
                .and_then(|c| c.parse().ok());
            if let Some(code) = code {
                e.buttons.push((code, rest.contains("(pressed)")));
            }
        } else if let Some(rest) = after("wl_pointer] axis:") {
            let value = rest
                .split_once("value:")
                .and_then(|(_, v)| v.trim().parse().ok());
            if let Some(v) = value {
                if rest.contains("(vertical)") {
                    e.vertical_axis.push(v);
                } else if rest.contains("(horizontal)") {
                    e.horizontal_axis.push(v);
                }
            }
        } else if let Some(rest) = after("wl_keyboard] key:") {
            self.pending_key = Some(rest.contains("(pressed)"));
        } else if let Some(rest) = after("sym:") {
            if let Some(pressed) = self.pending_key.take() {
                let name = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let utf8 = rest
                    .split_once("utf8: '")
                    .and_then(|(_, u)| u.strip_suffix('\''))
                    .unwrap_or_default()
                    .to_string();
                e.keys.push((name, pressed, utf8));
            }
        } else if line.contains("wl_keyboard] modifiers:") {
            self.pending_modifiers = true;
        } else if let Some(rest) = after("depressed:") {
            if std::mem::take(&mut self.pending_modifiers) {
                // "00000001: Shift" (names follow a non-zero mask).
                let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
                if let Ok(mask) = u32::from_str_radix(&hex, 16) {
                    e.depressed.push(mask);
                }
            }
        }
    }

    /// Reads wev's output until `pred` holds on what it reported, at most 10 s.
    pub fn wait(&mut self, what: &str, pred: impl Fn(&WevEvents) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pred(&self.events) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.wait_line(left, |_| true) {
                Some(line) => self.parse(&line),
                None => panic!(
                    "wev did not report {what} within 10 s; it printed:\n{}",
                    self.client.transcript()
                ),
            }
        }
    }

    /// Reads whatever wev printed within `wait` (to see what it has so far).
    pub fn drain(&mut self, wait: Duration) {
        while let Some(line) = self.client.wait_line(wait, |_| true) {
            self.parse(&line);
        }
    }

    /// The text typed so far: the characters of pressed keys.
    pub fn typed(&self) -> String {
        self.events.typed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_ready_returns_the_value_or_the_error() {
        let mut n = 0;
        let got = wait_ready("three polls", Duration::from_secs(5), || {
            n += 1;
            Ok((n == 3).then_some(n))
        });
        assert_eq!(got, Ok(3));
        let died: Result<(), String> =
            wait_ready("x", Duration::from_secs(5), || Err("it died".into()));
        assert_eq!(died, Err("it died".to_string()));
        let none: Result<(), String> = wait_ready("y", Duration::ZERO, || Ok(None));
        assert_eq!(none, Err("no y after 0 s".to_string()));
    }

    #[test]
    fn pattern_corners_and_psnr() {
        let p = pattern(1280, 720);
        assert_eq!(&p[..4], &[40, 0, 0, 255]);
        assert_eq!(&p[p.len() - 4..], &[200, 255, 255, 255]);
        assert!(psnr(&p, &p).is_infinite());
        let mut q = p.clone();
        q[0] = 0;
        assert!(psnr(&p, &q) > 60.0);
    }
}
