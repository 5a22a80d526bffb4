//! The viewer half of `files`: `session.files()`. One request at a time on
//! the channel (each carries an id its answers repeat; answers of another id,
//! left from a transfer that was given up, are skipped). Copies stream in
//! chunks, at most `WINDOW` bytes ahead of the receiver's acknowledgements, go to a
//! temporary name next to the target, are checked by SHA-256 and renamed
//! into place; repeated, they go on from the partial copy if its prefix
//! matches.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use latchkey_core::feature;
use latchkey_core::feature::files::{
    data_frame, part_name, resume_offset, sha256_hex, Entry, FromHost, FromViewer, ACK_EVERY,
    FRAME_CHUNK, WINDOW,
};
use latchkey_core::ErrorCode;

use super::Failure;
use crate::viewer::link::FeatureLink;
use crate::Error;

/// Why a file request failed.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The session's permissions do not allow it.
    #[error("the host does not allow {what} in this session (permission '{permission}')")]
    Refused {
        /// What was refused.
        what: String,
        /// The missing permission.
        permission: String,
    },
    /// The operation failed, on the host or here.
    #[error(transparent)]
    Failed(#[from] Failure),
    /// The session broke.
    #[error(transparent)]
    Broken(#[from] Error),
}

impl FilesError {
    /// Its code, for a program.
    pub fn code(&self) -> ErrorCode {
        match self {
            FilesError::Refused { .. } => ErrorCode::Permission,
            FilesError::Failed(f) => f.code,
            FilesError::Broken(Error::Ended(_)) => ErrorCode::SessionEnded,
            FilesError::Broken(_) => ErrorCode::Protocol,
        }
    }
}

/// What one copy moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    /// The file's size.
    pub size: u64,
    /// Bytes sent over the session this time.
    pub sent: u64,
    /// Bytes kept from an earlier try.
    pub resumed: u64,
}

/// The host's files (the host refuses without `file_manager`).
#[derive(Clone)]
pub struct Files {
    link: FeatureLink,
    next_id: Arc<AtomicU64>,
}

fn local(what: &Path, e: &std::io::Error) -> FilesError {
    Failure::io(&what.display().to_string(), e).into()
}

/// The temporary copy next to `path`.
fn part_of(path: &Path) -> Result<PathBuf, FilesError> {
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Failure::new(
            ErrorCode::BadInput,
            format!("{}: not a file name in UTF-8", path.display()),
        )
    })?;
    Ok(path.with_file_name(part_name(name)))
}

/// Hash the first `len` bytes of the file at `path` (off the runtime).
async fn hash_prefix(path: PathBuf, len: u64) -> Result<Sha256, FilesError> {
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        super::ops::hash_prefix(&mut file, len)
    })
    .await
    .map_err(|e| Failure::new(ErrorCode::Local, e.to_string()))?
    .map_err(|e| Failure::io("hashing a partial copy", &e).into())
}

impl Files {
    pub(crate) fn new(link: FeatureLink) -> Self {
        Files {
            link,
            next_id: Arc::new(AtomicU64::new(0)),
        }
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The host's next answer to request `id`.
    async fn answer(&self, id: u64) -> Result<FromHost, FilesError> {
        loop {
            let m = self.link.recv_with(feature::files::from_host).await?;
            if m.id() != id {
                continue;
            }
            return match m {
                FromHost::Refused {
                    what, permission, ..
                } => Err(FilesError::Refused { what, permission }),
                FromHost::Failed { code, message, .. } => Err(Failure::new(code, message).into()),
                m => Ok(m),
            };
        }
    }

    async fn done(&self, message: FromViewer) -> Result<(), FilesError> {
        let _turn = self.link.turn().await;
        let id = message.id();
        self.link.send(&message).await?;
        match self.answer(id).await? {
            FromHost::Done { .. } => Ok(()),
            _ => Err(Error::Protocol("an unexpected answer".into()).into()),
        }
    }

    /// A directory's entries (a file's own, for a file).
    pub async fn list(&self, path: &str) -> Result<Vec<Entry>, FilesError> {
        let _turn = self.link.turn().await;
        let id = self.id();
        let path = path.to_string();
        self.link.send(&FromViewer::List { id, path }).await?;
        let mut all = Vec::new();
        loop {
            match self.answer(id).await? {
                FromHost::Entries { entries, more, .. } => {
                    all.extend(entries);
                    if !more {
                        return Ok(all);
                    }
                }
                _ => return Err(Error::Protocol("an unexpected answer".into()).into()),
            }
        }
    }

    /// One path's entry (a final symlink is not followed).
    pub async fn stat(&self, path: &str) -> Result<Entry, FilesError> {
        let _turn = self.link.turn().await;
        let id = self.id();
        let path = path.to_string();
        self.link.send(&FromViewer::Stat { id, path }).await?;
        match self.answer(id).await? {
            FromHost::Entry { entry, .. } => Ok(entry),
            _ => Err(Error::Protocol("an unexpected answer".into()).into()),
        }
    }

    /// Make a directory.
    pub async fn mkdir(&self, path: &str) -> Result<(), FilesError> {
        let id = self.id();
        self.done(FromViewer::Mkdir {
            id,
            path: path.into(),
        })
        .await
    }

    /// Remove a path (a tree with `recursive`).
    pub async fn remove(&self, path: &str, recursive: bool) -> Result<(), FilesError> {
        let id = self.id();
        self.done(FromViewer::Remove {
            id,
            path: path.into(),
            recursive,
        })
        .await
    }

    /// Rename within the host.
    pub async fn rename(&self, from: &str, to: &str) -> Result<(), FilesError> {
        let id = self.id();
        self.done(FromViewer::Rename {
            id,
            from: from.into(),
            to: to.into(),
        })
        .await
    }

    /// Make a symlink on the host.
    pub async fn symlink(&self, path: &str, target: &str) -> Result<(), FilesError> {
        let id = self.id();
        self.done(FromViewer::Symlink {
            id,
            path: path.into(),
            target: target.into(),
        })
        .await
    }

    /// Copy the local regular file `from` to `to` on the host; `progress`
    /// hears each chunk's size as it leaves.
    pub async fn upload(
        &self,
        from: &Path,
        to: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Copied, FilesError> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = tokio::fs::symlink_metadata(from)
            .await
            .map_err(|e| local(from, &e))?;
        if meta.is_dir() {
            return Err(Failure::new(
                ErrorCode::IsDirectory,
                format!("{}: is a directory (use -r)", from.display()),
            )
            .into());
        }
        if !meta.is_file() {
            return Err(Failure::new(
                ErrorCode::BadInput,
                format!("{}: not a regular file", from.display()),
            )
            .into());
        }
        let size = meta.len();
        let _turn = self.link.turn().await;
        let id = self.id();
        self.link
            .send(&FromViewer::Write {
                id,
                path: to.to_string(),
                size,
                mode: meta.permissions().mode() & 0o7777,
                mtime: Some(meta.mtime()),
            })
            .await?;
        let FromHost::Ready {
            partial, sha256, ..
        } = self.answer(id).await?
        else {
            return Err(Error::Protocol("an unexpected answer".into()).into());
        };
        let (mut offset, mut hasher) = (0, Sha256::new());
        if partial > 0 && partial <= size {
            let prefix = hash_prefix(from.to_path_buf(), partial).await?;
            offset = resume_offset(size, partial, &sha256, &sha256_hex(&prefix));
            if offset > 0 {
                hasher = prefix;
            }
        }
        self.link.send(&FromViewer::Resume { id, offset }).await?;
        let file = tokio::fs::File::open(from)
            .await
            .map_err(|e| local(from, &e))?;
        let mut file = tokio::io::BufReader::with_capacity(1024 * 1024, file);
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| local(from, &e))?;
        let (resumed, mut acked, mut sent) = (offset, offset, offset);
        let window = WINDOW;
        let mut buf = vec![0u8; FRAME_CHUNK];
        while sent < size {
            while sent - acked >= window {
                match self.answer(id).await? {
                    FromHost::Ack { offset, .. } => acked = acked.max(offset),
                    _ => return Err(Error::Protocol("an unexpected answer".into()).into()),
                }
            }
            let want =
                usize::try_from((size - sent).min(FRAME_CHUNK as u64)).unwrap_or(FRAME_CHUNK);
            file.read_exact(&mut buf[..want])
                .await
                .map_err(|e| local(from, &e))?;
            hasher.update(&buf[..want]);
            self.link
                .send_raw(&data_frame(id, sent, &buf[..want]))
                .await?;
            sent += want as u64;
            progress(want as u64);
        }
        let sha256 = sha256_hex(&hasher);
        self.link.send(&FromViewer::Commit { id, sha256 }).await?;
        loop {
            match self.answer(id).await? {
                FromHost::Ack { .. } => {}
                FromHost::Done { .. } => break,
                _ => return Err(Error::Protocol("an unexpected answer".into()).into()),
            }
        }
        Ok(Copied {
            size,
            sent: size - resumed,
            resumed,
        })
    }

    /// Copy the host's regular file `from` to the local path `to`.
    pub async fn download(
        &self,
        from: &str,
        to: &Path,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Copied, FilesError> {
        if tokio::fs::symlink_metadata(to)
            .await
            .is_ok_and(|m| m.is_dir())
        {
            return Err(Failure::new(
                ErrorCode::IsDirectory,
                format!("{}: is a directory", to.display()),
            )
            .into());
        }
        let part = part_of(to)?;
        let partial = match tokio::fs::symlink_metadata(&part).await {
            Ok(m) if m.is_file() => m.len(),
            _ => 0,
        };
        let prefix = if partial > 0 {
            Some(hash_prefix(part.clone(), partial).await?)
        } else {
            None
        };
        let _turn = self.link.turn().await;
        let id = self.id();
        self.link
            .send(&FromViewer::Read {
                id,
                path: from.to_string(),
                offset: partial,
                prefix_sha256: prefix.as_ref().map(sha256_hex),
            })
            .await?;
        let FromHost::Opened {
            size,
            offset,
            mode,
            mtime,
            ..
        } = self.answer(id).await?
        else {
            return Err(Error::Protocol("an unexpected answer".into()).into());
        };
        let mut hasher = match prefix {
            Some(h) if offset == partial && offset > 0 => h,
            _ => Sha256::new(),
        };
        let mut options = tokio::fs::OpenOptions::new();
        options
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW);
        let file = options.open(&part).await.map_err(|e| local(to, &e))?;
        file.set_len(offset).await.map_err(|e| local(to, &e))?;
        let mut file = tokio::io::BufWriter::with_capacity(1024 * 1024, file);
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| local(to, &e))?;
        let fail = |e: FilesError, part: &Path| {
            if e.code() == ErrorCode::NoSpace {
                let _ = std::fs::remove_file(part);
            }
            e
        };
        let (mut at, mut chunks) = (offset, 0u64);
        let sha256 = loop {
            match self.answer(id).await? {
                FromHost::Data {
                    offset: o, data, ..
                } => {
                    let bytes = data.0;
                    if o != at || at + bytes.len() as u64 > size {
                        return Err(Error::Protocol("a bad chunk from the host".into()).into());
                    }
                    file.write_all(&bytes)
                        .await
                        .map_err(|e| fail(local(to, &e), &part))?;
                    hasher.update(&bytes);
                    at += bytes.len() as u64;
                    chunks += 1;
                    progress(bytes.len() as u64);
                    if chunks % ACK_EVERY == 0 {
                        self.link.send(&FromViewer::Ack { id, offset: at }).await?;
                    }
                }
                FromHost::Eof { sha256, .. } => break sha256,
                _ => return Err(Error::Protocol("an unexpected answer".into()).into()),
            }
        };
        file.flush().await.map_err(|e| fail(local(to, &e), &part))?;
        let file = file.into_inner();
        if at != size || !sha256_hex(&hasher).eq_ignore_ascii_case(&sha256) {
            drop(file);
            let _ = tokio::fs::remove_file(&part).await;
            return Err(Failure::new(
                ErrorCode::Protocol,
                format!("{from}: the SHA-256 does not match: nothing kept"),
            )
            .into());
        }
        let std_file = file.into_std().await;
        let (part2, to2) = (part.clone(), to.to_path_buf());
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::PermissionsExt;
            std_file.set_permissions(std::fs::Permissions::from_mode(mode & 0o777))?;
            if let Ok(t) = u64::try_from(mtime) {
                std_file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t))?;
            }
            std_file.sync_all()?;
            drop(std_file);
            std::fs::rename(&part2, &to2)?;
            if let Some(parent) = to2.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::File::open(parent)?.sync_all()?;
            }
            Ok::<_, std::io::Error>(())
        })
        .await
        .map_err(|e| Failure::new(ErrorCode::Local, e.to_string()))?
        .map_err(|e| local(to, &e))?;
        Ok(Copied {
            size,
            sent: size - offset,
            resumed: offset,
        })
    }
}
