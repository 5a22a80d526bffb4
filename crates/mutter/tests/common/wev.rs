//! wev, a Wayland client that prints every event it gets, run inside the
//! desktop and its output parsed: what input reached a client. Also where a
//! window appeared on screen (`changed_box`).

use std::time::{Duration, Instant};

use latchkey_mutter::{Capture, Frame};

use super::{Client, Desktop};

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

/// Runs `wev` in the desktop and parses its output as it comes.
pub struct Wev {
    pub client: Client,
    pub events: WevEvents,
    /// The last `key:` line's state, waiting for its `sym:` line.
    pending_key: Option<bool>,
    /// The last line was a `modifiers:` line, waiting for `depressed:`.
    pending_modifiers: bool,
}

impl Wev {
    pub fn start(desktop: &Desktop) -> Wev {
        Wev {
            client: desktop.client(&["stdbuf", "-oL", "wev"]),
            events: WevEvents::default(),
            pending_key: None,
            pending_modifiers: false,
        }
    }

    fn parse(&mut self, line: &str) {
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
        self.events
            .keys
            .iter()
            .filter(|(_, pressed, _)| *pressed)
            .map(|(_, _, utf8)| utf8.as_str())
            .collect()
    }
}

/// The box (x, y, width, height) of the pixels that differ clearly between two
/// frames (a window, not the faint shadow Mutter draws around it).
pub fn changed_box(a: &Frame, b: &Frame) -> Option<(u32, u32, u32, u32)> {
    let differs = |p: Option<[u8; 4]>, q: Option<[u8; 4]>| match (p, q) {
        (Some(p), Some(q)) => (0..3).any(|c| p[c].abs_diff(q[c]) > 48),
        _ => false,
    };
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for y in 0..a.height {
        for x in 0..a.width {
            if differs(a.pixel(x, y), b.pixel(x, y)) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
    }
    (x0 != u32::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

/// Where a window that is showing (or about to) lands on screen: what differs
/// from `before` once the screen has settled (three frames alike, or no new
/// frame for 0.7 s), at most 20 s.
pub fn window_box(cap: &mut Capture, before: &Frame) -> Option<(u32, u32, u32, u32)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut window = None;
    let mut stable = 0;
    while Instant::now() < deadline && stable < 3 {
        let Some(f) = cap.next_frame(Duration::from_millis(700)).expect("capture") else {
            // No new frame: the screen has settled.
            if window.is_some() {
                stable = 3;
            }
            continue;
        };
        let b = changed_box(before, &f);
        if b.is_some() && b == window {
            stable += 1;
        } else {
            window = b;
            stable = 0;
        }
    }
    window
}
