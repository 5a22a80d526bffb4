//! Files through the clipboard from a viewer window, over the session's
//! `clipboard_files()` handle (the CLI's `latchkey clipboard` runs the same
//! `get_into` and `put`): the host's copied files arrive in a folder here and
//! this computer's clipboard then offers them (as a file manager's copy
//! does); files copied here (or named) go to the host's clipboard.

use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;
use ts_rs::TS;

use latchkey_core::feature::clipboard_files::{
    decode_gnome_copied_files, decode_uri_list, encode_gnome_copied_files, encode_uri_list,
};
use latchkey_core::ErrorCode;
use latchkey_media::Clipboard;
use latchkey_session::features::clipboard_files::viewer::Moved;
use latchkey_session::features::clipboard_files::{GNOME_COPIED_FILES, URI_LIST};
use latchkey_session::features::files::viewer::FilesError;

use super::viewer::session_of;
use super::Ctx;
use crate::error::{AppError, AppResult};

/// What a paste or a copy did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ClipboardFilesDone {
    /// The files and folders: here (`clipboard_get_files`) or on the host.
    pub paths: Vec<String>,
    /// Files copied (folders counted by what they hold).
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Whether this computer's clipboard now offers them (a paste only).
    pub on_local_clipboard: bool,
}

/// This computer's clipboard, kept while the app runs: on X11 what we offer
/// lives only as long as its owner.
static LOCAL: Mutex<Option<Clipboard>> = Mutex::new(None);

fn files_error(e: FilesError) -> AppError {
    AppError::new(e.code(), e.to_string())
}

fn done(m: Moved, on_local_clipboard: bool) -> ClipboardFilesDone {
    ClipboardFilesDone {
        paths: m.paths,
        files: m.summary.files,
        bytes: m.summary.copied.size,
        on_local_clipboard,
    }
}

/// Run `f` on this computer's clipboard (opened on first use), off the runtime.
async fn local<T: Send + 'static>(
    f: impl FnOnce(&mut Clipboard) -> Result<T, String> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(move || {
        let mut slot = LOCAL.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(Clipboard::new().map_err(|e| e.to_string())?);
        }
        match slot.as_mut() {
            Some(cb) => f(cb),
            None => Err("no clipboard".into()),
        }
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Local, format!("the clipboard stopped: {e}")))?
    .map_err(|e| AppError::new(ErrorCode::Local, format!("this computer's clipboard: {e}")))
}

/// `dir`, or (none or blank) the Downloads folder (else the home folder).
pub(super) fn folder_or_downloads(dir: Option<String>) -> AppResult<PathBuf> {
    match dir.filter(|d| !d.trim().is_empty()) {
        Some(d) => Ok(PathBuf::from(d)),
        None => directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(PathBuf::from))
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no Downloads folder")),
    }
}

/// Copy the files the host's clipboard offers into `dir` (default: the
/// Downloads folder) and offer them on this computer's clipboard.
pub async fn clipboard_get_files(
    ctx: &Ctx,
    session_id: String,
    dir: Option<String>,
) -> AppResult<ClipboardFilesDone> {
    let session = session_of(ctx, &session_id)?;
    let dir = folder_or_downloads(dir)?;
    let moved = session
        .clipboard_files()
        .get_into(session.files(), &dir, &|_| {})
        .await
        .map_err(files_error)?;
    let paths = moved.paths.clone();
    let offered = local(move |cb| {
        let targets = vec![
            (URI_LIST.to_string(), encode_uri_list(&paths).into_bytes()),
            (
                GNOME_COPIED_FILES.to_string(),
                encode_gnome_copied_files(&paths).into_bytes(),
            ),
        ];
        cb.offer(targets).map_err(|e| e.to_string())
    })
    .await;
    if let Err(e) = &offered {
        tracing::warn!(error = %e.message, "cannot offer the files on this computer's clipboard");
    }
    Ok(done(moved, offered.is_ok()))
}

/// The files this computer's clipboard offers (a file manager's copy).
async fn locally_copied() -> AppResult<Vec<String>> {
    let list = local(|cb| {
        let Some((target, bytes)) = cb
            .read(&[URI_LIST, GNOME_COPIED_FILES])
            .map_err(|e| e.to_string())?
        else {
            return Ok(Vec::new());
        };
        let text = String::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
        let paths = if target == URI_LIST {
            decode_uri_list(&text)
        } else {
            decode_gnome_copied_files(&text)
        };
        paths.map_err(|e| e.to_string())
    })
    .await?;
    if list.is_empty() {
        return Err(AppError::new(
            ErrorCode::Empty,
            "no files are copied on this computer: copy some in a file manager first",
        ));
    }
    Ok(list)
}

/// Copy `paths` (none: the files copied on this computer) to the host and
/// have its clipboard offer them.
pub async fn clipboard_put_files(
    ctx: &Ctx,
    session_id: String,
    paths: Vec<String>,
) -> AppResult<ClipboardFilesDone> {
    let session = session_of(ctx, &session_id)?;
    let paths: Vec<String> = paths
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let paths = if paths.is_empty() {
        locally_copied().await?
    } else {
        paths
    };
    let srcs: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let moved = session
        .clipboard_files()
        .put(session.files(), &srcs, &|_| {})
        .await
        .map_err(files_error)?;
    Ok(done(moved, false))
}
