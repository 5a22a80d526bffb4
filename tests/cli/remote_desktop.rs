//! The remote desktop end to end under a real X server (Xvfb): the viewer sees
//! the host's screen, moves its pointer, types into a focused window, uses the
//! clipboard both ways; the host enforces the profile's permissions and lets
//! go of every key when a session drops.

use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{
    clipboard, dropped, held_session, held_session_env, host_on, pointer, read_png,
};
use latchkey_media::{Frame, PixelFormat};
use latchkey_testkit::{desktop, draw_rgba, Xvfb, HEIGHT, WIDTH};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, EventMask, InputFocus, WindowClass};
use x11rb::protocol::Event;
use x11rb::wrapper::ConnectionExt as _;

fn pw() -> String {
    format!("{GOOD_PASSWORD}\n")
}

fn json(run: &Run) -> Value {
    serde_json::from_str(run.stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {run:?}"))
}

#[test]
fn viewer_sees_the_hosts_screen() {
    let x = Xvfb::start();
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    let picture = desktop(WIDTH, HEIGHT, 0);
    draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &picture);
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let psnr = screenshot_psnr(&viewer, h.id(), &rv, picture);
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB");
    // A second picture: the viewer sees the change.
    let changed = desktop(WIDTH, HEIGHT, 7);
    draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &changed);
    let psnr = screenshot_psnr(&viewer, h.id(), &rv, changed);
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB after the change");
}

/// `connect --screenshot` and the PSNR of what it saved against `expected` (RGBA, full screen).
fn screenshot_psnr(viewer: &Device, id: &str, rv: &Rendezvous, expected: Vec<u8>) -> f64 {
    latchkey_e2e::desktop::screenshot_psnr(viewer, id, &rv.url, expected)
}

/// A window over the whole screen that has the focus and records key presses.
struct KeyWindow {
    conn: x11rb::rust_connection::RustConnection,
}

impl KeyWindow {
    fn open(display: &str) -> Self {
        let (conn, screen) = latchkey_testkit::connect(display);
        let root = conn.setup().roots[screen].root;
        let win = conn.generate_id().expect("id");
        conn.create_window(
            0,
            win,
            root,
            0,
            0,
            WIDTH as u16,
            HEIGHT as u16,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new().event_mask(EventMask::KEY_PRESS),
        )
        .expect("window");
        conn.map_window(win).expect("map");
        conn.sync().expect("sync");
        std::thread::sleep(Duration::from_millis(200));
        conn.set_input_focus(InputFocus::POINTER_ROOT, win, x11rb::CURRENT_TIME)
            .expect("focus");
        conn.sync().expect("sync");
        KeyWindow { conn }
    }

    /// Characters typed (by keysym of the pressed keycode, unshifted), collected for `limit`.
    fn typed(&self, limit: Duration) -> String {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let map = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)
            .expect("mapping")
            .reply()
            .expect("mapping");
        let per = map.keysyms_per_keycode as usize;
        let mut out = String::new();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            match self.conn.poll_for_event().expect("event") {
                Some(Event::KeyPress(e)) => {
                    let sym = map.keysyms[(e.detail - min) as usize * per];
                    if let Some(c) = char::from_u32(sym).filter(|c| c.is_ascii_graphic()) {
                        out.push(c);
                    }
                }
                Some(_) => {}
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        out
    }
}

#[test]
fn input_moves_the_pointer_and_types_into_the_focused_window() {
    let x = Xvfb::start();
    let window = KeyWindow::open(&x.display);
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let run = viewer.connect(
        h.id(),
        &rv,
        &["--password-stdin", "--move", "300,200", "--type", "hi42"],
        Some(&pw()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(pointer(&x.display), (300, 200));
    assert_eq!(window.typed(Duration::from_secs(2)), "hi42");
}

#[test]
fn view_only_profile_changes_nothing_and_the_host_audits_it() {
    let x = Xvfb::start();
    let window = KeyWindow::open(&x.display);
    Command::new("xdotool")
        .args(["mousemove", "10", "20"])
        .env("DISPLAY", &x.display)
        .status()
        .expect("xdotool");
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "screen_sharing");
    let viewer = Device::file();
    let args = [
        "--profile",
        "screen_sharing",
        "--password-stdin",
        "--move",
        "500,500",
        "--click",
        "--type",
        "nope",
    ];
    let run = viewer.connect(h.id(), &rv, &args, Some(&pw()));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(json(&run)["permissions"], serde_json::json!([]));
    assert_eq!(pointer(&x.display), (10, 20));
    assert_eq!(window.typed(Duration::from_secs(2)), "");
    // The host recorded the dropped input (once per kind) and the count.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let audit = host.run(&["audit", "--json"]).json();
        let events = audit.as_array().expect("list");
        let kinds: Vec<_> = events
            .iter()
            .filter(|e| e["event"] == "message_dropped")
            .map(|e| e["kind"].as_str().unwrap_or("").to_string())
            .collect();
        let ended = events.iter().find(|e| e["event"] == "session_ended");
        if let Some(ended) = ended {
            assert!(
                kinds.contains(&"pointer_move".to_string())
                    && kinds.contains(&"text".to_string())
                    && kinds.contains(&"button".to_string()),
                "{kinds:?}"
            );
            assert!(
                ended["dropped_messages"].as_u64().unwrap_or(0) >= 4,
                "{ended}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no session_ended in {audit}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn clipboard_both_ways_and_blocked_without_the_permission() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "default");
    host.set_password("screen_sharing", OTHER_PASSWORD).ok();
    host.run(&["unattended", "on", "--profile", "screen_sharing"])
        .ok();
    let viewer = Device::file();
    // Viewer to host.
    let run = viewer.connect(
        h.id(),
        &rv,
        &["--password-stdin", "--clipboard-set", "from the viewer"],
        Some(&pw()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(clipboard(&x.display), "from the viewer");
    // Host to viewer.
    let mut xclip = Command::new("xclip")
        .args(["-i", "-selection", "clipboard", "-loops", "1"])
        .env("DISPLAY", &x.display)
        .stdin(Stdio::piped())
        .spawn()
        .expect("xclip");
    {
        use std::io::Write;
        xclip
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"from the host")
            .expect("write");
    }
    std::thread::sleep(Duration::from_millis(300));
    let run = viewer.connect(
        h.id(),
        &rv,
        &["--password-stdin", "--clipboard-get"],
        Some(&pw()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(json(&run)["clipboard"], "from the host");
    let _ = xclip.kill();
    let _ = xclip.wait();
    // Without the permission: refused both ways, and the host's clipboard is untouched.
    let other = format!("{OTHER_PASSWORD}\n");
    let run = viewer.connect(
        h.id(),
        &rv,
        &[
            "--profile",
            "screen_sharing",
            "--password-stdin",
            "--clipboard-get",
        ],
        Some(&other),
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("clipboard"), "{run:?}");
    let run = viewer.connect(
        h.id(),
        &rv,
        &[
            "--profile",
            "screen_sharing",
            "--password-stdin",
            "--clipboard-set",
            "sneaky",
        ],
        Some(&other),
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert_ne!(clipboard(&x.display), "sneaky");
}

fn keys_held(display: &str) -> usize {
    let (conn, _) = latchkey_testkit::connect(display);
    let map = conn
        .query_keymap()
        .expect("keymap")
        .reply()
        .expect("keymap");
    map.keys.iter().map(|b| b.count_ones() as usize).sum()
}

#[test]
fn a_session_dropped_mid_keypress_leaves_no_key_stuck() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let mut holding = viewer.spawn(
        &[
            "connect",
            h.id(),
            "--rendezvous",
            &rv.url,
            "--password-stdin",
            "--hold-key",
            "ShiftLeft",
            "--hold-key",
            "KeyA",
        ],
        Some(&pw()),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while keys_held(&x.display) < 2 {
        if Instant::now() >= deadline {
            holding.kill();
            panic!(
                "the keys never went down: {:?}",
                holding.finish(Duration::from_secs(5))
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The viewer dies without a word.
    holding.kill();
    let deadline = Instant::now() + Duration::from_secs(60);
    while keys_held(&x.display) > 0 {
        assert!(
            Instant::now() < deadline,
            "keys still held after the session dropped"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn record_writes_a_y4m_at_30_fps() {
    let x = Xvfb::start();
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    draw_rgba(
        &conn,
        screen,
        0,
        0,
        WIDTH as u16,
        &desktop(WIDTH, HEIGHT, 3),
    );
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let file = viewer.dir.with_file_name("screen.y4m");
    let run = viewer.connect(
        h.id(),
        &rv,
        &[
            "--password-stdin",
            "--record",
            file.to_str().expect("utf8"),
            "--seconds",
            "1",
        ],
        Some(&pw()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let bytes = std::fs::read(&file).expect("recording");
    let header_end = bytes.iter().position(|b| *b == b'\n').expect("header");
    let header = String::from_utf8_lossy(&bytes[..header_end]);
    assert!(
        header.starts_with(&format!("YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1")),
        "{header}"
    );
    let frame = 6 + (WIDTH * HEIGHT * 3 / 2) as usize;
    assert_eq!((bytes.len() - header_end - 1) % frame, 0);
    assert_eq!((bytes.len() - header_end - 1) / frame, 30);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn show_pointer_without_control_is_shown_not_moved() {
    use std::io::{BufRead, BufReader, Write};
    let x = Xvfb::start();
    Command::new("xdotool")
        .args(["mousemove", "10", "20"])
        .env("DISPLAY", &x.display)
        .status()
        .expect("xdotool");
    let rv = Rendezvous::start(0, None);
    let host = Device::file();
    host.run(&["profile", "create", "pointer-only"]).ok();
    host.run(&["profile", "set", "pointer-only", "show_pointer", "on"])
        .ok();
    let (host, h) = {
        host.set_password("pointer-only", GOOD_PASSWORD).ok();
        host.run(&["unattended", "on", "--profile", "pointer-only"])
            .ok();
        let p = host.start_host_on(&rv, &x.display);
        (host, p)
    };
    let viewer = Device::file();
    let fingerprint = viewer.status()["fingerprint"]
        .as_str()
        .expect("fp")
        .to_string();
    // Hold the session open (a held key is simply dropped: no control) while we look.
    let mut held = viewer.spawn(
        &[
            "connect",
            h.id(),
            "--rendezvous",
            &rv.url,
            "--profile",
            "pointer-only",
            "--password-stdin",
            "--move",
            "500,400",
            "--hold-key",
            "KeyA",
        ],
        Some(&pw()),
    );
    let ask = || {
        let mut s =
            std::os::unix::net::UnixStream::connect(host.dir.join("control.sock")).expect("socket");
        s.write_all(b"{\"cmd\":\"pointers\"}\n").expect("write");
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).expect("answer");
        serde_json::from_str::<Value>(&line).expect("json")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let shown = loop {
        let v = ask();
        if let Some(p) = v["pointers"].as_array().and_then(|a| a.first()) {
            break p.clone();
        }
        assert!(Instant::now() < deadline, "no remote pointer shown: {v}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        (shown["x"].as_i64(), shown["y"].as_i64()),
        (Some(500), Some(400))
    );
    assert_eq!(shown["viewer"], fingerprint.as_str());
    assert_eq!(
        pointer(&x.display),
        (10, 20),
        "the host's pointer did not move"
    );
    assert_eq!(
        keys_held(&x.display),
        0,
        "no key pressed without control_input"
    );
    held.kill();
}

#[test]
fn a_profile_edited_mid_session_applies_at_once() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert_eq!(v.command("move 100 120")["ok"], true);
    assert_eq!(v.command("sync")["ok"], true);
    assert_eq!(pointer(&x.display), (100, 120));

    // The owner withdraws keyboard and mouse from the profile while the session runs.
    host.run(&["profile", "set", "default", "control_input", "off"])
        .ok();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(v.command("move 300 320")["ok"], true);
    assert_eq!(v.command("click")["ok"], true);
    assert_eq!(v.command("sync")["ok"], true);
    assert_eq!(
        pointer(&x.display),
        (100, 120),
        "the pointer must not move any more"
    );
    // (The profile still shows the viewer's pointer, so motion is not a
    // drop; the click is.)
    assert!(dropped(&host)
        .into_iter()
        .map(|(kind, _)| kind)
        .collect::<Vec<_>>()
        .contains(&"button".to_string()));

    // And gives it back: it works again in the same session.
    host.run(&["profile", "set", "default", "control_input", "on"])
        .ok();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(v.command("move 200 220")["ok"], true);
    assert_eq!(v.command("sync")["ok"], true);
    assert_eq!(pointer(&x.display), (200, 220));
    assert_eq!(v.command("quit")["ok"], true);
    assert_eq!(v.finish(Duration::from_secs(20)).code, 0);
}

#[test]
fn two_monitors_the_viewer_picks_one_and_points_on_it() {
    let x = Xvfb::start_sized(2 * 800, 600);
    latchkey_testkit::split_into_monitors(&x.display, 800, 2);
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    let left = desktop(800, 600, 1);
    let right = desktop(800, 600, 2);
    draw_rgba(&conn, screen, 0, 0, 800, &left);
    draw_rgba(&conn, screen, 800, 0, 800, &right);
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();

    let run = viewer.connect(
        h.id(),
        &rv,
        &["--password-stdin", "--list-displays"],
        Some(&pw()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let v = json(&run);
    let displays = v["displays"].as_array().expect("displays").clone();
    let names: Vec<_> = displays
        .iter()
        .map(|d| d["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["left", "right"]);
    assert_eq!(
        v["display"], displays[0]["id"],
        "the primary one streams first"
    );
    let right_id = displays[1]["id"].to_string();

    // The right monitor's picture, and a pointer position on it.
    let shot = viewer.dir.with_file_name("right.png");
    let run = viewer.connect(
        h.id(),
        &rv,
        &[
            "--password-stdin",
            "--display",
            &right_id,
            "--move",
            "10,20",
            "--screenshot",
            shot.to_str().expect("utf8"),
        ],
        Some(&pw()),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let expected = Frame::packed(800, 600, PixelFormat::Rgba, right).expect("frame");
    let psnr = read_png(&shot).psnr(&expected).expect("same size");
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB");
    assert_eq!(
        pointer(&x.display),
        (810, 20),
        "positions are on the streamed monitor"
    );

    // An id the host does not have: a clear refusal, a usage exit code.
    let run = viewer.connect(
        h.id(),
        &rv,
        &["--password-stdin", "--display", "4242"],
        Some(&pw()),
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("no display 4242"), "{run:?}");
}

#[test]
fn long_clipboard_text_travels_in_pieces_both_ways() {
    let x = Xvfb::start();
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    // 200 KB of text with quotes, backslashes and non-ASCII (JSON escapes some).
    let text: String = (0..20_000).map(|i| format!("{i:05}\"é\\ ")).collect();
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert_eq!(v.command(&format!("clipboard-set {text}"))["ok"], true);
    assert_eq!(clipboard(&x.display), text);
    let got = v.command("clipboard-get");
    assert_eq!(got["text"].as_str().map(str::len), Some(text.len()));
    assert_eq!(got["text"], text.as_str());
    // Over the 1 MiB limit: refused whole, nothing half-set.
    let huge = "x".repeat(1024 * 1024 + 1);
    let answer = v.command(&format!("clipboard-set {huge}"));
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(
        answer["error"].as_str().unwrap_or("").contains("limit"),
        "{answer}"
    );
    assert_eq!(clipboard(&x.display), text);
    assert_eq!(v.command("quit")["ok"], true);
}

/// Issue 10: no log level shows what a viewer types, which keys it presses or
/// what it puts on the clipboard, on either side: a host and a viewer at
/// `LATCHKEY_LOG=trace` (every crate's every event, the WebRTC stack's too)
/// type a distinctive text, hold a key and set the clipboard; none of it
/// appears in either process's log.
#[test]
fn no_log_level_shows_typed_text_keys_or_the_clipboard() {
    const TYPED: &str = "qjzx73vwk";
    const KEY: &str = "KeyJ";
    const CLIPPED: &str = "clip9secret4paste";
    let x = Xvfb::start();
    let window = KeyWindow::open(&x.display);
    let rv = Rendezvous::start(0, None);
    let host = Device::file();
    host.set_password("default", GOOD_PASSWORD).ok();
    host.run(&["unattended", "on"]).ok();
    let trace = [("LATCHKEY_LOG", std::ffi::OsStr::new("trace"))];
    let mut h = host.spawn_piped_env(
        &["host", "--rendezvous", &rv.url, "--display", &x.display],
        &trace,
    );
    let ready = h.wait_line(|l| l.contains("host ready: ID"), Duration::from_secs(60));
    let id = ready.rsplit("ID ").next().expect("id").replace(' ', "");
    let viewer = Device::file();
    let mut v = viewer.spawn_piped_env(
        &[
            "connect",
            &id,
            "--rendezvous",
            &rv.url,
            "--password-stdin",
            "--type",
            TYPED,
            "--clipboard-set",
            CLIPPED,
            "--hold-key",
            KEY,
        ],
        &trace,
    );
    v.send(GOOD_PASSWORD);
    // It all happened: the text was typed, the key is down, the clipboard set.
    let mut typed = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !typed.contains(TYPED) || keys_held(&x.display) < 1 {
        assert!(
            Instant::now() < deadline,
            "the input never arrived (typed {typed:?})"
        );
        typed.push_str(&window.typed(Duration::from_millis(300)));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while clipboard(&x.display) != CLIPPED {
        assert!(Instant::now() < deadline, "the clipboard was never set");
        std::thread::sleep(Duration::from_millis(200));
    }
    v.kill();
    // The host lets go of the key once the session drops (its log covers that too).
    let deadline = Instant::now() + Duration::from_secs(60);
    while keys_held(&x.display) > 0 {
        assert!(Instant::now() < deadline, "key still held");
        std::thread::sleep(Duration::from_millis(200));
    }
    h.kill();
    let (host_log, viewer_log) = (
        h.finish(Duration::from_secs(5)).stderr,
        v.finish(Duration::from_secs(5)).stderr,
    );
    for (who, log) in [("host", &host_log), ("viewer", &viewer_log)] {
        // The level took effect: trace output is there.
        assert!(
            log.lines().filter(|l| l.contains("TRACE")).count() > 10,
            "{who}: no trace output:\n{log}"
        );
        // Also as the decimal bytes a `Vec<u8>` prints.
        let as_bytes = |t: &str| {
            t.bytes()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (typed_bytes, clipped_bytes) = (as_bytes(TYPED), as_bytes(CLIPPED));
        for secret in [
            TYPED,
            KEY,
            CLIPPED,
            &typed_bytes,
            &clipped_bytes,
            "KeyDown",
            "KeyPress",
            "Text {",
        ] {
            let hits: Vec<&str> = log.lines().filter(|l| l.contains(secret)).collect();
            assert!(
                hits.is_empty(),
                "{who} logged {secret:?}: {:?}",
                &hits[..hits.len().min(5)]
            );
        }
    }
}

/// A viewer that reads no picture (`--commands`, input and clipboard only)
/// still reads the host's screen track: with the screen changing for
/// seconds, the WebRTC stack never finds the track's queue full (it drops
/// packets and warns "RTP packets dropped" when nobody reads it).
#[test]
fn a_viewer_that_takes_no_picture_still_reads_the_screen_track() {
    let x = Xvfb::start();
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    draw_rgba(
        &conn,
        screen,
        0,
        0,
        WIDTH as u16,
        &desktop(WIDTH, HEIGHT, 0),
    );
    let rv = Rendezvous::start(0, None);
    let (_host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();
    let log = std::ffi::OsStr::new("error,webrtc=warn");
    let mut v = held_session_env(&viewer, h.id(), &rv, &[], &[("LATCHKEY_LOG", log)]);
    // Past the drain's first half second, when a new track's first packets
    // are left for a reader that claims just after the session starts.
    std::thread::sleep(Duration::from_secs(1));
    // ~8 s of a changing screen (a new picture every 100 ms, each several
    // packets): far more than the stack's queue of 256 packets holds.
    for variant in 1..=80u32 {
        draw_rgba(
            &conn,
            screen,
            0,
            0,
            WIDTH as u16,
            &desktop(WIDTH, HEIGHT, variant),
        );
        std::thread::sleep(Duration::from_millis(100));
        if variant % 10 == 0 {
            assert_eq!(v.command("sync")["ok"], true);
        }
    }
    let stderr = v.stderr_so_far();
    assert!(
        !stderr.contains("RTP packets dropped"),
        "the viewer left its screen track unread:\n{stderr}"
    );
    assert_eq!(v.command("quit")["ok"], true);
}
