//! The viewer's `known_hosts`: the device key met behind each host ID. A host
//! whose key changed is refused until the user accepts the new key.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use latchkey_core::identity::DevicePublicKey;
use latchkey_core::signal::DeviceId;
use latchkey_core::UnixTime;

use crate::atomic::write_atomic;
use crate::Error;

/// One remembered host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownHost {
    /// The host's device key.
    pub key: DevicePublicKey,
    /// When it was first (or last re-)accepted.
    pub since: UnixTime,
}

/// What the file says about a host we are meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// Never met: trust on first use.
    New,
    /// Same key as before.
    Known,
    /// A different key than the one remembered.
    Changed {
        /// The remembered key.
        expected: DevicePublicKey,
    },
}

/// The file `<config-dir>/known_hosts` (JSON, atomic writes).
#[derive(Debug, Clone)]
pub struct KnownHosts {
    path: PathBuf,
    hosts: BTreeMap<DeviceId, KnownHost>,
}

impl KnownHosts {
    /// Load (absent file: empty).
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let path = dir.join("known_hosts");
        let hosts = match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::BadSettings {
                path: path.clone(),
                reason: format!("not a known_hosts file ({e})"),
            })?,
            Err(e) if e.kind() == ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(Error::io("reading", &path, e)),
        };
        Ok(KnownHosts { path, hosts })
    }

    /// Compare a host's key with what we remember.
    pub fn check(&self, id: &DeviceId, key: &DevicePublicKey) -> HostKeyCheck {
        match self.hosts.get(id) {
            None => HostKeyCheck::New,
            Some(k) if &k.key == key => HostKeyCheck::Known,
            Some(k) => HostKeyCheck::Changed { expected: k.key },
        }
    }

    /// Remember (or replace) a host's key.
    pub fn remember(
        &mut self,
        id: DeviceId,
        key: DevicePublicKey,
        now: UnixTime,
    ) -> Result<(), Error> {
        self.hosts.insert(id, KnownHost { key, since: now });
        self.save()
    }

    /// Forget a host; returns whether it was known.
    pub fn forget(&mut self, id: &DeviceId) -> Result<bool, Error> {
        let was = self.hosts.remove(id).is_some();
        if was {
            self.save()?;
        }
        Ok(was)
    }

    /// All remembered hosts.
    pub fn iter(&self) -> impl Iterator<Item = (&DeviceId, &KnownHost)> {
        self.hosts.iter()
    }

    fn save(&self) -> Result<(), Error> {
        if let Some(dir) = self.path.parent() {
            use std::os::unix::fs::DirBuilderExt;
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| Error::io("creating", dir, e))?;
        }
        let json = serde_json::to_string_pretty(&self.hosts).map_err(|e| Error::BadSettings {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&self.path, json.as_bytes(), 0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_known_changed_forget() {
        let dir = tempfile::tempdir().expect("tempdir");
        let id = DeviceId::parse("123456789").expect("id");
        let a = DevicePublicKey([1; 32]);
        let b = DevicePublicKey([2; 32]);
        let mut kh = KnownHosts::load(dir.path()).expect("load");
        assert_eq!(kh.check(&id, &a), HostKeyCheck::New);
        kh.remember(id.clone(), a, UnixTime(5)).expect("save");
        let mut kh = KnownHosts::load(dir.path()).expect("reload");
        assert_eq!(kh.check(&id, &a), HostKeyCheck::Known);
        assert_eq!(kh.check(&id, &b), HostKeyCheck::Changed { expected: a });
        assert!(kh.forget(&id).expect("forget"));
        assert!(!kh.forget(&id).expect("forget"));
        assert_eq!(kh.check(&id, &b), HostKeyCheck::New);
    }
}
