//! What the `files` and `clipboard_files` host halves of one session share:
//! the session's one file worker (with the desktop user's rights, started on
//! first use), what `clipboard_files` alone opens on the `files` channel
//! (the [`Scope`]: the paths the clipboard named, the staging folder), and
//! that staging folder, removed (as the desktop's user) when the session ends
//! unless the host's clipboard still offers files in it (a `latchkey
//! clipboard ID --put-files` session ends right after it put them): such a
//! folder stays until a later session first stages files, which removes
//! every staging folder that no open session uses and the clipboard does not
//! offer.

use std::sync::{Arc, Mutex, MutexGuard};

use latchkey_core::feature::clipboard_files::Scope;
use latchkey_core::feature::files::{Entry, HostPath, Kind};
use latchkey_core::ErrorCode;

use super::worker::{desktop_user, Op, Reply, Worker};
use super::Failure;
use crate::features::clipboard_files::host::offered_files;
use crate::host::desktop::Desktop;

/// The staging folders of this host's open sessions (never swept).
static OPEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn open_folders() -> MutexGuard<'static, Vec<String>> {
    OPEN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether the clipboard offers something in `folder`.
fn offers_in(offered: &[String], folder: &HostPath) -> bool {
    offered.iter().any(|p| {
        HostPath::parse(p)
            .is_ok_and(|p| p.base == folder.base && p.parts.starts_with(&folder.parts))
    })
}

/// Where staging folders live, under the desktop user's home.
const STAGING_PARENT: [&str; 2] = [".cache", "latchkey-clipboard"];

/// The session's file worker and clipboard scope. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct SessionFiles(Arc<Inner>);

/// The worker and its user's home (as a wire path), or why it did not start.
type Started = Result<(Arc<Worker>, String), Failure>;

#[derive(Default)]
struct Inner {
    /// The worker, started on first use (or why not).
    worker: tokio::sync::Mutex<Option<Started>>,
    scope: Mutex<Scope>,
}

impl SessionFiles {
    /// The worker, started on the first call.
    pub async fn worker(&self) -> Result<Arc<Worker>, Failure> {
        self.started().await.map(|(w, _)| w)
    }

    async fn started(&self) -> Started {
        let mut slot = self.0.worker.lock().await;
        if slot.is_none() {
            let started = match desktop_user() {
                Ok(user) => {
                    let home = user.home.to_str().map(str::to_string).ok_or_else(|| {
                        Failure::new(ErrorCode::Unsupported, "the home's path is not UTF-8")
                    });
                    match home {
                        Ok(home) => Worker::start(user).await.map(|w| (Arc::new(w), home)),
                        Err(f) => Err(f),
                    }
                }
                Err(f) => Err(f),
            };
            if let Err(f) = &started {
                tracing::warn!(reason = %f, "file access refused");
            }
            *slot = Some(started);
        }
        match &*slot {
            Some(Ok((w, home))) => Ok((w.clone(), home.clone())),
            Some(Err(f)) => Err(f.clone()),
            None => Err(Failure::new(ErrorCode::Local, "no file worker")),
        }
    }

    /// The worker if it was started (for clean-up: never starts one).
    pub async fn running(&self) -> Option<Arc<Worker>> {
        match &*self.0.worker.lock().await {
            Some(Ok((w, _))) => Some(w.clone()),
            _ => None,
        }
    }

    /// What `clipboard_files` alone opens (no await while it is held).
    pub fn scope(&self) -> MutexGuard<'_, Scope> {
        self.0.scope.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether every directory in `dirs` is one (not a link) on the disk.
    pub async fn real_dirs(&self, dirs: &[HostPath]) -> Result<bool, Failure> {
        let worker = self.worker().await?;
        for dir in dirs {
            let path = dir.to_wire();
            match worker.call(Op::Stat { path }).await {
                Ok(Reply::Entry {
                    entry: Entry {
                        kind: Kind::Dir, ..
                    },
                }) => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// The session's staging folder (made, owned by the desktop's user, on
    /// the first call), with a fresh folder in it for one `put`.
    pub async fn stage(&self, n: u64, desktop: &Desktop) -> Result<String, Failure> {
        let (worker, home) = self.started().await?;
        let existing = self.scope().staging().cloned();
        let staging = match existing {
            Some(s) => s,
            None => {
                let mut path = HostPath::parse(&home)
                    .map_err(|e| Failure::new(ErrorCode::Unsupported, e.to_string()))?;
                for part in STAGING_PARENT {
                    path = path
                        .join(part)
                        .map_err(|e| Failure::new(ErrorCode::Local, e.to_string()))?;
                    mkdir_or_there(&worker, &path).await?;
                }
                sweep(&worker, &path, desktop).await;
                let made = fresh(&worker, &path).await?;
                open_folders().push(made.to_wire());
                self.scope().set_staging(&made.to_wire());
                made
            }
        };
        let dir = staging
            .join(&n.to_string())
            .map_err(|e| Failure::new(ErrorCode::Local, e.to_string()))?;
        worker
            .call(Op::Mkdir {
                path: dir.to_wire(),
            })
            .await?;
        Ok(dir.to_wire())
    }

    /// The session ended: remove its staging folder (as the desktop's
    /// user), unless the clipboard offers files in it.
    pub async fn end(&self, desktop: &Desktop) {
        let staging = self.scope().staging().cloned();
        let (Some(staging), Some(worker)) = (staging, self.running().await) else {
            return;
        };
        let path = staging.to_wire();
        open_folders().retain(|f| *f != path);
        let offered = offered_files(desktop).await.unwrap_or_default();
        if offers_in(&offered, &staging) {
            tracing::debug!("the clipboard offers staged files: their folder stays");
            return;
        }
        if let Err(f) = worker
            .call(Op::Remove {
                path,
                recursive: true,
            })
            .await
        {
            tracing::warn!(reason = %f, "cannot remove the clipboard's staging folder");
        }
    }
}

/// Make `path` unless it is a directory already (not a link).
async fn mkdir_or_there(worker: &Worker, path: &HostPath) -> Result<(), Failure> {
    match worker
        .call(Op::Mkdir {
            path: path.to_wire(),
        })
        .await
    {
        Err(f) if f.code == ErrorCode::Exists => {
            match worker
                .call(Op::Stat {
                    path: path.to_wire(),
                })
                .await?
            {
                Reply::Entry { entry } if entry.kind == Kind::Dir => Ok(()),
                _ => Err(Failure::new(
                    ErrorCode::NotDirectory,
                    format!("{}: is not a directory", path.to_wire()),
                )),
            }
        }
        other => other.map(|_| ()),
    }
}

/// Remove the staging folders in `parent` that no open session uses and
/// the clipboard does not offer (left by sessions that ended).
async fn sweep(worker: &Worker, parent: &HostPath, desktop: &Desktop) {
    let Ok(Reply::Entries { entries }) = worker
        .call(Op::List {
            path: parent.to_wire(),
        })
        .await
    else {
        return;
    };
    let offered = offered_files(desktop).await.unwrap_or_default();
    for e in entries
        .iter()
        .filter(|e| e.kind == Kind::Dir && e.valid_name)
    {
        let Ok(folder) = parent.join(&e.name) else {
            continue;
        };
        let path = folder.to_wire();
        if open_folders().contains(&path) || offers_in(&offered, &folder) {
            continue;
        }
        let recursive = true;
        if let Err(f) = worker.call(Op::Remove { path, recursive }).await {
            tracing::warn!(reason = %f, "cannot remove an old staging folder");
        }
    }
}

/// A folder of a new random name in `parent`.
async fn fresh(worker: &Worker, parent: &HostPath) -> Result<HostPath, Failure> {
    use rand_core::{OsRng, RngCore};
    for _ in 0..8 {
        let mut bytes = [0u8; 8];
        OsRng.fill_bytes(&mut bytes);
        let name = hex::encode(bytes);
        let path = parent
            .join(&name)
            .map_err(|e| Failure::new(ErrorCode::Local, e.to_string()))?;
        match worker
            .call(Op::Mkdir {
                path: path.to_wire(),
            })
            .await
        {
            Ok(_) => return Ok(path),
            Err(f) if f.code == ErrorCode::Exists => continue,
            Err(f) => return Err(f),
        }
    }
    Err(Failure::new(
        ErrorCode::Local,
        "cannot make a staging folder for the clipboard",
    ))
}
