//! [`Config`]: one configuration directory, opened. Every change goes through
//! [`Config::update`], which takes the directory's lock, re-reads the settings
//! (another process may have changed them), applies the change to a copy, saves
//! it atomically and appends the change's audit events. If anything fails the
//! file on disk is left as it was.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use latchkey_core::audit::AuditEvent;
use latchkey_core::identity::DeviceKey;
use latchkey_core::pake::ServerSecret;
use latchkey_core::settings::{SecretStoreKind, Settings};
use latchkey_core::UnixTime;
use rand_core::OsRng;

use crate::audit_log::{AuditLog, AuditRecord};
use crate::dir_lock::DirLock;
use crate::secrets::{FileStore, KeyringStore, SecretName, SecretStore};
use crate::{settings_file, Error};

/// The clock, read at the edge (core never reads it).
pub fn now() -> UnixTime {
    UnixTime(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

/// An opened configuration directory.
pub struct Config {
    /// The directory.
    dir: PathBuf,
    /// The settings as last read or written.
    settings: Settings,
    /// Whether `settings.json` exists on disk yet (a fresh config is written on first change).
    saved: bool,
    /// Where the secrets are.
    secrets: Box<dyn SecretStore>,
    /// The audit log.
    audit: AuditLog,
}

/// Take group and others' access to the configuration directory `dir` away
/// (it holds the settings, the audit log, perhaps the secrets), whatever
/// loosened it since it was made 0700. A missing directory is left for the
/// first change to create; one that cannot be made private is an error
/// rather than used as it is.
pub fn make_private(dir: &Path) -> Result<(), Error> {
    let mode = match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => m.permissions().mode(),
        // A symlink or a file: leave it to the open that follows to fail or follow.
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("checking", dir, e)),
    };
    if mode & 0o077 == 0 {
        return Ok(());
    }
    tracing::warn!(dir = %dir.display(), mode = %format!("{:o}", mode & 0o7777), "config dir was open to others: made 0700");
    fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o7700))
        .map_err(|e| Error::io("making private (0700)", dir, e))
}

/// The secret store a configuration's settings name.
fn secret_store(dir: &Path, settings: &Settings) -> Box<dyn SecretStore> {
    match settings.secret_store {
        SecretStoreKind::Keyring => Box::new(KeyringStore::new(&settings.instance)),
        SecretStoreKind::File => Box::new(FileStore::new(&dir.join("secrets"))),
    }
}

impl Config {
    /// Open `dir`. A missing directory or settings file is a fresh install (nothing
    /// is written until the first change). `store` is the secret store asked for on
    /// the command line: a new configuration adopts it (default: keyring); an
    /// existing one must match what it was set up with.
    /// An existing directory that group or others may enter is made 0700
    /// again (see [`make_private`]).
    pub fn open(dir: &Path, store: Option<SecretStoreKind>) -> Result<Config, Error> {
        make_private(dir)?;
        let settings_path = dir.join("settings.json");
        let loaded = settings_file::load(&settings_path)?;
        let saved = loaded.is_some();
        let settings = match loaded {
            Some(s) => {
                if let Some(asked) = store {
                    if asked != s.secret_store {
                        return Err(Error::StoreMismatch {
                            dir: dir.into(),
                            configured: s.secret_store.name(),
                        });
                    }
                }
                s
            }
            None => Settings::new(store.unwrap_or_default(), &mut OsRng),
        };
        let secrets = secret_store(dir, &settings);
        Ok(Config {
            dir: dir.to_path_buf(),
            settings,
            saved,
            secrets,
            audit: AuditLog::new(&dir.join("audit.log")),
        })
    }

    /// Re-read the settings from disk (another process may have changed them).
    pub fn reload(&mut self) -> Result<(), Error> {
        if let Some(s) = settings_file::load(&self.settings_path())? {
            self.settings = s;
            self.saved = true;
        }
        Ok(())
    }

    /// Whether this configuration exists on disk (its settings were saved):
    /// false for a fresh one, which may still pick its secret store.
    pub fn is_saved(&self) -> bool {
        self.saved
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The settings as last read or written.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The secret store.
    pub fn secrets(&self) -> &dyn SecretStore {
        self.secrets.as_ref()
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.join("settings.json")
    }

    fn ensure_dir(&self) -> Result<(), Error> {
        if !self.dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)
                .map_err(|e| Error::io("creating", &self.dir, e))?;
        }
        Ok(())
    }

    fn lock(&self) -> Result<DirLock, Error> {
        DirLock::acquire(&self.dir)
    }

    /// Apply a change under the lock. `change` gets the current settings (re-read
    /// from disk) and the secret store, and returns a value and the audit events
    /// to record. Nothing is saved if it fails.
    pub fn update<T>(
        &mut self,
        change: impl FnOnce(&mut Settings, &dyn SecretStore) -> Result<(T, Vec<AuditEvent>), Error>,
    ) -> Result<T, Error> {
        let _lock = self.lock()?;
        let mut settings = match settings_file::load(&self.settings_path())? {
            Some(s) => s,
            None => self.settings.clone(),
        };
        let (value, events) = change(&mut settings, self.secrets.as_ref())?;
        settings.generation = settings.generation.wrapping_add(1);
        settings_file::save(&self.settings_path(), &settings)?;
        self.settings = settings;
        self.saved = true;
        for event in events {
            self.record(event)?;
        }
        Ok(value)
    }

    /// Append one event to the audit log (and the tracing log).
    pub fn record(&self, event: AuditEvent) -> Result<(), Error> {
        tracing::info!(event = %event.name(), "audit");
        self.ensure_dir()?;
        self.audit.append(&AuditRecord::new(event, now()))
    }

    /// A secret that must exist once the device is set up: read it, or make it
    /// with `make`. A new configuration's settings are saved only after the
    /// secret store accepted the secret, so a failing store leaves nothing behind.
    fn get_or_create(
        &mut self,
        name: SecretName,
        make: impl FnOnce() -> zeroize::Zeroizing<Vec<u8>>,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, Error> {
        if let Some(v) = self.secrets.get(&name)? {
            return Ok(v);
        }
        let dir_existed = self.dir.exists();
        let lock = self.lock()?;
        if !self.saved {
            // Another process may have created this configuration meanwhile: use its identity.
            if let Some(on_disk) = settings_file::load(&self.settings_path())? {
                self.secrets = secret_store(&self.dir, &on_disk);
                self.settings = on_disk;
                self.saved = true;
            }
        }
        if let Some(v) = self.secrets.get(&name)? {
            return Ok(v);
        }
        let value = make();
        if let Err(e) = self.secrets.set(&name, &value) {
            if !dir_existed {
                // Leave no trace of a configuration that could not be set up.
                drop(lock);
                let _ = fs::remove_file(self.dir.join(".lock"));
                let _ = fs::remove_dir(&self.dir);
            }
            return Err(e);
        }
        if !self.saved {
            if let Err(e) = settings_file::save(&self.settings_path(), &self.settings) {
                let _ = self.secrets.delete(&name);
                return Err(e);
            }
            self.saved = true;
        }
        Ok(value)
    }

    /// This device's key, made on first use.
    pub fn device_key(&mut self) -> Result<DeviceKey, Error> {
        let bytes = self.get_or_create(SecretName::DeviceKey, || {
            DeviceKey::generate(&mut OsRng).to_secret_bytes()
        })?;
        Ok(DeviceKey::from_secret_bytes(&bytes)?)
    }

    /// The OPAQUE server secret, made on first use.
    pub fn server_secret(&mut self) -> Result<ServerSecret, Error> {
        let bytes = self.get_or_create(SecretName::OpaqueServer, || {
            ServerSecret::generate(&mut OsRng).to_bytes()
        })?;
        Ok(ServerSecret::from_bytes(&bytes)?)
    }
}

/// The generation of the settings in `dir` (it moves on every saved change),
/// read without opening the configuration: `None` when there is no readable file.
pub fn settings_generation(dir: &Path) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Generation {
        #[serde(default)]
        generation: u64,
    }
    let bytes = std::fs::read(dir.join("settings.json")).ok()?;
    serde_json::from_slice::<Generation>(&bytes)
        .ok()
        .map(|g| g.generation)
}
