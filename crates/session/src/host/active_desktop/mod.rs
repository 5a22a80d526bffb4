//! Which desktop a host shares and whose it is: the X display of the
//! graphical session in front of the machine, as logind knows it
//! (`latchkey host --display auto`, the system service's way).
//!
//! A service starts before anyone logs in and has no `$DISPLAY`. So the host
//! asks logind which session is active on `seat0` ([`logind`]), and takes
//! that session's `Display` and the Xauthority file that lets it in
//! ([`x11`]); its caller sets `DISPLAY`/`XAUTHORITY` ([`Following::environment`])
//! before any of its threads start. A [`SessionWatch`] then asks again every
//! few seconds; when the session in front changes (logout, another login, a
//! greeter) the caller restarts the host on the new one (the CLI exits and
//! the unit's `Restart=on-failure` starts it again): simpler and sturdier
//! than swapping the display under running sessions. With no session to
//! follow, the host still runs and stays reachable, with no screen to share.
//!
//! Without `--display`, a host that runs as root from systemd (`$INVOCATION_ID`
//! set) with no `$DISPLAY` follows logind the same way ([`should_follow`]).
//!
//! A root host trusts nothing another user controls: it shares an X server
//! only when the server's process and socket belong to root or to the
//! session's user, and it reads an Xauthority file only if it is a regular
//! file (no symlink followed, `O_NOFOLLOW`) owned by that user (or, for a
//! root X server's own `-auth` file, by root). It hands X a private copy in
//! its config dir, so nothing can swap the file between the check and the use.
//!
//! The same goes for sound ([`sound`]): a root host hands libpulse the
//! session user's sound server (`PULSE_SERVER`) and a copy of their cookie.
//!
//! This module decides and reports; it changes no environment variable and
//! prints nothing, so the desktop app could use it as well as the CLI.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::host::control_socket::auth;
use crate::Error;

pub mod logind;
pub mod sound;
pub mod x11;

pub use logind::{active_session, parse_properties, session_from, GraphicalSession, Lookup};
pub use x11::{read_xauthority, x_server_of, xauthority_candidates};

/// How often the watcher asks logind again.
const POLL: Duration = Duration::from_secs(3);
/// The host's private copy of the session's Xauthority, in its config dir.
const XAUTHORITY_COPY: &str = "xauthority";

/// One change to the process environment the host should make before its
/// threads start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvChange {
    /// Set the variable to this path.
    Set(&'static str, PathBuf),
    /// Remove the variable.
    Remove(&'static str),
}

/// What following the session in front decided.
#[derive(Debug)]
pub struct Following {
    /// The display to share, if any.
    pub display: Option<String>,
    /// The changes to `DISPLAY`/`XAUTHORITY`, in order.
    pub environment: Vec<EnvChange>,
    /// What was found and chosen, one line each, for the person running the host.
    pub report: Vec<String>,
    /// What to watch for a change of session (`None`: logind cannot be asked).
    pub watch: Option<SessionWatch>,
}

/// Whether the host follows logind: with `--display auto`, or with no
/// `--display` when it runs as root from systemd with no `$DISPLAY`.
pub fn should_follow(given: Option<&str>, own_uid: Option<u32>) -> bool {
    match given {
        Some("auto") => true,
        Some(_) => false,
        None => {
            own_uid == Some(0)
                && std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("INVOCATION_ID").is_some()
        }
    }
}

/// Find the session in front and what sharing it takes (for a host whose
/// effective uid is `own_uid`): the display, the Xauthority (copied
/// privately into `config_dir`), and a watch on the session.
pub fn follow(config_dir: &Path, own_uid: Option<u32>) -> Result<Following, Error> {
    let found = active_session(own_uid);
    let server = match &found {
        Lookup::Found(s) => Some(x11::checked_x_server(&s.display, s.uid, &s.user)),
        _ => None,
    };
    let mut report = Vec::new();
    let mut environment = Vec::new();
    let display = match (&found, server) {
        (_, Some(Err(why))) => {
            report.push(format!(
                "No graphical session to share ({why}): the host stays reachable without a \
                 screen and restarts when the session changes"
            ));
            environment.push(EnvChange::Remove("DISPLAY"));
            environment.push(EnvChange::Remove("XAUTHORITY"));
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
                        xauth = Some((private_copy(config_dir, XAUTHORITY_COPY, &bytes)?, path));
                        break;
                    }
                    Err(why) => report.push(format!(
                        "Not using the Xauthority {}: {why}",
                        path.display()
                    )),
                }
            }
            report.push(format!(
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
            ));
            environment.push(match xauth {
                Some((copy, _)) => EnvChange::Set("XAUTHORITY", copy),
                None => EnvChange::Remove("XAUTHORITY"),
            });
            // The session's sound server, for a host of another user (root).
            if own_uid != Some(s.uid) {
                let found = sound::sound_server(
                    Path::new("/run/user"),
                    config_dir,
                    s.uid,
                    home.as_deref().map(Path::new),
                )?;
                environment.extend(found.environment);
                report.push(found.report);
            }
            Some(s.display.clone())
        }
        (Lookup::Found(_), None) => None,
        (Lookup::Nothing(why), _) => {
            report.push(format!(
                "No graphical session to share ({why}): the host stays reachable without a \
                 screen and restarts when one starts"
            ));
            environment.push(EnvChange::Remove("DISPLAY"));
            None
        }
        (Lookup::Unavailable(why), _) => {
            report.push(match std::env::var("DISPLAY") {
                Ok(d) => format!("Cannot ask logind ({why}): sharing $DISPLAY {d}"),
                Err(_) => format!(
                    "Cannot ask logind ({why}) and $DISPLAY is not set: the host runs \
                     without a screen to share"
                ),
            });
            None
        }
    };
    let watch = found.key().map(|start| SessionWatch { start, own_uid });
    Ok(Following {
        display,
        environment,
        report,
        watch,
    })
}

/// Write `bytes` (an Xauthority or a cookie checked by [`read_xauthority`])
/// to the host's own 0600 copy `name` in `config_dir`, which X (or libpulse)
/// then reads.
fn private_copy(config_dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
    latchkey_store::config::make_private(config_dir)?;
    if !config_dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(config_dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", config_dir.display())))?;
    }
    let path = config_dir.join(name);
    latchkey_store::atomic::write_atomic(&path, bytes, 0o600)?;
    Ok(path)
}

/// The session in front when the host started, to notice when another
/// one is (see [`SessionWatch::wait_for_change`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWatch {
    /// The session and its display, or none.
    start: Option<(String, String)>,
    /// The host's effective uid (which sessions it may use).
    own_uid: Option<u32>,
}

impl SessionWatch {
    /// Ask logind again every few seconds until the session in front is
    /// another one; then say what changed (`session 2 on :0 -> no session
    /// is active on seat0`). A logind that cannot be asked for a moment
    /// changes nothing. Blocks: run it on its own thread.
    pub fn wait_for_change(&self) -> String {
        loop {
            std::thread::sleep(POLL);
            let now = active_session(self.own_uid);
            if let Some(change) = self.change_to(&now) {
                return change;
            }
        }
    }

    /// What changed if the session in front is now `now`.
    fn change_to(&self, now: &Lookup) -> Option<String> {
        match now.key() {
            Some(key) if key != self.start => {
                let was = describe(&self.start);
                let is = match now {
                    Lookup::Nothing(why) => why.clone(),
                    _ => describe(&key),
                };
                Some(format!("{was} -> {is}"))
            }
            _ => None,
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

    fn session(id: &str, display: &str) -> Lookup {
        Lookup::Found(GraphicalSession {
            id: id.into(),
            user: "a".into(),
            uid: 1,
            display: display.into(),
        })
    }

    #[test]
    fn the_watch_sees_another_session_and_ignores_an_unreachable_logind() {
        let watch = SessionWatch {
            start: Some(("2".into(), ":0".into())),
            own_uid: Some(0),
        };
        assert_eq!(watch.change_to(&session("2", ":0")), None);
        assert_eq!(
            watch.change_to(&Lookup::Unavailable("no loginctl".into())),
            None
        );
        assert_eq!(
            watch.change_to(&session("3", ":0")).as_deref(),
            Some("session 2 on :0 -> session 3 on :0")
        );
        assert_eq!(
            watch.change_to(&session("2", ":1")).as_deref(),
            Some("session 2 on :0 -> session 2 on :1")
        );
        assert_eq!(
            watch
                .change_to(&Lookup::Nothing("no session is active on seat0".into()))
                .as_deref(),
            Some("session 2 on :0 -> no session is active on seat0")
        );
        let from_nothing = SessionWatch {
            start: None,
            own_uid: None,
        };
        assert_eq!(from_nothing.change_to(&Lookup::Nothing("x".into())), None);
        assert_eq!(
            from_nothing.change_to(&session("4", ":0")).as_deref(),
            Some("no session -> session 4 on :0")
        );
    }

    #[test]
    fn auto_follows_and_a_named_display_does_not() {
        assert!(should_follow(Some("auto"), Some(1000)));
        assert!(!should_follow(Some(":1"), Some(0)));
        // A host not run as root never follows implicitly.
        assert!(!should_follow(None, Some(1000)));
        assert!(!should_follow(None, None));
    }

    #[test]
    fn the_xauthority_copy_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("config");
        let copy = private_copy(&dir, XAUTHORITY_COPY, b"cookie").expect("copy");
        assert_eq!(copy, dir.join(XAUTHORITY_COPY));
        assert_eq!(std::fs::read(&copy).expect("read"), b"cookie");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&copy), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }
}
