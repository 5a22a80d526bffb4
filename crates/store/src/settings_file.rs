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
    parse(&bytes)
        .map(Some)
        .map_err(|reason| Error::BadSettings {
            path: path.into(),
            reason,
        })
}

/// The settings in a file's bytes, or why they are not (the size is checked
/// before anything is read; [`load`] checks it before reading the file too).
pub fn parse(bytes: &[u8]) -> Result<Settings, String> {
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(format!("it is larger than {MAX_SETTINGS_BYTES} bytes"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
    Settings::from_json(text).map_err(|e| e.to_string())
}

/// Write the settings atomically, mode 0600.
pub fn save(path: &Path, settings: &Settings) -> Result<(), Error> {
    let mut json = settings.to_json()?;
    json.push('\n');
    write_atomic(path, json.as_bytes(), 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size is checked before anything is read; then UTF-8, then the content.
    #[test]
    fn parse_checks_size_text_and_content() {
        let big = vec![b'{'; MAX_SETTINGS_BYTES as usize + 1];
        assert!(parse(&big).expect_err("too large").contains("larger than"));
        assert!(parse(&[b'{', 0xff])
            .expect_err("not text")
            .contains("UTF-8"));
        assert!(parse(b"{}").is_err());
        let settings = Settings::new(
            latchkey_core::settings::SecretStoreKind::File,
            &mut rand_core::OsRng,
        );
        let json = settings.to_json().expect("json");
        assert_eq!(parse(json.as_bytes()), Ok(settings));
    }
}
