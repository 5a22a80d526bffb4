//! The configuration directory's lock, `<config-dir>/.lock` (an `flock`):
//! held for every change of the settings and for every write of the file
//! secret store, so that two processes (or threads) changing the same
//! configuration take turns and none overwrites the other's change.
//!
//! Re-entrant on one thread: a settings change that writes a secret while it
//! holds the lock (`2fa confirm`, a first device key) takes it again for
//! free instead of waiting on itself. Other threads of the same process wait
//! as other processes do (each acquisition opens its own file description).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::Error;

thread_local! {
    /// The directories this thread holds the lock of, with how many times.
    static HELD: RefCell<HashMap<PathBuf, usize>> = RefCell::new(HashMap::new());
}

/// Held while a configuration changes; released on drop.
pub(crate) struct DirLock {
    dir: PathBuf,
    /// The locked file, for the outermost acquisition on this thread only.
    _file: Option<File>,
}

impl DirLock {
    /// Lock `dir` (created 0700 if missing), waiting for other holders.
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock, Error> {
        let again = HELD.with(|h| match h.borrow_mut().get_mut(dir) {
            Some(n) => {
                *n += 1;
                true
            }
            None => false,
        });
        if again {
            return Ok(DirLock {
                dir: dir.to_path_buf(),
                _file: None,
            });
        }
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| Error::io("creating", dir, e))?;
        }
        let path = dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("opening", &path, e))?;
        let _ = file.set_permissions(fs::Permissions::from_mode(0o600));
        file.lock().map_err(|e| Error::io("locking", &path, e))?;
        HELD.with(|h| h.borrow_mut().insert(dir.to_path_buf(), 1));
        Ok(DirLock {
            dir: dir.to_path_buf(),
            _file: Some(file),
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        HELD.with(|h| {
            let mut held = h.borrow_mut();
            if let Some(n) = held.get_mut(&self.dir) {
                *n -= 1;
                if *n == 0 {
                    held.remove(&self.dir);
                }
            }
        });
        // The file (outermost only) closes after this, which releases the flock.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reentrant_on_one_thread_exclusive_across_threads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outer = DirLock::acquire(dir.path()).expect("lock");
        let inner = DirLock::acquire(dir.path()).expect("again on this thread");
        let path = dir.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let other = std::thread::spawn(move || {
            let _l = DirLock::acquire(&path).expect("lock");
            tx.send(()).expect("send");
        });
        drop(inner);
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "another thread waits while the outer lock is held"
        );
        drop(outer);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("then it gets the lock");
        other.join().expect("thread");
    }
}
