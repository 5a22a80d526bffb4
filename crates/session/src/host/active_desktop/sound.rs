//! The sound server of the session in front, for a host that runs as another
//! user (root, from systemd): the session user's PulseAudio or PipeWire-pulse
//! socket, `/run/user/UID/pulse/native`, handed to libpulse as `PULSE_SERVER`
//! (what `hear_sound` records, the monitor of that user's default sink).
//! PulseAudio lets a client of another uid in with the user's cookie, so the
//! host hands libpulse a private copy of `~/.config/pulse/cookie` as
//! `PULSE_COOKIE` (PipeWire-pulse asks for none). As with the Xauthority, a
//! root host trusts nothing another user controls: the socket must be a
//! socket owned by the session's user, the cookie a regular file of theirs
//! (no symlink followed).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::{x11::read_xauthority, EnvChange};
use crate::Error;

/// The host's private copy of the session user's PulseAudio cookie.
const COOKIE_COPY: &str = "pulse-cookie";

/// What [`sound_server`] found: the environment to set and a line for the report.
pub struct SoundServer {
    /// `PULSE_SERVER` (and `PULSE_COOKIE`), or nothing.
    pub environment: Vec<EnvChange>,
    /// What was found, for the person running the host.
    pub report: String,
}

/// The sound server of `uid`'s session under `runtime_root` (`/run/user`),
/// its cookie from `home` copied into `config_dir`.
pub fn sound_server(
    runtime_root: &Path,
    config_dir: &Path,
    uid: u32,
    home: Option<&Path>,
) -> Result<SoundServer, Error> {
    let socket = runtime_root.join(uid.to_string()).join("pulse/native");
    let checked = std::fs::symlink_metadata(&socket)
        .map_err(|e| format!("{} ({e})", socket.display()))
        .and_then(|m| {
            if !m.file_type().is_socket() {
                Err(format!("{} is not a socket", socket.display()))
            } else if m.uid() != uid {
                Err(format!(
                    "{} belongs to uid {}, not to the session's user",
                    socket.display(),
                    m.uid()
                ))
            } else {
                Ok(())
            }
        });
    if let Err(why) = checked {
        return Ok(SoundServer {
            environment: vec![EnvChange::Remove("PULSE_SERVER")],
            report: format!(
                "No sound server of the session's user ({why}): hear_sound sends nothing"
            ),
        });
    }
    let mut environment = vec![EnvChange::Set(
        "PULSE_SERVER",
        PathBuf::from(format!("unix:{}", socket.display())),
    )];
    let cookie = home.map(|h| h.join(".config/pulse/cookie"));
    let copied = match cookie.as_deref().map(|c| read_xauthority(c, uid, false)) {
        Some(Ok(bytes)) => {
            let path = super::private_copy(config_dir, COOKIE_COPY, &bytes)?;
            environment.push(EnvChange::Set("PULSE_COOKIE", path));
            ", its cookie copied"
        }
        _ => {
            environment.push(EnvChange::Remove("PULSE_COOKIE"));
            ", no cookie (PipeWire needs none)"
        }
    };
    Ok(SoundServer {
        environment,
        report: format!(
            "Sound for hear_sound: the session's sound server {}{copied}",
            socket.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user's runtime dir with a listening sound socket, and their home
    /// with a `.config/pulse` folder: (tmp, uid, socket, home, listener).
    fn user() -> (
        tempfile::TempDir,
        u32,
        PathBuf,
        PathBuf,
        std::os::unix::net::UnixListener,
    ) {
        let tmp = tempfile::tempdir().expect("tmp");
        let uid = std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .unwrap_or(0);
        let dir = tmp.path().join("run").join(uid.to_string()).join("pulse");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let socket = dir.join("native");
        let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(home.join(".config/pulse")).expect("mkdir");
        (tmp, uid, socket, home, listener)
    }

    #[test]
    fn the_users_socket_and_cookie_are_handed_over() {
        let (tmp, uid, socket, home, _listener) = user();
        std::fs::write(home.join(".config/pulse/cookie"), [7u8; 256]).expect("cookie");
        let config = tmp.path().join("config");
        let run = tmp.path().join("run");
        let found = sound_server(&run, &config, uid, Some(&home)).expect("found");
        assert_eq!(
            found.environment,
            vec![
                EnvChange::Set(
                    "PULSE_SERVER",
                    PathBuf::from(format!("unix:{}", socket.display()))
                ),
                EnvChange::Set("PULSE_COOKIE", config.join(COOKIE_COPY)),
            ]
        );
        assert_eq!(
            std::fs::read(config.join(COOKIE_COPY)).expect("copy"),
            [7u8; 256]
        );
        // Another user's runtime dir (here, none): nothing is used.
        let other = sound_server(&run, &config, uid + 1, Some(&home));
        assert_eq!(
            other.expect("report").environment,
            vec![EnvChange::Remove("PULSE_SERVER")]
        );
    }

    #[test]
    fn a_cookie_behind_a_symlink_is_not_read() {
        let (tmp, uid, _, home, _listener) = user();
        std::fs::write(tmp.path().join("secret"), b"not a cookie").expect("secret");
        std::os::unix::fs::symlink(tmp.path().join("secret"), home.join(".config/pulse/cookie"))
            .expect("symlink");
        let found = sound_server(
            &tmp.path().join("run"),
            &tmp.path().join("c"),
            uid,
            Some(&home),
        )
        .expect("found");
        assert_eq!(found.environment[1], EnvChange::Remove("PULSE_COOKIE"));
    }
}
