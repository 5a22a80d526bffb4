//! The audit log: one JSON object a line, appended, never rewritten; rotated to
//! `audit.log.1` .. `audit.log.3` when it passes a size limit.

use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use latchkey_core::audit::AuditEvent;
use latchkey_core::UnixTime;

use crate::Error;

/// Rotate when the current file would pass this size.
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;
/// Rotated files kept.
pub const KEEP_ROTATED: u32 = 3;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339 time, UTC, seconds.
    pub time: String,
    /// Seconds since the epoch.
    pub unix: u64,
    /// What happened.
    #[serde(flatten)]
    pub event: AuditEvent,
}

impl AuditRecord {
    /// A record of `event` at `now`.
    pub fn new(event: AuditEvent, now: UnixTime) -> Self {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(now.0);
        AuditRecord {
            time: humantime::format_rfc3339_seconds(t).to_string(),
            unix: now.0,
            event,
        }
    }

    /// `time event key=value ...`, for people.
    pub fn to_line(&self) -> String {
        let mut out = format!("{} {}", self.time, self.event.name());
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&self.event) {
            for (k, v) in map.into_iter().filter(|(k, _)| k != "event") {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => "-".into(),
                    other => other.to_string(),
                };
                out.push_str(&format!(" {k}={v}"));
            }
        }
        out
    }
}

/// The audit log of one configuration.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    max_bytes: u64,
}

impl AuditLog {
    /// The log at `path`, rotating at [`DEFAULT_MAX_BYTES`].
    pub fn new(path: &Path) -> Self {
        AuditLog {
            path: path.to_path_buf(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// The same log with another rotation size (tests use a small one).
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    fn rotated(&self, n: u32) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(format!(".{n}"));
        PathBuf::from(s)
    }

    /// Append one record (rotating first if the file would grow past the limit).
    pub fn append(&self, record: &AuditRecord) -> Result<(), Error> {
        let mut line = serde_json::to_string(record).unwrap_or_default();
        line.push('\n');
        let size = match fs::metadata(&self.path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == ErrorKind::NotFound => 0,
            Err(e) => return Err(Error::io("reading", &self.path, e)),
        };
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            for n in (1..KEEP_ROTATED).rev() {
                let from = self.rotated(n);
                if from.exists() {
                    fs::rename(&from, self.rotated(n + 1))
                        .map_err(|e| Error::io("rotating", &from, e))?;
                }
            }
            fs::rename(&self.path, self.rotated(1))
                .map_err(|e| Error::io("rotating", &self.path, e))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(|e| Error::io("opening", &self.path, e))?;
        file.write_all(line.as_bytes())
            .map_err(|e| Error::io("appending to", &self.path, e))?;
        file.sync_data()
            .map_err(|e| Error::io("syncing", &self.path, e))
    }

    /// Every record still kept, oldest first. Lines that do not parse (from a
    /// newer version, or damaged) are skipped.
    pub fn read_all(&self) -> Result<Vec<AuditRecord>, Error> {
        let mut out = Vec::new();
        let mut files: Vec<PathBuf> = (1..=KEEP_ROTATED).rev().map(|n| self.rotated(n)).collect();
        files.push(self.path.clone());
        for f in files {
            let text = match fs::read_to_string(&f) {
                Ok(t) => t,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io("reading", &f, e)),
            };
            out.extend(
                text.lines()
                    .filter_map(|l| serde_json::from_str::<AuditRecord>(l).ok()),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_reads_and_rotates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(&dir.path().join("audit.log")).with_max_bytes(400);
        for i in 0..40u64 {
            log.append(&AuditRecord::new(
                AuditEvent::SaveLoginChanged { on: i % 2 == 0 },
                UnixTime(i),
            ))
            .expect("append");
        }
        assert!(dir.path().join("audit.log.1").exists());
        assert!(dir.path().join("audit.log.3").exists());
        assert!(!dir.path().join("audit.log.4").exists());
        let all = log.read_all().expect("read");
        assert!(all.len() < 40 && all.len() > 5);
        assert_eq!(all.last().map(|r| r.unix), Some(39));
        assert!(
            all.windows(2).all(|w| w[0].unix < w[1].unix),
            "oldest first"
        );
        assert!(
            fs::metadata(dir.path().join("audit.log"))
                .expect("meta")
                .len()
                <= 400
        );
    }

    #[test]
    fn line_format() {
        let r = AuditRecord::new(
            AuditEvent::PasswordSet {
                profile: "default".into(),
                tokens_revoked: 0,
            },
            UnixTime(0),
        );
        assert_eq!(
            r.to_line(),
            "1970-01-01T00:00:00Z password_set profile=default tokens_revoked=0"
        );
    }
}
