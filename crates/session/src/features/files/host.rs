//! The host half of `files`: each request becomes file operations for the
//! session's worker (with the desktop user's rights, see [`super::worker`]);
//! a read streams from its own task, at most `WINDOW` bytes ahead of the
//! viewer's acknowledgements and with SCTP's send queue kept short.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;

use latchkey_core::feature::clipboard_files::{asks, passes_through, Asks};
use latchkey_core::feature::files::{
    data_frame, pack_entries, FromHost, FromViewer, HostPath, ACK_EVERY, FRAME_CHUNK, WINDOW,
};
use latchkey_core::feature::{self, FeatureSpec, WireError};
use latchkey_core::permission::{Permission, PermissionSet};
use latchkey_core::ErrorCode;

use super::shared::SessionFiles;
use super::worker::{Op, Reply, Worker};
use super::Failure;
use crate::host::feature_host::{FeatureContext, FeatureHost, Gate};
use crate::transport::peer::Control;

/// Bytes SCTP may hold unsent for a read before the sender waits.
const QUEUE_LIMIT: usize = 4 * 1024 * 1024;

/// A write going on: chunks are gathered and handed to the worker
/// [`ACK_EVERY`] at a time (then acknowledged), not one by one.
struct Pending {
    /// The file's size.
    size: u64,
    /// Where the gathered bytes start.
    at: u64,
    /// Where the next chunk must start.
    next: u64,
    /// The gathered bytes.
    buf: Vec<u8>,
    /// Chunks received.
    chunks: u64,
}

/// One session's file manager.
pub(crate) struct FilesHost {
    /// The session's context (the drop log).
    ctx: FeatureContext,
    /// The session's worker (started on the first allowed request) and
    /// what `clipboard_files` alone opens.
    files: SessionFiles,
    /// Reads going on: the viewer's acknowledged offset.
    reads: HashMap<u64, watch::Sender<u64>>,
    /// Writes going on.
    writes: HashMap<u64, Pending>,
    /// The reads' tasks (aborted with the session).
    tasks: JoinSet<()>,
}

async fn failed(channel: &Control, id: u64, f: Failure) {
    let _ = channel
        .send(&FromHost::Failed {
            id,
            code: f.code,
            message: f.message,
        })
        .await;
}

fn unexpected() -> Failure {
    Failure::new(ErrorCode::Local, "an unexpected reply from the file worker")
}

/// Whether a request may go ahead under `clipboard_files` alone.
enum InScope {
    Yes,
    No,
    /// It could not be told (the worker did not start).
    Failed(Failure),
}

impl FilesHost {
    async fn worker(&mut self) -> Result<Arc<Worker>, Failure> {
        self.files.worker().await
    }

    /// The rule of `clipboard_files` alone (`latchkey_core::feature::clipboard_files`):
    /// the named paths and the staging folder, never through a link below them.
    async fn in_scope(&self, message: &FromViewer) -> InScope {
        let (reach, wire) = match asks(message) {
            Asks::Transfer => return InScope::Yes,
            Asks::Never => return InScope::No,
            Asks::Path(reach, wire) => (reach, wire),
        };
        let Ok(path) = HostPath::parse(wire) else {
            return InScope::No;
        };
        let from = self.files.scope().allows(reach, &path);
        let Some(from) = from else {
            return InScope::No;
        };
        match self.files.real_dirs(&passes_through(&from, &path)).await {
            Ok(true) => InScope::Yes,
            Ok(false) => InScope::No,
            Err(f) => InScope::Failed(f),
        }
    }

    /// Carry out one request (a failure is answered by the caller).
    async fn carry_out(&mut self, message: FromViewer, channel: &Control) -> Result<(), Failure> {
        let id = message.id();
        match &message {
            FromViewer::Ack { offset, .. } => {
                if let Some(acked) = self.reads.get(&id) {
                    acked.send_if_modified(|a| {
                        let more = *offset > *a;
                        *a = (*a).max(*offset);
                        more
                    });
                }
                return Ok(());
            }
            FromViewer::Cancel { .. } => {
                // A read's task sees its sender gone and stops.
                self.reads.remove(&id);
                if self.writes.remove(&id).is_some() {
                    if let Some(w) = self.files.running().await {
                        let _ = w.call(Op::Close { h: id }).await;
                    }
                }
                return Ok(());
            }
            _ => {}
        }
        let worker = self.worker().await?;
        let done = FromHost::Done { id };
        match message {
            FromViewer::List { path, .. } => {
                let Reply::Entries { entries } = worker.call(Op::List { path }).await? else {
                    return Err(unexpected());
                };
                let pieces = pack_entries(entries);
                let last = pieces.len().saturating_sub(1);
                for (i, entries) in pieces.into_iter().enumerate() {
                    let more = i < last;
                    let _ = channel.send(&FromHost::Entries { id, entries, more }).await;
                }
            }
            FromViewer::Stat { path, .. } => {
                let Reply::Entry { entry } = worker.call(Op::Stat { path }).await? else {
                    return Err(unexpected());
                };
                let _ = channel.send(&FromHost::Entry { id, entry }).await;
            }
            FromViewer::Mkdir { path, .. } => {
                worker.call(Op::Mkdir { path }).await?;
                let _ = channel.send(&done).await;
            }
            FromViewer::Remove {
                path, recursive, ..
            } => {
                worker.call(Op::Remove { path, recursive }).await?;
                let _ = channel.send(&done).await;
            }
            FromViewer::Rename { from, to, .. } => {
                worker.call(Op::Rename { from, to }).await?;
                let _ = channel.send(&done).await;
            }
            FromViewer::Symlink { path, target, .. } => {
                worker.call(Op::Symlink { path, target }).await?;
                let _ = channel.send(&done).await;
            }
            FromViewer::Read {
                path,
                offset,
                prefix_sha256,
                ..
            } => {
                let op = Op::OpenRead {
                    h: id,
                    path,
                    offset,
                    prefix: prefix_sha256,
                };
                let Reply::Opened {
                    size,
                    start,
                    mode,
                    mtime,
                } = worker.call(op).await?
                else {
                    return Err(unexpected());
                };
                let _ = channel
                    .send(&FromHost::Opened {
                        id,
                        size,
                        offset: start,
                        mode,
                        mtime,
                    })
                    .await;
                let (acked_tx, acked) = watch::channel(start);
                self.reads.insert(id, acked_tx);
                let read = Read {
                    worker,
                    channel: channel.clone(),
                    id,
                    size,
                    start,
                };
                self.tasks.spawn(read.run(acked));
            }
            FromViewer::Write {
                path,
                size,
                mode,
                mtime,
                ..
            } => {
                let op = Op::OpenWrite {
                    h: id,
                    path,
                    size,
                    mode,
                    mtime,
                };
                let Reply::Ready { partial, sha256 } = worker.call(op).await? else {
                    return Err(unexpected());
                };
                let pending = Pending {
                    size,
                    at: 0,
                    next: 0,
                    buf: Vec::new(),
                    chunks: 0,
                };
                self.writes.insert(id, pending);
                let _ = channel
                    .send(&FromHost::Ready {
                        id,
                        partial,
                        sha256,
                    })
                    .await;
            }
            FromViewer::Resume { offset, .. } => {
                self.known(id)?;
                if let Err(f) = worker.call(Op::Resume { h: id, offset }).await {
                    self.writes.remove(&id);
                    return Err(f);
                }
                if let Some(p) = self.writes.get_mut(&id) {
                    (p.at, p.next) = (offset, offset);
                }
            }
            FromViewer::Data { offset, data, .. } => {
                self.known(id)?;
                let Some(p) = self.writes.get_mut(&id) else {
                    return Ok(());
                };
                let bytes = data.0;
                if offset != p.next || p.next + bytes.len() as u64 > p.size {
                    self.writes.remove(&id);
                    let _ = worker.call(Op::Close { h: id }).await;
                    return Err(Failure::new(
                        ErrorCode::Protocol,
                        "a malformed or misplaced chunk",
                    ));
                };
                p.buf.extend_from_slice(&bytes);
                p.next += bytes.len() as u64;
                p.chunks += 1;
                if p.chunks % ACK_EVERY == 0 || p.next == p.size {
                    let (at, end) = (p.at, p.next);
                    p.at = end;
                    let data = std::mem::take(&mut p.buf);
                    if let Err(f) = worker
                        .call(Op::Write {
                            h: id,
                            offset: at,
                            data,
                        })
                        .await
                    {
                        self.writes.remove(&id);
                        return Err(f);
                    }
                    let _ = channel.send(&FromHost::Ack { id, offset: end }).await;
                }
            }
            FromViewer::Commit { sha256, .. } => {
                self.known(id)?;
                if let Some(p) = self.writes.remove(&id) {
                    if !p.buf.is_empty() {
                        let op = Op::Write {
                            h: id,
                            offset: p.at,
                            data: p.buf,
                        };
                        worker.call(op).await?;
                    }
                }
                worker.call(Op::Commit { h: id, sha256 }).await?;
                let _ = channel.send(&done).await;
            }
            FromViewer::Ack { .. } | FromViewer::Cancel { .. } => {}
        }
        Ok(())
    }

    /// A write going on, or a failure (answered once: data after a failed
    /// write is dropped quietly, see [`FeatureHost::handle`]).
    fn known(&self, id: u64) -> Result<(), Failure> {
        if self.writes.contains_key(&id) {
            Ok(())
        } else {
            Err(Failure::new(ErrorCode::Protocol, "no such transfer"))
        }
    }
}

/// A read streaming to the viewer.
struct Read {
    worker: Arc<Worker>,
    channel: Control,
    id: u64,
    size: u64,
    start: u64,
}

impl Read {
    /// Stream within the window the viewer's acknowledgements open, then `eof`.
    async fn run(self, mut acked: watch::Receiver<u64>) {
        let (id, size) = (self.id, self.size);
        let mut offset = self.start;
        let window = WINDOW;
        let outcome = async {
            while offset < size {
                let a = match acked.wait_for(|a| offset.saturating_sub(*a) < window).await {
                    Ok(a) => *a,
                    Err(_) => return Ok(false), // Cancelled, or the session ended.
                };
                let room = (window - offset.saturating_sub(a)) / FRAME_CHUNK as u64;
                let n = usize::try_from(room.clamp(1, 16)).unwrap_or(1);
                let Reply::Chunks { chunks } =
                    self.worker.call(Op::ReadChunks { h: id, n }).await?
                else {
                    return Err(unexpected());
                };
                if chunks.is_empty() {
                    break;
                }
                self.channel.wait_below(QUEUE_LIMIT).await;
                for c in chunks {
                    let sent = self.channel.send_raw(&data_frame(id, offset, &c)).await;
                    if sent.is_err() {
                        return Ok(false);
                    }
                    offset += c.len() as u64;
                }
            }
            if offset != size {
                return Err(Failure::new(
                    ErrorCode::Local,
                    "the file changed size while it was read",
                ));
            }
            let Reply::Sha { sha256 } = self.worker.call(Op::ReadSha { h: id }).await? else {
                return Err(unexpected());
            };
            let _ = self.channel.send(&FromHost::Eof { id, sha256 }).await;
            Ok(true)
        }
        .await;
        let _ = self.worker.call(Op::Close { h: id }).await;
        if let Err(f) = outcome {
            failed(&self.channel, id, f).await;
        }
    }
}

fn refusal(id: u64, what: &str) -> FromHost {
    FromHost::Refused {
        id,
        what: what.into(),
        permission: feature::files::SPEC
            .permission()
            .map(|p| p.name())
            .unwrap_or_default()
            .into(),
    }
}

impl FeatureHost for FilesHost {
    const SPEC: &'static FeatureSpec = &feature::files::SPEC;
    type FromViewer = FromViewer;

    fn new(ctx: &FeatureContext) -> Self {
        FilesHost {
            ctx: ctx.clone(),
            files: ctx.files.clone(),
            reads: HashMap::new(),
            writes: HashMap::new(),
            tasks: JoinSet::new(),
        }
    }

    fn decode(bytes: &[u8]) -> Result<FromViewer, WireError> {
        feature::files::from_viewer(bytes)
    }

    fn gate(message: &FromViewer) -> Gate {
        match message {
            FromViewer::Cancel { .. } => Gate::Free,
            FromViewer::Ack { .. }
            | FromViewer::Resume { .. }
            | FromViewer::Data { .. }
            | FromViewer::Commit { .. } => Gate::Quiet,
            m => Gate::Checked(m.kind()),
        }
    }

    async fn handle(&mut self, message: FromViewer, allowed: PermissionSet, channel: &Control) {
        let id = message.id();
        // Data of a write that already failed is dropped quietly (the
        // failure was answered once).
        let stale = matches!(message, FromViewer::Data { .. }) && !self.writes.contains_key(&id);
        if stale {
            return;
        }
        if !allowed.contains(Permission::FileManager) {
            // The channel is open through `clipboard_files`: only its scope.
            match self.in_scope(&message).await {
                InScope::Yes => {}
                InScope::No => {
                    let (ctx, kind) = (&self.ctx, message.kind());
                    ctx.drops
                        .drop_message(&ctx.shared, &ctx.viewer, kind, Permission::FileManager);
                    self.refused(message, channel).await;
                    return;
                }
                InScope::Failed(f) => {
                    failed(channel, id, f).await;
                    return;
                }
            }
        }
        if let Err(f) = self.carry_out(message, channel).await {
            failed(channel, id, f).await;
        }
        // Forget the tasks that ended.
        while self.tasks.try_join_next().is_some() {}
    }

    async fn refused(&mut self, message: FromViewer, channel: &Control) {
        let id = message.id();
        self.reads.remove(&id);
        if self.writes.remove(&id).is_some() {
            if let Some(w) = self.files.running().await {
                let _ = w.call(Op::Close { h: id }).await;
            }
        }
        match message {
            FromViewer::Data { .. } | FromViewer::Ack { .. } | FromViewer::Resume { .. } => {}
            m => {
                let _ = channel.send(&refusal(id, m.kind())).await;
            }
        }
    }
}
