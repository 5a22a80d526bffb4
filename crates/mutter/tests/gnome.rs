//! Capture and input against a real headless GNOME compositor (Debian's Mutter
//! 43) with PipeWire and WirePlumber, all on a private session bus the test
//! starts: a Wayland client of the test shows a known picture and the captured
//! frame matches it; pointer, wheel and keys reach a Wayland client (wev); the
//! clipboard passes text between sessions through Mutter; no portal is
//! involved. Skips, saying why, only when Mutter is not installed.

mod common;

use std::time::{Duration, Instant};

use common::picture::{pattern, Picture};
use common::wev::{changed_box, window_box, Wev};
use common::{frame_until, psnr, Desktop, HEIGHT, WIDTH};
use latchkey_mutter::{
    Button, Capture, CursorMode, Error, MutterSession, SessionOptions, REMOTE_DESKTOP,
};

fn start_session(desktop: &Desktop, cursor: CursorMode) -> MutterSession {
    let options = SessionOptions {
        cursor,
        ..desktop.options()
    };
    MutterSession::start(&desktop.bus(), &options)
        .unwrap_or_else(|e| panic!("session: {e}\n{}", desktop.logs()))
}

fn capture(desktop: &Desktop, session: &MutterSession) -> Capture {
    Capture::connect(session.node_id(), Some(&desktop.pipewire_socket()))
        .unwrap_or_else(|e| panic!("capture: {e}\n{}", desktop.logs()))
}

/// The bus names and processes of the desktop that belong to a portal.
fn portal_traces(desktop: &Desktop, session: &MutterSession) -> Vec<String> {
    let dbus = zbus::blocking::fdo::DBusProxy::new(session.connection()).expect("bus proxy");
    let mut traces: Vec<String> = dbus
        .list_names()
        .expect("ListNames")
        .into_iter()
        .map(|n| n.to_string())
        .filter(|n| n.contains("portal"))
        .collect();
    traces.extend(
        common::processes_in_group(desktop.group())
            .into_iter()
            .filter(|p| p.contains("portal")),
    );
    traces
}

#[test]
fn capture_matches_a_clients_picture_with_no_dialog() {
    if !common::gnome_available() {
        return;
    }
    let desktop = Desktop::gnome();
    let session = start_session(&desktop, CursorMode::Hidden);
    assert_eq!(session.size(), (WIDTH, HEIGHT), "{session:?}");
    assert_eq!(session.position(), (0, 0));
    let mut cap = capture(&desktop, &session);

    // What Mutter shows before any client: its background, all over the monitor.
    let first = cap.frame(Duration::from_secs(20)).expect("first frame");
    assert_eq!(
        (first.width, first.height, first.stride),
        (WIDTH, HEIGHT, WIDTH as usize * 4)
    );
    println!(
        "first frame: {} ({} -> BGRA), centre pixel {:?}",
        first.sequence,
        first.source_format,
        first.pixel(640, 360)
    );

    let picture = Picture::show(&desktop.wayland_socket(), "latchkey picture", pattern);
    assert!(
        picture.wait_drawn((WIDTH, HEIGHT), Duration::from_secs(20)),
        "the picture client was never configured full screen:\n{}",
        desktop.logs()
    );
    let expected = pattern(WIDTH, HEIGHT);
    let (frame, matched) = frame_until(&mut cap, |f| {
        f.data.len() == expected.len() && psnr(&f.data, &expected) >= 30.0
    });
    let db = psnr(&frame.data, &expected);
    assert!(
        matched,
        "the capture does not match the picture: PSNR {db:.1} dB, corner pixels {:?} {:?}, \
         expected {:?} {:?}\n{}",
        frame.pixel(0, 0),
        frame.pixel(WIDTH - 1, HEIGHT - 1),
        &expected[..4],
        &expected[expected.len() - 4..],
        desktop.logs()
    );
    println!(
        "capture of {WIDTH}x{HEIGHT}: PSNR {db:.1} dB after {} frames",
        frame.sequence
    );

    // No portal took part: none on the bus, none among the desktop's processes,
    // and nothing (such as a dialog) covers the picture.
    let traces = portal_traces(&desktop, &session);
    assert!(traces.is_empty(), "portal traces: {traces:?}");

    // Ending the session ends its stream.
    let mut session = session;
    session.stop().expect("stop");
    assert!(session.is_closed());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match cap.next_frame(Duration::from_millis(500)) {
            Err(Error::PipeWire { .. }) => break,
            Ok(_) => assert!(
                Instant::now() < deadline,
                "the stream went on after the session stopped"
            ),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert!(matches!(session.move_to(1.0, 1.0), Err(Error::Closed)));
}

#[test]
fn the_pointer_shows_in_the_frames_when_embedded() {
    if !common::gnome_available() {
        return;
    }
    let desktop = Desktop::gnome();
    let mut session = start_session(&desktop, CursorMode::Embedded);
    let mut cap = capture(&desktop, &session);
    cap.frame(Duration::from_secs(20)).expect("first frame");
    // Bring the pointer near, and let the screen settle: no new frame for half a second.
    session.move_to(590.0, 390.0).expect("move");
    let mut drained = 0;
    while cap
        .next_frame(Duration::from_millis(500))
        .expect("capture")
        .is_some()
    {
        drained += 1;
        assert!(drained < 100, "the screen never settled");
    }
    let before = cap.latest().expect("a frame");
    session.move_to(600.0, 400.0).expect("move");
    let after = cap
        .next_frame(Duration::from_secs(10))
        .expect("capture")
        .expect("moving the pointer sends a frame");
    let (x, y, w, h) = changed_box(&before, &after).expect("the pointer changed the picture");
    println!("pointer drawn within {w}x{h} at ({x}, {y})");
    // The cursor images at (590, 390) and (600, 400), drawn from their hot spots
    // down and to the right: a small box around both.
    assert!(
        x <= 600 && 600 < x + w && y <= 400 && 400 < y + h && w < 100 && h < 100,
        "the change ({x}, {y}, {w}x{h}) is not where the pointer went (600, 400)"
    );
}

#[test]
fn pointer_keys_and_wheel_reach_a_wayland_client() {
    if !common::gnome_available() {
        return;
    }
    assert!(
        common::installed("wev"),
        "mutter is installed but wev is not (scripts/setup.sh)"
    );
    let desktop = Desktop::gnome();
    let mut session = start_session(&desktop, CursorMode::Hidden);
    let mut cap = capture(&desktop, &session);
    let before = cap.frame(Duration::from_secs(20)).expect("first frame");

    // Where Mutter put wev's window: what changed on screen once it showed.
    let mut wev = Wev::start(&desktop);
    wev.wait("a pointer and a keyboard", |e| e.has_devices);
    let window = window_box(&mut cap, &before);
    let (wx, wy, ww, wh) = window.unwrap_or_else(|| {
        panic!(
            "wev's window never showed on screen:\n{}",
            wev.client.transcript()
        )
    });
    println!("wev's window: {ww}x{wh} at ({wx}, {wy})");
    assert!(ww > 100 && wh > 100, "window too small to aim at");

    // Pointer: monitor pixels land at the same place in the window.
    let (x, y) = (wx + 57, wy + 43);
    session.move_to(f64::from(x), f64::from(y)).expect("move");
    wev.wait("the pointer at (57, 43)", |e| e.pointer_was_at(57.0, 43.0));
    session
        .move_to(f64::from(x + 100), f64::from(y + 50))
        .expect("move");
    wev.wait("the pointer at (157, 93)", |e| {
        e.pointer_was_at(157.0, 93.0)
    });
    for (button, code) in [
        (Button::Left, 272),
        (Button::Right, 273),
        (Button::Middle, 274),
    ] {
        session.click(button).expect("click");
        wev.wait("a click", |e| {
            e.buttons.contains(&(code, true)) && e.buttons.contains(&(code, false))
        });
    }
    wev.wait("keyboard focus", |e| e.focused);
    session.scroll(0, 2).expect("scroll");
    wev.wait("the wheel turned down", |e| {
        e.vertical_axis.iter().sum::<f64>() > 0.0
    });
    session.scroll(-1, 0).expect("scroll");
    wev.wait("the wheel turned left", |e| {
        e.horizontal_axis.iter().sum::<f64>() < 0.0
    });
    println!(
        "wheel: vertical {:?}, horizontal {:?}",
        wev.events.vertical_axis, wev.events.horizontal_axis
    );

    // Keyboard: text (capitals and symbols through Shift, which Mutter adds),
    // then keys by name with a held modifier.
    let text = "Hello, World! 123 ~{}| The quick brown fox jumps over the lazy dog; \
                THE QUICK BROWN FOX @#$%^&*()_+-=[]<>?/\\'\"`";
    session.type_text(text).expect("type");
    wev.wait("the typed text", |e| e.typed().len() >= text.len());
    assert_eq!(wev.typed(), text);
    assert!(
        wev.events.depressed.contains(&1),
        "Shift never showed in the modifiers: {:?}",
        wev.events.depressed
    );
    let before_keys = wev.events.keys.len();
    session.key("Shift_L", true).expect("shift down");
    session.tap("a").expect("a");
    session.key("Shift_L", false).expect("shift up");
    session.tap("Return").expect("return");
    wev.wait("Shift+a and Return", |e| {
        e.keys[before_keys..]
            .iter()
            .any(|k| k.0 == "Return" && !k.1)
    });
    let pressed: Vec<(&str, &str)> = wev.events.keys[before_keys..]
        .iter()
        .filter(|k| k.1)
        .map(|k| (k.0.as_str(), k.2.as_str()))
        .collect();
    assert_eq!(pressed, [("Shift_L", ""), ("A", "A"), ("Return", "\r")]);

    // Characters outside the keymap (us here): what Mutter 43 does with them.
    let before_keys = wev.events.keys.len();
    session.type_text("é€").expect("type");
    session.tap("Return").expect("return");
    wev.wait("Return after é€", |e| {
        e.keys[before_keys..]
            .iter()
            .any(|k| k.0 == "Return" && !k.1)
    });
    let other: String = wev.events.keys[before_keys..]
        .iter()
        .filter(|k| k.1 && k.0 != "Return")
        .map(|k| k.2.as_str())
        .collect();
    println!("typing \"é€\" on a us keymap gave {other:?}");

    assert!(matches!(
        session.key("NoSuchKey", true),
        Err(Error::UnknownKey)
    ));
    assert!(matches!(
        session.type_text("bell\u{7}"),
        Err(Error::UntypableText)
    ));
    println!(
        "wev got {} pointer positions, {} button events, {} key events",
        wev.events.motions.len(),
        wev.events.buttons.len(),
        wev.events.keys.len()
    );

    // Dropping the session lets go of what it holds.
    let keys_before = wev.events.keys.len();
    let buttons_before = wev.events.buttons.len();
    session.key("Control_L", true).expect("ctrl down");
    session.button(Button::Left, true).expect("button down");
    wev.wait("Control_L and the left button down", |e| {
        e.keys[keys_before..]
            .iter()
            .any(|k| k.0 == "Control_L" && k.1)
            && e.buttons[buttons_before..].contains(&(272, true))
    });
    drop(cap);
    drop(session);
    wev.wait("Control_L and the left button released", |e| {
        e.keys[keys_before..]
            .iter()
            .any(|k| k.0 == "Control_L" && !k.1)
            && e.buttons[buttons_before..].contains(&(272, false))
    });
    wev.drain(Duration::from_millis(200));
}

#[test]
fn clipboard_text_passes_between_sessions_and_wayland_clients() {
    if !common::gnome_available() {
        return;
    }
    assert!(
        common::installed("wl-copy") && common::installed("wl-paste"),
        "mutter is installed but wl-clipboard is not (scripts/setup.sh)"
    );
    let desktop = Desktop::gnome();
    let mut a = start_session(&desktop, CursorMode::Hidden);
    let mut b = start_session(&desktop, CursorMode::Hidden);
    assert!(matches!(b.clipboard_text(), Err(Error::NoClipboardText)));

    let text = "clipboard through Mutter: é€ ✓\nsecond line";
    let changes = b.clipboard_changes();
    a.set_clipboard_text(text).expect("set");
    assert!(
        b.wait_clipboard_change(changes + 1, Duration::from_secs(10)),
        "session b never heard of the new clipboard owner"
    );
    assert_eq!(b.clipboard_text().expect("read"), text);

    // And back, larger than a pipe's buffer.
    let long: String = "0123456789abcdef".repeat(16 * 1024);
    let changes = a.clipboard_changes();
    b.set_clipboard_text(&long).expect("set");
    assert!(a.wait_clipboard_change(changes + 1, Duration::from_secs(10)));
    assert_eq!(a.clipboard_text().expect("read"), long);

    // A Wayland client pastes what the session copied, and the session reads
    // what a Wayland client copied (wl-clipboard).
    a.set_clipboard_text("for wl-paste").expect("set");
    let mut paste = desktop.client(&["wl-paste", "--no-newline"]);
    let got = paste.wait_line(Duration::from_secs(10), |_| true);
    assert_eq!(
        got.as_deref(),
        Some("for wl-paste"),
        "wl-paste printed {:?}",
        paste.transcript()
    );
    let changes = a.clipboard_changes();
    let _copy = desktop.client(&["wl-copy", "--foreground", "--", "from wl-copy"]);
    assert!(
        a.wait_clipboard_change(changes + 1, Duration::from_secs(10)),
        "wl-copy never took the clipboard"
    );
    assert_eq!(a.clipboard_text().expect("read"), "from wl-copy");

    let without = SessionOptions {
        clipboard: false,
        ..desktop.options()
    };
    let mut c = MutterSession::start(&desktop.bus(), &without).expect("session");
    assert!(matches!(c.clipboard_text(), Err(Error::Refused { .. })));
}

#[test]
fn monitors_are_chosen_by_connector_and_refusals_are_named() {
    if !common::gnome_available() {
        return;
    }
    let desktop = Desktop::gnome();
    let info = latchkey_mutter::probe(&desktop.bus(), Duration::from_secs(10)).expect("probe");
    println!("{info:?}");
    // Keyboard and pointer at least (Mutter 43: also touchscreen).
    assert_eq!(info.device_types & 3, 3, "{info:?}");
    assert!(
        info.remote_desktop_version >= 1 && info.screen_cast_version >= 4,
        "{info:?}"
    );
    // Mutter names its virtual monitors Meta-0, Meta-1, ...
    let by_name = SessionOptions {
        connector: Some("Meta-0".to_string()),
        ..desktop.options()
    };
    let session = MutterSession::start(&desktop.bus(), &by_name)
        .unwrap_or_else(|e| panic!("session on Meta-0: {e}\n{}", desktop.logs()));
    assert_eq!(session.size(), (WIDTH, HEIGHT));
    let nowhere = SessionOptions {
        connector: Some("NOPE-7".to_string()),
        ..desktop.options()
    };
    let err = MutterSession::start(&desktop.bus(), &nowhere).expect_err("no such monitor");
    match &err {
        Error::Refused { method, message } => {
            assert_eq!(*method, "ScreenCast.Session.RecordMonitor");
            println!("Mutter refused RecordMonitor: {message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(err.to_string().contains("RecordMonitor"), "{err}");
}

#[test]
fn a_bus_without_mutter_is_named() {
    if !common::gnome_available() {
        return;
    }
    let desktop = Desktop::bus_only();
    let err = MutterSession::start(&desktop.bus(), &desktop.options())
        .expect_err("no Mutter on this bus");
    assert!(
        matches!(err, Error::MutterAbsent { service } if service == REMOTE_DESKTOP),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("org.gnome.Mutter.RemoteDesktop"),
        "{err}"
    );
    let err = latchkey_mutter::probe(&desktop.bus(), Duration::from_secs(10))
        .expect_err("no Mutter on this bus");
    assert!(matches!(err, Error::MutterAbsent { .. }), "{err:?}");
}
