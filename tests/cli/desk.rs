//! Keeping the person at the host's desk out (`block_input`, `privacy_mode`,
//! and locking the desktop when the session ends: `lock_on_end`, with a real
//! xscreensaver) between real processes, on a real Xorg server (dummy video driver: RandR
//! outputs with CRTC gamma ramps). The person at the desk is a second
//! XInput2 master ("Desk") whose own XTEST slaves carry their typing into an
//! `xterm`, apart from the devices the host injects the viewer's input
//! through, as a physical keyboard's would. Xorg with `-config` needs root:
//! these suites fail without it rather than pass as skipped.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use latchkey_e2e::cli::*;
use latchkey_e2e::desktop::{
    assert_refused, dropped, held_session, host_on_display, password_on, read_png, until, xtool,
};
use latchkey_e2e::desktop_user::{is_root, TempUser};
use latchkey_media::{Frame, PixelFormat};
use latchkey_testkit::desk::{
    dim_outputs, output_gammas, DeskPerson, XorgDummy, DESK_HEIGHT, DESK_WIDTH,
};
use latchkey_testkit::{desktop, draw_rgba, Xvfb};

/// The host's crash note (saved gamma ramps) in its config directory.
fn note(host: &Device) -> PathBuf {
    host.dir.join("desk-state.json")
}

/// An xterm over the whole screen whose shell writes what is typed to a file.
struct Terminal {
    child: std::process::Child,
    file: PathBuf,
}

impl Terminal {
    fn open(display: &str, dir: &Path) -> Self {
        let file = dir.join("typed.txt");
        let child = std::process::Command::new("xterm")
            .args(["-geometry", "150x45+0+0", "-e", "sh", "-c"])
            .arg(format!("cat > '{}'", file.display()))
            .env("DISPLAY", display)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("xterm must be installed");
        until("the xterm window", Duration::from_secs(20), || {
            file.exists()
                && !xtool(
                    display,
                    &["xdotool", "search", "--onlyvisible", "--class", "xterm"],
                )
                .trim()
                .is_empty()
        });
        Terminal { child, file }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.file).unwrap_or_default()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The desk types `word` (and Return) until it shows in the terminal: its
/// input works (again). Each try is a new line, so one that was dropped
/// while blocked leaves nothing.
fn desk_works(desk: &DeskPerson, term: &Terminal, word: &str, limit: Duration) {
    until(&format!("the desk typing {word}"), limit, || {
        desk.move_to(300, 300);
        desk.type_text(&format!("{word}\n"));
        std::thread::sleep(Duration::from_millis(200));
        term.text().lines().any(|l| l == word)
    });
}

/// The viewer types `word` and Return; it shows in the terminal.
fn viewer_types(v: &mut Proc, term: &Terminal, word: &str) {
    assert_eq!(v.command("move 400 400")["ok"], true);
    assert_eq!(v.command(&format!("type {word}"))["ok"], true);
    assert_eq!(v.command("key Enter down")["ok"], true);
    assert_eq!(v.command("key Enter up")["ok"], true);
    until(
        &format!("the viewer typing {word}"),
        Duration::from_secs(10),
        || term.text().lines().any(|l| l == word),
    );
}

#[test]
fn block_input_stops_the_desk_and_not_the_viewer() {
    assert!(is_root(), "this suite runs Xorg, which needs root");
    let x = XorgDummy::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let term = Terminal::open(&x.display, dir.path());
    let desk = DeskPerson::sit(&x.display);
    desk_works(&desk, &term, "desk1", Duration::from_secs(10));

    let rv = Rendezvous::start(0, None);
    let (host, mut h) = host_on_display(&x.display, &rv, "default");
    let viewer = Device::file();

    // On: the desk's typing is dropped, the viewer's arrives.
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    viewer_types(&mut v, &term, "view1");
    let on = v.command("block-input on");
    assert_eq!(
        (on["ok"].clone(), on["on"].clone()),
        (true.into(), true.into()),
        "{on}"
    );
    desk.move_to(300, 300);
    desk.type_text("blocked1\n");
    viewer_types(&mut v, &term, "view2");
    assert!(!term.text().contains("blocked"), "{}", term.text());

    // Off: the desk types again.
    let off = v.command("block-input off");
    assert_eq!(off["on"], false, "{off}");
    desk_works(&desk, &term, "desk2", Duration::from_secs(10));

    // The session ends while it is on: given back.
    assert_eq!(v.command("block-input on")["ok"], true);
    desk.type_text("blocked2\n");
    viewer_types(&mut v, &term, "view3");
    v.send("quit");
    v.finish(Duration::from_secs(20));
    desk_works(&desk, &term, "desk3", Duration::from_secs(15));

    // The session drops (the viewer killed) while it is on: given back.
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert_eq!(v.command("block-input on")["ok"], true);
    desk.type_text("blocked3\n");
    viewer_types(&mut v, &term, "view4");
    v.kill();
    desk_works(&desk, &term, "desk4", Duration::from_secs(60));

    // The host dies (SIGKILL) while it is on: the desk has its input back,
    // and a host started again serves the viewer as before.
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert_eq!(v.command("block-input on")["ok"], true);
    desk.type_text("blocked4\n");
    viewer_types(&mut v, &term, "view5");
    h.kill();
    v.kill();
    desk_works(&desk, &term, "desk5", Duration::from_secs(15));
    let h = host.start_host_on(&rv, &x.display);
    desk_works(&desk, &term, "desk6", Duration::from_secs(10));
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    viewer_types(&mut v, &term, "view6");
    assert!(!term.text().contains("blocked"), "{}", term.text());
    v.send("quit");
    v.finish(Duration::from_secs(20));

    // Without `block_input`: refused, audited once, the desk untouched.
    password_on(&host, "screen_sharing");
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "screen_sharing"]);
    for _ in 0..2 {
        let r = v.command("block-input on");
        assert_refused(&r);
    }
    desk_works(&desk, &term, "desk7", Duration::from_secs(10));
    v.send("quit");
    v.finish(Duration::from_secs(20));
    let drops: Vec<_> = dropped(&host)
        .into_iter()
        .filter(|(kind, _)| kind == "block_input")
        .collect();
    assert_eq!(
        drops,
        vec![("block_input".to_string(), "block_input".to_string())]
    );
}

/// Every connected output's gamma ramp is all zero.
fn all_black(display: &str) -> bool {
    let gammas = output_gammas(display);
    !gammas.is_empty()
        && gammas
            .iter()
            .all(|(_, (r, g, b))| r.iter().chain(g).chain(b).all(|v| *v == 0))
}

#[test]
fn privacy_mode_blanks_the_monitors_and_not_the_viewers_picture() {
    assert!(is_root(), "this suite runs Xorg, which needs root");
    let x = XorgDummy::start();
    // Ramps that are not the server's defaults, so "restored" means restored.
    dim_outputs(&x.display);
    let before = output_gammas(&x.display);
    assert!(!before.is_empty(), "the dummy driver has connected outputs");
    assert!(!all_black(&x.display));
    let (conn, screen) = latchkey_testkit::connect(&x.display);
    let picture = desktop(DESK_WIDTH, DESK_HEIGHT, 0);
    draw_rgba(&conn, screen, 0, 0, DESK_WIDTH as u16, &picture);
    let desk = DeskPerson::sit(&x.display);

    let rv = Rendezvous::start(0, None);
    let (host, mut h) = host_on_display(&x.display, &rv, "full_access");
    let viewer = Device::file();
    let profile = ["--profile", "full_access"];

    // On: black on every output, while the desk's mouse moves too.
    let mut v = held_session(&viewer, h.id(), &rv, &profile);
    let on = v.command("privacy on");
    assert_eq!(
        (on["ok"].clone(), on["on"].clone()),
        (true.into(), true.into()),
        "{on}"
    );
    assert!(all_black(&x.display), "{:?}", output_gammas(&x.display));
    assert!(note(&host).exists(), "the saved ramps are written down");
    for i in 0..10 {
        desk.move_to(100 + i * 50, 100 + i * 30);
        std::thread::sleep(Duration::from_millis(100));
        assert!(all_black(&x.display));
    }
    // The viewer still sees the desktop (a second session's screenshot: the
    // capture reads the framebuffer, which privacy mode leaves alone).
    let shot = viewer.dir.with_file_name("shot.png");
    let run = viewer.connect(
        h.id(),
        &rv,
        &[
            "--password-stdin",
            "--profile",
            "full_access",
            "--screenshot",
            shot.to_str().expect("utf8"),
        ],
        Some(&pw(GOOD_PASSWORD)),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let expected =
        Frame::packed(DESK_WIDTH, DESK_HEIGHT, PixelFormat::Rgba, picture).expect("frame");
    let psnr = read_png(&shot).psnr(&expected).expect("same size");
    assert!(psnr >= 30.0, "PSNR {psnr:.1} dB");
    assert!(all_black(&x.display));

    // Off: the ramps exactly as they were, the note gone.
    let off = v.command("privacy off");
    assert_eq!(off["on"], false, "{off}");
    assert_eq!(output_gammas(&x.display), before);
    assert!(!note(&host).exists());

    // The session ends while it is on: restored.
    assert_eq!(v.command("privacy on")["ok"], true);
    assert!(all_black(&x.display));
    v.send("quit");
    v.finish(Duration::from_secs(20));
    until(
        "the ramps back after the session",
        Duration::from_secs(15),
        || output_gammas(&x.display) == before,
    );

    // The host dies (SIGKILL) while it is on: still black (nobody gave them
    // back), the note kept; the host started again restores them exactly.
    let mut v = held_session(&viewer, h.id(), &rv, &profile);
    assert_eq!(v.command("privacy on")["ok"], true);
    h.kill();
    v.kill();
    assert!(all_black(&x.display));
    assert!(note(&host).exists());
    let h = host.start_host_on(&rv, &x.display);
    until(
        "the ramps back after a restart",
        Duration::from_secs(15),
        || output_gammas(&x.display) == before,
    );
    assert!(!note(&host).exists());

    // Without `privacy_mode` (the default profile): refused, audited once.
    password_on(&host, "default");
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "default"]);
    for _ in 0..2 {
        let r = v.command("privacy on");
        assert_refused(&r);
    }
    assert_eq!(output_gammas(&x.display), before);
    v.send("quit");
    v.finish(Duration::from_secs(20));
    let drops: Vec<_> = dropped(&host)
        .into_iter()
        .filter(|(kind, _)| kind == "privacy_mode")
        .collect();
    assert_eq!(
        drops,
        vec![("privacy_mode".to_string(), "privacy_mode".to_string())]
    );
}

/// xscreensaver on `display`, run as `user` (it will not lock for root),
/// killed on drop.
struct Locker {
    child: std::process::Child,
    display: String,
}

impl Locker {
    fn start(display: &str, user: &TempUser) -> Self {
        use std::os::unix::process::CommandExt;
        // Its own process group, so that it and its helpers end together.
        let child = std::process::Command::new("setpriv")
            .arg(format!("--reuid={}", user.name))
            .arg(format!("--regid={}", user.name))
            .args(["--clear-groups", "env"])
            .arg(format!("HOME={}", user.home.display()))
            .arg(format!("DISPLAY={display}"))
            .args(["xscreensaver", "-no-splash"])
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("xscreensaver must be installed");
        let locker = Locker {
            child,
            display: display.to_string(),
        };
        let mut last = String::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !last.contains("non-blanked") {
            assert!(
                Instant::now() < deadline,
                "xscreensaver not answering: {last:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
            last = locker.status();
        }
        locker
    }

    /// What `xscreensaver-command -time` says.
    fn status(&self) -> String {
        xtool(&self.display, &["xscreensaver-command", "-time"])
    }

    fn locked(&self) -> bool {
        self.status().contains("locked")
    }
}

impl Drop for Locker {
    fn drop(&mut self) {
        // The group this test made (xscreensaver and its helpers).
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            std::process::Command::new("kill")
                .args([sig, "--", &group])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        signal("-TERM");
        let _ = self.child.wait();
        // Gone before its user is removed (userdel refuses a user with processes).
        let deadline = Instant::now() + Duration::from_secs(5);
        while signal("-0") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("-KILL");
    }
}

/// Wait until the host audited `n` session ends (it audits an end after
/// locking, so a lock never lands on the next test's locker).
fn sessions_ended(host: &Device, n: usize) {
    until(
        "the sessions' ends audited",
        Duration::from_secs(40),
        || host.audited("session_ended", n).len() >= n,
    );
}

#[test]
fn lock_on_end_locks_the_desktop_when_the_session_ends() {
    assert!(
        is_root(),
        "the locker runs as a throwaway user, made as root"
    );
    let x = Xvfb::start_sized(640, 480);
    let user = TempUser::new("lk");
    let rv = Rendezvous::start(0, None);
    let (host, h) = host_on_display(&x.display, &rv, "default");
    let viewer = Device::file();

    // A session that ends normally: locked.
    let locker = Locker::start(&x.display, &user);
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    assert!(!locker.locked());
    v.send("quit");
    v.finish(Duration::from_secs(20));
    until("locked after the session", Duration::from_secs(20), || {
        locker.locked()
    });
    // The host is done with this session (it audits the end after locking).
    sessions_ended(&host, 1);
    drop(locker);

    // A session that drops (the viewer killed): locked.
    let locker = Locker::start(&x.display, &user);
    let mut v = held_session(&viewer, h.id(), &rv, &[]);
    v.kill();
    until("locked after the drop", Duration::from_secs(60), || {
        locker.locked()
    });
    sessions_ended(&host, 2);
    drop(locker);

    // --no-lock-on-end: the session ends (audited), nothing locked.
    let locker = Locker::start(&x.display, &user);
    let mut v = held_session(&viewer, h.id(), &rv, &["--no-lock-on-end"]);
    v.send("quit");
    v.finish(Duration::from_secs(20));
    sessions_ended(&host, 3);
    assert!(!locker.locked(), "{}", locker.status());
    // Turned off and on again from the session: locked.
    let mut v = held_session(&viewer, h.id(), &rv, &["--no-lock-on-end"]);
    let on = v.command("lock-on-end on");
    assert_eq!(
        (on["ok"].clone(), on["on"].clone()),
        (true.into(), true.into()),
        "{on}"
    );
    v.send("quit");
    v.finish(Duration::from_secs(20));
    until("locked after on again", Duration::from_secs(20), || {
        locker.locked()
    });
    sessions_ended(&host, 4);
    drop(locker);

    // Without `lock_on_end`: the toggle is refused (audited once) and the
    // end of the session locks nothing.
    let locker = Locker::start(&x.display, &user);
    password_on(&host, "screen_sharing");
    let mut v = held_session(&viewer, h.id(), &rv, &["--profile", "screen_sharing"]);
    for _ in 0..2 {
        let r = v.command("lock-on-end off");
        assert_refused(&r);
    }
    v.send("quit");
    v.finish(Duration::from_secs(20));
    sessions_ended(&host, 5);
    assert!(!locker.locked(), "{}", locker.status());
    let drops: Vec<_> = dropped(&host)
        .into_iter()
        .filter(|(kind, _)| kind == "lock_on_end")
        .collect();
    assert_eq!(
        drops,
        vec![("lock_on_end".to_string(), "lock_on_end".to_string())]
    );
}
