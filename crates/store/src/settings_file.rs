//! Reading and writing `settings.json`.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use latchkey_core::settings::Settings;

use crate::atomic::write_atomic;
use crate::Error;

/// Largest settings file we read (a damaged or hostile file fails clearly instead of eating memory).
pub const MAX_SETTINGS_BYTES: u64 = 16 * 1024 * 1024;

/// Read the settings, or `None` when the file does not exist yet.
pub fn load(path: &Path) -> Result<Option<Settings>, Error> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("reading", path, e)),
    };
    if meta.len() > MAX_SETTINGS_BYTES {
        return Err(Error::BadSettings {
            path: path.into(),
            reason: format!("it is larger than {MAX_SETTINGS_BYTES} bytes"),
        });
    }
    let bytes = fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| Error::BadSettings {
        path: path.into(),
        reason: "it is not UTF-8 text".into(),
    })?;
    Settings::from_json(&text)
        .map(Some)
        .map_err(|e| Error::BadSettings {
            path: path.into(),
            reason: e.to_string(),
        })
}

/// Write the settings atomically, mode 0600.
pub fn save(path: &Path, settings: &Settings) -> Result<(), Error> {
    let mut json = settings.to_json()?;
    json.push('\n');
    write_atomic(path, json.as_bytes(), 0o600)
}
