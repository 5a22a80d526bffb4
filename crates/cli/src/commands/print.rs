//! `connect --print-to DIR`: the host offers a printer for this viewer
//! while the session lasts (needs `print`), and every job printed to it is
//! saved in DIR as a PDF (under its title's name, never over a file).

use std::path::{Path, PathBuf};

use latchkey_session::features::print::viewer::{save, PrintEvent, PrintJobs};
use latchkey_session::viewer::{Session, SessionError};

use crate::exit::CliError;

/// Check `--print-to DIR` before connecting: a directory we can write to.
pub fn check_dir(dir: &Path) -> Result<(), CliError> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| CliError::Usage(format!("--print-to {}: {e}", dir.display())))?;
    if !meta.is_dir() {
        return Err(CliError::Usage(format!(
            "--print-to {}: not a directory",
            dir.display()
        )));
    }
    Ok(())
}

/// Have the host offer the printer; its queue and description, and the
/// task that saves its jobs in `dir` until the session ends.
pub async fn start(
    session: &Session,
    dir: PathBuf,
) -> Result<(String, String, tokio::task::JoinHandle<()>), SessionError> {
    let jobs = session.print().start().await?;
    let (queue, description) = (jobs.queue.clone(), jobs.description.clone());
    let task = tokio::spawn(save_jobs(jobs, dir));
    Ok((queue, description, task))
}

/// Save each job as it arrives (a line on standard error for each).
async fn save_jobs(jobs: PrintJobs, dir: PathBuf) {
    loop {
        match jobs.next().await {
            Ok(PrintEvent::Job(job)) => {
                let (dir, job) = (dir.clone(), job);
                let saved = tokio::task::spawn_blocking(move || {
                    save(&dir, &job).map(|p| (p, job.pdf.len()))
                })
                .await;
                match saved {
                    Ok(Ok((path, size))) => {
                        eprintln!(
                            "latchkey: saved a print job ({size} bytes) to {}",
                            path.display()
                        )
                    }
                    Ok(Err(e)) => eprintln!("latchkey: cannot save a print job: {e}"),
                    Err(e) => eprintln!("latchkey: cannot save a print job: {e}"),
                }
            }
            Ok(PrintEvent::Stopped(reason)) => {
                eprintln!("latchkey: the host no longer offers its printer: {reason}");
                return;
            }
            Err(_) => return,
        }
    }
}
