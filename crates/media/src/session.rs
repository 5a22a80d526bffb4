//! What kind of desktop session this process serves, decided in one place,
//! and which capture and input paths the host actually opened (for
//! `latchkey status`).
//!
//! [`detect`] looks at the environment and, for Wayland, at the compositor's
//! globals:
//!
//! - **wlroots**: `WAYLAND_DISPLAY` names a compositor that offers
//!   `zwlr_screencopy_manager_v1` (sway): capture with wlr-screencopy, input
//!   with the wlr virtual pointer and virtual keyboard ([`crate::wlr_screen`],
//!   [`crate::Injector`]). Chosen before X11 even when `DISPLAY` is set, as
//!   that X server is then XWayland, which sees X clients only.
//! - **X11**: an X server is reachable through `DISPLAY`.
//! - **GNOME** (`XDG_CURRENT_DESKTOP` contains `GNOME`) on Wayland: not yet
//!   supported (the Mutter path is pending); the host falls back as for any
//!   other Wayland desktop.
//! - **portal**: any other Wayland desktop: `xcap`'s xdg-desktop-portal path.
//!
//! The host records what it opened with [`record_capture`] and
//! [`record_input`]; [`report`] gives it back as a [`DesktopReport`].

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The kind of desktop session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// An X server (Xorg, Xvfb).
    X11,
    /// A wlroots compositor (sway): wlr-screencopy and the wlr virtual input protocols.
    Wlroots,
    /// GNOME on Wayland: the Mutter path is not written yet.
    Gnome,
    /// Another Wayland desktop: the xdg-desktop-portal path (xcap).
    Portal,
    /// Neither an X server nor a Wayland compositor was found.
    None,
}

impl SessionKind {
    /// Its name in `status` (`x11`, `wlroots`, ...).
    pub fn name(self) -> &'static str {
        match self {
            SessionKind::X11 => "x11",
            SessionKind::Wlroots => "wlroots",
            SessionKind::Gnome => "gnome",
            SessionKind::Portal => "portal",
            SessionKind::None => "none",
        }
    }
}

/// What the environment and the display say about this session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    /// The kind.
    pub kind: SessionKind,
    /// For people: why, and what is not supported yet.
    pub note: String,
}

/// Decides the session kind (see the module docs). Connects to the Wayland
/// compositor (one round trip pair) and to the X server, then lets both go.
pub fn detect() -> Detected {
    let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty());
    let gnome = std::env::var("XDG_CURRENT_DESKTOP")
        .is_ok_and(|d| d.split(':').any(|p| p.eq_ignore_ascii_case("gnome")));
    let mut why_not_wlroots = None;
    if wayland {
        match latchkey_wayland::globals(&latchkey_wayland::Target::Env) {
            Ok(globals) if globals.iter().any(|g| g == "zwlr_screencopy_manager_v1") => {
                return Detected {
                    kind: SessionKind::Wlroots,
                    note: "wlroots compositor: wlr-screencopy capture, wlr virtual pointer and keyboard".into(),
                };
            }
            Ok(_) => why_not_wlroots = Some("the compositor offers no wlr-screencopy".to_string()),
            Err(e) => why_not_wlroots = Some(e.to_string()),
        }
    }
    if x11_reachable() {
        let mut note = "X server reachable through DISPLAY".to_string();
        if gnome && wayland {
            note.push_str(
                "; gnome (not yet supported: Mutter path pending), so XWayland: X clients only",
            );
        } else if let Some(why) = why_not_wlroots {
            note.push_str(&format!(" (Wayland session, not wlroots: {why})"));
        }
        return Detected {
            kind: SessionKind::X11,
            note,
        };
    }
    if wayland && gnome {
        return Detected {
            kind: SessionKind::Gnome,
            note: "gnome (not yet supported: Mutter path pending); trying the portal".into(),
        };
    }
    if wayland {
        return Detected {
            kind: SessionKind::Portal,
            note: format!(
                "Wayland, not wlroots ({}): xdg-desktop-portal through xcap",
                why_not_wlroots.unwrap_or_default()
            ),
        };
    }
    Detected {
        kind: SessionKind::None,
        note: "no X display (DISPLAY) and no Wayland display (WAYLAND_DISPLAY)".into(),
    }
}

fn x11_reachable() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty()) && x11rb::connect(None).is_ok()
}

/// What a host process opened on its desktop, as `status` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesktopReport {
    /// The capture path of the last screen opened (`x11`, `wlroots`, `portal`), if any yet.
    pub capture: Option<String>,
    /// The input path of the injector that last opened one, if any yet.
    pub input: Option<String>,
    /// Notes from detection (why this path, what is not supported).
    pub notes: Vec<String>,
}

static OPENED: Mutex<Option<DesktopReport>> = Mutex::new(None);

fn update(f: impl FnOnce(&mut DesktopReport)) {
    let mut guard = OPENED.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(DesktopReport::default));
}

fn note(report: &mut DesktopReport, note: &str) {
    if !note.is_empty() && !report.notes.iter().any(|n| n == note) {
        report.notes.push(note.to_string());
        // Bounded: a host that reopens often keeps the latest few.
        if report.notes.len() > 4 {
            report.notes.remove(0);
        }
    }
}

/// Records that the host opened a screen through `path`.
pub fn record_capture(path: &str, why: &str) {
    update(|r| {
        r.capture = Some(path.to_string());
        note(r, why);
    });
}

/// Records that the host's injector uses `path`.
pub fn record_input(path: &str, why: &str) {
    update(|r| {
        r.input = Some(path.to_string());
        note(r, why);
    });
}

/// What this process opened so far (all `None` before the first session).
pub fn report() -> DesktopReport {
    OPENED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_what_was_opened() {
        record_capture("wlroots", "a note");
        record_input("wlroots", "a note");
        let r = report();
        assert_eq!(r.capture.as_deref(), Some("wlroots"));
        assert_eq!(r.input.as_deref(), Some("wlroots"));
        // Other tests of this process may have recorded too: notes are kept once.
        assert_eq!(r.notes.iter().filter(|n| *n == "a note").count(), 1);
    }

    #[test]
    fn names_are_stable() {
        let json = serde_json::to_string(&SessionKind::Wlroots).expect("json");
        assert_eq!(json, "\"wlroots\"");
        assert_eq!(SessionKind::Gnome.name(), "gnome");
    }
}
