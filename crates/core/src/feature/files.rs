//! The file manager (`files`, permission `file_manager`), on a reliable
//! ordered channel: the wire messages (every request carries an `id` its
//! answers repeat, so answers of pipelined requests are never mixed up), the
//! path rules for `ID:PATH` names, and the resume rule for a transfer
//! repeated after it stopped. File bytes travel as binary frames
//! ([`data_frame`]: the transfer id and the offset, then at most
//! [`FRAME_CHUNK`] bytes; no JSON, no base64), at most [`WINDOW`] bytes
//! unacknowledged per transfer.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Access, ChannelKind, FeatureSpec, MAX_MESSAGE};
use crate::permission::Permission;

/// The file manager feature. `clipboard_files` opens its channel too, for
/// the files the clipboard names only (see `clipboard_files::Scope`: the
/// host checks each request's path when `file_manager` is not granted).
pub const SPEC: FeatureSpec = FeatureSpec {
    name: "files",
    access: Access::AnyOf(&[Permission::FileManager, Permission::ClipboardFiles]),
    channel: ChannelKind::ReliableOrdered,
    max_message: MAX_MESSAGE,
};

/// Bytes of a binary frame before its payload: the tag, the transfer id and
/// the offset.
const FRAME_HEAD: usize = 1 + 8 + 8;
/// Most file bytes in one binary `data` frame (what senders send).
pub const FRAME_CHUNK: usize = MAX_MESSAGE - FRAME_HEAD;
/// Bytes a sender may have sent and not yet seen acknowledged, per transfer.
pub const WINDOW: u64 = 2 * 1024 * 1024;
/// The receiver acknowledges every this many chunks (and at the end).
pub const ACK_EVERY: u64 = 16;

pub use super::frame::Payload;
/// Room for the entries of one `entries` message, in bytes of JSON (a
/// directory listing comes in pieces).
pub const ENTRIES_ROOM: usize = MAX_MESSAGE - 256;
/// Longest path accepted, in bytes.
pub const MAX_PATH: usize = 4096;

/// What a directory entry is (symlinks are never followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (its target is in [`Entry::target`]).
    Symlink,
    /// Anything else (a device, a socket, a pipe): listed, never copied.
    Other,
}

/// One file or directory as `ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Its name (the last component), lossily converted when not UTF-8
    /// (`valid_name: false` then: such a file cannot be copied).
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits (`0o7777` at most).
    pub mode: u32,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: i64,
    /// A symlink's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether the name is valid UTF-8.
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    pub valid_name: bool,
}

fn yes() -> bool {
    true
}

/// From the viewer. Paths are host paths as [`HostPath`] reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromViewer {
    /// List a directory (or describe a file): `entries` pieces.
    List {
        /// Request id.
        id: u64,
        /// The path.
        path: String,
    },
    /// Describe one path (not following a final symlink): `entry`.
    Stat {
        /// Request id.
        id: u64,
        /// The path.
        path: String,
    },
    /// Make a directory (its parent must exist): `done`.
    Mkdir {
        /// Request id.
        id: u64,
        /// The path.
        path: String,
    },
    /// Remove a file, a symlink, an empty directory, or with `recursive` a tree: `done`.
    Remove {
        /// Request id.
        id: u64,
        /// The path.
        path: String,
        /// Remove a directory with what it holds.
        recursive: bool,
    },
    /// Rename within the host: `done`.
    Rename {
        /// Request id.
        id: u64,
        /// The old path.
        from: String,
        /// The new path.
        to: String,
    },
    /// Send a file from `offset` (the viewer's partial copy is that long and
    /// hashes to `prefix_sha256`; the host starts at 0 if its file's prefix
    /// differs): `opened`, `data`..., `eof`.
    Read {
        /// Request id (the transfer's).
        id: u64,
        /// The path.
        path: String,
        /// Where to start.
        offset: u64,
        /// SHA-256 (hex) of the viewer's first `offset` bytes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefix_sha256: Option<String>,
    },
    /// Credit for a read: the viewer has everything before `offset`.
    Ack {
        /// The transfer.
        id: u64,
        /// Bytes received.
        offset: u64,
    },
    /// Start writing a file: the host answers `ready` with the length of the
    /// partial copy it kept from an earlier try (and its SHA-256), or 0.
    Write {
        /// Request id (the transfer's).
        id: u64,
        /// The path.
        path: String,
        /// The whole file's size.
        size: u64,
        /// Permission bits to give it.
        mode: u32,
        /// Modification time to give it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mtime: Option<i64>,
    },
    /// Go on writing from `offset` (the partial copy's length, or 0 to start over).
    Resume {
        /// The transfer.
        id: u64,
        /// Where the data will start.
        offset: u64,
    },
    /// File bytes of a write (a binary frame: [`data_frame`]).
    Data {
        /// The transfer.
        id: u64,
        /// Their place in the file.
        offset: u64,
        /// The bytes.
        data: Payload,
    },
    /// The last byte was sent: check the whole file's SHA-256, then put it in
    /// place (`done`), or keep nothing under the real name (`failed`).
    Commit {
        /// The transfer.
        id: u64,
        /// SHA-256 (hex) of the whole file.
        sha256: String,
    },
    /// Make a symbolic link (never followed): `done`.
    Symlink {
        /// Request id.
        id: u64,
        /// The link's path.
        path: String,
        /// What it points to, as given.
        target: String,
    },
    /// Stop a transfer (a write keeps its partial copy for a later resume).
    Cancel {
        /// The transfer.
        id: u64,
    },
}

impl FromViewer {
    /// The request id it carries.
    pub fn id(&self) -> u64 {
        match self {
            FromViewer::List { id, .. }
            | FromViewer::Stat { id, .. }
            | FromViewer::Mkdir { id, .. }
            | FromViewer::Remove { id, .. }
            | FromViewer::Rename { id, .. }
            | FromViewer::Read { id, .. }
            | FromViewer::Ack { id, .. }
            | FromViewer::Write { id, .. }
            | FromViewer::Resume { id, .. }
            | FromViewer::Data { id, .. }
            | FromViewer::Commit { id, .. }
            | FromViewer::Symlink { id, .. }
            | FromViewer::Cancel { id } => *id,
        }
    }

    /// The name a refusal and the audit log give it.
    pub fn kind(&self) -> &'static str {
        match self {
            FromViewer::List { .. } => "files_list",
            FromViewer::Stat { .. } => "files_stat",
            FromViewer::Mkdir { .. } => "files_mkdir",
            FromViewer::Remove { .. } => "files_remove",
            FromViewer::Rename { .. } => "files_rename",
            FromViewer::Read { .. } | FromViewer::Ack { .. } => "files_read",
            FromViewer::Write { .. }
            | FromViewer::Resume { .. }
            | FromViewer::Data { .. }
            | FromViewer::Commit { .. } => "files_write",
            FromViewer::Symlink { .. } => "files_symlink",
            FromViewer::Cancel { .. } => "files_cancel",
        }
    }
}

/// From the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromHost {
    /// Entries of a `list`, in pieces (`more` on all but the last).
    Entries {
        /// The request.
        id: u64,
        /// Some entries.
        entries: Vec<Entry>,
        /// More pieces follow.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// Answer to `stat`.
    Entry {
        /// The request.
        id: u64,
        /// The path's entry.
        entry: Entry,
    },
    /// A request carried out.
    Done {
        /// The request.
        id: u64,
    },
    /// A read starts: the file's size and mode, and where the data starts.
    Opened {
        /// The transfer.
        id: u64,
        /// The file's size.
        size: u64,
        /// Where the data starts (the asked offset, or 0 if the prefix differed).
        offset: u64,
        /// Permission bits.
        mode: u32,
        /// Modification time.
        mtime: i64,
    },
    /// File bytes of a read (a binary frame: [`data_frame`]).
    Data {
        /// The transfer.
        id: u64,
        /// Their place in the file.
        offset: u64,
        /// The bytes.
        data: Payload,
    },
    /// The read's last byte was sent; the whole file's SHA-256 (hex).
    Eof {
        /// The transfer.
        id: u64,
        /// SHA-256 of the whole file as sent.
        sha256: String,
    },
    /// Answer to `write`: the partial copy kept from an earlier try.
    Ready {
        /// The transfer.
        id: u64,
        /// Its length (0: none).
        partial: u64,
        /// SHA-256 (hex) of it.
        sha256: String,
    },
    /// Credit for a write: the host wrote everything before `offset`.
    Ack {
        /// The transfer.
        id: u64,
        /// Bytes written.
        offset: u64,
    },
    /// A request that failed.
    Failed {
        /// The request.
        id: u64,
        /// Why, for a program.
        code: crate::ErrorCode,
        /// Why, for a person.
        message: String,
    },
    /// A request the session's permissions do not allow.
    Refused {
        /// The request.
        id: u64,
        /// What was refused.
        what: String,
        /// The permission it needs.
        permission: String,
    },
}

impl FromHost {
    /// The request id it answers.
    pub fn id(&self) -> u64 {
        match self {
            FromHost::Entries { id, .. }
            | FromHost::Entry { id, .. }
            | FromHost::Done { id }
            | FromHost::Opened { id, .. }
            | FromHost::Data { id, .. }
            | FromHost::Eof { id, .. }
            | FromHost::Ready { id, .. }
            | FromHost::Ack { id, .. }
            | FromHost::Failed { id, .. }
            | FromHost::Refused { id, .. } => *id,
        }
    }
}

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A `..` component (paths never climb).
    #[error("'{0}': a path with '..' is refused")]
    DotDot(String),
    /// A NUL, a newline or another control character.
    #[error("a path with a control character (newline, NUL, ...) is refused")]
    Control,
    /// `~user` (only the desktop user's own home is known).
    #[error("'{0}': only '~' (the home of the desktop's user) is understood, not '~user'")]
    OtherHome(String),
    /// Over [`MAX_PATH`].
    #[error("a path over {MAX_PATH} bytes is refused")]
    TooLong,
    /// A name that must name something (a copy's target, a removal) is empty.
    #[error("an empty name is refused")]
    Empty,
}

/// Where a host path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The desktop user's home (`~`, `~/x`, or a relative path: scp's rule).
    Home,
    /// The root (`/x`).
    Root,
}

/// A host path, checked and normalised: no `..`, no `.`, no empty components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPath {
    /// Where it starts.
    pub base: Base,
    /// Its components.
    pub parts: Vec<String>,
}

impl HostPath {
    /// Read a host path: `""`, `~` and `~/…` and relative paths start at the
    /// home; `/…` at the root. Refused: `..`, control characters, `~user`.
    pub fn parse(text: &str) -> Result<HostPath, PathError> {
        if text.len() > MAX_PATH {
            return Err(PathError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(PathError::Control);
        }
        let (base, rest) = if let Some(rest) = text.strip_prefix('/') {
            (Base::Root, rest)
        } else if text == "~" {
            (Base::Home, "")
        } else if let Some(rest) = text.strip_prefix("~/") {
            (Base::Home, rest)
        } else if text.starts_with('~') {
            return Err(PathError::OtherHome(text.to_string()));
        } else {
            (Base::Home, text)
        };
        let mut parts = Vec::new();
        for part in rest.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(PathError::DotDot(text.to_string())),
                p => parts.push(p.to_string()),
            }
        }
        HostPath { base, parts }.within_limit()
    }

    /// The path, if its wire form fits [`MAX_PATH`]: a relative `a` goes on
    /// as `~/a`, two bytes longer, and must still read back (found by fuzzing).
    fn within_limit(self) -> Result<HostPath, PathError> {
        let head = match self.base {
            Base::Home => 1,
            Base::Root => 0,
        };
        let wire = head + self.parts.iter().map(|p| p.len() + 1).sum::<usize>();
        if wire.max(1) > MAX_PATH {
            return Err(PathError::TooLong);
        }
        Ok(self)
    }

    /// Its last component (`None` for the home or the root itself).
    pub fn name(&self) -> Option<&str> {
        self.parts.last().map(String::as_str)
    }

    /// The path with one more component (checked like a component of [`parse`](Self::parse)).
    pub fn join(&self, name: &str) -> Result<HostPath, PathError> {
        check_name(name)?;
        let mut parts = self.parts.clone();
        parts.push(name.to_string());
        HostPath {
            base: self.base,
            parts,
        }
        .within_limit()
    }

    /// As the wire carries it (`~/a/b` or `/a/b`).
    pub fn to_wire(&self) -> String {
        let head = match self.base {
            Base::Home => "~",
            Base::Root => "",
        };
        if self.parts.is_empty() {
            return match self.base {
                Base::Home => "~".into(),
                Base::Root => "/".into(),
            };
        }
        format!("{head}/{}", self.parts.join("/"))
    }
}

/// Check one file name (a component): not empty, no `/`, not `.`/`..`, no control character.
pub fn check_name(name: &str) -> Result<(), PathError> {
    if name.is_empty() {
        return Err(PathError::Empty);
    }
    if name.chars().any(char::is_control) {
        return Err(PathError::Control);
    }
    if name == "." || name == ".." || name.contains('/') {
        return Err(PathError::DotDot(name.to_string()));
    }
    Ok(())
}

/// One side of a copy as the command line names it (scp's rule: a colon
/// before any slash means `ID:PATH` on a host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local path, as given.
    Local(String),
    /// A path on the host with this ID (as typed).
    Remote {
        /// The host's ID as typed (digits, maybe with spaces or dashes).
        id: String,
        /// The host path, unparsed.
        path: String,
    },
}

impl Location {
    /// Split `ID:PATH`; anything without a colon before its first slash is local.
    pub fn parse(text: &str) -> Location {
        let colon = text.find(':');
        let slash = text.find('/');
        match colon {
            Some(c) if slash.is_none_or(|s| c < s) && c > 0 => Location::Remote {
                id: text[..c].to_string(),
                path: text[c + 1..].to_string(),
            },
            _ => Location::Local(text.to_string()),
        }
    }
}

/// Where the temporary copy of a file being written is kept, next to it:
/// `.NAME.latchkey-part` (a dot file, so listings hide it).
pub fn part_name(name: &str) -> String {
    format!(".{name}.latchkey-part")
}

/// Whether a file name is one of our temporary copies.
pub fn is_part_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".latchkey-part")
}

/// The resume rule: a receiver's partial copy of `partial` bytes hashing to
/// `partial_sha256` is kept when it is no longer than the file (`size`) and
/// the sender's first `partial` bytes hash the same (`sender_prefix_sha256`);
/// then the transfer goes on from there, else it starts at 0.
pub fn resume_offset(
    size: u64,
    partial: u64,
    partial_sha256: &str,
    sender_prefix_sha256: &str,
) -> u64 {
    if partial > 0 && partial <= size && partial_sha256.eq_ignore_ascii_case(sender_prefix_sha256) {
        partial
    } else {
        0
    }
}

/// SHA-256 in lowercase hex (of a prefix, a whole file: what the messages carry).
pub fn sha256_hex(hasher: &Sha256) -> String {
    hex::encode(hasher.clone().finalize())
}

/// `data` of transfer `id` at `offset` as a binary frame: [`FRAME_DATA`],
/// the id and the offset (big-endian), the bytes (at most [`FRAME_CHUNK`]).
///
/// [`FRAME_DATA`]: super::frame::FRAME_DATA
pub fn data_frame(id: u64, offset: u64, bytes: &[u8]) -> Vec<u8> {
    let mut head = [0u8; 16];
    head[..8].copy_from_slice(&id.to_be_bytes());
    head[8..].copy_from_slice(&offset.to_be_bytes());
    super::frame::data_frame(&head, bytes)
}

/// One message off the channel, either form: a binary `data` frame (through
/// `data`) or JSON; the size is checked first.
fn read<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    data: fn(u64, u64, Payload) -> T,
) -> Result<T, super::WireError> {
    match super::frame::split::<16>(&SPEC, bytes) {
        Some(frame) => frame.map(|(head, rest)| {
            let (mut id, mut offset) = ([0u8; 8], [0u8; 8]);
            id.copy_from_slice(&head[..8]);
            offset.copy_from_slice(&head[8..]);
            let (id, offset) = (u64::from_be_bytes(id), u64::from_be_bytes(offset));
            data(id, offset, Payload(rest.to_vec()))
        }),
        None => super::parse(&SPEC, bytes),
    }
}

/// A message from the viewer, either form.
pub fn from_viewer(bytes: &[u8]) -> Result<FromViewer, super::WireError> {
    read(bytes, |id, offset, data| FromViewer::Data {
        id,
        offset,
        data,
    })
}

/// A message from the host, either form.
pub fn from_host(bytes: &[u8]) -> Result<FromHost, super::WireError> {
    read(bytes, |id, offset, data| FromHost::Data {
        id,
        offset,
        data,
    })
}

/// A listing cut into pieces that each fit in one `entries` message (at least
/// one piece, maybe empty). An entry too large alone loses its symlink target.
pub fn pack_entries(entries: Vec<Entry>) -> Vec<Vec<Entry>> {
    let size = |e: &Entry| {
        serde_json::to_vec(e)
            .map(|v| v.len() + 1)
            .unwrap_or(usize::MAX)
    };
    let mut out = vec![Vec::new()];
    let mut room = ENTRIES_ROOM;
    for mut entry in entries {
        let mut n = size(&entry);
        if n > ENTRIES_ROOM {
            entry.target = None;
            n = size(&entry);
            if n > ENTRIES_ROOM {
                continue;
            }
        }
        if n > room {
            out.push(Vec::new());
            room = ENTRIES_ROOM;
        }
        room -= n;
        if let Some(last) = out.last_mut() {
            last.push(entry);
        }
    }
    out
}
