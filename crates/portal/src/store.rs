//! The token file: the [`TokenState`] on disk as JSON, mode 0600, replaced
//! atomically (a temporary file in the same directory, fsync, rename, fsync
//! of the directory), so a crash leaves the old state or the new one, never
//! half of either.
//!
//! A file that cannot be read as a token state is set aside, not deleted and
//! not overwritten: it is renamed to `NAME.corrupt-SECONDS` next to it and
//! [`Error::CorruptTokenFile`] names both paths. Why set aside rather than
//! refuse: a refused file would stop the portal path until someone repaired
//! it by hand, while the token it held is lost either way (the portal only
//! takes it whole); with the file set aside the next Start asks the desk once,
//! as with no token, and the damaged copy stays for whoever looks into it.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::token::TokenState;

/// The file format's version this crate writes and reads.
const VERSION: u32 = 1;

/// Largest token file read (a token state is a few hundred bytes).
const MAX_FILE_BYTES: u64 = 64 * 1024;

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    #[serde(flatten)]
    state: TokenState,
}

/// Where the token state is kept.
#[derive(Debug, Clone)]
pub struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    /// The token file at `path` (its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TokenFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the state; no file is the empty state. A file that is not a
    /// token state is renamed aside ([`Error::CorruptTokenFile`]); the caller
    /// goes on with [`TokenState::default`].
    pub fn load(&self) -> Result<TokenState> {
        let bytes = match std::fs::File::open(&self.path) {
            Ok(file) => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(file, MAX_FILE_BYTES + 1),
                    &mut bytes,
                )
                .map_err(Error::file("reading the token file", &self.path))?;
                bytes
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TokenState::default()),
            Err(e) => return Err(Error::file("opening the token file", &self.path)(e)),
        };
        let parsed = if bytes.len() as u64 > MAX_FILE_BYTES {
            Err(format!("larger than {MAX_FILE_BYTES} bytes"))
        } else {
            // Check the version first: a newer format is not damage.
            match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(value) => match value.get("version").and_then(|v| v.as_u64()) {
                    Some(v) if v > u64::from(VERSION) => {
                        return Err(Error::NewerTokenFile {
                            path: self.path.clone(),
                            version: v,
                        })
                    }
                    _ => serde_json::from_value::<OnDisk>(value).map_err(|e| e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            }
        };
        match parsed {
            Ok(on_disk) if on_disk.version == VERSION => Ok(on_disk.state),
            Ok(on_disk) => Err(self.set_aside(format!("unknown version {}", on_disk.version))),
            Err(why) => Err(self.set_aside(why)),
        }
    }

    /// Renames the damaged file aside and says so.
    fn set_aside(&self, reason: String) -> Error {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "token".to_string());
        // Never replace an earlier damaged copy.
        let mut kept_as = self.path.with_file_name(format!("{name}.corrupt-{now}"));
        let mut n = 1;
        while kept_as.exists() && n < 100 {
            kept_as = self
                .path
                .with_file_name(format!("{name}.corrupt-{now}-{n}"));
            n += 1;
        }
        match std::fs::rename(&self.path, &kept_as) {
            Ok(()) => {
                tracing::warn!(path = %self.path.display(), kept_as = %kept_as.display(),
                    "the portal token file was damaged and was set aside");
                Error::CorruptTokenFile {
                    path: self.path.clone(),
                    kept_as: Some(kept_as),
                    reason,
                }
            }
            Err(e) => Error::CorruptTokenFile {
                path: self.path.clone(),
                kept_as: None,
                reason: format!("{reason}; setting it aside failed: {e}"),
            },
        }
    }

    /// Writes `state` atomically, mode 0600.
    pub fn save(&self, state: &TokenState) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&OnDisk {
            version: VERSION,
            state: state.clone(),
        })
        .map_err(|e| Error::file("encoding the token state", &self.path)(e.into()))?;
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .ok_or_else(|| {
                Error::file("naming the token file", &self.path)(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "no file name",
                ))
            })?
            .to_string_lossy()
            .into_owned();
        // Unique per process and call: two writers never share a temporary file.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            // The umask may have taken bits away, never added: make it exact.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            std::fs::File::open(&dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::file("writing the token file", &self.path)(e)
        })
    }

    /// Deletes the file (no file is the empty state).
    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::file("removing the token file", &self.path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{Plan, RestoreToken, SessionKind, StartOutcome};

    const RD: SessionKind = SessionKind::RemoteDesktop;

    fn granted(token: &str) -> TokenState {
        let mut state = TokenState::default();
        let plan = state.plan("KDE", RD);
        state.on_start(
            &plan,
            "KDE",
            RD,
            StartOutcome::Granted(RestoreToken::new(token)),
            1_700_000_000,
        );
        state
    }

    #[test]
    fn a_missing_file_is_the_empty_state() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::new(dir.path().join("portal-token.json"));
        assert_eq!(file.load().expect("load"), TokenState::default());
        file.remove().expect("removing nothing is fine");
    }

    #[test]
    fn saved_state_reads_back_private() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::new(dir.path().join("portal-token.json"));
        let state = granted("tok-1");
        file.save(&state).expect("save");
        assert_eq!(file.load().expect("load"), state);
        let mode = std::fs::metadata(file.path())
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // Replaced by the next token, and only the token file is left.
        let next = granted("tok-2");
        file.save(&next).expect("save");
        assert_eq!(
            file.load().expect("load").plan("KDE", RD),
            Plan::Restore(RestoreToken::new("tok-2").expect("token"))
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["portal-token.json"]);
        file.remove().expect("remove");
        assert_eq!(file.load().expect("load"), TokenState::default());
    }

    #[test]
    fn a_damaged_file_is_set_aside_not_lost() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("portal-token.json");
        std::fs::write(&path, b"{\"version\":1,\"grant\":{\"tok").expect("write");
        let file = TokenFile::new(&path);
        let err = file.load().expect_err("damaged");
        let Error::CorruptTokenFile {
            kept_as: Some(kept),
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert!(err.to_string().contains("set aside"), "{err}");
        assert_eq!(
            std::fs::read(kept).expect("the damaged copy"),
            b"{\"version\":1,\"grant\":{\"tok"
        );
        // Now there is no file: the empty state, and saving works again.
        assert_eq!(file.load().expect("load"), TokenState::default());
        file.save(&granted("tok")).expect("save");
        assert_eq!(file.load().expect("load"), granted("tok"));
        assert!(kept.exists(), "the damaged copy stays");
    }

    #[test]
    fn wrong_shapes_are_damage_too() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.json");
        let file = TokenFile::new(&path);
        for bad in [
            &b"[]"[..],
            b"{\"version\":1,\"grants\":{\"remote_desktop\":{\"token\":5}}}",
            b"{\"version\":1,\"grants\":{\"other_kind\":{}}}",
            b"{\"version\":0}",
            b"\xff\xfe",
        ] {
            std::fs::write(&path, bad).expect("write");
            assert!(
                matches!(file.load(), Err(Error::CorruptTokenFile { .. })),
                "{bad:?}"
            );
            assert!(!path.exists());
        }
    }

    #[test]
    fn writers_at_once_leave_one_whole_file() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::new(dir.path().join("t.json"));
        let states: Vec<TokenState> = (0..8).map(|i| granted(&format!("tok-{i}"))).collect();
        std::thread::scope(|s| {
            for state in &states {
                let file = file.clone();
                s.spawn(move || file.save(state).expect("save"));
            }
        });
        let read = file.load().expect("load");
        assert!(states.contains(&read), "{read:?}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["t.json"], "no temporary file left behind");
    }

    #[test]
    fn a_newer_format_is_left_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.json");
        std::fs::write(&path, b"{\"version\":9}").expect("write");
        let err = TokenFile::new(&path).load().expect_err("newer");
        assert!(
            matches!(err, Error::NewerTokenFile { version: 9, .. }),
            "{err:?}"
        );
        assert!(path.exists());
    }
}
