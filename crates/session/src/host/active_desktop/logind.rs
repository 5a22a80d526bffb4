//! Asking logind which graphical session is in front: `loginctl` (the
//! same answers as its D-Bus API), its `Key=Value` output, and which
//! sessions the host can share (active, X11, a local display).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The seat whose active session is followed.
pub const SEAT: &str = "seat0";
/// Longest wait for one `loginctl` call.
const LOGINCTL_TIMEOUT: Duration = Duration::from_secs(10);

/// A graphical session the host can share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphicalSession {
    /// logind's session id.
    pub id: String,
    /// Its user's name.
    pub user: String,
    /// Its user's uid.
    pub uid: u32,
    /// The X display, e.g. `:0`.
    pub display: String,
}

/// What logind says about the session in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An active X11 session on the seat.
    Found(GraphicalSession),
    /// logind answered, and there is nothing to share now (why).
    Nothing(String),
    /// logind could not be asked (why): no systemd, no `loginctl`.
    Unavailable(String),
}

impl Lookup {
    /// What the watcher compares: the session and its display, or nothing.
    pub(super) fn key(&self) -> Option<Option<(String, String)>> {
        match self {
            Lookup::Found(s) => Some(Some((s.id.clone(), s.display.clone()))),
            Lookup::Nothing(_) => Some(None),
            Lookup::Unavailable(_) => None,
        }
    }
}

/// Parse `loginctl show-* -p ...` output: one `Key=Value` per line.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Judge `loginctl show-session ID -p Display -p Name -p User -p Type -p State`
/// output: a session the host can share, or why not.
pub fn session_from(
    id: &str,
    props: &BTreeMap<String, String>,
) -> Result<GraphicalSession, String> {
    let get = |k: &str| props.get(k).map(String::as_str).unwrap_or("");
    let user = get("Name");
    let who = if user.is_empty() {
        format!("session {id}")
    } else {
        format!("session {id} of {user}")
    };
    match get("State") {
        "active" => {}
        other => return Err(format!("{who} is not active (state '{other}')")),
    }
    match get("Type") {
        "x11" => {}
        "wayland" => {
            return Err(format!(
                "{who} is a Wayland session: only X11 sessions can be shared"
            ))
        }
        other => return Err(format!("{who} is not graphical (type '{other}')")),
    }
    let display = get("Display");
    if !is_local_display(display) {
        return Err(format!("{who} has no local X display ('{display}')"));
    }
    let uid = get("User")
        .parse()
        .map_err(|_| format!("{who} has no user id"))?;
    Ok(GraphicalSession {
        id: id.to_string(),
        user: user.to_string(),
        uid,
        display: display.to_string(),
    })
}

/// `:N` or `:N.S`: a display on this machine.
fn is_local_display(d: &str) -> bool {
    d.strip_prefix(':').is_some_and(|rest| {
        let (n, screen) = rest.split_once('.').unwrap_or((rest, "0"));
        !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
            && !screen.is_empty()
            && screen.chars().all(|c| c.is_ascii_digit())
    })
}

/// Run `loginctl ARGS`, bounded by [`LOGINCTL_TIMEOUT`].
fn loginctl(args: &[&str]) -> Result<String, String> {
    let mut child = Command::new("loginctl")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run loginctl: {e}"))?;
    let deadline = Instant::now() + LOGINCTL_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("loginctl did not answer".into());
            }
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("loginctl: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(format!(
            "loginctl: {}",
            err.lines().next().unwrap_or("failed").trim()
        ))
    }
}

/// Ask logind for the active session on [`SEAT`]. A host that is not root
/// can only use its own user's session.
pub fn active_session(own_uid: Option<u32>) -> Lookup {
    let seat = match loginctl(&["show-seat", SEAT, "-p", "ActiveSession"]) {
        Ok(text) => parse_properties(&text),
        Err(why) => return Lookup::Unavailable(why),
    };
    let id = seat.get("ActiveSession").cloned().unwrap_or_default();
    if id.is_empty() {
        return Lookup::Nothing(format!("no session is active on {SEAT}"));
    }
    let props = match loginctl(&[
        "show-session",
        &id,
        "-p",
        "Display",
        "-p",
        "Name",
        "-p",
        "User",
        "-p",
        "Type",
        "-p",
        "State",
    ]) {
        Ok(text) => parse_properties(&text),
        // It may have ended in between.
        Err(why) => return Lookup::Nothing(why),
    };
    match session_from(&id, &props) {
        Ok(s) if own_uid.is_some_and(|u| u != 0 && u != s.uid) => Lookup::Nothing(format!(
            "session {} belongs to {}, and this host does not run as root or as that user",
            s.id, s.user
        )),
        Ok(s) => Lookup::Found(s),
        Err(why) => Lookup::Nothing(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(text: &str) -> BTreeMap<String, String> {
        parse_properties(text)
    }

    #[test]
    fn loginctl_output_is_parsed() {
        let p = props("Display=:0\nName=alice\nUser=1000\nType=x11\nState=active\n\nnoise\n");
        assert_eq!(p.get("Display").map(String::as_str), Some(":0"));
        assert_eq!(p.len(), 5);
        assert_eq!(
            session_from("2", &p),
            Ok(GraphicalSession {
                id: "2".into(),
                user: "alice".into(),
                uid: 1000,
                display: ":0".into(),
            })
        );
        // --value style empty output, and an empty ActiveSession.
        assert_eq!(
            props("ActiveSession=\n")
                .get("ActiveSession")
                .map(String::as_str),
            Some("")
        );
    }

    #[test]
    fn only_active_local_x11_sessions_are_followed() {
        let base = "Display=:1\nName=bob\nUser=1001\nType=x11\nState=active\n";
        assert!(session_from("c3", &props(base)).is_ok());
        let with = |from: &str, to: &str| session_from("c3", &props(&base.replace(from, to)));
        let why = with("Type=x11", "Type=wayland").expect_err("wayland");
        assert!(why.contains("Wayland") && why.contains("bob"), "{why}");
        assert!(with("Type=x11", "Type=tty").is_err());
        assert!(with("State=active", "State=online").is_err());
        assert!(with("State=active", "State=closing").is_err());
        assert!(with("Display=:1", "Display=").is_err());
        assert!(with("Display=:1", "Display=remote:10").is_err());
        assert!(with("User=1001", "User=").is_err());
        assert_eq!(
            with("Display=:1", "Display=:1.0").map(|s| s.display),
            Ok(":1.0".into())
        );
        assert!(session_from("x", &BTreeMap::new()).is_err());
    }

    #[test]
    fn local_displays() {
        for ok in [":0", ":12", ":0.1"] {
            assert!(is_local_display(ok), "{ok}");
        }
        for bad in ["", ":", "0", "host:0", ":a", ":0.", ":0.x", ":0:1"] {
            assert!(!is_local_display(bad), "{bad}");
        }
    }

    #[test]
    fn watcher_keys() {
        let s = GraphicalSession {
            id: "2".into(),
            user: "a".into(),
            uid: 1,
            display: ":0".into(),
        };
        assert_eq!(
            Lookup::Found(s).key(),
            Some(Some(("2".into(), ":0".into())))
        );
        assert_eq!(Lookup::Nothing("x".into()).key(), Some(None));
        assert_eq!(Lookup::Unavailable("x".into()).key(), None);
    }
}
