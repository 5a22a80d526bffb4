//! Remote print from a viewer window, over the session's `print()` handle
//! (the CLI's `connect --print-to` uses the same): `start_print` has the host
//! offer a printer for this viewer; each job printed to it is kept in the
//! app's cache (`print/<session>/`) and announced (`print_arrived`); the
//! person then sends it to this computer's default printer (`lp`) or saves
//! it in a folder (default: Downloads), never over a file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::Serialize;
use tauri::Manager;
use ts_rs::TS;

use latchkey_core::ErrorCode;
use latchkey_session::features::print::viewer::{save, PrintEvent, PrintJob};

use super::viewer::session_of;
use super::Ctx;
use crate::error::{AppError, AppResult};
use crate::events::{self, PrintArrived};

/// The printer the host offers.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PrintStarted {
    /// Its CUPS queue on the host.
    pub queue: String,
    /// What the host's print dialogs show.
    pub description: String,
}

/// The jobs that arrived and are kept in the cache, by session and number.
static ARRIVED: Mutex<Option<HashMap<(String, u64), Arrived>>> = Mutex::new(None);

#[derive(Clone)]
struct Arrived {
    title: String,
    path: PathBuf,
}

fn arrived(session_id: &str, job: u64) -> AppResult<Arrived> {
    ARRIVED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .and_then(|m| m.get(&(session_id.to_string(), job)).cloned())
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no such print job"))
}

fn local(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Local, format!("{what}: {e}"))
}

/// Have the host offer its printer for this session; jobs arrive as
/// `print_arrived` events.
pub async fn start_print(ctx: &Ctx, session_id: String) -> AppResult<PrintStarted> {
    let session = session_of(ctx, &session_id)?;
    let inbox = ctx
        .app
        .path()
        .app_cache_dir()
        .map_err(|e| local("no cache folder", e))?
        .join("print")
        .join(&session_id);
    std::fs::create_dir_all(&inbox).map_err(|e| local("cannot make the print folder", e))?;
    let jobs = session.print().start().await?;
    let started = PrintStarted {
        queue: jobs.queue.clone(),
        description: jobs.description.clone(),
    };
    let app = ctx.app.clone();
    tokio::spawn(async move {
        while let Ok(PrintEvent::Job(job)) = jobs.next().await {
            let (dir, number, title, bytes) =
                (inbox.clone(), job.number, job.title.clone(), job.pdf.len());
            let kept = tokio::task::spawn_blocking(move || save(&dir, &job)).await;
            match kept {
                Ok(Ok(path)) => {
                    ARRIVED
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert_with(HashMap::new)
                        .insert(
                            (session_id.clone(), number),
                            Arrived {
                                title: title.clone(),
                                path,
                            },
                        );
                    events::emit(
                        &app,
                        events::PRINT_ARRIVED,
                        PrintArrived {
                            session_id: session_id.clone(),
                            job: number,
                            title,
                            bytes: bytes as u64,
                        },
                    );
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot keep a print job"),
                Err(e) => tracing::warn!(error = %e, "cannot keep a print job"),
            }
        }
    });
    Ok(started)
}

/// Send a job that arrived to this computer's default printer (`lp`).
pub async fn print_job(ctx: &Ctx, session_id: String, job: u64) -> AppResult<()> {
    session_of(ctx, &session_id).ok();
    let a = arrived(&session_id, job)?;
    let out = tokio::process::Command::new("lp")
        .arg("-t")
        .arg(&a.title)
        .arg("--")
        .arg(&a.path)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| local("cannot run lp (is CUPS installed?)", e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(local(
            "this computer's printer refused the job",
            String::from_utf8_lossy(&out.stderr).trim(),
        ))
    }
}

/// Save a job that arrived in `dir` (default: the Downloads folder); its path.
pub async fn save_print_job(
    ctx: &Ctx,
    session_id: String,
    job: u64,
    dir: Option<String>,
) -> AppResult<String> {
    session_of(ctx, &session_id).ok();
    let a = arrived(&session_id, job)?;
    let dir = super::clipboard_files::folder_or_downloads(dir)?;
    let saved = tokio::task::spawn_blocking(move || {
        let pdf = std::fs::read(&a.path)?;
        save(
            &dir,
            &PrintJob {
                number: job,
                title: a.title,
                pdf,
            },
        )
    })
    .await
    .map_err(|e| local("cannot save the job", e))?
    .map_err(|e| local("cannot save the job", e))?;
    Ok(saved.display().to_string())
}
