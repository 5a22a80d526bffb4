//! The secret store: the device key, the OPAQUE server secret and the TOTP
//! secret live here, never in the settings file.
//!
//! Two backends: [`KeyringStore`] (the OS keyring through the `keyring` crate;
//! Secret Service on Linux) and [`FileStore`] (`<config-dir>/secrets`, mode
//! 0600, atomic writes) for a machine-wide service that runs before anyone logs
//! in, and for machines without a keyring. Keyring entries are namespaced by
//! the configuration's random instance id, so several configurations (a user's
//! and a test's) can share one keyring.

use base64::Engine as _;
use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use crate::atomic::write_atomic;
use crate::dir_lock::DirLock;
use crate::error::KeyringProblem;
use crate::Error;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Keyring service name of every Latchkey entry.
pub const KEYRING_SERVICE: &str = "latchkey";

/// The secrets a device keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretName {
    /// The device's Ed25519 private key.
    DeviceKey,
    /// The OPAQUE server secret (OPRF seed and key pair).
    OpaqueServer,
    /// The confirmed TOTP secret.
    Totp,
    /// A TOTP secret waiting for `2fa confirm`.
    TotpPending,
    /// As a viewer: the saved-login token a host issued to this device.
    ViewerToken(latchkey_core::signal::DeviceId),
    /// As a viewer: the reconnect credential a host issued to this device
    /// as it restarted (single use, ten minutes).
    ViewerReconnect(latchkey_core::signal::DeviceId),
}

impl SecretName {
    /// The entry's name inside the store.
    pub fn key(&self) -> String {
        match self {
            SecretName::DeviceKey => "device-key".into(),
            SecretName::OpaqueServer => "opaque-server".into(),
            SecretName::Totp => "totp".into(),
            SecretName::TotpPending => "totp-pending".into(),
            SecretName::ViewerToken(id) => format!("token-{id}"),
            SecretName::ViewerReconnect(id) => format!("reconnect-{id}"),
        }
    }
}

/// A place to keep secrets. Values are bytes; implementations must not log them.
pub trait SecretStore: Send + Sync {
    /// The value, or `None` when absent.
    fn get(&self, name: &SecretName) -> Result<Option<Zeroizing<Vec<u8>>>, Error>;
    /// Store a value, replacing any previous one.
    fn set(&self, name: &SecretName, value: &[u8]) -> Result<(), Error>;
    /// Remove a value (absent is fine).
    fn delete(&self, name: &SecretName) -> Result<(), Error>;
    /// Where the secrets are, for messages.
    fn describe(&self) -> String;
}

/// The OS keyring.
pub struct KeyringStore {
    namespace: String,
}

impl KeyringStore {
    /// Entries of the configuration whose instance id is `namespace`.
    pub fn new(namespace: &str) -> Self {
        KeyringStore {
            namespace: namespace.to_string(),
        }
    }

    fn entry(&self, name: &SecretName) -> Result<keyring::Entry, Error> {
        keyring::Entry::new(
            KEYRING_SERVICE,
            &format!("{}/{}", self.namespace, name.key()),
        )
        .map_err(map_keyring)
    }
}

/// Turn a keyring error into one a person can act on.
fn map_keyring(e: keyring::Error) -> Error {
    match e {
        keyring::Error::NoStorageAccess(inner) | keyring::Error::PlatformFailure(inner) => {
            let problem = classify(inner.as_ref());
            let detail = inner.to_string();
            let detail = detail.lines().next().unwrap_or("").chars().take(160).collect::<String>();
            Error::SecretStoreUnavailable {
                problem,
                message: format!(
                    "the OS keyring is not available ({detail}): start a Secret Service such as gnome-keyring in this session and unlock it, or run with --secret-store file"
                ),
            }
        }
        keyring::Error::BadEncoding(_) => Error::CorruptSecret("a keyring entry is not valid text".into()),
        other => Error::SecretStoreUnavailable {
            problem: KeyringProblem::Refused,
            message: format!(
                "the OS keyring refused the request ({other}); run with --secret-store file to use a protected file instead"
            ),
        },
    }
}

/// What a Secret Service failure means for a person.
fn classify(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> KeyringProblem {
    match inner.downcast_ref::<dbus_secret_service::Error>() {
        Some(e) => classify_ss(e),
        None => KeyringProblem::Refused,
    }
}

fn classify_ss(e: &dbus_secret_service::Error) -> KeyringProblem {
    use dbus_secret_service::Error as Ss;
    match e {
        Ss::Locked | Ss::Prompt => KeyringProblem::Locked,
        Ss::NoResult => KeyringProblem::NoDefaultCollection,
        Ss::Unavailable => KeyringProblem::NoService,
        Ss::Dbus(e) => match e.name() {
            Some("org.freedesktop.DBus.Error.ServiceUnknown")
            | Some("org.freedesktop.DBus.Error.NoServer")
            | Some("org.freedesktop.DBus.Error.NoReply")
            | Some("org.freedesktop.DBus.Error.Spawn.ChildExited")
            | Some("org.freedesktop.DBus.Error.Spawn.ServiceNotFound")
            | Some("org.freedesktop.DBus.Error.NotSupported")
            | None => KeyringProblem::NoService,
            Some(_) => KeyringProblem::Refused,
        },
        _ => KeyringProblem::Refused,
    }
}

/// Whether the OS keyring can take Latchkey's secrets now, asked without
/// any prompt: `None` when its default collection is there and unlocked.
/// (Reading or writing a locked keyring through `keyring` pops the Secret
/// Service's unlock prompt and waits for it; a front end asks this first
/// and shows the prompt only when the person asks for it.)
///
/// "No service" and "refused" are asked again (three times, 200 ms apart)
/// before they are believed: a Secret Service busy for a moment (a D-Bus
/// call left without a reply under load) is not a keyring gone. A locked
/// keyring, or one with no login keyring, is an answer and is not asked again.
pub fn keyring_problem() -> Option<KeyringProblem> {
    let mut problem = keyring_problem_once();
    for _ in 0..3 {
        if !matches!(
            problem,
            Some(KeyringProblem::NoService | KeyringProblem::Refused)
        ) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        problem = keyring_problem_once();
    }
    problem
}

/// One look at the keyring, for [`keyring_problem`].
fn keyring_problem_once() -> Option<KeyringProblem> {
    use dbus_secret_service::{EncryptionType, SecretService};
    let ss = match SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, 0) {
        Ok(ss) => ss,
        Err(e) => return Some(classify_ss(&e)),
    };
    match ss.get_default_collection() {
        Err(e) => Some(classify_ss(&e)),
        Ok(c) => match c.is_locked() {
            Ok(false) => None,
            Ok(true) => Some(KeyringProblem::Locked),
            Err(e) => Some(classify_ss(&e)),
        },
    }
}

/// Ask the Secret Service to unlock its default collection, or to create
/// one (the login keyring) when it has none, through its own prompt. Waits
/// at most `prompt_timeout_s` for the person to answer it; fails at once
/// where no prompt can appear. Nothing of Latchkey's is written.
pub fn unlock_keyring(prompt_timeout_s: u64) -> Result<(), Error> {
    use dbus_secret_service::{EncryptionType, Error as Ss, SecretService};
    let to_error = |e: Ss| map_keyring(keyring::Error::NoStorageAccess(Box::new(e)));
    let ss =
        SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, prompt_timeout_s)
            .map_err(to_error)?;
    match ss.get_default_collection() {
        Ok(c) => {
            if c.is_locked().map_err(to_error)? {
                c.unlock().map_err(to_error)?;
            }
            if c.is_locked().map_err(to_error)? {
                return Err(to_error(Ss::Locked));
            }
            Ok(())
        }
        Err(Ss::NoResult) => ss
            .create_collection("Login", "default")
            .map(|_| ())
            .map_err(to_error),
        Err(e) => Err(to_error(e)),
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &SecretName) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        match self.entry(name)?.get_password() {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let bytes = B64.decode(text.as_bytes()).map_err(|_| {
                    Error::CorruptSecret(format!("keyring entry '{}' is not base64", name.key()))
                })?;
                Ok(Some(Zeroizing::new(bytes)))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn set(&self, name: &SecretName, value: &[u8]) -> Result<(), Error> {
        let text = Zeroizing::new(B64.encode(value));
        self.entry(name)?.set_password(&text).map_err(map_keyring)
    }

    fn delete(&self, name: &SecretName) -> Result<(), Error> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn describe(&self) -> String {
        "the OS keyring".into()
    }
}

/// `<config-dir>/secrets`: a JSON map of base64 values, mode 0600.
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The store in `path`.
    pub fn new(path: &Path) -> Self {
        FileStore {
            path: path.to_path_buf(),
        }
    }

    /// The configuration's lock (the file is `<config-dir>/secrets`): every
    /// write reads, changes and replaces the whole file under it, so that
    /// two writers (a saved token and `2fa confirm`) cannot drop each other's secret.
    fn lock(&self) -> Result<DirLock, Error> {
        DirLock::acquire(self.path.parent().unwrap_or_else(|| Path::new(".")))
    }

    fn read(&self) -> Result<BTreeMap<String, Zeroizing<String>>, Error> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => Zeroizing::new(t),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(Error::io("reading", &self.path, e)),
        };
        parse_file(&text).ok_or_else(|| {
            Error::CorruptSecret(format!(
                "{} is not a valid secrets file",
                self.path.display()
            ))
        })
    }

    fn write(&self, map: &BTreeMap<String, Zeroizing<String>>) -> Result<(), Error> {
        let plain: BTreeMap<&str, &str> =
            map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let json = Zeroizing::new(
            serde_json::to_string_pretty(&plain)
                .map_err(|e| Error::CorruptSecret(format!("cannot serialize secrets ({e})")))?,
        );
        write_atomic(&self.path, json.as_bytes(), 0o600)
    }
}

/// The secrets file's content as a map of names to base64 values, or `None`
/// when it is not one (the value bytes are decoded by [`SecretStore::get`]).
pub fn parse_file(text: &str) -> Option<BTreeMap<String, Zeroizing<String>>> {
    let map: BTreeMap<String, String> = serde_json::from_str(text).ok()?;
    Some(
        map.into_iter()
            .map(|(k, v)| (k, Zeroizing::new(v)))
            .collect(),
    )
}

/// A value of the secrets file as its bytes, or `None` when it is not base64.
pub fn decode_value(value: &str) -> Option<Zeroizing<Vec<u8>>> {
    B64.decode(value.as_bytes()).ok().map(Zeroizing::new)
}

impl SecretStore for FileStore {
    fn get(&self, name: &SecretName) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        let map = self.read()?;
        match map.get(&name.key()) {
            None => Ok(None),
            Some(v) => decode_value(v).map(Some).ok_or_else(|| {
                Error::CorruptSecret(format!("secret '{}' is not base64", name.key()))
            }),
        }
    }

    fn set(&self, name: &SecretName, value: &[u8]) -> Result<(), Error> {
        let _lock = self.lock()?;
        let mut map = self.read()?;
        map.insert(name.key(), Zeroizing::new(B64.encode(value)));
        self.write(&map)
    }

    fn delete(&self, name: &SecretName) -> Result<(), Error> {
        let _lock = self.lock()?;
        let mut map = self.read()?;
        if map.remove(&name.key()).is_some() {
            self.write(&map)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!("the file {}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn file_store_round_trip_and_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(&dir.path().join("secrets"));
        assert_eq!(store.get(&SecretName::Totp).expect("get"), None);
        store
            .set(&SecretName::Totp, b"\x00\x01secret")
            .expect("set");
        store.set(&SecretName::DeviceKey, &[7; 32]).expect("set");
        assert_eq!(
            store
                .get(&SecretName::Totp)
                .expect("get")
                .as_deref()
                .map(|v| v.as_slice()),
            Some(&b"\x00\x01secret"[..])
        );
        let mode = fs::metadata(dir.path().join("secrets"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        store.delete(&SecretName::Totp).expect("delete");
        store.delete(&SecretName::Totp).expect("absent is fine");
        assert_eq!(store.get(&SecretName::Totp).expect("get"), None);
        assert!(store.get(&SecretName::DeviceKey).expect("get").is_some());
    }

    #[test]
    fn secret_service_failures_say_what_was_found() {
        use dbus_secret_service::Error as Ss;
        let dbus = |name: &str| Ss::Dbus(dbus::Error::new_custom(name, "x"));
        assert_eq!(classify_ss(&Ss::Locked), KeyringProblem::Locked);
        assert_eq!(classify_ss(&Ss::Prompt), KeyringProblem::Locked);
        assert_eq!(
            classify_ss(&Ss::NoResult),
            KeyringProblem::NoDefaultCollection
        );
        assert_eq!(classify_ss(&Ss::Unavailable), KeyringProblem::NoService);
        assert_eq!(
            classify_ss(&dbus("org.freedesktop.DBus.Error.ServiceUnknown")),
            KeyringProblem::NoService
        );
        assert_eq!(
            classify_ss(&dbus("org.freedesktop.DBus.Error.AccessDenied")),
            KeyringProblem::Refused
        );
        // Through the keyring crate's error, as the store sees it.
        match map_keyring(keyring::Error::NoStorageAccess(Box::new(Ss::NoResult))) {
            Error::SecretStoreUnavailable { problem, message } => {
                assert_eq!(problem, KeyringProblem::NoDefaultCollection);
                assert!(message.contains("--secret-store file"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn damaged_file_is_an_error_not_an_empty_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("secrets"), "{not json").expect("write");
        let store = FileStore::new(&dir.path().join("secrets"));
        assert!(matches!(
            store.get(&SecretName::Totp),
            Err(Error::CorruptSecret(_))
        ));
        assert!(
            store.set(&SecretName::Totp, b"x").is_err(),
            "never overwrite a damaged file"
        );
    }

    /// The parse functions the file store (and the fuzz targets) use.
    #[test]
    fn the_file_parses_into_names_and_base64_values() {
        let map = parse_file(r#"{"a/totp":"aGk=","b":"!"}"#).expect("a map");
        assert_eq!(map.len(), 2);
        assert_eq!(
            decode_value(&map["a/totp"]).as_deref().map(Vec::as_slice),
            Some(&b"hi"[..])
        );
        assert!(decode_value(&map["b"]).is_none());
        for bad in ["", "[]", r#"{"a":1}"#, "{not json"] {
            assert!(parse_file(bad).is_none(), "{bad}");
        }
    }
}
