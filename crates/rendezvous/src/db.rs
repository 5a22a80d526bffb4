//! The ID store: SQLite table binding each 9-digit device ID to one device
//! key, for good. Both columns are `UNIQUE`, so an ID never moves to another
//! key and a key never gets a second ID.
//!
//! Calls are blocking: async code runs them through
//! [`tokio::task::spawn_blocking`]. The one connection sits behind a
//! `std::sync::Mutex`; each call holds it for a statement or two.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use latchkey_core::identity::DevicePublicKey;
use latchkey_core::signal::DeviceId;
use rand::Rng as _;
use rusqlite::{params, Connection, OptionalExtension as _};

use crate::Error;

/// Draws before giving up on finding a free ID (with 900 million IDs, the
/// first draw is free unless the table holds hundreds of millions of rows).
const ID_ATTEMPTS: usize = 32;

/// Schema version kept in `PRAGMA user_version`, for future migrations.
const SCHEMA_VERSION: i64 = 1;

/// The ID <-> key table.
pub(crate) struct IdStore {
    /// The SQLite connection; see the module comment for the locking rule.
    conn: Mutex<Connection>,
}

impl IdStore {
    /// Open (creating if needed) the database at `path`, or an in-memory one
    /// that is forgotten when the server stops.
    pub(crate) fn open(path: Option<&Path>) -> Result<IdStore, Error> {
        let conn = match path {
            Some(path) => {
                let conn = Connection::open(path)?;
                // Several processes may share the file (e.g. a restart that
                // overlaps the old process): wait for locks instead of failing.
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn
            }
            None => Connection::open_in_memory()?,
        };
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::Database(
                format!("the ID database has schema version {version}, newer than this server ({SCHEMA_VERSION})").into(),
            ));
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS devices (
                 id            TEXT    NOT NULL PRIMARY KEY,
                 public_key    BLOB    NOT NULL UNIQUE,
                 registered_at INTEGER NOT NULL
             );",
        )?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(IdStore {
            conn: Mutex::new(conn),
        })
    }

    /// The ID bound to `key`, binding a fresh random one on first sight.
    pub(crate) fn id_for_key(&self, key: &DevicePublicKey) -> Result<DeviceId, Error> {
        let conn = self.lock();
        for _ in 0..ID_ATTEMPTS {
            let existing: Option<String> = conn
                .query_row(
                    "SELECT id FROM devices WHERE public_key = ?1",
                    params![key.0.as_slice()],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                return DeviceId::parse(&id).ok_or_else(|| {
                    Error::Database(format!("stored ID '{id}' is not a 9-digit ID").into())
                });
            }
            let n = rand::rngs::OsRng.gen_range(100_000_000..=999_999_999u32);
            let Some(id) = DeviceId::from_number(n) else {
                continue;
            };
            match conn.execute(
                "INSERT INTO devices (id, public_key, registered_at) VALUES (?1, ?2, ?3)",
                params![id.as_str(), key.0.as_slice(), unix_now()],
            ) {
                Ok(_) => return Ok(id),
                // The ID is taken (or another process bound this key in the
                // meantime: the next round finds it).
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    continue
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Database(
            format!("no free ID found in {ID_ATTEMPTS} draws").into(),
        ))
    }

    /// Whether some key was ever bound to `id`.
    pub(crate) fn is_known(&self, id: &DeviceId) -> Result<bool, Error> {
        let conn = self.lock();
        let found: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM devices WHERE id = ?1",
                params![id.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// The connection. A panic elsewhere while it was held cannot leave it
    /// half-updated (SQLite statements are atomic), so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_core::identity::DeviceKey;

    fn key() -> DevicePublicKey {
        DeviceKey::generate(&mut rand_core::OsRng).public()
    }

    #[test]
    fn one_id_per_key_for_good() {
        let store = IdStore::open(None).expect("open");
        let (a, b) = (key(), key());
        let id_a = store.id_for_key(&a).expect("a");
        let id_b = store.id_for_key(&b).expect("b");
        assert_ne!(id_a, id_b);
        assert_eq!(store.id_for_key(&a).expect("a again"), id_a);
        assert!(store.is_known(&id_a).expect("known"));
        let other = DeviceId::parse("100000000").expect("id");
        assert!(other == id_a || !store.is_known(&other).expect("unknown"));
    }

    #[test]
    fn survives_reopening_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ids.sqlite");
        let k = key();
        let id = IdStore::open(Some(&path))
            .expect("open")
            .id_for_key(&k)
            .expect("id");
        let again = IdStore::open(Some(&path)).expect("reopen");
        assert_eq!(again.id_for_key(&k).expect("id"), id);
        assert!(again.is_known(&id).expect("known"));
    }
}
