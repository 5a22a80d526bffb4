//! The whiteboard (`whiteboard`) between real processes on a private Xvfb:
//! the viewer's strokes are on the host's screen (a GetImage of the root
//! window, as the host's capture reads it, and in a second viewer's
//! screenshot), a click on a stroke still reaches the window below, and the
//! strokes go with `draw-clear`, with the end of the session and with its
//! drop. Without the permission the host refuses it and audits it once.

use std::time::Duration;

use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{
    assert_refused, dropped, grab, held_session, host_on, password_on, pixel, read_png, until,
    xtool, ClickTarget,
};
use latchkey_testkit::Xvfb;

/// The whiteboard's red, near enough (a video frame blurs colours a little).
fn reddish([r, g, b]: [u8; 3]) -> bool {
    r > 150 && g < 110 && b < 110
}

/// Red all along the line from 100,100 to 300,100 (and not beside it).
fn line_shown(display: &str) -> bool {
    grab(display, 100, 100, 201, 1)
        .into_iter()
        .all(|p| p == [0xe5, 0x1c, 0x23])
        && !reddish(pixel(display, 200, 110))
}

/// No red anywhere along it.
fn line_gone(display: &str) -> bool {
    grab(display, 96, 96, 209, 9)
        .into_iter()
        .all(|p| !reddish(p))
}

#[test]
fn strokes_are_drawn_on_top_and_clicks_pass_through() {
    let x = Xvfb::start_sized(640, 480);
    let below = ClickTarget::open(&x.display);
    assert!(line_gone(&x.display));
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "default");
    let viewer = Device::file();

    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    let r = v.command("draw red 100,100 300,100");
    assert_eq!(
        (r["ok"].clone(), r["strokes"].clone()),
        (true.into(), 1.into()),
        "{r}"
    );
    assert!(
        line_shown(&x.display),
        "{:?}",
        grab(&x.display, 100, 100, 4, 1)
    );

    // A click on the line reaches the window under it.
    xtool(
        &x.display,
        &["xdotool", "mousemove", "200", "100", "click", "1"],
    );
    assert_eq!(below.pressed(Duration::from_secs(10)), Some((200, 100)));

    // A window mapped later covers the line; the line comes back on top of it.
    let later = ClickTarget::open(&x.display);
    until(
        "the line above a later window",
        Duration::from_secs(10),
        || line_shown(&x.display),
    );
    drop(later);

    // In the video a viewer receives (a second session's screenshot).
    let shot = viewer.dir.with_file_name("shot.png");
    let run = viewer.connect(
        h.id(),
        &rv,
        &[
            "--password-stdin",
            "--screenshot",
            shot.to_str().expect("utf8"),
        ],
        Some(&pw(GOOD_PASSWORD)),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let frame = read_png(&shot);
    let at = |x: u32, y: u32| {
        let i = ((y * frame.width() + x) * 4) as usize;
        let d = frame.data();
        [d[i], d[i + 1], d[i + 2]]
    };
    assert!(reddish(at(200, 100)), "{:?}", at(200, 100));
    assert!(!reddish(at(200, 130)), "{:?}", at(200, 130));

    // An arrow, then clear: gone.
    let r = v.command("draw #0000ff arrow 100,200 300,200");
    assert_eq!(r["strokes"], 2, "{r}");
    assert_eq!(pixel(&x.display, 296, 200), [0, 0, 0xff]);
    let bad = v.command("draw red 1,1 99999,1");
    assert_eq!(bad["ok"], false, "{bad}");
    let r = v.command("draw-clear");
    assert_eq!(r["ok"], true, "{r}");
    assert!(line_gone(&x.display));
    assert_ne!(pixel(&x.display, 296, 200), [0, 0, 0xff]);

    // The session ends: gone.
    assert_eq!(v.command("draw red 100,100 300,100")["ok"], true);
    assert!(line_shown(&x.display));
    v.send("quit");
    v.finish(Duration::from_secs(20));
    until(
        "the strokes gone after the session",
        Duration::from_secs(20),
        || line_gone(&x.display),
    );

    // The session drops (the viewer killed): gone.
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert_eq!(v.command("draw red 100,100 300,100")["ok"], true);
    assert!(line_shown(&x.display));
    v.kill();
    until(
        "the strokes gone after the drop",
        Duration::from_secs(60),
        || line_gone(&x.display),
    );

    // The grant loses `whiteboard` during the session: gone, and refused.
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert_eq!(v.command("draw red 100,100 300,100")["ok"], true);
    host.run(&["profile", "set", "default", "whiteboard", "off"])
        .ok();
    until(
        "the strokes gone with the permission",
        Duration::from_secs(20),
        || line_gone(&x.display),
    );
    let r = v.command("draw red 100,100 300,100");
    assert_refused(&r);
    v.send("quit");
    v.finish(Duration::from_secs(20));

    // Without `whiteboard` from the start: refused, audited once, nothing drawn.
    password_on(&host, "screen_sharing");
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "screen_sharing"]);
    for _ in 0..2 {
        let r = v.command("draw red 100,100 300,100");
        assert_refused(&r);
    }
    assert!(line_gone(&x.display));
    v.send("quit");
    v.finish(Duration::from_secs(20));
    let drops: Vec<_> = dropped(&host)
        .into_iter()
        .filter(|(kind, _)| kind == "whiteboard")
        .collect();
    assert_eq!(drops.len(), 2, "{drops:?}");
    assert!(drops
        .iter()
        .all(|d| d == &("whiteboard".to_string(), "whiteboard".to_string())));
}
