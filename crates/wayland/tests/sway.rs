//! Capture and input against a real headless sway (Debian's sway 1.7): the
//! screenshot matches a known picture, damage-aware capture says where the
//! screen changed, the virtual pointer and keyboard reach a Wayland client
//! (wev), clipboard text goes between clients (wlr-data-control), and a compositor without the wlr protocols (weston) gives a clear
//! error. Skips, saying why, only when sway (or, for its test, weston) is not
//! installed.

use std::time::{Duration, Instant};

use latchkey_testkit::sway::{
    self as common, pattern, psnr, wait_window, write_pattern_png, Compositor, Wev, HEIGHT, WIDTH,
};
use latchkey_wayland::Rect;
use latchkey_wayland::{Button, Clipboard, Error, Frame, Screencopy, Target, VirtualInput};

fn target(sway: &Compositor) -> Target {
    Target::Socket(sway.socket.clone())
}

/// Captures until `pred` holds for a frame (swaybg draws a moment after sway
/// starts), at most 20 s; returns the last frame and whether `pred` held.
fn capture_until(cap: &mut Screencopy, pred: impl Fn(&Frame) -> bool) -> (Frame, bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let frame = cap.capture(Some("HEADLESS-1")).expect("capture");
        if pred(&frame) {
            return (frame, true);
        }
        if Instant::now() > deadline {
            return (frame, false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn capture_matches_the_known_background() {
    // swaybg runs as the compositor's user: the picture sits in a world-readable directory.
    let files = common::world_readable_dir();
    let png = files.path().join("pattern.png");
    write_pattern_png(&png);
    let Some(sway) = Compositor::sway(&format!("output * bg {} center #000000", png.display()))
    else {
        return;
    };
    let mut cap = Screencopy::connect_to(&target(&sway)).expect("connect");
    let outputs = cap.outputs();
    assert_eq!(outputs.len(), 1, "{outputs:?}");
    let out = &outputs[0];
    assert_eq!(
        (out.name.as_str(), out.x, out.y, out.width, out.height),
        ("HEADLESS-1", 0, 0, WIDTH, HEIGHT),
        "{out:?}"
    );
    let expected = pattern();
    let (frame, matched) = capture_until(&mut cap, |f| {
        f.data.len() == expected.len() && psnr(&f.data, &expected) >= 30.0
    });
    assert_eq!(
        (frame.width, frame.height, frame.stride),
        (WIDTH, HEIGHT, WIDTH as usize * 4)
    );
    let db = if frame.data.len() == expected.len() {
        psnr(&frame.data, &expected)
    } else {
        0.0
    };
    assert!(
        matched,
        "capture does not match the background: PSNR {db:.1} dB, corner pixels {:?} {:?}; sway log:\n{}",
        frame.pixel(0, 0),
        frame.pixel(WIDTH - 1, HEIGHT - 1),
        sway.log()
    );
    println!(
        "capture of {WIDTH}x{HEIGHT}: PSNR {db:.1} dB (source format {:#x})",
        frame.source_format
    );
    // Time a few captures of the still screen.
    let n = 10;
    let start = Instant::now();
    for _ in 0..n {
        cap.capture(Some("HEADLESS-1")).expect("capture");
    }
    println!("capture: {:?} per frame", start.elapsed() / n);
}

/// Pixels (x, y) where two frames of the same size differ.
fn changed_pixels(a: &Frame, b: &Frame) -> Vec<(u32, u32)> {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let mut out = Vec::new();
    for (i, (pa, pb)) in a
        .data
        .chunks_exact(4)
        .zip(b.data.chunks_exact(4))
        .enumerate()
    {
        if pa != pb {
            out.push((i as u32 % a.width, i as u32 / a.width));
        }
    }
    out
}

#[test]
fn damage_capture_says_where_the_screen_changed_and_nothing_when_still() {
    let Some(sway) = Compositor::sway("output * bg #336699 solid_color") else {
        return;
    };
    let mut cap = Screencopy::connect_to(&target(&sway)).expect("connect");
    assert!(cap.supports_damage());
    let wait = Duration::from_secs(10);
    // The first damage-aware copy is the whole output.
    let first = cap
        .capture_damage(Some("HEADLESS-1"), wait)
        .expect("capture")
        .expect("a first frame");
    assert_eq!(
        first.damage,
        [Rect {
            x: 0,
            y: 0,
            width: WIDTH,
            height: HEIGHT
        }]
    );
    // Wait for swaybg's colour (sRGB #336699 is B=0x99, G=0x66, R=0x33).
    let mut prev = first;
    let deadline = Instant::now() + Duration::from_secs(20);
    while prev.pixel(640, 360) != Some([0x99, 0x66, 0x33, 255]) {
        assert!(
            Instant::now() < deadline,
            "the background never turned #336699:\n{}",
            sway.log()
        );
        if let Some(f) = cap
            .capture_damage(None, Duration::from_millis(500))
            .expect("capture")
        {
            prev = f;
        }
    }
    // Drain what is left of the start-up; then a still screen sends nothing.
    let mut drained = 0;
    while let Some(f) = cap
        .capture_damage(None, Duration::from_millis(500))
        .expect("capture")
    {
        prev = f;
        drained += 1;
        assert!(drained < 20, "the screen never settled");
    }
    assert!(
        cap.capture_damage(None, Duration::from_millis(500))
            .expect("capture")
            .is_none(),
        "a still screen reported damage"
    );

    // The pointer appears, then moves a little: every changed pixel lies inside
    // the reported damage, and a small move damages a small box.
    let mut input = VirtualInput::connect_to(&target(&sway), Some("HEADLESS-1")).expect("input");
    let mut steps = Vec::new();
    for (x, y) in [(600, 400), (610, 405)] {
        input.move_to(x, y).expect("move");
        input.sync().expect("sync");
        let mut frames = 0;
        let mut changed_total = 0;
        let mut covered = false;
        let mut area = 0;
        while let Some(frame) = cap
            .capture_damage(None, Duration::from_secs(2))
            .expect("capture")
        {
            frames += 1;
            assert!(frames < 20, "damage never stopped");
            assert!(!frame.damage.is_empty(), "a damage frame without damage");
            let changed = changed_pixels(&prev, &frame);
            for &(px, py) in &changed {
                assert!(
                    frame.damage.iter().any(|r| r.contains(px, py)),
                    "pixel ({px}, {py}) changed outside the damage {:?}",
                    frame.damage
                );
            }
            changed_total += changed.len();
            covered |= frame.damage.iter().any(|r| r.contains(x + 1, y + 1));
            area += frame.damage.iter().map(Rect::area).sum::<u64>();
            prev = frame;
        }
        assert!(
            frames > 0 && changed_total > 0,
            "moving the pointer to ({x}, {y}) changed nothing"
        );
        assert!(covered, "no damage where the pointer went ({x}, {y})");
        steps.push((frames, changed_total, area));
    }
    // The second move is 10 pixels: its damage is the two cursor images' box.
    let (_, _, small) = steps[1];
    assert!(
        small < u64::from(WIDTH * HEIGHT) / 100,
        "a 10-pixel pointer move damaged {small} pixels"
    );
    println!("pointer motion damage (frames, changed pixels, damaged area): {steps:?}");
}

#[test]
fn pointer_and_keyboard_reach_a_wayland_client() {
    if !common::installed("wev") {
        // sway without wev is a broken set-up here: scripts/setup.sh installs both.
        assert!(
            !common::installed("sway"),
            "sway is installed but wev is not (scripts/setup.sh)"
        );
    }
    let Some(sway) = Compositor::sway(
        "default_border none\n\
         for_window [app_id=\"wev\"] floating enable, resize set 400 300, move position 200 150",
    ) else {
        return;
    };
    let mut wev = Wev::start(&sway);
    let (wx, wy, ww, wh) = wait_window(&sway, "wev", |r| r.2 == 400);
    assert_eq!((ww, wh), (400, 300));

    let mut input = VirtualInput::connect_to(&target(&sway), Some("HEADLESS-1")).expect("input");
    assert_eq!(input.output().name, "HEADLESS-1");
    wev.wait("a pointer, a keyboard and focus", |e| {
        e.has_devices && e.focused
    });

    // Pointer: output pixels land at the same place in the window.
    let (x, y) = (wx as u32 + 57, wy as u32 + 43);
    input.move_to(x, y).expect("move");
    wev.wait("the pointer at (57, 43)", |e| e.pointer_was_at(57.0, 43.0));
    for (button, code) in [
        (Button::Left, 272),
        (Button::Right, 273),
        (Button::Middle, 274),
    ] {
        input.click(button).expect("click");
        wev.wait("a click", |e| {
            e.buttons.contains(&(code, true)) && e.buttons.contains(&(code, false))
        });
    }
    input.scroll(0, 2).expect("scroll");
    wev.wait("two wheel notches down", |e| {
        e.vertical_axis.contains(&30.0)
    });

    // Keyboard: text (capitals through Shift, a character outside ASCII through a
    // spare keycode), then keys by name with a held modifier.
    // Longer than one batch between round trips (64 characters).
    let text = "Hello, World! 123 ~{}|é€ The quick brown fox jumps over the lazy dog; \
                THE QUICK BROWN FOX @#$%^&*()_+-=[]<>?/\\'\"`";
    input.type_text(text).expect("type");
    wev.wait("the typed text", |e| e.typed().len() >= text.len());
    assert_eq!(wev.typed(), text);
    assert!(
        wev.events.depressed.contains(&1),
        "Shift never showed in the modifiers: {:?}",
        wev.events.depressed
    );
    let before = wev.events.keys.len();
    input.key("Shift_L", true).expect("shift down");
    input.tap("a").expect("a");
    input.key("Shift_L", false).expect("shift up");
    input.tap("Return").expect("return");
    wev.wait("Shift+a and Return", |e| {
        e.keys[before..].iter().any(|k| k.0 == "Return" && !k.1)
    });
    let pressed: Vec<(&str, &str)> = wev.events.keys[before..]
        .iter()
        .filter(|k| k.1)
        .map(|k| (k.0.as_str(), k.2.as_str()))
        .collect();
    assert_eq!(pressed, [("Shift_L", ""), ("A", "A"), ("Return", "\r")]);
    assert!(matches!(
        input.key("NoSuchKey", true),
        Err(Error::UnknownKey)
    ));
    assert!(matches!(
        input.type_text("bell\u{7}"),
        Err(Error::UntypableText)
    ));

    println!(
        "wev got {} pointer positions, {} button events, {} key events",
        wev.events.motions.len(),
        wev.events.buttons.len(),
        wev.events.keys.len()
    );

    // Dropping the input lets go of what it holds.
    let before = wev.events.keys.len();
    input.key("Control_L", true).expect("ctrl down");
    input.button(Button::Left, true).expect("button down");
    let buttons_before = wev.events.buttons.len();
    drop(input);
    wev.wait("Control_L and the left button released", |e| {
        e.keys[before..].iter().any(|k| k.0 == "Control_L" && !k.1)
            && e.buttons[buttons_before..].contains(&(272, false))
    });
}

#[test]
fn weston_lacks_the_wlr_protocols_and_says_so() {
    if !common::installed("weston") {
        // Only a machine without sway may skip these tests: scripts/setup.sh installs both.
        assert!(
            !common::installed("sway"),
            "sway is installed but weston is not (scripts/setup.sh)"
        );
    }
    let Some(weston) = Compositor::weston() else {
        return;
    };
    let target = Target::Socket(weston.socket.clone());
    match Screencopy::connect_to(&target) {
        Err(Error::MissingProtocol { protocol }) => {
            assert_eq!(protocol, "zwlr_screencopy_manager_v1")
        }
        other => panic!(
            "expected a missing protocol, got {other:?}\n{}",
            weston.log()
        ),
    }
    let err = VirtualInput::connect_to(&target, None).expect_err("weston has no virtual pointer");
    assert!(
        matches!(
            err,
            Error::MissingProtocol {
                protocol: "zwlr_virtual_pointer_manager_v1"
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("zwlr_virtual_pointer_manager_v1") && message.contains("sway"),
        "{message}"
    );
}

#[test]
fn a_missing_display_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wayland-nothing");
    match Screencopy::connect_to(&Target::Socket(path.clone())) {
        Err(Error::Connect { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[test]
fn clipboard_text_goes_between_clients() {
    let Some(sway) = Compositor::sway("") else {
        return;
    };
    let a = Clipboard::connect_to(&target(&sway)).expect("clipboard a");
    let b = Clipboard::connect_to(&target(&sway)).expect("clipboard b");
    assert_eq!(b.get_text().expect("empty at first"), None);
    let text = "clipboard: é€ \"quoted\"\nsecond line";
    a.set_text(text).expect("set");
    // b reads it through the compositor, from a's thread.
    assert_eq!(b.get_text().expect("get").as_deref(), Some(text));
    // A long text (more than a pipe holds at once).
    let long: String = (0..40_000).map(|i| format!("{i:05} ")).collect();
    b.set_text(&long).expect("set long");
    assert_eq!(
        a.get_text().expect("get long").as_deref(),
        Some(long.as_str())
    );
    // Dropping the owner empties the clipboard (nothing serves it any more).
    drop(b);
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.get_text().expect("get after drop").is_some() {
        assert!(
            Instant::now() < deadline,
            "the clipboard kept a dropped owner's text"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
