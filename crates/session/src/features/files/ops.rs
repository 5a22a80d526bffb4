//! The host's file operations, blocking, run on the session's file thread
//! (see [`super::worker`]) with the desktop user's rights. Paths come off
//! the wire and are read again with `HostPath::parse` (no `..`, no control
//! characters); symlinks are described and copied as links, never followed
//! at the end of a path.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use latchkey_core::feature::files::{
    is_part_name, part_name, sha256_hex, Base, Entry, HostPath, Kind, FRAME_CHUNK,
};
use latchkey_core::ErrorCode;

use super::Failure;

/// A wire path made real: under `home`, or from the root.
pub(crate) fn resolve(home: &Path, wire: &str) -> Result<PathBuf, Failure> {
    let path =
        HostPath::parse(wire).map_err(|e| Failure::new(ErrorCode::BadInput, e.to_string()))?;
    let mut out = match path.base {
        Base::Home => home.to_path_buf(),
        Base::Root => PathBuf::from("/"),
    };
    out.extend(&path.parts);
    Ok(out)
}

fn entry_of(name: &std::ffi::OsStr, path: &Path, meta: &fs::Metadata) -> Entry {
    let kind = if meta.file_type().is_symlink() {
        Kind::Symlink
    } else if meta.is_dir() {
        Kind::Dir
    } else if meta.is_file() {
        Kind::File
    } else {
        Kind::Other
    };
    let target = (kind == Kind::Symlink)
        .then(|| fs::read_link(path).ok())
        .flatten()
        .map(|t| t.to_string_lossy().into_owned());
    Entry {
        name: name.to_string_lossy().into_owned(),
        kind,
        size: meta.len(),
        mode: meta.mode() & 0o7777,
        mtime: meta.mtime(),
        target,
        valid_name: name.to_str().is_some(),
    }
}

/// Describe one path (a final symlink is described, not followed).
pub(crate) fn stat(home: &Path, wire: &str) -> Result<Entry, Failure> {
    let path = resolve(home, wire)?;
    let meta = fs::symlink_metadata(&path).map_err(|e| Failure::io(wire, &e))?;
    let name = path.file_name().unwrap_or(path.as_os_str()).to_owned();
    Ok(entry_of(&name, &path, &meta))
}

/// A directory's entries (without our temporary copies), or a file's own.
pub(crate) fn list(home: &Path, wire: &str) -> Result<Vec<Entry>, Failure> {
    let path = resolve(home, wire)?;
    let meta = fs::symlink_metadata(&path).map_err(|e| Failure::io(wire, &e))?;
    if !meta.is_dir() {
        return Ok(vec![stat(home, wire)?]);
    }
    let mut out = Vec::new();
    for item in fs::read_dir(&path).map_err(|e| Failure::io(wire, &e))? {
        let item = item.map_err(|e| Failure::io(wire, &e))?;
        let name = item.file_name();
        if name.to_str().is_some_and(is_part_name) {
            continue;
        }
        let p = item.path();
        if let Ok(meta) = fs::symlink_metadata(&p) {
            out.push(entry_of(&name, &p, &meta));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Make a directory.
pub(crate) fn mkdir(home: &Path, wire: &str) -> Result<(), Failure> {
    let path = resolve(home, wire)?;
    fs::create_dir(&path).map_err(|e| Failure::io(wire, &e))
}

/// Remove a file, a link, an empty directory, or a tree (`recursive`; links
/// in it are removed, never followed).
pub(crate) fn remove(home: &Path, wire: &str, recursive: bool) -> Result<(), Failure> {
    let path = resolve(home, wire)?;
    if path == home || path == Path::new("/") {
        return Err(Failure::new(
            ErrorCode::BadInput,
            format!("{wire}: refusing to remove the home or the root"),
        ));
    }
    let meta = fs::symlink_metadata(&path).map_err(|e| Failure::io(wire, &e))?;
    let done = if meta.is_dir() && recursive {
        fs::remove_dir_all(&path)
    } else if meta.is_dir() {
        fs::remove_dir(&path)
    } else {
        fs::remove_file(&path)
    };
    done.map_err(|e| Failure::io(wire, &e))
}

/// Rename `from` to `to` (into `to` when it is a directory, like `mv`).
pub(crate) fn rename(home: &Path, from: &str, to: &str) -> Result<(), Failure> {
    let old = resolve(home, from)?;
    let mut new = resolve(home, to)?;
    fs::symlink_metadata(&old).map_err(|e| Failure::io(from, &e))?;
    if fs::symlink_metadata(&new).is_ok_and(|m| m.is_dir()) {
        if let Some(name) = old.file_name() {
            new.push(name);
        }
    }
    fs::rename(&old, &new).map_err(|e| Failure::io(to, &e))
}

/// Make a symlink `wire` -> `target` (replacing a file or link there).
pub(crate) fn symlink(home: &Path, wire: &str, target: &str) -> Result<(), Failure> {
    let path = resolve(home, wire)?;
    if target.is_empty() || target.contains('\0') {
        return Err(Failure::new(ErrorCode::BadInput, "a bad symlink target"));
    }
    if let Ok(meta) = fs::symlink_metadata(&path) {
        if meta.is_dir() {
            return Err(Failure::new(
                ErrorCode::IsDirectory,
                format!("{wire}: is a directory"),
            ));
        }
        fs::remove_file(&path).map_err(|e| Failure::io(wire, &e))?;
    }
    std::os::unix::fs::symlink(target, &path).map_err(|e| Failure::io(wire, &e))
}

/// Hash the first `len` bytes of `file` from its start (both halves use it:
/// the host for its partial copies, the viewer for its own).
pub(super) fn hash_prefix(file: &mut File, len: u64) -> std::io::Result<Sha256> {
    file.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut left = len;
    let mut buf = vec![0u8; 256 * 1024];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(hasher)
}

/// A file being read for the viewer.
pub(crate) struct Reading {
    file: File,
    /// The hash of everything before the next chunk.
    hasher: Sha256,
    /// The file's size when opened.
    pub size: u64,
    /// Where the data starts.
    pub start: u64,
    /// Permission bits and mtime.
    pub mode: u32,
    pub mtime: i64,
}

/// Open a regular file to read from `offset` if its first `offset` bytes
/// hash to `prefix` (else from 0). A final symlink is not followed.
pub(crate) fn open_read(
    home: &Path,
    wire: &str,
    offset: u64,
    prefix: Option<&str>,
) -> Result<Reading, Failure> {
    let path = resolve(home, wire)?;
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| Failure::io(wire, &e))?;
    let meta = file.metadata().map_err(|e| Failure::io(wire, &e))?;
    if meta.is_dir() {
        return Err(Failure::new(
            ErrorCode::IsDirectory,
            format!("{wire}: is a directory (use -r)"),
        ));
    }
    if !meta.is_file() {
        return Err(Failure::new(
            ErrorCode::BadInput,
            format!("{wire}: not a regular file"),
        ));
    }
    let size = meta.len();
    let (start, hasher) = match prefix {
        Some(want) if offset > 0 && offset <= size => {
            let h = hash_prefix(&mut file, offset).map_err(|e| Failure::io(wire, &e))?;
            if sha256_hex(&h).eq_ignore_ascii_case(want) {
                (offset, h)
            } else {
                (0, Sha256::new())
            }
        }
        _ => (0, Sha256::new()),
    };
    file.seek(SeekFrom::Start(start))
        .map_err(|e| Failure::io(wire, &e))?;
    Ok(Reading {
        file,
        hasher,
        size,
        start,
        mode: meta.mode() & 0o7777,
        mtime: meta.mtime(),
    })
}

impl Reading {
    /// Up to `n` chunks from where it is (fewer at the end of the file).
    pub fn chunks(&mut self, n: usize) -> std::io::Result<Vec<Vec<u8>>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut buf = vec![0u8; FRAME_CHUNK];
            let mut got = 0;
            while got < FRAME_CHUNK {
                let k = self.file.read(&mut buf[got..])?;
                if k == 0 {
                    break;
                }
                got += k;
            }
            if got == 0 {
                break;
            }
            buf.truncate(got);
            self.hasher.update(&buf);
            out.push(buf);
            if got < FRAME_CHUNK {
                break;
            }
        }
        Ok(out)
    }

    /// The hash of everything read (with the prefix).
    pub fn sha256(&self) -> String {
        sha256_hex(&self.hasher)
    }
}

/// Which write owns each temporary copy now, for the whole host process: a
/// write repeated while the session of the one it repeats still lingers
/// (its viewer was killed, the host has not noticed yet) takes the copy
/// over, and the older one can no longer touch it.
static CLAIMS: Mutex<BTreeMap<PathBuf, u64>> = Mutex::new(BTreeMap::new());
static NEXT_CLAIM: AtomicU64 = AtomicU64::new(1);

fn claims() -> std::sync::MutexGuard<'static, BTreeMap<PathBuf, u64>> {
    CLAIMS.lock().unwrap_or_else(|p| p.into_inner())
}

fn superseded(wire: &str) -> Failure {
    Failure::new(
        ErrorCode::Exists,
        format!("{wire}: another copy of the same file took over"),
    )
}

/// A file being written for the viewer: its temporary copy next to it.
pub(crate) struct Writing {
    /// As the viewer named it.
    pub wire: String,
    /// Its real name.
    pub path: PathBuf,
    /// The temporary copy.
    pub part: PathBuf,
    /// The file's size, mode, mtime as the viewer gave them.
    pub size: u64,
    pub mode: u32,
    pub mtime: Option<i64>,
    /// The temporary copy's length found at the start, and its hash.
    pub partial: u64,
    partial_hash: Sha256,
    /// Once going on: the open copy, its hash so far and where the next byte goes.
    file: Option<File>,
    hasher: Sha256,
    /// Where the next byte goes.
    pub offset: u64,
    /// Its claim on the temporary copy.
    claim: u64,
}

impl Drop for Writing {
    fn drop(&mut self) {
        let mut claims = claims();
        if claims.get(&self.part) == Some(&self.claim) {
            claims.remove(&self.part);
        }
    }
}

fn open_part(part: &Path, create: bool) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(part)
}

/// Start writing `wire`: check where it goes, find a temporary copy left by
/// an earlier try (a regular file; its length and hash are the answer).
pub(crate) fn open_write(
    home: &Path,
    wire: &str,
    size: u64,
    mode: u32,
    mtime: Option<i64>,
) -> Result<Writing, Failure> {
    let path = resolve(home, wire)?;
    let name = HostPath::parse(wire)
        .ok()
        .and_then(|p| p.name().map(str::to_string))
        .ok_or_else(|| Failure::new(ErrorCode::BadInput, format!("{wire}: names no file")))?;
    let parent = path.parent().unwrap_or(Path::new("/")).to_path_buf();
    let pmeta = fs::metadata(&parent).map_err(|e| Failure::io(wire, &e))?;
    if !pmeta.is_dir() {
        return Err(Failure::new(
            ErrorCode::NotDirectory,
            format!("{wire}: its parent is not a directory"),
        ));
    }
    if let Ok(meta) = fs::symlink_metadata(&path) {
        if meta.is_dir() {
            return Err(Failure::new(
                ErrorCode::IsDirectory,
                format!("{wire}: is a directory"),
            ));
        }
    }
    let part = parent.join(part_name(&name));
    let claim = NEXT_CLAIM.fetch_add(1, Ordering::Relaxed);
    claims().insert(part.clone(), claim);
    let (partial, partial_hash) = match open_part(&part, false) {
        Ok(mut f) => match f.metadata() {
            Ok(m) if m.is_file() && m.len() <= size => {
                let h = hash_prefix(&mut f, m.len()).map_err(|e| Failure::io(wire, &e))?;
                (m.len(), h)
            }
            _ => (0, Sha256::new()),
        },
        Err(_) => (0, Sha256::new()),
    };
    Ok(Writing {
        wire: wire.to_string(),
        path,
        part,
        size,
        mode,
        mtime,
        partial,
        partial_hash,
        file: None,
        hasher: Sha256::new(),
        offset: 0,
        claim,
    })
}

impl Writing {
    /// The hash of the temporary copy found at the start.
    pub fn partial_sha256(&self) -> String {
        sha256_hex(&self.partial_hash)
    }

    /// Go on from `offset`: the copy's length found (kept), or 0 (start over).
    pub fn resume(&mut self, offset: u64) -> Result<(), Failure> {
        let keep = offset > 0 && offset == self.partial;
        if offset != 0 && !keep {
            return Err(Failure::new(
                ErrorCode::Protocol,
                "a resume from another offset than the partial copy's",
            ));
        }
        let claims = claims();
        if claims.get(&self.part) != Some(&self.claim) {
            return Err(superseded(&self.wire));
        }
        let mut file = open_part(&self.part, true).map_err(|e| Failure::io(&self.wire, &e))?;
        let meta = file.metadata().map_err(|e| Failure::io(&self.wire, &e))?;
        if !meta.is_file() {
            return Err(Failure::new(
                ErrorCode::BadInput,
                format!("{}: its temporary copy is not a file", self.wire),
            ));
        }
        file.set_len(offset)
            .and_then(|_| file.seek(SeekFrom::Start(offset)))
            .map_err(|e| Failure::io(&self.wire, &e))?;
        self.hasher = if keep {
            self.partial_hash.clone()
        } else {
            Sha256::new()
        };
        self.offset = offset;
        self.file = Some(file);
        Ok(())
    }

    /// Write the chunk that goes at `offset` (the next one, in order).
    pub fn write(&mut self, offset: u64, bytes: &[u8]) -> Result<(), Failure> {
        let Some(file) = self.file.as_mut() else {
            return Err(Failure::new(ErrorCode::Protocol, "data before resume"));
        };
        if offset != self.offset || offset + bytes.len() as u64 > self.size {
            return Err(Failure::new(
                ErrorCode::Protocol,
                "data out of order or past the file's size",
            ));
        }
        let claims = claims();
        if claims.get(&self.part) != Some(&self.claim) {
            return Err(superseded(&self.wire));
        }
        if let Err(e) = file.write_all(bytes) {
            let failure = Failure::io(&self.wire, &e);
            if failure.code == ErrorCode::NoSpace {
                // Nothing half-written is kept on a full disk.
                let _ = fs::remove_file(&self.part);
            }
            return Err(failure);
        }
        self.hasher.update(bytes);
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Check the whole file's hash, then fsync, give it its mode and mtime
    /// and rename it into place. On a mismatch the copy is removed.
    pub fn commit(&mut self, sha256: &str) -> Result<(), Failure> {
        let Some(file) = self.file.take() else {
            return Err(Failure::new(ErrorCode::Protocol, "commit before resume"));
        };
        let fail = |f: Failure, part: &Path| {
            let _ = fs::remove_file(part);
            Err(f)
        };
        if self.offset != self.size {
            return fail(
                Failure::new(ErrorCode::Protocol, "commit before the last byte"),
                &self.part,
            );
        }
        if !sha256_hex(&self.hasher).eq_ignore_ascii_case(sha256) {
            return fail(
                Failure::new(
                    ErrorCode::Protocol,
                    format!("{}: the SHA-256 does not match: nothing kept", self.wire),
                ),
                &self.part,
            );
        }
        let claims = claims();
        if claims.get(&self.part) != Some(&self.claim) {
            return Err(superseded(&self.wire));
        }
        let done = (|| {
            file.set_permissions(fs::Permissions::from_mode(self.mode & 0o777))?;
            if let Some(t) = self.mtime.and_then(|s| u64::try_from(s).ok()) {
                file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t))?;
            }
            file.sync_all()?;
            drop(file);
            fs::rename(&self.part, &self.path)?;
            if let Some(parent) = self.path.parent() {
                File::open(parent)?.sync_all()?;
            }
            Ok::<_, std::io::Error>(())
        })();
        match done {
            Ok(()) => Ok(()),
            Err(e) => fail(Failure::io(&self.wire, &e), &self.part),
        }
    }
}
