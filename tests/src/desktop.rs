//! A host sharing a private X display, and what the suites read back from
//! that display and from the host's audit log: the pointer, the clipboard,
//! the messages the host dropped.

use std::process::{Command, Stdio};
use std::time::Duration;

use latchkey_testkit::Xvfb;

use crate::cli::{Device, Proc, Rendezvous, GOOD_PASSWORD};

/// A host sharing `x`'s display, with a password on `profile` and unattended access on.
pub fn host_on(x: &Xvfb, rv: &Rendezvous, profile: &str) -> (Device, Proc) {
    host_on_display(&x.display, rv, profile)
}

/// A host sharing X display `display` (an Xorg server, say), as [`host_on`].
pub fn host_on_display(display: &str, rv: &Rendezvous, profile: &str) -> (Device, Proc) {
    let host = Device::file();
    host.set_password(profile, GOOD_PASSWORD).ok();
    host.run(&["unattended", "on", "--profile", profile]).ok();
    let proc = host.start_host_on(rv, display);
    (host, proc)
}

/// `connect --commands --json` with the password and `extra` arguments
/// (e.g. `--profile NAME`): the session stays open and takes commands one by one.
pub fn held_session(viewer: &Device, id: &str, rv: &Rendezvous, extra: &[&str]) -> Proc {
    held_session_env(viewer, id, rv, extra, &[])
}

/// [`held_session`] with `env` set for the viewer (e.g. `LATCHKEY_LOG`).
pub fn held_session_env(
    viewer: &Device,
    id: &str,
    rv: &Rendezvous,
    extra: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> Proc {
    let mut args = vec!["connect", id, "--rendezvous", &rv.url];
    args.extend_from_slice(extra);
    args.extend(["--password-stdin", "--commands", "--json"]);
    let mut v = viewer.spawn_piped_env(&args, env);
    v.send(GOOD_PASSWORD);
    let line = v.wait_line(|l| l.starts_with('{'), Duration::from_secs(30));
    assert!(line.contains("\"ok\":true"), "{line}");
    v
}

/// `connect --screenshot` from `viewer` to `id` at `url` with the test
/// password: its run and where the screenshot goes.
pub fn screenshot(viewer: &Device, id: &str, url: &str) -> (crate::cli::Run, std::path::PathBuf) {
    let shot = viewer.dir.with_file_name("shot.png");
    let run = viewer.connect_url(
        id,
        url,
        &[
            "--password-stdin",
            "--screenshot",
            shot.to_str().expect("utf8"),
        ],
        Some(&format!("{GOOD_PASSWORD}\n")),
    );
    (run, shot)
}

/// `connect --screenshot` through the rendezvous `url` with the test
/// password, and the PSNR of what it saved against `expected` (RGBA, the
/// whole testkit screen).
pub fn screenshot_psnr(viewer: &Device, id: &str, url: &str, expected: Vec<u8>) -> f64 {
    use latchkey_media::{Frame, PixelFormat};
    use latchkey_testkit::{HEIGHT, WIDTH};
    let expected = Frame::packed(WIDTH, HEIGHT, PixelFormat::Rgba, expected).expect("frame");
    screenshot_psnr_of(viewer, id, url, &expected)
}

/// [`screenshot_psnr`] against a frame of any size and pixel format: the
/// screenshot must have its size.
pub fn screenshot_psnr_of(
    viewer: &Device,
    id: &str,
    url: &str,
    expected: &latchkey_media::Frame,
) -> f64 {
    let (run, shot) = screenshot(viewer, id, url);
    assert_eq!(run.code, 0, "{run:?}");
    let v: serde_json::Value = serde_json::from_str(run.stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"));
    assert_eq!(
        (v["width"].clone(), v["height"].clone()),
        (
            serde_json::Value::from(expected.width()),
            serde_json::Value::from(expected.height())
        )
    );
    read_png(&shot).psnr(expected).expect("same size")
}

/// Unattended access with the test password on one more of `host`'s profiles.
pub fn password_on(host: &Device, profile: &str) {
    host.set_password(profile, GOOD_PASSWORD).ok();
    host.run(&["unattended", "on", "--profile", profile]).ok();
}

/// Poll `check` until it holds (panics with `what` after `limit`).
pub fn until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A `--commands` answer the host refused for want of a permission.
pub fn assert_refused(answer: &serde_json::Value) {
    assert_eq!(
        (answer["ok"].clone(), answer["refused"].clone()),
        (false.into(), true.into()),
        "{answer}"
    );
}

/// Run an X tool on `display`; its standard output.
pub fn xtool(display: &str, args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{} must be installed: {e}", args[0]));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The pointer position on `display`.
pub fn pointer(display: &str) -> (i32, i32) {
    let out = xtool(display, &["xdotool", "getmouselocation"]);
    let field = |k: &str| -> i32 {
        out.split_whitespace()
            .find_map(|f| f.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {k} in {out:?}"))
    };
    (field("x:"), field("y:"))
}

/// The clipboard text on `display`.
pub fn clipboard(display: &str) -> String {
    xtool(display, &["xclip", "-o", "-selection", "clipboard"])
}

/// The host's `message_dropped` audit records, as (kind, permission).
pub fn dropped(host: &Device) -> Vec<(String, String)> {
    host.run(&["audit", "--json"])
        .json()
        .as_array()
        .expect("audit list")
        .iter()
        .filter(|e| e["event"] == "message_dropped")
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_string(),
                e["permission"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A PNG file (a viewer's screenshot) as an RGBA frame.
pub fn read_png(path: &std::path::Path) -> latchkey_media::Frame {
    use latchkey_media::{Frame, PixelFormat};
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png data");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    Frame::packed(info.width, info.height, PixelFormat::Rgba, buf).expect("frame")
}

/// The screen of `display` in the rectangle at (`x`, `y`), `w` by `h`, as
/// RGB pixels row by row: what the host's capture reads (a GetImage of
/// the root window, which shows every mapped window, overlays included).
pub fn grab(display: &str, x: i16, y: i16, w: u16, h: u16) -> Vec<[u8; 3]> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};
    let (conn, screen) = latchkey_testkit::connect(display);
    let root = conn.setup().roots[screen].root;
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, root, x, y, w, h, !0)
        .expect("get_image")
        .reply()
        .expect("get_image reply");
    assert_eq!(image.depth, 24, "tests assume a 24-bit TrueColor screen");
    // 32 bits per pixel, little-endian: B, G, R, pad.
    image
        .data
        .chunks_exact(4)
        .map(|p| [p[2], p[1], p[0]])
        .collect()
}

/// The colour of one pixel of `display`'s screen.
pub fn pixel(display: &str, x: i16, y: i16) -> [u8; 3] {
    grab(display, x, y, 1, 1)[0]
}

/// A window over the whole screen, under anything mapped later, that
/// records the button presses it receives (a program the person at the
/// host clicks in). White.
pub struct ClickTarget {
    conn: x11rb::rust_connection::RustConnection,
}

impl ClickTarget {
    /// Open it on `display` and wait until it is on the screen.
    pub fn open(display: &str) -> Self {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, EventMask, WindowClass};
        let (conn, screen) = latchkey_testkit::connect(display);
        let s = &conn.setup().roots[screen];
        let (root, w, h, white) = (s.root, s.width_in_pixels, s.height_in_pixels, s.white_pixel);
        let window = conn.generate_id().expect("id");
        conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            window,
            root,
            0,
            0,
            w,
            h,
            0,
            WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new()
                .override_redirect(1)
                .background_pixel(white)
                .event_mask(EventMask::BUTTON_PRESS | EventMask::EXPOSURE),
        )
        .expect("create_window");
        conn.map_window(window).expect("map");
        conn.flush().expect("flush");
        // Mapped and painted: its first Expose.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match conn.poll_for_event().expect("event") {
                Some(x11rb::protocol::Event::Expose(_)) => break,
                Some(_) => {}
                None => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the window never showed"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        ClickTarget { conn }
    }

    /// Wait for a button press; where it landed (within `limit`, else `None`).
    pub fn pressed(&self, limit: Duration) -> Option<(i16, i16)> {
        use x11rb::connection::Connection;
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            match self.conn.poll_for_event().expect("event") {
                Some(x11rb::protocol::Event::ButtonPress(e)) => {
                    return Some((e.event_x, e.event_y))
                }
                Some(_) => {}
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        None
    }
}
