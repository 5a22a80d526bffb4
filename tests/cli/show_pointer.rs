//! A viewer's pointer shown on the host (`show_pointer` without
//! `control_input`) between real processes on a private Xvfb: a coloured
//! arrow where the viewer points, in a GetImage of the root window (what
//! the host's capture reads), while the host's own pointer stays where it
//! was; gone when the session ends. With `control_input` the real pointer
//! moves instead, and without `show_pointer` nothing appears.

use std::time::Duration;

use latchkey_core::feature::pointer::SHOWN_COLORS;
use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{
    dropped, grab, held_session, host_on, password_on, pixel, pointer, until, xtool,
};
use latchkey_testkit::Xvfb;

/// The first viewer's colour.
fn first() -> [u8; 3] {
    let c = SHOWN_COLORS[0];
    [c.0, c.1, c.2]
}

/// The arrow with its tip at (x, y): its colour inside, just below the tip.
fn arrow_at(display: &str, x: i16, y: i16) -> bool {
    pixel(display, x + 3, y + 10) == first()
}

/// No pixel of the first viewer's colour anywhere on the screen.
fn no_arrow(display: &str) -> bool {
    !grab(display, 0, 0, 640, 480).contains(&first())
}

#[test]
fn a_view_only_viewer_is_shown_where_it_points_and_moves_nothing() {
    let x = Xvfb::start_sized(640, 480);
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on(&x, &rv, "default");
    host.run(&["profile", "create", "pointing"]).ok();
    host.run(&["profile", "set", "pointing", "show_pointer", "on"])
        .ok();
    password_on(&host, "pointing");
    let viewer = Device::file();
    xtool(&x.display, &["xdotool", "mousemove", "20", "30"]);
    assert_eq!(pointer(&x.display), (20, 30));
    assert!(no_arrow(&x.display));

    // View only, with `show_pointer`: an arrow where it points; the host's pointer stays.
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "pointing"]);
    assert_eq!(v.command("move 200 150")["ok"], true);
    until("the arrow at 200,150", Duration::from_secs(10), || {
        arrow_at(&x.display, 200, 150)
    });
    assert_eq!(pointer(&x.display), (20, 30));
    assert_eq!(v.command("move 400 300")["ok"], true);
    until("the arrow at 400,300", Duration::from_secs(10), || {
        arrow_at(&x.display, 400, 300) && !arrow_at(&x.display, 200, 150)
    });
    assert_eq!(pointer(&x.display), (20, 30));

    // A second viewer at the same time: its own colour, its own arrow.
    let other = Device::file();
    let mut w = held_session(&other, h.id(), &rv, &["--profile", "pointing"]);
    assert_eq!(w.command("move 100 300")["ok"], true);
    let second = [SHOWN_COLORS[1].0, SHOWN_COLORS[1].1, SHOWN_COLORS[1].2];
    until(
        "the second arrow at 100,300",
        Duration::from_secs(10),
        || pixel(&x.display, 103, 310) == second,
    );
    assert!(arrow_at(&x.display, 400, 300));
    w.send("quit");
    w.finish(Duration::from_secs(20));
    until("the second arrow gone", Duration::from_secs(20), || {
        !grab(&x.display, 0, 0, 640, 480).contains(&second)
    });
    assert!(arrow_at(&x.display, 400, 300));

    // The session ends: gone.
    v.send("quit");
    v.finish(Duration::from_secs(20));
    until(
        "the arrow gone after the session",
        Duration::from_secs(20),
        || no_arrow(&x.display),
    );

    // The session drops: gone.
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "pointing"]);
    assert_eq!(v.command("move 200 150")["ok"], true);
    until("the arrow again", Duration::from_secs(10), || {
        arrow_at(&x.display, 200, 150)
    });
    v.kill();
    until(
        "the arrow gone after the drop",
        Duration::from_secs(60),
        || no_arrow(&x.display),
    );

    // With `control_input` too (the default profile): the real pointer
    // moves, and no arrow is drawn.
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert_eq!(v.command("move 200 150")["ok"], true);
    until("the host's pointer moved", Duration::from_secs(10), || {
        pointer(&x.display) == (200, 150)
    });
    assert!(no_arrow(&x.display));
    v.send("quit");
    v.finish(Duration::from_secs(20));
    xtool(&x.display, &["xdotool", "mousemove", "20", "30"]);

    // Without `show_pointer` (view only): the host drops the positions
    // (audited), nothing appears, nothing moves.
    password_on(&host, "screen_sharing");
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "screen_sharing"]);
    assert_eq!(v.command("move 200 150")["ok"], true);
    until("the position dropped", Duration::from_secs(20), || {
        dropped(&host)
            .iter()
            .any(|(kind, _)| kind == "pointer_move")
    });
    assert!(no_arrow(&x.display));
    assert_eq!(pointer(&x.display), (20, 30));
    v.send("quit");
    v.finish(Duration::from_secs(20));
}
