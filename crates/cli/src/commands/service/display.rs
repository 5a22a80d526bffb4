//! `host --display auto`: share the X display of the graphical session in
//! front of the machine, as logind knows it.
//!
//! A service starts before anyone logs in and has no `$DISPLAY`. So the host
//! asks logind (through `loginctl`, the same answers as its D-Bus API) which
//! session is active on `seat0`, and takes that session's `Display` and the
//! Xauthority file that lets it in, then sets `DISPLAY`/`XAUTHORITY` before
//! any of its threads start. A watcher then asks again every few seconds;
//! when the session in front changes (logout, another login, a greeter), the
//! host exits with [`exit::DISPLAY_CHANGED`] and the unit's
//! `Restart=on-failure` starts it again on the new one: simpler and sturdier
//! than swapping the display under running sessions. With no session to
//! follow, the host still runs and stays reachable, with no screen to share.
//!
//! Without `--display`, a host that runs as root from systemd (`$INVOCATION_ID`
//! set) with no `$DISPLAY` follows logind the same way.
//!
//! A root host trusts nothing another user controls: it shares an X server
//! only when the server's process and socket belong to root or to the
//! session's user, and it reads an Xauthority file only if it is a regular
//! file (no symlink followed, `O_NOFOLLOW`) owned by that user (or, for a
//! root X server's own `-auth` file, by root). It hands X a private copy in
//! its config dir, so nothing can swap the file between the check and the use.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use latchkey_session::host::control_socket::auth;

use crate::exit::{self, CliError};

/// The seat whose active session is followed.
const SEAT: &str = "seat0";
/// How often the watcher asks logind again.
const POLL: Duration = Duration::from_secs(3);
/// Longest wait for one `loginctl` call.
const LOGINCTL_TIMEOUT: Duration = Duration::from_secs(10);
/// Where X servers put their sockets (`X0`, `X1`, ...).
const X11_UNIX: &str = "/tmp/.X11-unix";
/// Largest Xauthority file read (real ones hold a few cookies).
const MAX_XAUTHORITY: u64 = 64 * 1024;
/// The host's private copy of the session's Xauthority, in its config dir.
const XAUTHORITY_COPY: &str = "xauthority";

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
    fn key(&self) -> Option<Option<(String, String)>> {
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

/// Whether an X server's command line (NUL-separated words) serves
/// `display` (named as an argument): then `Some` of its `-auth FILE`, if any.
pub fn x_server_of(cmdline: &[u8], display: &str) -> Option<Option<PathBuf>> {
    let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let program = words.first()?;
    let name = program.rsplit(|b| *b == b'/').next()?;
    if !matches!(
        name,
        b"X" | b"Xorg" | b"Xwayland" | b"Xvfb" | b"Xvnc" | b"Xephyr"
    ) {
        return None;
    }
    let number = display.split('.').next()?;
    if !words.contains(&number.as_bytes()) {
        return None;
    }
    let auth = words
        .iter()
        .position(|w| *w == b"-auth")
        .and_then(|at| words.get(at + 1))
        .and_then(|w| std::str::from_utf8(w).ok())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    Some(auth)
}

/// Who may own what a root host shares for a session of `session_uid`.
fn trusted_owner(uid: u32, session_uid: u32) -> bool {
    uid == 0 || uid == session_uid
}

/// The X server of `display`, checked: its socket in [`X11_UNIX`] and every
/// X server process naming the display must belong to root or to the
/// session's user (`session_uid`). Returns the server's `-auth` file, with
/// whether root owns the server (then a root-owned auth file is fine too).
fn checked_x_server(
    display: &str,
    session_uid: u32,
    session_user: &str,
) -> Result<Option<(PathBuf, bool)>, String> {
    let number = display
        .strip_prefix(':')
        .and_then(|rest| rest.split('.').next())
        .unwrap_or("");
    let not_theirs = |what: &str, uid: u32| {
        let owner = auth::user(uid)
            .map(|u| format!("{} (uid {uid})", u.name))
            .unwrap_or_else(|| format!("uid {uid}"));
        format!(
            "the X server of display {display}: its {what} belongs to {owner}, neither root nor \
             the session's user {session_user}; not shared"
        )
    };
    let socket = Path::new(X11_UNIX).join(format!("X{number}"));
    let socket_seen = match std::fs::symlink_metadata(&socket) {
        Ok(m) if !trusted_owner(m.uid(), session_uid) => return Err(not_theirs("socket", m.uid())),
        Ok(_) => true,
        Err(_) => false,
    };
    let mut auth_file = None;
    let mut process_seen = false;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let Some(auth) = x_server_of(&cmdline, display) else {
            continue;
        };
        // /proc/PID belongs to the process's effective user.
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if !trusted_owner(meta.uid(), session_uid) {
            return Err(not_theirs("process", meta.uid()));
        }
        process_seen = true;
        if auth_file.is_none() {
            auth_file = auth.map(|p| (p, meta.uid() == 0));
        }
    }
    if !socket_seen && !process_seen {
        return Err(format!(
            "cannot tell who runs the X server of display {display} (no {} and no such \
             process): not shared",
            socket.display()
        ));
    }
    Ok(auth_file)
}

/// Read the Xauthority file at `path` without following a symlink: it must
/// be a regular file owned by `session_uid` (or by root when `root_ok`).
pub fn read_xauthority(
    path: &Path,
    session_uid: u32,
    root_ok: bool,
) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                "it is a symbolic link".to_string()
            } else {
                format!("cannot open it ({e})")
            }
        })?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot check it ({e})"))?;
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    if meta.uid() != session_uid && !(root_ok && meta.uid() == 0) {
        return Err(format!(
            "it belongs to uid {}, not to the session's user (uid {session_uid})",
            meta.uid()
        ));
    }
    if meta.len() > MAX_XAUTHORITY {
        return Err(format!("it is larger than {MAX_XAUTHORITY} bytes"));
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_XAUTHORITY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it ({e})"))?;
    Ok(bytes)
}

/// Where the Xauthority for a session of `uid` may be, most specific first:
/// the X server's own `-auth` file, GDM's per-user file, `~/.Xauthority`.
pub fn xauthority_candidates(
    uid: u32,
    home: Option<&str>,
    server: Option<PathBuf>,
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = server.into_iter().collect();
    out.push(PathBuf::from(format!("/run/user/{uid}/gdm/Xauthority")));
    if let Some(h) = home.filter(|h| h.starts_with('/')) {
        out.push(Path::new(h).join(".Xauthority"));
    }
    out
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

/// Decide the display for `latchkey host`: the given one, or with `auto`
/// (or, under systemd as root with no `$DISPLAY`, implicitly) logind's, with
/// `XAUTHORITY` set (to a private copy in `config_dir`) and a watcher
/// started. Call before any thread starts.
pub fn host_display(given: Option<String>, config_dir: &Path) -> Result<Option<String>, CliError> {
    let own_uid = auth::effective_uid();
    let follow = match given.as_deref() {
        Some("auto") => true,
        Some(_) => false,
        None => {
            own_uid == Some(0)
                && std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("INVOCATION_ID").is_some()
        }
    };
    if !follow {
        return Ok(given);
    }
    let found = active_session(own_uid);
    let server = match &found {
        Lookup::Found(s) => Some(checked_x_server(&s.display, s.uid, &s.user)),
        _ => None,
    };
    let chosen = match (&found, server) {
        (_, Some(Err(why))) => {
            println!(
                "No graphical session to share ({why}): the host stays reachable without a \
                 screen and restarts when the session changes"
            );
            std::env::remove_var("DISPLAY");
            std::env::remove_var("XAUTHORITY");
            None
        }
        (Lookup::Found(s), Some(Ok(server_auth))) => {
            let home = auth::user(s.uid).map(|u| u.home);
            let root_server_auth = server_auth
                .as_ref()
                .filter(|(_, root)| *root)
                .map(|(p, _)| p.clone());
            let mut candidates =
                xauthority_candidates(s.uid, home.as_deref(), server_auth.map(|(p, _)| p));
            // A user service may have had it handed over by the desktop (import-environment).
            if own_uid == Some(s.uid) {
                candidates.extend(std::env::var_os("XAUTHORITY").map(PathBuf::from));
            }
            let mut xauth = None;
            for path in candidates {
                if std::fs::symlink_metadata(&path).is_err() {
                    continue; // Not there: nothing to say.
                }
                let root_ok = root_server_auth.as_ref() == Some(&path);
                match read_xauthority(&path, s.uid, root_ok) {
                    Ok(bytes) => {
                        xauth = Some((private_copy(config_dir, &bytes)?, path));
                        break;
                    }
                    Err(why) => println!("Not using the Xauthority {}: {why}", path.display()),
                }
            }
            println!(
                "Following the graphical session in front: display {} of {} (session {}){}",
                s.display,
                s.user,
                s.id,
                match &xauth {
                    Some((copy, from)) => format!(
                        ", Xauthority {} (copied to {})",
                        from.display(),
                        copy.display()
                    ),
                    None => ", no usable Xauthority file found".into(),
                }
            );
            // Still one thread: the watcher below starts after this.
            match xauth {
                Some((copy, _)) => std::env::set_var("XAUTHORITY", copy),
                None => std::env::remove_var("XAUTHORITY"),
            }
            Some(s.display.clone())
        }
        (Lookup::Found(_), None) => None,
        (Lookup::Nothing(why), _) => {
            println!(
                "No graphical session to share ({why}): the host stays reachable without a \
                 screen and restarts when one starts"
            );
            std::env::remove_var("DISPLAY");
            None
        }
        (Lookup::Unavailable(why), _) => {
            match std::env::var("DISPLAY") {
                Ok(d) => println!("Cannot ask logind ({why}): sharing $DISPLAY {d}"),
                Err(_) => println!(
                    "Cannot ask logind ({why}) and $DISPLAY is not set: the host runs \
                     without a screen to share"
                ),
            }
            None
        }
    };
    if let Some(start) = found.key() {
        std::thread::Builder::new()
            .name("latchkey-follow".into())
            .spawn(move || watch(start, own_uid))
            .map_err(|e| {
                CliError::Coded(
                    exit::OTHER,
                    format!("cannot start the session watcher: {e}"),
                )
            })?;
    }
    Ok(chosen)
}

/// Write `bytes` (an Xauthority checked by [`read_xauthority`]) to the host's
/// own 0600 copy in `config_dir`, which X then reads.
fn private_copy(config_dir: &Path, bytes: &[u8]) -> Result<PathBuf, CliError> {
    latchkey_store::config::make_private(config_dir)?;
    if !config_dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(config_dir)
            .map_err(|e| {
                CliError::Coded(
                    exit::OTHER,
                    format!("cannot create {}: {e}", config_dir.display()),
                )
            })?;
    }
    let path = config_dir.join(XAUTHORITY_COPY);
    latchkey_store::atomic::write_atomic(&path, bytes, 0o600)?;
    Ok(path)
}

/// Ask logind again every [`POLL`]; exit with [`exit::DISPLAY_CHANGED`] once
/// the session in front is another one. A logind that cannot be asked for a
/// moment changes nothing.
fn watch(start: Option<(String, String)>, own_uid: Option<u32>) {
    loop {
        std::thread::sleep(POLL);
        let now = active_session(own_uid);
        match now.key() {
            Some(key) if key != start => {
                let was = describe(&start);
                let is = match &now {
                    Lookup::Nothing(why) => why.clone(),
                    _ => describe(&key),
                };
                eprintln!(
                    "latchkey: the graphical session in front changed ({was} -> {is}): \
                     exiting with code {} so that the service starts again on it",
                    exit::DISPLAY_CHANGED
                );
                std::process::exit(i32::from(exit::DISPLAY_CHANGED));
            }
            _ => {}
        }
    }
}

fn describe(key: &Option<(String, String)>) -> String {
    match key {
        Some((id, display)) => format!("session {id} on {display}"),
        None => "no session".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x_server_auth(cmdline: &[u8], display: &str) -> Option<PathBuf> {
        x_server_of(cmdline, display).flatten()
    }

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
    fn x_server_auth_files() {
        let lightdm = b"/usr/lib/xorg/Xorg\0:0\0-seat\0seat0\0-auth\0/var/run/lightdm/root/:0\0-nolisten\0tcp\0";
        assert_eq!(
            x_server_auth(lightdm, ":0"),
            Some(PathBuf::from("/var/run/lightdm/root/:0"))
        );
        assert_eq!(
            x_server_auth(lightdm, ":0.0"),
            Some(PathBuf::from("/var/run/lightdm/root/:0"))
        );
        assert_eq!(x_server_auth(lightdm, ":1"), None);
        // Not an X server, or no -auth, or a relative file.
        assert_eq!(x_server_auth(b"/bin/sh\0:0\0-auth\0/x\0", ":0"), None);
        assert_eq!(x_server_auth(b"Xvfb\0:5\0-screen\0", ":5"), None);
        assert_eq!(x_server_auth(b"Xvfb\0:5\0-auth\0rel\0", ":5"), None);
        assert_eq!(x_server_auth(b"Xvfb\0:5\0-auth\0", ":5"), None);
        assert_eq!(x_server_auth(b"", ":5"), None);
    }

    #[test]
    fn xauthority_in_order() {
        assert_eq!(
            xauthority_candidates(1000, Some("/home/alice"), Some("/srv/auth".into())),
            [
                PathBuf::from("/srv/auth"),
                PathBuf::from("/run/user/1000/gdm/Xauthority"),
                PathBuf::from("/home/alice/.Xauthority"),
            ]
        );
        assert_eq!(
            xauthority_candidates(7, Some("relative"), None),
            [PathBuf::from("/run/user/7/gdm/Xauthority")]
        );
    }

    #[test]
    fn xauthority_is_read_only_from_the_users_own_regular_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let me = auth::effective_uid().expect("uid");
        let file = tmp.path().join("Xauthority");
        std::fs::write(&file, b"cookie").expect("write");
        assert_eq!(
            read_xauthority(&file, me, false).map(|b| b.to_vec()),
            Ok(b"cookie".to_vec())
        );
        // Someone else's file (here: the session is another uid's).
        let why = read_xauthority(&file, me + 1, false).expect_err("not theirs");
        assert!(why.contains("belongs to uid"), "{why}");
        // A root-owned file counts only where root is allowed (a root X server's -auth).
        if me == 0 {
            assert!(read_xauthority(&file, 1000, true).is_ok());
            assert!(read_xauthority(&file, 1000, false).is_err());
        }
        // A symlink is not followed, even to a file that would pass.
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        let why = read_xauthority(&link, me, false).expect_err("symlink");
        assert!(why.contains("symbolic link"), "{why}");
        // Not a regular file: a directory, a FIFO (opened without blocking).
        let why = read_xauthority(tmp.path(), me, false).expect_err("dir");
        assert!(why.contains("regular"), "{why}");
        let fifo = tmp.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success());
        let why = read_xauthority(&fifo, me, false).expect_err("fifo");
        assert!(why.contains("regular"), "{why}");
        assert!(read_xauthority(&tmp.path().join("absent"), me, false).is_err());
    }

    #[test]
    fn x_servers_are_recognised_with_or_without_auth() {
        assert_eq!(
            x_server_of(b"/usr/bin/Xvfb\0:7\0-screen\0", ":7"),
            Some(None)
        );
        assert_eq!(
            x_server_of(b"Xorg\0:7\0-auth\0/run/a\0", ":7.0"),
            Some(Some(PathBuf::from("/run/a")))
        );
        assert_eq!(x_server_of(b"Xorg\0:8\0", ":7"), None);
        assert_eq!(x_server_of(b"sh\0:7\0", ":7"), None);
        assert!(trusted_owner(0, 1000) && trusted_owner(1000, 1000));
        assert!(!trusted_owner(1001, 1000));
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
