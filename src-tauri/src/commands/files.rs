//! The file window of a session: both panes' listings (this computer's and
//! the host's, through the session's `files` handle), a new folder on the
//! host, and copies between them. A copy runs as a task of its own that
//! reports `file_transfer` events (at most ten a second, and its end) and
//! stops when cancelled; the host keeps a cancelled upload's partial file
//! under its temporary name (and a download keeps ours), so copying the same
//! file again resumes it. Folders are copied whole, the way `latchkey cp -r`
//! copies them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};
use ts_rs::TS;

use latchkey_core::feature::files::{Entry, Kind};
use latchkey_core::ErrorCode;
use latchkey_session::features::files::transfer::{self, Direction, Plan};
use latchkey_session::features::files::viewer::FilesError;

use super::viewer::session_of;
use super::Ctx;
use crate::error::{AppError, AppResult};
use crate::events::{self, TransferProgress, TransferState};

/// What a pane lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else (a device, a socket): listed, never copied.
    Other,
}

/// One row of a pane.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FileItem {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Modified, seconds since the Unix epoch.
    pub mtime: i64,
}

/// A folder as a pane shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FileListing {
    /// The folder (this computer's: absolute; the host's: `~`, `~/a`, `/a`).
    pub path: String,
    /// The folder above it, if any.
    pub parent: Option<String>,
    /// Its entries: folders first, then by name.
    pub entries: Vec<FileItem>,
}

/// A copy the window asks for.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct TransferRequest {
    /// Which way.
    pub direction: Direction,
    /// What to copy (a file or a folder), on the side it comes from.
    pub from: String,
    /// The folder it goes into, on the other side.
    pub to_dir: String,
}

/// A copy that started.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferStarted {
    /// Its id (the `file_transfer` events carry it).
    pub id: u32,
    /// The name copied.
    pub name: String,
}

/// The copies running in this app, to cancel them.
#[derive(Default)]
pub struct Transfers {
    next: AtomicU64,
    running: Mutex<Vec<Running>>,
}

/// One copy as [`Transfers`] keeps it.
struct Running {
    session: String,
    id: u32,
    name: String,
    direction: Direction,
    task: tokio::task::AbortHandle,
}

impl Transfers {
    fn add(&self, running: Running) {
        let mut all = self.running.lock().unwrap_or_else(|p| p.into_inner());
        // Forget the copies that ended by themselves.
        all.retain(|r| !r.task.is_finished());
        all.push(running);
    }

    fn take(&self, session: &str, id: u32) -> Option<Running> {
        let mut all = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let at = all
            .iter()
            .position(|r| r.session == session && r.id == id)?;
        Some(all.swap_remove(at))
    }
}

fn kind_of(kind: Kind) -> FileKind {
    match kind {
        Kind::File => FileKind::File,
        Kind::Dir => FileKind::Dir,
        Kind::Symlink => FileKind::Symlink,
        Kind::Other => FileKind::Other,
    }
}

fn sorted(mut entries: Vec<FileItem>) -> Vec<FileItem> {
    entries.sort_by(|a, b| {
        (a.kind != FileKind::Dir, a.name.to_lowercase())
            .cmp(&(b.kind != FileKind::Dir, b.name.to_lowercase()))
    });
    entries
}

/// The host path above `path` (`~/a/b` -> `~/a`, `~/a` -> `~`, `/a` -> `/`).
fn remote_parent(path: &str) -> Option<String> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() || trimmed == "~" {
        return None;
    }
    match trimmed.rfind('/') {
        Some(0) => Some("/".into()),
        Some(i) => Some(trimmed[..i].to_string()),
        None => Some("~".into()),
    }
}

/// Open (or bring forward) the file window of a session.
pub async fn open_files_window(ctx: &Ctx, session_id: String) -> AppResult<()> {
    session_of(ctx, &session_id)?;
    let label = format!("files-{session_id}");
    if let Some(w) = ctx.app.get_webview_window(&label) {
        let _ = w.set_focus();
        return Ok(());
    }
    WebviewWindowBuilder::new(
        &ctx.app,
        &label,
        WebviewUrl::App(format!("files.html?session={session_id}").into()),
    )
    .title("Latchkey: files")
    .inner_size(1100.0, 720.0)
    .build()
    .map_err(|e| {
        AppError::new(
            ErrorCode::Local,
            format!("cannot open the file window: {e}"),
        )
    })?;
    Ok(())
}

/// A folder of this computer (the home when `path` is none).
pub async fn local_list(_ctx: &Ctx, path: Option<String>) -> AppResult<FileListing> {
    let dir = match path {
        Some(p) => PathBuf::from(p),
        None => directories::BaseDirs::new()
            .map(|d| d.home_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("/")),
    };
    tokio::task::spawn_blocking(move || list_local(&dir))
        .await
        .map_err(|e| AppError::new(ErrorCode::Local, format!("listing stopped: {e}")))?
}

fn list_local(dir: &Path) -> AppResult<FileListing> {
    use std::os::unix::fs::MetadataExt;
    let read = std::fs::read_dir(dir).map_err(|e| {
        AppError::new(
            if e.kind() == std::io::ErrorKind::NotFound {
                ErrorCode::NotFound
            } else {
                ErrorCode::Local
            },
            format!("{}: {e}", dir.display()),
        )
    })?;
    let mut entries = Vec::new();
    for entry in read.flatten() {
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let kind = if meta.file_type().is_symlink() {
            FileKind::Symlink
        } else if meta.is_dir() {
            FileKind::Dir
        } else if meta.is_file() {
            FileKind::File
        } else {
            FileKind::Other
        };
        entries.push(FileItem {
            name: entry.file_name().to_string_lossy().into_owned(),
            kind,
            size: meta.len(),
            mtime: meta.mtime(),
        });
    }
    Ok(FileListing {
        path: dir.display().to_string(),
        parent: dir.parent().map(|p| p.display().to_string()),
        entries: sorted(entries),
    })
}

/// A folder of the host (`~` is the home of the user whose desktop it shares).
pub async fn remote_list(ctx: &Ctx, session_id: String, path: String) -> AppResult<FileListing> {
    let session = session_of(ctx, &session_id)?;
    let listed: Vec<Entry> = session.files().list(&path).await.map_err(files_error)?;
    Ok(FileListing {
        parent: remote_parent(&path),
        path,
        entries: sorted(
            listed
                .into_iter()
                .map(|e| FileItem {
                    name: e.name,
                    kind: kind_of(e.kind),
                    size: e.size,
                    mtime: e.mtime,
                })
                .collect(),
        ),
    })
}

/// A new folder on the host.
pub async fn remote_mkdir(ctx: &Ctx, session_id: String, path: String) -> AppResult<()> {
    let session = session_of(ctx, &session_id)?;
    session.files().mkdir(&path).await.map_err(files_error)
}

fn files_error(e: FilesError) -> AppError {
    AppError::new(e.code(), e.to_string())
}

/// Start copying `request.from` into `request.to_dir`.
pub async fn start_transfer(
    ctx: &Ctx,
    session_id: String,
    request: TransferRequest,
) -> AppResult<TransferStarted> {
    let session = session_of(ctx, &session_id)?;
    let transfers = ctx.state().transfers.clone();
    let id = u32::try_from(transfers.next.fetch_add(1, Ordering::Relaxed) + 1).unwrap_or(u32::MAX);
    let name = match request.direction {
        Direction::Upload => Path::new(&request.from)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        Direction::Download => request.from.rsplit('/').next().map(str::to_string),
    }
    .filter(|n| !n.is_empty() && n != "~")
    .ok_or_else(|| AppError::bad_input(format!("'{}' names no file or folder", request.from)))?;
    let app = ctx.app.clone();
    let started = TransferStarted {
        id,
        name: name.clone(),
    };
    let sid = session_id.clone();
    let direction = request.direction;
    let task_name = name.clone();
    let task = tokio::spawn(async move {
        let report = |state: TransferState, sent: u64, total: u64, error: Option<String>| {
            events::emit(
                &app,
                events::FILE_TRANSFER,
                TransferProgress {
                    session_id: sid.clone(),
                    id,
                    name: name.clone(),
                    direction: request.direction,
                    state,
                    sent,
                    total,
                    error,
                },
            );
        };
        report(TransferState::Running, 0, 0, None);
        let files = session.files();
        let plan = match request.direction {
            Direction::Upload => {
                transfer::plan_upload(
                    files,
                    &[PathBuf::from(&request.from)],
                    &request.to_dir,
                    true,
                )
                .await
            }
            Direction::Download => {
                transfer::plan_download(
                    files,
                    std::slice::from_ref(&request.from),
                    Path::new(&request.to_dir),
                    true,
                )
                .await
            }
        };
        let plan: Plan = match plan {
            Ok(p) => p,
            Err(e) => return report(TransferState::Failed, 0, 0, Some(e.to_string())),
        };
        let total = plan.bytes();
        let sent = Arc::new(AtomicU64::new(0));
        let last = Mutex::new(Instant::now() - Duration::from_secs(1));
        let progress = |n: u64| {
            let now_sent = sent.fetch_add(n, Ordering::Relaxed) + n;
            let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed() >= Duration::from_millis(100) {
                *last = Instant::now();
                report(TransferState::Running, now_sent, total, None);
            }
        };
        match transfer::run(files, &plan, &progress).await {
            Ok(summary) => report(
                TransferState::Done,
                summary.copied.sent + summary.copied.resumed,
                total,
                None,
            ),
            Err(e) => report(
                TransferState::Failed,
                sent.load(Ordering::Relaxed),
                total,
                Some(e.to_string()),
            ),
        }
    });
    transfers.add(Running {
        session: session_id,
        id,
        name: task_name,
        direction,
        task: task.abort_handle(),
    });
    Ok(started)
}

/// Stop a copy (what was copied of it stays, for the next try to resume).
pub async fn cancel_transfer(ctx: &Ctx, session_id: String, id: u32) -> AppResult<()> {
    session_of(ctx, &session_id)?;
    if let Some(running) = ctx.state().transfers.take(&session_id, id) {
        if running.task.is_finished() {
            return Ok(());
        }
        running.task.abort();
        events::emit(
            &ctx.app,
            events::FILE_TRANSFER,
            TransferProgress {
                session_id,
                id,
                name: running.name,
                direction: running.direction,
                state: TransferState::Cancelled,
                sent: 0,
                total: 0,
                error: None,
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_parents() {
        assert_eq!(remote_parent("~"), None);
        assert_eq!(remote_parent("~/a"), Some("~".into()));
        assert_eq!(remote_parent("~/a/b/"), Some("~/a".into()));
        assert_eq!(remote_parent("/etc"), Some("/".into()));
        assert_eq!(remote_parent("/"), None);
        assert_eq!(remote_parent("docs"), Some("~".into()));
    }
}
