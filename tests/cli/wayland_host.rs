//! A host started inside a sway session (Debian's sway 1.7, headless; no X
//! display at all) shares it: the viewer's screenshot matches sway's
//! background, `connect --commands` moves the pointer and types into a
//! Wayland client (wev, which reports what it got), the clipboard goes both
//! ways with wl-clipboard (wlr-data-control), and `latchkey status
//! --json` names the wlroots capture and input paths the running host opened.
//! Skips, saying why, only when sway is not installed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_e2e::cli::{Device, Rendezvous, GOOD_PASSWORD};
use latchkey_e2e::desktop::{held_session, read_png, screenshot};
use latchkey_media::{Frame, PixelFormat};
use serde_json::Value;

use latchkey_testkit::sway::{
    installed, pattern, wait_window, world_readable_dir, write_pattern_png, Compositor, Wev,
    HEIGHT, WIDTH,
};

/// A host device whose commands run inside `sway`'s session (as root, with the
/// compositor's socket and runtime directory; `DISPLAY` is never passed).
fn host_in(sway: &Compositor) -> Device {
    let mut host = Device::file();
    for (key, value) in sway.env() {
        host = host.with_env(key, value);
    }
    host.set_password("default", GOOD_PASSWORD).ok();
    host.run(&["unattended", "on", "--profile", "default"]).ok();
    host
}

/// User plus system CPU time of process `pid` so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) end with ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ')'.
    field(11) + field(12)
}

/// The clipboard's text as `wl-paste` (a client of `sway`) reads it.
fn wl_paste(sway: &Compositor) -> String {
    let out = Command::new("timeout")
        .args(["10", "wl-paste", "--no-newline"])
        .envs(sway.env())
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .output()
        .expect("run wl-paste");
    assert!(out.status.success(), "wl-paste failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_host_in_sway_shares_its_screen_and_takes_input() {
    if installed("sway") {
        // sway without wev is a broken set-up here: scripts/setup.sh installs both.
        assert!(
            installed("wev"),
            "sway is installed but wev is not (scripts/setup.sh)"
        );
    }
    // swaybg runs as the compositor's user: the picture sits in a world-readable directory.
    let files = world_readable_dir();
    let png = files.path().join("pattern.png");
    write_pattern_png(&png);
    let Some(sway) = Compositor::sway(&format!(
        "output * bg {} center #000000\n\
         default_border none\n\
         for_window [app_id=\"wev\"] floating enable, resize set 400 300, move position 200 150",
        png.display()
    )) else {
        return;
    };
    let rv = Rendezvous::start(0, None);
    let host = host_in(&sway);
    let started = Instant::now();
    let h = host.start_host(&rv);
    println!("host ready in {:?}", started.elapsed());

    // The screen: swaybg draws a moment after sway starts, so a few tries (bounded).
    let expected =
        Frame::packed(WIDTH, HEIGHT, PixelFormat::Bgra, pattern()).expect("pattern frame");
    let viewer = Device::file();
    let mut best = 0f64;
    for _ in 0..5 {
        let t = Instant::now();
        let (run, shot) = screenshot(&viewer, h.id(), &rv.url);
        assert_eq!(
            run.code,
            0,
            "{run:?}\nthe host said:\n{}\nsway:\n{}",
            h.stderr_so_far(),
            sway.log()
        );
        let frame = read_png(&shot);
        assert_eq!((frame.width(), frame.height()), (WIDTH, HEIGHT));
        best = best.max(frame.psnr(&expected).expect("same size"));
        println!("screenshot in {:?}: PSNR {best:.1} dB", t.elapsed());
        if best >= 30.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        best >= 30.0,
        "the screenshot does not match sway's background: PSNR {best:.1} dB"
    );

    // Input: into wev's window, floating at a known place.
    let mut wev = Wev::start(&sway);
    let (wx, wy, _, _) = wait_window(&sway, "wev", |r| (r.2, r.3) == (400, 300));
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    // Output pixels (the screenshot's) land at the same place in the window.
    assert_eq!(
        v.command(&format!("move {} {}", wx + 57, wy + 43))["ok"],
        true
    );
    assert_eq!(v.command("sync")["ok"], true);
    wev.wait("the pointer at (57, 43)", |e| e.pointer_was_at(57.0, 43.0));
    // The virtual keyboard comes with the host's first input: focus follows it.
    wev.wait("a keyboard and focus", |e| e.has_devices && e.focused);
    let text = "Hello from Latchkey, 42!";
    assert_eq!(v.command(&format!("type {text}"))["ok"], true);
    assert_eq!(v.command("sync")["ok"], true);
    wev.wait("the typed text", |e| e.typed().contains(text));
    // A key by physical code (DOM name), held and released.
    let before = wev.events.keys.len();
    assert_eq!(v.command("key KeyQ down")["ok"], true);
    assert_eq!(v.command("key KeyQ up")["ok"], true);
    assert_eq!(v.command("sync")["ok"], true);
    wev.wait("q pressed and released", |e| {
        let keys = &e.keys[before..];
        keys.iter().any(|k| k.0 == "q" && k.1) && keys.iter().any(|k| k.0 == "q" && !k.1)
    });

    // The clipboard, both ways, with another data-control client (wl-clipboard).
    let from_viewer = "from the viewer: é€ \"quoted\"";
    assert_eq!(
        v.command(&format!("clipboard-set {from_viewer}"))["ok"],
        true
    );
    assert_eq!(wl_paste(&sway), from_viewer);
    // Serves its text until killed (when `_copier` goes).
    let _copier = sway.client(&["wl-copy", "--foreground", "from the desk"]);
    let mut got = Value::Null;
    for _ in 0..50 {
        got = v.command("clipboard-get");
        if got["text"] == "from the desk" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(got["text"], "from the desk", "{got}");

    // What the running host says it opened.
    let status = host.status();
    let desktop = &status["host_desktop"];
    assert_eq!(desktop["capture"], "wlroots", "{status}");
    assert_eq!(desktop["input"], "wlroots", "{status}");
    let text = host.run(&["status"]);
    assert!(
        text.ok().contains("Screen capture:     wlroots"),
        "{text:?}"
    );
    // A figure, not a check: the host's CPU time while a session watches a
    // still screen (the compositor answers a damage-aware copy only on change).
    let before = cpu_ticks(h.child.id());
    std::thread::sleep(Duration::from_secs(3));
    let idle = cpu_ticks(h.child.id()).saturating_sub(before);
    println!("host CPU over 3 s of a still screen with a session open: {idle} ticks (1/100 s)");
    assert_eq!(v.command("quit")["ok"], true);
    println!(
        "wev got {} pointer positions and {} key events",
        wev.events.motions.len(),
        wev.events.keys.len()
    );
}
