//! Test support shared by Latchkey's crates (dev-dependency only): a private
//! Xvfb per test, drawing RGBA pixels on it with x11rb, and a synthetic,
//! desktop-like picture; `desk`: an Xorg dummy server and the person at its
//! desk (a second XInput2 master); `sound`: a private PulseAudio server with a
//! null sink, and tones played into it; `redis`: a private `redis-server`
//! with its AOF in a temporary directory; `sway`: a headless sway (or weston)
//! run by the test; `wayland_client`: what every Wayland harness here shares
//! (clients with their output read, wev's report parsed, the test picture).

pub mod desk;
pub mod redis;
pub mod sound;
pub mod sway;
pub mod wayland_client;

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};
use x11rb::rust_connection::RustConnection;

pub const WIDTH: u32 = 1920;

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}
pub const HEIGHT: u32 = 1080;

/// An Xvfb server on a free display number, killed on drop.
pub struct Xvfb {
    child: Child,
    /// Kept open: Xvfb wrote its display number here.
    _stdout: BufReader<ChildStdout>,
    /// E.g. `":3"`.
    pub display: String,
}

impl Xvfb {
    /// A 1920x1080 screen.
    pub fn start() -> Self {
        Self::start_sized(WIDTH, HEIGHT)
    }

    /// A screen of this size (24-bit).
    pub fn start_sized(width: u32, height: u32) -> Self {
        Self::start_via(&[], width, height)
    }

    /// A screen of this size, with Xvfb run through `prefix` (a command that
    /// execs its arguments, such as `setpriv --reuid=U --regid=G --clear-groups`,
    /// to run it as another user); empty for none.
    pub fn start_via(prefix: &[&str], width: u32, height: u32) -> Self {
        let geometry = format!("{width}x{height}x24");
        let mut cmd = match prefix.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg("Xvfb");
                c
            }
            None => Command::new("Xvfb"),
        };
        let mut child = cmd
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &geometry,
                "-noreset",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb must be installed (Debian package xvfb)");
        let (display, reader) = display_of(&mut child, "Xvfb", Duration::from_secs(30), || {
            String::new()
        });
        Self {
            child,
            _stdout: reader,
            display,
        }
    }
}

/// The display a server started with `-displayfd 1` reports on its standard
/// output, once it answers; kills it and panics (with `log()`) if it does not
/// within `limit`. The reader is kept open by the caller.
pub(crate) fn display_of(
    child: &mut Child,
    name: &str,
    limit: Duration,
    log: impl FnOnce() -> String,
) -> (String, BufReader<ChildStdout>) {
    let stdout = child.stdout.take().expect("stdout is piped");
    // -displayfd: the server picks a free display and writes its number once it accepts clients.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let res = reader.read_line(&mut line).map(|_| line);
        let _ = tx.send((res, reader));
    });
    let (line, reader) = match rx.recv_timeout(limit) {
        Ok((Ok(line), reader)) if !line.trim().is_empty() => (line, reader),
        other => {
            let _ = child.kill();
            panic!(
                "{name} did not report a display: {:?}\n{}",
                other.map(|(r, _)| r),
                log()
            );
        }
    };
    let n: u32 = line.trim().parse().expect("a display number");
    let display = format!(":{n}");
    // Belt and braces: the server answers before we hand it out.
    let mut ok = false;
    for _ in 0..100 {
        if x11rb::connect(Some(&display)).is_ok() {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ok, "cannot connect to {name} on {display}");
    (display, reader)
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Cut the screen of `display` into monitors side by side, each `width`
/// pixels wide and as high as the screen, named `left`, `right`, `third`...:
/// the first keeps the server's output (and is primary), the others are
/// virtual RandR 1.5 monitors, as `xrandr --setmonitor` makes them.
pub fn split_into_monitors(display: &str, width: u16, count: u16) {
    use x11rb::protocol::randr::{self, ConnectionExt as _};
    let (conn, screen) = connect(display);
    let root = conn.setup().roots[screen].root;
    let height = conn.setup().roots[screen].height_in_pixels;
    conn.randr_query_version(1, 5)
        .expect("randr")
        .reply()
        .expect("RandR 1.5");
    let outputs = conn
        .randr_get_screen_resources_current(root)
        .expect("resources")
        .reply()
        .expect("resources")
        .outputs;
    let names = ["left", "right", "third", "fourth"];
    for i in 0..count {
        let name = conn
            .intern_atom(false, names[usize::from(i)].as_bytes())
            .expect("atom")
            .reply()
            .expect("atom")
            .atom;
        let monitor = randr::MonitorInfo {
            name,
            primary: i == 0,
            automatic: false,
            x: i16::try_from(u32::from(i) * u32::from(width)).expect("fits"),
            y: 0,
            width,
            height,
            width_in_millimeters: u32::from(width) / 4,
            height_in_millimeters: u32::from(height) / 4,
            outputs: if i == 0 { outputs.clone() } else { vec![] },
        };
        conn.randr_set_monitor(root, monitor)
            .expect("set monitor")
            .check()
            .expect("the X server refused the monitor");
    }
}

/// Connect to `display` (e.g. `":3"`).
pub fn connect(display: &str) -> (RustConnection, usize) {
    x11rb::connect(Some(display)).expect("connect to Xvfb")
}

/// Draws packed RGBA pixels on the root window at (x, y) with PutImage.
pub fn draw_rgba(conn: &RustConnection, screen: usize, x: i16, y: i16, w: u16, rgba: &[u8]) {
    let s = &conn.setup().roots[screen];
    assert_eq!(s.root_depth, 24, "tests assume a 24-bit TrueColor screen");
    let root = s.root;
    let gc = conn.generate_id().expect("id");
    conn.create_gc(gc, root, &Default::default())
        .expect("create_gc");
    let row = usize::from(w) * 4;
    let h = rgba.len() / row;
    let max = conn.maximum_request_bytes() - 64;
    let rows_per = (max / row).max(1);
    let mut y0 = 0;
    while y0 < h {
        let n = rows_per.min(h - y0);
        // ZPixmap, 32 bits per pixel, little-endian: B, G, R, pad.
        let mut bgrx = Vec::with_capacity(n * row);
        for p in rgba[y0 * row..(y0 + n) * row].chunks_exact(4) {
            bgrx.extend_from_slice(&[p[2], p[1], p[0], 0]);
        }
        conn.put_image(
            ImageFormat::Z_PIXMAP,
            root,
            gc,
            w,
            n as u16,
            x,
            y + y0 as i16,
            0,
            24,
            &bgrx,
        )
        .expect("put_image");
        y0 += n;
    }
    conn.free_gc(gc).expect("free_gc");
    conn.get_input_focus()
        .expect("sync")
        .reply()
        .expect("sync reply");
}

/// A deterministic desktop-like RGBA picture: flat background, a few windows
/// with title bars, and lines of text-like glyphs. `variant` changes the text
/// in the second window only.
pub fn desktop(w: u32, h: u32, variant: u32) -> Vec<u8> {
    let (w, h) = (w as usize, h as usize);
    let mut px = vec![0u8; w * h * 4];
    let fill = |x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3], px: &mut Vec<u8>| {
        for y in y0.min(h)..y1.min(h) {
            for x in x0.min(w)..x1.min(w) {
                let i = (y * w + x) * 4;
                px[i..i + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
            }
        }
    };
    fill(0, 0, w, h, [46, 52, 64], &mut px); // desktop background
    fill(0, h.saturating_sub(32), w, h, [30, 30, 36], &mut px); // panel
    let windows = [
        (w / 16, h / 12, w / 2, h / 2, [53, 132, 228]),
        (w / 2, h / 3, w - w / 12, h - h / 8, [224, 108, 117]),
    ];
    for (wi, &(x0, y0, x1, y1, title)) in windows.iter().enumerate() {
        fill(x0, y0, x1, y1, [250, 250, 250], &mut px);
        fill(x0, y0, x1, y0 + 24, title, &mut px);
        // Text: 7x12 cells with 5x9 glyphs from a small PRNG, 60% of lines filled.
        let mut seed: u32 =
            0x9e37_79b9 ^ (wi as u32 * 7919) ^ if wi == 1 { variant * 104_729 } else { 0 };
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut ty = y0 + 36;
        while ty + 12 < y1 {
            let line_len = (next() as usize % ((x1 - x0 - 24) / 7)).max(4);
            for c in 0..line_len {
                let gx = x0 + 12 + c * 7;
                if next() % 6 == 0 {
                    continue; // a space
                }
                let bits = next();
                for gy in 0..9 {
                    for gxx in 0..5 {
                        if (bits >> ((gy * 5 + gxx) % 32)) & 1 == 1 && (gy + gxx) % 3 != 0 {
                            let i = ((ty + gy) * w + gx + gxx) * 4;
                            px[i..i + 4].copy_from_slice(&[40, 40, 48, 255]);
                        }
                    }
                }
            }
            ty += if next() % 5 < 3 { 14 } else { 28 };
        }
    }
    px
}

/// A private D-Bus session bus (`dbus-daemon --session`) in `dir`, killed on
/// drop. The bus starts activatable services with its own environment, so
/// it gets `home` as HOME: nothing of the machine's own session leaks in.
pub struct SessionBus {
    child: Child,
    /// `unix:path=...`, for `DBUS_SESSION_BUS_ADDRESS`.
    pub address: String,
}

impl SessionBus {
    /// A session bus like a desktop's: services such as GNOME Keyring's
    /// Secret Service start on first use.
    pub fn start(dir: &std::path::Path, home: &std::path::Path) -> Self {
        Self::spawn(dir, home, &["--session".to_string()])
    }

    /// A session bus that starts no services: nothing answers for the
    /// Secret Service (a headless session with no keyring).
    pub fn start_without_services(dir: &std::path::Path, home: &std::path::Path) -> Self {
        let config = dir.join("bus-no-services.conf");
        std::fs::write(
            &config,
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        )
        .expect("bus config");
        Self::spawn(dir, home, &[format!("--config-file={}", config.display())])
    }

    fn spawn(dir: &std::path::Path, home: &std::path::Path, kind: &[String]) -> Self {
        let socket = dir.join("bus");
        let mut child = Command::new("dbus-daemon")
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", dir)
            .args(kind)
            .args(["--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon must be installed (scripts/setup.sh installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("bus address");
        let address = line.trim().to_string();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}"
        );
        SessionBus { child, address }
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
