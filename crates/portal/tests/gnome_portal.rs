//! The portal path end to end on what Debian 12 has: xdg-desktop-portal 1.16
//! with xdg-desktop-portal-gnome 43 on a headless Mutter 43 (PipeWire,
//! WirePlumber, a private session bus: crates/mutter's test harness). The
//! test is also the person at the desk: it sees the screen and answers the
//! portal's dialog through Mutter's own remote desktop API (latchkey-mutter),
//! and wev (a Wayland client) reports the input the portal session sends.

#[path = "../../mutter/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::picture::{pattern, Picture};
use common::wev::{window_box, Wev};
use common::{frame_until, psnr, Desktop};
use latchkey_mutter::{Button, Capture, Frame, MutterSession};
use latchkey_portal::{
    probe, Approval, AskReason, CursorMode, Error, PortalOptions, PortalSession, SessionKind,
    TokenFile, TokenState,
};

const XDP: &str = "/usr/libexec/xdg-desktop-portal";
const XDP_GNOME: &str = "/usr/libexec/xdg-desktop-portal-gnome";

fn portals_available() -> bool {
    if !common::gnome_available() {
        return false;
    }
    for p in [XDP, XDP_GNOME] {
        if !Path::new(p).exists() {
            eprintln!("SKIPPED: {p} is not installed (scripts/setup.sh installs it)");
            return false;
        }
    }
    true
}

fn has_name(desktop: &Desktop, name: &str) -> bool {
    let Ok(conn) =
        zbus::blocking::connection::Builder::address(desktop.bus.as_str()).and_then(|b| b.build())
    else {
        return false;
    };
    let Ok(dbus) = zbus::blocking::fdo::DBusProxy::new(&conn) else {
        return false;
    };
    let Ok(name) = zbus::names::BusName::try_from(name) else {
        return false;
    };
    dbus.name_has_owner(name).unwrap_or(false)
}

/// A headless GNOME with xdg-desktop-portal and its GNOME backend on its bus.
fn gnome_with_portal() -> Desktop {
    let mut desktop = Desktop::gnome();
    let wayland = desktop.wayland_socket().display().to_string();
    let env = [
        ("WAYLAND_DISPLAY", wayland.as_str()),
        ("XDG_CURRENT_DESKTOP", "GNOME"),
        ("XDG_SESSION_TYPE", "wayland"),
    ];
    desktop.add_process("xdg-desktop-portal-gnome", &[XDP_GNOME, "-v"], &env);
    let bus = desktop.bus.clone();
    let probe_bus = move |name: &str| {
        let d = bus.clone();
        let name = name.to_string();
        move || {
            zbus::blocking::connection::Builder::address(d.as_str())
                .and_then(|b| b.build())
                .ok()
                .and_then(|c| zbus::blocking::fdo::DBusProxy::new(&c).ok().map(|p| (c, p)))
                .and_then(|(_c, p)| {
                    zbus::names::BusName::try_from(name.as_str())
                        .ok()
                        .and_then(|n| p.name_has_owner(n).ok())
                })
                .unwrap_or(false)
        }
    };
    desktop.wait_for(
        "xdg-desktop-portal-gnome",
        probe_bus("org.freedesktop.impl.portal.desktop.gnome"),
    );
    desktop.add_process("xdg-desktop-portal", &[XDP, "-v"], &env);
    desktop.wait_for(
        "xdg-desktop-portal",
        probe_bus("org.freedesktop.portal.Desktop"),
    );
    assert!(has_name(&desktop, "org.freedesktop.portal.Desktop"));
    desktop
}

fn save_png(path: &Path, frame: &latchkey_mutter::Frame) {
    let file = std::fs::File::create(path).expect("png file");
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), frame.width, frame.height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().expect("png header");
    let rgba: Vec<u8> = frame
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0], 255])
        .collect();
    w.write_image_data(&rgba).expect("png data");
}

/// The person at the desk: their own Mutter session (eyes and hands).
struct Desk {
    session: MutterSession,
    capture: Capture,
}

impl Desk {
    fn new(desktop: &Desktop) -> Desk {
        let session = MutterSession::start(&desktop.bus(), &desktop.options())
            .unwrap_or_else(|e| panic!("desk session: {e}\n{}", desktop.logs()));
        let capture = Capture::connect(session.node_id(), Some(&desktop.pipewire_socket()))
            .unwrap_or_else(|e| panic!("desk capture: {e}\n{}", desktop.logs()));
        Desk { session, capture }
    }

    /// The newest frame, once the screen has been still for a moment.
    fn settled(&mut self) -> Frame {
        let mut last = self
            .capture
            .frame(Duration::from_secs(20))
            .expect("desk frame");
        for _ in 0..20 {
            match self.capture.next_frame(Duration::from_millis(400)) {
                Ok(Some(f)) => last = f,
                Ok(None) => break,
                Err(e) => panic!("desk capture: {e}"),
            }
        }
        last.as_ref().clone()
    }

    /// Saves what the desk sees now as DIR/NAME.png.
    fn look(&mut self, desktop: &Desktop, name: &str) -> PathBuf {
        let frame = self.settled();
        let path = desktop.dir().join(format!("{name}.png"));
        save_png(&path, &frame);
        path
    }

    /// Waits up to 20 s for the portal's dialog to show.
    fn dialog(&mut self) -> Option<(Frame, Dialog)> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let frame = self.settled();
            if let Some(d) = find_dialog(&frame) {
                return Some((frame, d));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        None
    }

    fn click_at(&mut self, x: u32, y: u32) {
        self.session
            .move_to(f64::from(x), f64::from(y))
            .expect("desk pointer");
        self.session.click(Button::Left).expect("desk click");
    }

    /// Starts a session that waits for the desk (on a thread) while the
    /// person at the desk approves the dialog `name` ([`Desk::approve`]).
    fn start_approved(
        &mut self,
        desktop: &Desktop,
        file: &TokenFile,
        kind: SessionKind,
        name: &str,
    ) -> PortalSession {
        let bus = desktop.bus();
        let file = file.clone();
        let starter = std::thread::spawn(move || {
            PortalSession::start_with_file(
                &bus,
                &options(kind, Approval::AtDesk(Duration::from_secs(60))),
                &file,
            )
        });
        self.approve(desktop, name);
        starter
            .join()
            .expect("join")
            .unwrap_or_else(|e| panic!("approved start: {e}\n{}", desktop.logs()))
    }

    /// What the person at the desk does: finds the dialog, picks the monitor
    /// in its list, and presses Share once it is enabled. Panics (saving a
    /// screenshot) if any of that cannot be seen.
    fn approve(&mut self, desktop: &Desktop, name: &str) {
        let Some((frame, dialog)) = self.dialog() else {
            let shot = self.look(desktop, name);
            panic!(
                "no dialog on screen (see {})\n{}",
                shot.display(),
                desktop.logs()
            );
        };
        println!("{name}: dialog at {dialog:?}");
        let (rx, ry) = dialog.list_row(&frame).unwrap_or_else(|| {
            let shot = self.look(desktop, name);
            panic!("no monitor list in the dialog (see {})", shot.display())
        });
        self.click_at(rx, ry);
        // Share turns from pale to saturated blue once a monitor is picked.
        let deadline = Instant::now() + Duration::from_secs(10);
        let share = loop {
            let frame = self.settled();
            if let Some(at) = dialog.enabled_share(&frame) {
                break at;
            }
            if Instant::now() > deadline {
                let shot = self.look(desktop, name);
                panic!("Share never became enabled (see {})", shot.display());
            }
        };
        self.click_at(share.0, share.1);
    }
}

/// The dialog's box on screen.
#[derive(Debug, Clone, Copy)]
struct Dialog {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

fn light(p: Option<[u8; 4]>) -> bool {
    p.is_some_and(|p| p[0] > 200 && p[1] > 200 && p[2] > 200)
}

/// The light box in the middle of the dark desktop: the portal's dialog.
fn find_dialog(f: &Frame) -> Option<Dialog> {
    let cx = f.width / 2;
    let y0 = (0..f.height).find(|&y| light(f.pixel(cx, y)))?;
    let row = y0 + 4;
    let x0 = (0..f.width).find(|&x| light(f.pixel(x, row)))?;
    let x1 = (0..f.width).rev().find(|&x| light(f.pixel(x, row)))?;
    let y1 = (y0..f.height)
        .take_while(|&y| light(f.pixel(x0 + 8, y)))
        .last()?;
    (x1 - x0 > 200 && y1 - y0 > 150).then_some(Dialog { x0, y0, x1, y1 })
}

impl Dialog {
    /// The middle of the first white list row (a monitor) in the dialog.
    fn list_row(&self, f: &Frame) -> Option<(u32, u32)> {
        let x = self.x0 + 48;
        let white = |y: u32| f.pixel(x, y).is_some_and(|p| p[..3] == [255, 255, 255]);
        let mut y = self.y0 + 60;
        while y < self.y1 {
            if white(y) {
                let top = y;
                let bottom = (y..self.y1).take_while(|&y| white(y)).last()?;
                if bottom - top >= 20 {
                    return Some((x + 20, (top + bottom) / 2));
                }
                y = bottom;
            }
            y += 1;
        }
        None
    }

    /// Where to press Share when it is enabled (a saturated blue button in
    /// the header bar's right end).
    fn enabled_share(&self, f: &Frame) -> Option<(u32, u32)> {
        let y = self.y0 + 22;
        (self.x0..self.x1).rev().find_map(|x| {
            let p = f.pixel(x, y)?;
            // BGRA: blue well above red, and red low (disabled is pale).
            (p[0] > 180 && p[2] < 100 && p[0] > p[2] + 100).then_some((x - 20, y))
        })
    }
}

fn options(kind: SessionKind, approval: Approval) -> PortalOptions {
    PortalOptions {
        desktop: "GNOME".to_string(),
        kind,
        cursor: CursorMode::Embedded,
        approval,
        timeout: Duration::from_secs(20),
    }
}

/// Screen cast (view only) with a restore token: the desk approves once,
/// then sessions start with no dialog, each with a new token; an old or
/// forged token falls back to asking the desk.
#[test]
fn screen_cast_is_approved_once_then_restored_without_a_dialog() {
    if !portals_available() {
        return;
    }
    let desktop = gnome_with_portal();
    let mut desk = Desk::new(&desktop);
    let dir = tempfile::tempdir().expect("dir");
    let file = TokenFile::new(dir.path().join("portal-token.json"));
    let kind = SessionKind::ScreenCast;

    // Unattended with nothing kept: refused before anything shows.
    let err = PortalSession::start_with_file(
        &desktop.bus(),
        &options(kind, Approval::RestoreOnly),
        &file,
    )
    .expect_err("no token yet");
    assert!(
        matches!(err, Error::DeskMustApproveOnce(AskReason::NeverApproved)),
        "{err:?}"
    );
    assert!(find_dialog(&desk.settled()).is_none(), "a dialog showed");

    // Turning unattended access on, at the desk: the dialog, approved once.
    let session = desk.start_approved(&desktop, &file, kind, "screen-cast-dialog");
    assert!(session.remembered(), "{session:?}");
    let first = file.load().expect("load");
    let t1 = first.grant(kind).expect("a token kept").token.clone();
    println!("approved: {session:?}");
    let mut cap = session
        .capture()
        .expect("capture through the portal's PipeWire fd");
    let frame = cap.frame(Duration::from_secs(20)).expect("a frame");
    assert_eq!((frame.width, frame.height), (common::WIDTH, common::HEIGHT));
    drop(cap);
    drop(session);
    assert!(
        find_dialog(&desk.settled()).is_none(),
        "the dialog stayed after approval"
    );

    // Unattended again: restored with no dialog (RestoreOnly gives up on
    // any dialog), and the token replaced.
    let session = PortalSession::start_with_file(
        &desktop.bus(),
        &options(kind, Approval::RestoreOnly),
        &file,
    )
    .unwrap_or_else(|e| panic!("restore: {e}\n{}", desktop.logs()));
    assert!(session.remembered());
    let t2 = file
        .load()
        .expect("load")
        .grant(kind)
        .expect("kept")
        .token
        .clone();
    // The spec calls tokens single-use and newer portals rotate them; 1.16
    // hands the same one back. Either way the file holds what Start returned
    // (the state's unit tests cover replacement).
    println!("token rotated on restore: {}", t1 != t2);
    // The restored session's frames (through the portal's PipeWire fd) show
    // what a client draws, and no dialog covers it.
    let mut cap = session.capture().expect("capture");
    let picture = Picture::show(&desktop.wayland_socket(), "latchkey picture", pattern);
    assert!(
        picture.wait_drawn((common::WIDTH, common::HEIGHT), Duration::from_secs(20)),
        "the picture client was never configured full screen:\n{}",
        desktop.logs()
    );
    let expected = pattern(common::WIDTH, common::HEIGHT);
    let (frame, matched) = frame_until(&mut cap, |f| {
        f.data.len() == expected.len() && psnr(&f.data, &expected) >= 30.0
    });
    let db = psnr(&frame.data, &expected);
    assert!(
        matched,
        "the restored capture does not match the picture: PSNR {db:.1} dB"
    );
    println!("restored capture: PSNR {db:.1} dB");
    drop(picture);
    drop(cap);
    drop(session);

    // And again: restoring is not a one-off.
    let session = PortalSession::start_with_file(
        &desktop.bus(),
        &options(kind, Approval::RestoreOnly),
        &file,
    )
    .unwrap_or_else(|e| panic!("second restore: {e}\n{}", desktop.logs()));
    assert!(file.load().expect("load").grant(kind).is_some());
    drop(session);

    // A token the portal does not know (revoked, or from a reset permission
    // store): the portal shows its dialog, nobody answers, and the caller is
    // told the desk must approve once.
    let mut stale = TokenState::default();
    let plan = stale.plan("GNOME", kind);
    let revoked =
        latchkey_portal::RestoreToken::new("0badc0de-0000-4000-8000-000000000000").expect("token");
    stale.on_start(
        &plan,
        "GNOME",
        kind,
        latchkey_portal::StartOutcome::Granted(Some(revoked)),
        1,
    );
    let short = PortalOptions {
        timeout: Duration::from_secs(8),
        ..options(kind, Approval::RestoreOnly)
    };
    let watcher = std::thread::spawn({
        let bus = desktop.bus();
        move || {
            PortalSession::start(&bus, &short, &mut stale)
                .map(|_| ())
                .map_err(|e| (e, stale))
        }
    });
    // The desk sees the dialog the unknown token brought up.
    let seen = desk.dialog().is_some();
    let (err, stale) = watcher.join().expect("join").expect_err("unknown token");
    assert!(seen, "no dialog showed for the unknown token");
    assert!(
        find_dialog(&desk.settled()).is_none(),
        "the unanswered dialog stayed after the session was closed"
    );
    assert!(
        matches!(err, Error::DeskMustApproveOnce(AskReason::TokenRefused)),
        "{err:?}"
    );
    assert!(stale.grant(kind).is_none());
    println!("unknown token: {err}");
}

/// Remote desktop (screen and input) on Debian's portal: RemoteDesktop is
/// version 1 there, which hands out no restore tokens, so unattended starts
/// are refused with the reason and every session needs the desk. Approved at
/// the desk: frames through the portal's PipeWire fd, and the portal's
/// pointer moves the desktop's pointer.
#[test]
fn remote_desktop_works_with_the_desk_and_says_why_not_unattended() {
    if !portals_available() {
        return;
    }
    let desktop = gnome_with_portal();
    let info = probe(&desktop.bus(), Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("probe: {e}\n{}", desktop.logs()));
    println!("portal here: {info:?}");
    let mut desk = Desk::new(&desktop);
    let dir = tempfile::tempdir().expect("dir");
    let file = TokenFile::new(dir.path().join("portal-token.json"));
    let kind = SessionKind::RemoteDesktop;

    let unattended = PortalSession::start_with_file(
        &desktop.bus(),
        &options(kind, Approval::RestoreOnly),
        &file,
    );
    if info.remote_desktop_version < 2 {
        let err = unattended.expect_err("RemoteDesktop v1 cannot restore");
        assert!(
            matches!(
                err,
                Error::PortalTooOld {
                    version: 1,
                    needed: 2,
                    ..
                }
            ),
            "{err:?}"
        );
        println!("unattended: {err}");
    } else {
        let err = unattended.expect_err("no token yet");
        assert!(matches!(err, Error::DeskMustApproveOnce(_)), "{err:?}");
    }
    assert!(find_dialog(&desk.settled()).is_none(), "a dialog showed");

    let mut session = desk.start_approved(&desktop, &file, kind, "remote-desktop-dialog");
    println!("approved: {session:?}");
    assert_eq!(session.remembered(), info.remote_desktop_version >= 2);
    let mut cap = session
        .capture()
        .expect("capture through the portal's PipeWire fd");
    let frame = cap.frame(Duration::from_secs(20)).expect("a frame");
    assert_eq!((frame.width, frame.height), (common::WIDTH, common::HEIGHT));

    // Input through the portal reaches a Wayland client (wev), placed by
    // what changed in the portal's own frames.
    assert!(
        common::installed("wev"),
        "mutter is installed but wev is not (scripts/setup.sh)"
    );
    let before = desk.settled();
    let mut wev = Wev::start(&desktop);
    wev.wait("a pointer and a keyboard", |e| e.has_devices);
    let (wx, wy, ww, wh) = window_box(&mut cap, &before).unwrap_or_else(|| {
        panic!(
            "wev's window never showed in the portal's frames:\n{}",
            wev.client.transcript()
        )
    });
    println!("wev's window in the portal's frames: {ww}x{wh} at ({wx}, {wy})");
    assert!(ww > 100 && wh > 100, "window too small to aim at");
    session
        .move_to(f64::from(wx + 57), f64::from(wy + 43))
        .expect("move");
    wev.wait("the pointer at (57, 43)", |e| e.pointer_was_at(57.0, 43.0));
    session.click(Button::Left).expect("click");
    wev.wait("a left click", |e| {
        e.buttons.contains(&(272, true)) && e.buttons.contains(&(272, false))
    });
    wev.wait("keyboard focus", |e| e.focused);
    session.scroll(0, 2).expect("scroll");
    wev.wait("the wheel turned down", |e| {
        e.vertical_axis.iter().sum::<f64>() > 0.0
    });
    let text = "Hello, portal! 42";
    session.type_text(text).expect("type");
    wev.wait("the typed text", |e| {
        e.typed().chars().count() >= text.chars().count()
    });
    assert_eq!(wev.typed(), text);
    // A held key is released when the session closes.
    session.key("Shift_L", true).expect("key down");
    wev.wait("Shift pressed", |e| {
        e.keys.iter().any(|k| k.0 == "Shift_L" && k.1)
    });
    session.close().expect("close");
    wev.wait("Shift released", |e| {
        e.keys.iter().any(|k| k.0 == "Shift_L" && !k.1)
    });
    assert!(matches!(session.move_to(1.0, 1.0), Err(Error::Closed)));
}
