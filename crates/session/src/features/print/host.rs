//! The host half: `start` offers the session's printer (once; again it
//! answers the same), and a forwarder task sends each job printed to it to
//! the viewer, while the live grant holds `print`. The queue goes with the
//! session ([`SessionPrinter::end`]) or with the permission.

use std::sync::Arc;

use tokio::sync::{mpsc, watch, Mutex};

use latchkey_core::feature::print::{self, FromHost, FromViewer, FRAME_BYTES};
use latchkey_core::feature::{self, FeatureSpec};
use latchkey_core::permission::{Permission, PermissionSet};
use latchkey_core::ErrorCode;

use super::printers::{Job, PrintError, Printers};
use crate::host::feature_host::{FeatureContext, FeatureHost, Gate, LiveGrant};
use crate::transport::peer::Control;

/// Bytes queued on the channel before a job's sender waits.
const QUEUE_LIMIT: usize = 256 * 1024;

/// The session's printer, once started.
struct Active {
    printers: Printers,
    queue: String,
    description: String,
    forwarder: tokio::task::JoinHandle<()>,
}

/// One session's printer (shared by its feature task and the router, which
/// removes it when the session ends).
#[derive(Clone, Default)]
pub(crate) struct SessionPrinter(Arc<Mutex<Option<Active>>>);

impl SessionPrinter {
    /// Remove the session's printer, if it has one.
    pub async fn end(&self) {
        let active = self.0.lock().await.take();
        if let Some(a) = active {
            a.printers.remove(&a.queue).await;
            a.forwarder.abort();
        }
    }
}

/// The host half of one session.
pub(crate) struct PrintHost {
    printers: Printers,
    viewer_name: String,
    grant: watch::Receiver<LiveGrant>,
    session: SessionPrinter,
}

impl FeatureHost for PrintHost {
    const SPEC: &'static FeatureSpec = &feature::print::SPEC;
    type FromViewer = FromViewer;

    fn new(ctx: &FeatureContext) -> Self {
        PrintHost {
            printers: ctx.shared.printers.clone(),
            viewer_name: ctx.viewer_name.clone(),
            grant: ctx.grant.clone(),
            session: ctx.print.clone(),
        }
    }

    fn gate(_: &FromViewer) -> Gate {
        Gate::Checked("print_start")
    }

    async fn handle(&mut self, message: FromViewer, _: PermissionSet, channel: &Control) {
        let FromViewer::Start { id } = message;
        let mut active = self.session.0.lock().await;
        if let Some(a) = active.as_ref().filter(|a| !a.forwarder.is_finished()) {
            let _ = channel
                .send(&FromHost::Started {
                    id,
                    queue: a.queue.clone(),
                    description: a.description.clone(),
                })
                .await;
            return;
        }
        if let Some(old) = active.take() {
            old.printers.remove(&old.queue).await;
        }
        let printers = self.printers.clone();
        match printers.add(&self.viewer_name).await {
            Ok((queue, description, jobs)) => {
                let forwarder = tokio::spawn(forward(
                    jobs,
                    channel.clone(),
                    self.grant.clone(),
                    printers.clone(),
                    queue.clone(),
                ));
                let _ = channel
                    .send(&FromHost::Started {
                        id,
                        queue: queue.clone(),
                        description: description.clone(),
                    })
                    .await;
                *active = Some(Active {
                    printers,
                    queue,
                    description,
                    forwarder,
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot offer a printer");
                let _ = channel.send(&failed(id, &e)).await;
            }
        }
    }

    async fn refused(&mut self, message: FromViewer, channel: &Control) {
        let FromViewer::Start { id } = message;
        let _ = channel
            .send(&FromHost::Refused {
                id,
                what: "print".into(),
                permission: Permission::Print.name().into(),
            })
            .await;
    }
}

fn failed(id: u64, e: &PrintError) -> FromHost {
    FromHost::Failed {
        id,
        code: match e {
            PrintError::NoCups => ErrorCode::Unsupported,
            _ => ErrorCode::Local,
        },
        message: e.to_string(),
    }
}

fn may_print(grant: &watch::Receiver<LiveGrant>) -> bool {
    let g = *grant.borrow();
    g.revoked.is_none() && print::SPEC.allowed(g.permissions)
}

/// Send the queue's jobs to the viewer while the session may print; remove
/// the queue once it may not.
async fn forward(
    mut jobs: mpsc::Receiver<Job>,
    channel: Control,
    mut grant: watch::Receiver<LiveGrant>,
    printers: Printers,
    queue: String,
) {
    let mut number = 0u64;
    loop {
        tokio::select! {
            job = jobs.recv() => {
                let Some(job) = job else { break };
                if !may_print(&grant) {
                    let _ = job.done.send(Err("the session may not print".into()));
                    continue;
                }
                number += 1;
                let sent = send_job(&channel, number, &job).await;
                let _ = job.done.send(sent);
            }
            changed = grant.changed() => {
                // The session is ending: the router removes the queue.
                if changed.is_err() {
                    break;
                }
                if !may_print(&grant) {
                    tracing::info!(%queue, "the session may no longer print");
                    printers.remove(&queue).await;
                    let _ = channel
                        .send(&FromHost::Stopped {
                            reason: "the permission 'print' was withdrawn".into(),
                        })
                        .await;
                    break;
                }
            }
        }
    }
}

/// One job to the viewer: `job`, then its PDF in data frames.
async fn send_job(channel: &Control, number: u64, job: &Job) -> Result<(), String> {
    let gone = |_| "the viewer has left".to_string();
    channel
        .send(&FromHost::Job {
            job: number,
            title: job.title.chars().take(256).collect(),
            size: job.pdf.len() as u64,
        })
        .await
        .map_err(gone)?;
    for piece in job.pdf.chunks(FRAME_BYTES) {
        channel.wait_below(QUEUE_LIMIT).await;
        channel
            .send_raw(&print::data_frame(number, piece))
            .await
            .map_err(gone)?;
    }
    tracing::info!(
        job = number,
        bytes = job.pdf.len(),
        "sent a print job to the viewer"
    );
    Ok(())
}
