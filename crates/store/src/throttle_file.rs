//! `<config-dir>/throttle.json`: the host's failed-login counters (see
//! `latchkey_core::throttle`), kept across a restart so that restarting the
//! host does not hand an attacker a fresh budget. Atomic writes, mode 0600.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use latchkey_core::throttle::{Throttle, ThrottlePolicy, ThrottleState};
use latchkey_core::UnixTime;
use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::Error;

/// The file's name inside the configuration directory.
pub const FILE_NAME: &str = "throttle.json";

/// The format version written.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    state: ThrottleState,
}

/// Where the counters of the host configured in `dir` live.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Load the counters as of `now`. A missing file gives an empty throttle; a
/// damaged one too, with the error beside it for the caller to report (the
/// host must start anyway: a damaged file must not lock its owner out).
pub fn load(dir: &Path, policy: ThrottlePolicy, now: UnixTime) -> (Throttle, Option<Error>) {
    let path = path(dir);
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return (Throttle::new(policy), None),
        Err(e) => return (Throttle::new(policy), Some(Error::io("reading", &path, e))),
    };
    match serde_json::from_slice::<OnDisk>(&text) {
        Ok(d) if d.version == VERSION => (Throttle::restore(policy, d.state, now), None),
        Ok(d) => (
            Throttle::new(policy),
            Some(Error::BadSettings {
                path,
                reason: format!("unknown throttle file version {}", d.version),
            }),
        ),
        Err(e) => (
            Throttle::new(policy),
            Some(Error::BadSettings {
                path,
                reason: format!("not a throttle file ({e})"),
            }),
        ),
    }
}

/// Save the counters of `throttle` (atomically).
pub fn save(dir: &Path, throttle: &Throttle) -> Result<(), Error> {
    let disk = OnDisk {
        version: VERSION,
        state: throttle.snapshot(),
    };
    let bytes = serde_json::to_vec(&disk).map_err(|e| Error::BadSettings {
        path: path(dir),
        reason: e.to_string(),
    })?;
    write_atomic(&path(dir), &bytes, 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn round_trip_and_damaged_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let policy = ThrottlePolicy::default();
        let now = UnixTime(1_000);
        let (empty, err) = load(dir.path(), policy, now);
        assert!(err.is_none());
        assert_eq!(empty.tracked(), (0, 0));
        let mut t = Throttle::new(policy);
        let addr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 5));
        for _ in 0..5 {
            t.record_failure(None, addr, now);
        }
        save(dir.path(), &t).expect("save");
        let (back, err) = load(dir.path(), policy, now);
        assert!(err.is_none());
        assert!(back.check(None, addr, now).is_err());
        fs::write(path(dir.path()), b"{ not json").expect("damage");
        let (fresh, err) = load(dir.path(), policy, now);
        assert!(matches!(err, Some(Error::BadSettings { .. })), "{err:?}");
        assert_eq!(fresh.check(None, addr, now), Ok(()));
    }
}
