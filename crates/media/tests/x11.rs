//! Capture, damage, codec, input and clipboard against a real Xvfb server.
//!
//! Each test is a parent/child pair (see `common`): the parent starts a private
//! Xvfb (free display number via `-displayfd`), the child runs with `DISPLAY`
//! pointing at it and does the work. Waits poll with a generous deadline;
//! nothing asserts on time.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use latchkey_media::{
    convert, list_displays, Capturer, Clipboard, ClipboardImage, DamageTracker, EncoderConfig,
    Error, Frame, Injector, InputEvent, MouseButton, PixelFormat, Rect, Vp8Decoder, Vp8Encoder,
    X11Screen,
};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConnectionExt, CreateWindowAux, EventMask, InputFocus, KeyButMask, WindowClass,
};
use x11rb::protocol::Event;

use common::{HEIGHT, WIDTH};

/// Polls `f` until it returns `Some` or a generous deadline passes.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

xvfb_test!(capture_lists_the_display_and_matches_drawn_pixels => child_capture {
    let displays = list_displays().expect("list");
    assert_eq!(displays.len(), 1, "{displays:?}");
    let d = &displays[0];
    assert_eq!((d.x, d.y, d.width, d.height), (0, 0, WIDTH, HEIGHT), "{d:?}");

    let bogus = d.id.wrapping_add(12345);
    match Capturer::open(bogus) {
        Err(Error::NoSuchDisplay { id, available }) => {
            assert_eq!(id, bogus);
            assert_eq!(available, vec![d.id]);
        }
        other => panic!("expected NoSuchDisplay, got {other:?}"),
    }

    let (conn, screen) = common::connect();
    let pattern = common::desktop(WIDTH, HEIGHT, 0);
    common::draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &pattern);
    let mut cap = Capturer::open(d.id).expect("open");
    assert_eq!(cap.info(), d);
    let frame = cap.capture().expect("capture");
    assert_eq!((frame.width(), frame.height()), (WIDTH, HEIGHT));
    assert_eq!(frame.stride(), WIDTH as usize * 4);
    assert!(frame.data() == &pattern[..], "captured pixels differ from the drawn ones");
    assert_eq!(Capturer::primary().expect("primary").info().id, d.id);
});

xvfb_test!(damage_and_vp8_on_captured_frames => child_damage_codec {
    let (conn, screen) = common::connect();
    common::draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &common::desktop(WIDTH, HEIGHT, 0));
    let mut cap = Capturer::primary().expect("open");
    let mut damage = DamageTracker::new(64);
    let mut cfg = EncoderConfig::new(WIDTH, HEIGHT);
    cfg.bitrate_kbps = 8000;
    let mut enc = Vp8Encoder::new(cfg).expect("encoder");
    let mut dec = Vp8Decoder::new(2).expect("decoder");

    let first = cap.capture().expect("capture");
    assert!(damage.update(&first).is_full());
    let again = cap.capture().expect("capture");
    assert!(damage.update(&again).is_empty(), "an unchanged screen shows no damage");

    // Encode the first frame, decode it, compare with the capture.
    let pk = enc.encode(&convert::to_i420(&first).expect("convert"), 0).expect("encode");
    assert!(pk.len() == 1 && pk[0].keyframe);
    let out = dec.decode(&pk[0].data).expect("decode").expect("picture");
    let psnr = first.psnr(&out).expect("same size");
    assert!(psnr >= 30.0, "keyframe: {psnr:.1} dB");

    // A 30x20 change inside the tile at (640, 320).
    let patch: Vec<u8> = [255u8, 200, 0, 255].repeat(30 * 20);
    common::draw_rgba(&conn, screen, 650, 330, 30, &patch);
    let changed = cap.capture().expect("capture");
    let d = damage.update(&changed);
    assert_eq!(d.rects(), &[Rect { x: 640, y: 320, width: 64, height: 64 }]);
    assert_eq!(changed.rgba_at(660, 340), Some([255, 200, 0, 255]));

    let pk = enc.encode(&convert::to_i420(&changed).expect("convert"), 3).expect("encode");
    assert!(pk.len() == 1 && !pk[0].keyframe, "a small change is a delta frame");
    assert!(pk[0].data.len() < 50_000, "delta frame of {} bytes", pk[0].data.len());
    let out = dec.decode(&pk[0].data).expect("decode").expect("picture");
    let psnr = changed.psnr(&out).expect("same size");
    assert!(psnr >= 30.0, "delta: {psnr:.1} dB");
});

xvfb_test!(x11_screen_grabs_what_was_drawn_and_nothing_while_idle => child_x11_screen {
    let (conn, screen) = common::connect();
    let picture = common::desktop(WIDTH, HEIGHT, 0);
    common::draw_rgba(&conn, screen, 0, 0, WIDTH as u16, &picture);
    let mut s = X11Screen::open(None).expect("open");
    assert!(s.poll_damage().expect("poll"), "nothing was grabbed yet");
    let first = s.grab().expect("grab").clone();
    let expected = Frame::packed(WIDTH, HEIGHT, PixelFormat::Rgba, picture).expect("frame");
    assert_eq!(first.psnr(&expected).expect("same size"), f64::INFINITY, "the grab is the drawn picture");
    assert!(!s.wait_damage(Duration::from_millis(300)).expect("wait"), "an idle screen reports no damage");

    let patch: Vec<u8> = [255u8, 200, 0, 255].repeat(30 * 20);
    common::draw_rgba(&conn, screen, 650, 330, 30, &patch);
    assert!(s.wait_damage(Duration::from_secs(10)).expect("wait"), "drawing is reported");
    let after = s.grab().expect("grab");
    assert_eq!(after.rgba_at(660, 340), Some([255, 200, 0, 255]));
    assert_eq!(after.rgba_at(100, 100), first.rgba_at(100, 100));
    let d = DamageTracker::default().update(after);
    assert!(d.is_full(), "a fresh tracker sees everything");
    assert!(!s.poll_damage().expect("poll"), "the damage was taken by the grab");
});

#[test]
fn x11_screen_lists_and_switches_monitors() {
    let x = common::Xvfb::start_sized(1600, 600);
    latchkey_testkit::split_into_monitors(&x.display, 800, 2);
    common::run_child("child_monitors", &x.display);
}

#[test]
#[ignore = "child half of an Xvfb test: run by its parent with DISPLAY set"]
fn child_monitors() {
    if common::child_display().is_none() {
        return;
    }
    let (conn, screen) = common::connect();
    common::draw_rgba(
        &conn,
        screen,
        0,
        0,
        800,
        &[255u8, 0, 0, 255].repeat(800 * 600),
    );
    common::draw_rgba(
        &conn,
        screen,
        800,
        0,
        800,
        &[0u8, 0, 255, 255].repeat(800 * 600),
    );
    let mut s = X11Screen::open(None).expect("open");
    let displays = s.list_displays().expect("list");
    let summary: Vec<_> = displays
        .iter()
        .map(|d| (d.name.as_str(), d.x, d.y, d.width, d.height, d.primary))
        .collect();
    assert_eq!(
        summary,
        [
            ("left", 0, 0, 800, 600, true),
            ("right", 800, 0, 800, 600, false)
        ]
    );
    assert_eq!(s.display().name, "left", "the primary one first");
    let left = s.grab().expect("grab");
    assert_eq!((left.width(), left.height()), (800, 600));
    assert_eq!(left.rgba_at(10, 10), Some([255, 0, 0, 255]));
    s.select(displays[1].id).expect("select");
    let right = s.grab().expect("grab");
    assert_eq!(right.rgba_at(10, 10), Some([0, 0, 255, 255]));
    assert!(matches!(
        s.select(4242),
        Err(Error::NoSuchDisplay { id: 4242, .. })
    ));
}

/// Parses `x:123 y:456 screen:0 window:...` from `xdotool getmouselocation`.
fn xdotool_pointer() -> (i32, i32) {
    let out = Command::new("xdotool")
        .arg("getmouselocation")
        .output()
        .expect("xdotool installed");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| -> i32 {
        text.split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text:?}"))
    };
    (field("x:"), field("y:"))
}

xvfb_test!(pointer_move_lands_where_xdotool_says => child_pointer {
    let mut inj = Injector::new();
    for (x, y) in [(123, 456), (1919, 0), (5, 1079)] {
        inj.apply(&InputEvent::PointerMove { x, y }).expect("move");
        assert_eq!(xdotool_pointer(), (x, y));
    }
    // Buttons are held until released, and reported as held.
    let (conn, screen) = common::connect();
    let root = conn.setup().roots[screen].root;
    let mask = || u16::from(conn.query_pointer(root).expect("query").reply().expect("reply").mask);
    inj.apply(&InputEvent::ButtonDown { button: MouseButton::Left }).expect("down");
    assert_ne!(mask() & u16::from(KeyButMask::BUTTON1), 0);
    inj.apply(&InputEvent::ButtonUp { button: MouseButton::Left }).expect("up");
    assert_eq!(mask() & u16::from(KeyButMask::BUTTON1), 0);
    inj.apply(&InputEvent::Wheel { dx: 0, dy: 3 }).expect("wheel");
    assert_eq!(inj.held_buttons().count(), 0);
});

xvfb_test!(keys_and_text_reach_the_focused_window => child_keys {
    let (conn, screen) = common::connect();
    let s = &conn.setup().roots[screen];
    let win = conn.generate_id().expect("id");
    conn.create_window(
        s.root_depth, win, s.root, 100, 100, 300, 200, 0,
        WindowClass::INPUT_OUTPUT, s.root_visual,
        &CreateWindowAux::new()
            .background_pixel(s.white_pixel)
            .event_mask(EventMask::KEY_PRESS | EventMask::STRUCTURE_NOTIFY),
    ).expect("create_window");
    conn.map_window(win).expect("map");
    conn.flush().expect("flush");
    wait_for("MapNotify", || match conn.poll_for_event().expect("event") {
        Some(Event::MapNotify(_)) => Some(()),
        _ => None,
    });
    conn.set_input_focus(InputFocus::PARENT, win, x11rb::CURRENT_TIME).expect("focus");
    conn.get_input_focus().expect("sync").reply().expect("sync");

    let mut inj = Injector::new();
    inj.apply(&InputEvent::KeyDown { code: "KeyA".into() }).expect("down");
    inj.apply(&InputEvent::KeyUp { code: "KeyA".into() }).expect("up");
    inj.apply(&InputEvent::Text { text: "aZ€!".into() }).expect("text");

    let mut presses = Vec::new();
    wait_for("5 key presses", || {
        while let Some(ev) = conn.poll_for_event().expect("event") {
            if let Event::KeyPress(k) = ev {
                if k.event == win {
                    presses.push((k.detail, u16::from(k.state)));
                }
            }
        }
        (presses.len() >= 5).then_some(())
    });
    // Translate keycodes with the map as it is now (spare keycodes still bound).
    let min = conn.setup().min_keycode;
    let count = conn.setup().max_keycode - min + 1;
    let map = conn.get_keyboard_mapping(min, count).expect("map").reply().expect("map");
    let per = usize::from(map.keysyms_per_keycode);
    let shift = u16::from(KeyButMask::SHIFT);
    let typed: Vec<u32> = presses
        .iter()
        .filter(|(kc, _)| !matches!(kc, 50 | 62)) // the Shift keys themselves
        .map(|&(kc, state)| {
            let col = usize::from(state & shift != 0);
            map.keysyms[usize::from(kc - min) * per + col]
        })
        .collect();
    assert_eq!(typed, vec![0x61, 0x61, 0x5a, 0x0100_20ac, 0x21], "presses {presses:?}");
    assert_eq!(presses[0].0, 38, "KeyA is X keycode 38");
    assert!(matches!(
        inj.apply(&InputEvent::Text { text: "\u{7}".into() }),
        Err(Error::CannotType('\u{7}'))
    ));
});

fn held_keycodes(conn: &impl Connection) -> Vec<u32> {
    let keys = conn
        .query_keymap()
        .expect("query")
        .reply()
        .expect("reply")
        .keys;
    (0..256u32)
        .filter(|&k| keys[(k / 8) as usize] & (1 << (k % 8)) != 0)
        .collect()
}

xvfb_test!(release_all_and_drop_leave_nothing_held => child_release {
    let (conn, screen) = common::connect();
    let root = conn.setup().roots[screen].root;
    let buttons = || u16::from(conn.query_pointer(root).expect("q").reply().expect("r").mask)
        & u16::from(KeyButMask::BUTTON1 | KeyButMask::BUTTON2 | KeyButMask::BUTTON3);
    let press_some = |inj: &mut Injector| {
        for code in ["ShiftLeft", "ControlLeft", "KeyQ"] {
            inj.apply(&InputEvent::KeyDown { code: code.into() }).expect("down");
        }
        inj.apply(&InputEvent::ButtonDown { button: MouseButton::Right }).expect("down");
        inj.apply(&InputEvent::Text { text: "ü".into() }).expect("text");
    };

    let mut inj = Injector::new();
    press_some(&mut inj);
    assert_eq!(held_keycodes(&conn), vec![24, 37, 50], "KeyQ, ControlLeft, ShiftLeft held");
    assert_ne!(buttons(), 0);
    assert_eq!(inj.held_keys().collect::<Vec<_>>(), ["ControlLeft", "KeyQ", "ShiftLeft"]);
    inj.release_all().expect("release");
    assert_eq!(held_keycodes(&conn), Vec::<u32>::new());
    assert_eq!(buttons(), 0);
    assert_eq!(inj.held_keys().count(), 0);

    let mut inj = Injector::new();
    press_some(&mut inj);
    assert_eq!(held_keycodes(&conn).len(), 3);
    drop(inj); // a session that ends mid-keypress
    assert_eq!(held_keycodes(&conn), Vec::<u32>::new());
    assert_eq!(buttons(), 0);
});

xvfb_test!(clipboard_text_and_image_between_owners => child_clipboard {
    let mut owner = Clipboard::new().expect("clipboard");
    let mut reader = Clipboard::new().expect("clipboard");
    let text = "latchkey clipboard ✓ ünïcode";
    owner.set_text(text).expect("set");
    assert_eq!(reader.get_text().expect("get").as_deref(), Some(text));

    let out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .expect("xclip installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), text);

    let image = ClipboardImage {
        width: 3,
        height: 2,
        rgba: (0..24).map(|i| (i * 10) as u8 | 3).collect(),
    };
    let image = ClipboardImage { rgba: image.rgba.chunks(4).flat_map(|p| [p[0], p[1], p[2], 255]).collect(), ..image };
    owner.set_image(&image).expect("set image");
    assert_eq!(reader.get_image().expect("get image"), Some(image));
    assert!(reader.get_text().expect("get").is_none(), "an image is not text");
});
