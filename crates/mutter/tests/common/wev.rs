//! What input reached a client (wev run inside the desktop, its output parsed
//! by `latchkey_testkit::wayland_client::Wev`) and where a window appeared on
//! screen (`changed_box`, `window_box`).

use std::time::{Duration, Instant};

use latchkey_mutter::{Capture, Frame};

pub use latchkey_testkit::wayland_client::Wev;

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
