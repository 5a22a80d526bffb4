//! The X server of a session, checked before a root host shares it: who
//! owns its socket and process, its `-auth` file, and the Xauthority files
//! a host may read (regular, not a symlink, the session user's own).

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::host::control_socket::auth;

/// Where X servers put their sockets (`X0`, `X1`, ...).
const X11_UNIX: &str = "/tmp/.X11-unix";
/// Largest Xauthority file read (real ones hold a few cookies).
const MAX_XAUTHORITY: u64 = 64 * 1024;

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
pub(super) fn checked_x_server(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn x_server_auth(cmdline: &[u8], display: &str) -> Option<PathBuf> {
        x_server_of(cmdline, display).flatten()
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
}
